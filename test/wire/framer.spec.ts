import { expect } from 'chai';
import fc from 'fast-check';
import { QrtrStreamFramer, QrtrType, QrtrWireError, decodePacket, encodePacket } from '../../src/wire';

const packetArb = fc
  .record({
    version: fc.constantFrom<1 | 2>(1, 2),
    srcPort: fc.integer({ min: 1, max: 0xfff0 }),
    payload: fc.uint8Array({ minLength: 1, maxLength: 200 }),
  })
  .map(({ version, srcPort, payload }) => encodePacket({ version, type: QrtrType.DATA, srcNode: 7, srcPort, dstNode: 1, dstPort: 0x4000 }, payload));

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

describe('QrtrStreamFramer', () => {
  it('should split any chunking of back-to-back v1/v2 packets into the original packets (property)', () => {
    fc.assert(
      fc.property(fc.array(packetArb, { minLength: 1, maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 40 }), (packets, cuts) => {
        const stream = concat(packets);
        const out: Uint8Array[] = [];
        const framer = new QrtrStreamFramer((p) => out.push(Uint8Array.from(p)));
        let offset = 0;
        let i = 0;
        while (offset < stream.length) {
          const n = cuts[i++ % cuts.length];
          framer.push(stream.subarray(offset, offset + n));
          offset += n;
        }
        expect(out.map((p) => Buffer.from(p).toString('hex'))).to.deep.equal(packets.map((p) => Buffer.from(p).toString('hex')));
        expect(framer.buffered).to.equal(0);
        for (const p of out) decodePacket(p);
      }),
    );
  });

  it('should emit whole frames inside one chunk as views without copying', () => {
    const a = encodePacket({ type: 1, srcNode: 7, srcPort: 1, dstNode: 1, dstPort: 2 }, new Uint8Array([1, 2, 3]));
    const b = encodePacket({ version: 2, type: 1, srcNode: 7, srcPort: 1, dstNode: 1, dstPort: 2 }, new Uint8Array([4]));
    const chunk = concat([a, b]);
    const out: Uint8Array[] = [];
    new QrtrStreamFramer((p) => out.push(p)).push(chunk);
    expect(out).to.have.length(2);
    expect(out.every((p) => p.buffer === chunk.buffer)).to.equal(true);
  });

  it('should fail with a typed error on a bad version byte and stay failed', () => {
    const framer = new QrtrStreamFramer(() => undefined);
    const bad = new Uint8Array(32);
    bad[0] = 9;
    expect(() => framer.push(bad)).to.throw(QrtrWireError).with.property('code', 'QRTR_BAD_VERSION');
    expect(() => framer.push(encodePacket({ type: 1, srcNode: 7, srcPort: 1, dstNode: 1, dstPort: 2 }, new Uint8Array(4)))).to.throw(QrtrWireError);
  });

  it('should refuse a frame announcing more than the limit before buffering it', () => {
    const framer = new QrtrStreamFramer(() => undefined, 1024);
    const header = new Uint8Array(24);
    header[0] = 1;
    new DataView(header.buffer).setUint32(20, 0x7fffffff, true);
    expect(() => framer.push(header)).to.throw(QrtrWireError).with.property('code', 'QRTR_FRAME_TOO_LARGE');
  });

  it('should never throw anything but QrtrWireError on random byte soup', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 10 }), (chunks) => {
        const framer = new QrtrStreamFramer(() => undefined, 4096);
        try {
          for (const c of chunks) framer.push(c);
        } catch (err) {
          expect(err).to.be.instanceOf(QrtrWireError);
        }
      }),
    );
  });
});
