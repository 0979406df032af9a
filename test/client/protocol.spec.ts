import { expect } from 'chai';
import fc from 'fast-check';
import { FrameDecoder, LocalClientError, MAX_CLIENT_FRAME_LENGTH, encodeFrame, reviveError, serializeError } from '../../src/client';
import { QrtrWouldBlockError } from '../../src/router';
import { QrtrdError } from '../../src/common/errors';

interface Decoded {
  op: number;
  flags: number;
  id: number;
  body: number[];
}

function decodeAll(chunks: Buffer[]): Decoded[] {
  const out: Decoded[] = [];
  const decoder = new FrameDecoder((f) => out.push({ op: f.op, flags: f.flags, id: f.id, body: [...f.body] }), MAX_CLIENT_FRAME_LENGTH);
  for (const chunk of chunks) decoder.push(chunk);
  return out;
}

const frameArb = fc.record({
  op: fc.integer({ min: 0, max: 255 }),
  flags: fc.integer({ min: 0, max: 255 }),
  id: fc.nat(),
  fields: fc.array(fc.nat(), { maxLength: 4 }),
  tail: fc.uint8Array({ maxLength: 300 }),
});

describe('local-client FrameDecoder', () => {
  it('should decode the same frames however the stream is split', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (frames, cuts) => {
        const stream = Buffer.concat(frames.map((f) => encodeFrame(f.op, f.flags, f.id, f.fields, f.tail)));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let last = 0;
        for (const p of points) {
          chunks.push(stream.subarray(last, p));
          last = p;
        }
        chunks.push(stream.subarray(last));
        const decoded = decodeAll(chunks);
        expect(decoded).to.deep.equal(
          frames.map((f) => ({
            op: f.op,
            flags: f.flags,
            id: f.id,
            body: [...Buffer.concat([Buffer.from(new Uint32Array(f.fields.map((x) => x >>> 0)).buffer), Buffer.from(f.tail)])],
          })),
        );
      }),
    );
  });

  it('should decode the same frames from one reused read buffer (push(buffer, size)), whatever stale bytes follow each read', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 0, max: 255 }), (frames, sizes, stale) => {
        const stream = Buffer.concat(frames.map((f) => encodeFrame(f.op, f.flags, f.id, f.fields, f.tail)));
        const out: Decoded[] = [];
        const decoder = new FrameDecoder((f) => out.push({ op: f.op, flags: f.flags, id: f.id, body: [...f.body] }), MAX_CLIENT_FRAME_LENGTH);
        // As net's onread: every read lands at the start of the same buffer; what follows is left from earlier reads.
        const readBuffer = Buffer.alloc(700, stale);
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const size = Math.min(sizes[i % sizes.length], stream.length - at);
          stream.copy(readBuffer, 0, at, at + size);
          decoder.push(readBuffer, size);
          readBuffer.fill(stale ^ 0xff, 0, size); // a frame kept as a view of the buffer past push() would now be wrong
          at += size;
        }
        expect(out).to.deep.equal(
          frames.map((f) => ({
            op: f.op,
            flags: f.flags,
            id: f.id,
            body: [...Buffer.concat([Buffer.from(new Uint32Array(f.fields.map((x) => x >>> 0)).buffer), Buffer.from(f.tail)])],
          })),
        );
        expect(decoder.receivedBytes).to.equal(stream.length);
      }),
    );
  });

  it('should reject arbitrary bytes only with typed local-client errors, and stay failed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const decoder = new FrameDecoder(() => undefined, 1024);
        try {
          decoder.push(Buffer.from(bytes));
        } catch (err) {
          expect(err).to.be.instanceOf(LocalClientError);
          expect(() => decoder.push(Buffer.alloc(0))).to.throw(LocalClientError);
        }
      }),
    );
  });

  it('should round-trip errors with class, name, code and details', () => {
    const original = new QrtrWouldBlockError(3, 7, 9, 'busy');
    const revived = reviveError(JSON.parse(JSON.stringify(serializeError(original))));
    expect(revived).to.be.instanceOf(QrtrWouldBlockError);
    expect(revived).to.be.instanceOf(QrtrdError);
    expect(revived.toJSON()).to.deep.equal(original.toJSON());
    const unknown = reviveError({ name: 'SomePluginError', code: 'PLUGIN_X', message: 'x', details: { a: 1 } });
    expect(unknown).to.be.instanceOf(QrtrdError);
    expect([unknown.name, unknown.code, unknown.details]).to.deep.equal(['SomePluginError', 'PLUGIN_X', { a: 1 }]);
    expect(serializeError(new TypeError('boom'))).to.deep.include({ code: 'QRTRD_INTERNAL', message: 'boom' });
  });
});
