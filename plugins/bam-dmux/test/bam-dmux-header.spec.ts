import { expect } from 'chai';
import fc from 'fast-check';
import {
  BAM_DMUX_BUFFER_SIZE,
  BAM_DMUX_MAX_PAYLOAD,
  BamDmuxCommand,
  BamDmuxError,
  bamDmuxPad,
  bamDmuxPayloadType,
  decodeBamDmuxHeader,
  encodeBamDmuxCommand,
  encodeBamDmuxData,
} from '../src';
import { QrtrdError } from '../../../src/common/errors';

describe('BAM-DMUX header', () => {
  it('should lay out magic FC 33, signal, cmd, pad, ch and a little-endian len', () => {
    const b = new Uint8Array(BAM_DMUX_BUFFER_SIZE);
    const length = encodeBamDmuxData(b, 3, new Uint8Array(0x105).fill(0x45), 'mainline', 0x02);
    expect([...b.subarray(0, 8)]).to.deep.equal([0xfc, 0x33, 0x02, 0, 3, 3, 0x05, 0x01]);
    expect(length).to.equal(8 + 0x105 + 3);
    expect(decodeBamDmuxHeader(b, length)).to.deep.equal({ signal: 2, command: BamDmuxCommand.DATA, pad: 3, channel: 3, length: 0x105 });
  });

  it('should pad 4 on aligned lengths under the mainline rule and 0 under the downstream rule', () => {
    expect([0, 1, 2, 3].map((r) => bamDmuxPad(100 + r, 'mainline'))).to.deep.equal([4, 3, 2, 1]);
    expect([0, 1, 2, 3].map((r) => bamDmuxPad(100 + r, 'downstream'))).to.deep.equal([0, 3, 2, 1]);
  });

  it('should not pad past the 2 KiB buffer for a 2040-byte payload', () => {
    const b = new Uint8Array(BAM_DMUX_BUFFER_SIZE);
    expect(encodeBamDmuxData(b, 0, new Uint8Array(BAM_DMUX_MAX_PAYLOAD), 'mainline')).to.equal(BAM_DMUX_BUFFER_SIZE);
  });

  it('should refuse a payload over 2040 bytes with a typed error', () => {
    const b = new Uint8Array(4096);
    expect(() => encodeBamDmuxData(b, 0, new Uint8Array(2041), 'mainline'))
      .to.throw(BamDmuxError)
      .with.property('code', 'BAM_DMUX_PAYLOAD_TOO_LARGE');
  });

  it('should encode OPEN and CLOSE as bare headers', () => {
    const b = new Uint8Array(8);
    encodeBamDmuxCommand(b, BamDmuxCommand.CLOSE, 7);
    expect([...b]).to.deep.equal([0xfc, 0x33, 0, 2, 0, 7, 0, 0]);
  });

  it('should type payloads by the first nibble', () => {
    expect([0x45, 0x4f, 0x60, 0x6a, 0x00, 0x80, 0xc0, 0x50].map(bamDmuxPayloadType)).to.deep.equal([
      'ipv4',
      'ipv4',
      'ipv6',
      'ipv6',
      'qmap',
      'qmap',
      'qmap',
      'qmap',
    ]);
  });

  it('should round-trip any payload and channel under both padding rules (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 7 }),
        fc.uint8Array({ minLength: 1, maxLength: BAM_DMUX_MAX_PAYLOAD }),
        fc.constantFrom('mainline' as const, 'downstream' as const),
        (channel, payload, padding) => {
          const b = new Uint8Array(BAM_DMUX_BUFFER_SIZE);
          const length = encodeBamDmuxData(b, channel, payload, padding);
          expect(length % 4).to.equal(0);
          const h = decodeBamDmuxHeader(b, length);
          expect(h.channel).to.equal(channel);
          expect(h.length).to.equal(payload.length);
          expect(Buffer.compare(b.subarray(8, 8 + h.length), payload)).to.equal(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('should only ever throw BamDmuxError subclasses on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, fixMagic) => {
        if (fixMagic && bytes.length >= 2) {
          bytes[0] = 0xfc;
          bytes[1] = 0x33;
        }
        try {
          const h = decodeBamDmuxHeader(bytes);
          expect(h.channel).to.be.below(8);
          if (h.command === BamDmuxCommand.DATA) expect(h.length).to.be.within(1, bytes.length - 8);
        } catch (err) {
          expect(err).to.be.instanceOf(BamDmuxError);
          expect(err).to.be.instanceOf(QrtrdError);
          expect((err as BamDmuxError).code).to.match(/^BAM_DMUX_/);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
