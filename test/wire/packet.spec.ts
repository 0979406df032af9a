import { expect } from 'chai';
import fc from 'fast-check';
import {
  QRTR_PORT_CTRL,
  QrtrType,
  QrtrWireError,
  decodePacket,
  encodePacket,
  type QrtrHeaderFields,
} from '../../src/wire';

function v1(fields: { type?: number; srcNode?: number; srcPort?: number; confirm?: number; size: number; dstNode?: number; dstPort?: number }, bodyLength: number): Uint8Array {
  const b = new Uint8Array(32 + bodyLength);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, 1, true);
  dv.setUint32(4, fields.type ?? QrtrType.DATA, true);
  dv.setUint32(8, fields.srcNode ?? 7, true);
  dv.setUint32(12, fields.srcPort ?? 1, true);
  dv.setUint32(16, fields.confirm ?? 0, true);
  dv.setUint32(20, fields.size, true);
  dv.setUint32(24, fields.dstNode ?? 1, true);
  dv.setUint32(28, fields.dstPort ?? 0x4000, true);
  return b;
}

function v2(fields: { optlen?: number; size: number; dstPort?: number; srcPort?: number; flags?: number }, bodyLength: number): Uint8Array {
  const b = new Uint8Array(16 + bodyLength);
  const dv = new DataView(b.buffer);
  b[0] = 3;
  b[1] = QrtrType.DATA;
  b[2] = fields.flags ?? 0;
  b[3] = fields.optlen ?? 0;
  dv.setUint32(4, fields.size, true);
  dv.setUint16(8, 7, true);
  dv.setUint16(10, fields.srcPort ?? 1, true);
  dv.setUint16(12, 1, true);
  dv.setUint16(14, fields.dstPort ?? 0x4000, true);
  return b;
}

function rejects(buf: Uint8Array, code: string): void {
  try {
    decodePacket(buf);
  } catch (err) {
    expect(err).to.be.instanceOf(QrtrWireError);
    expect((err as QrtrWireError).code).to.equal(code);
    return;
  }
  expect.fail(`expected ${code}`);
}

describe('wire: QRTR packets', () => {
  describe('decodePacket (reference §1.4 and hostile inputs §7.1)', () => {
    it('should reject len == 0 (§7.1 #1)', () => rejects(new Uint8Array(0), 'QRTR_EMPTY_PACKET'));
    it('should reject len % 4 != 0 (§7.1 #1)', () => rejects(new Uint8Array(34).fill(1, 0, 1), 'QRTR_UNALIGNED_LENGTH'));
    it('should reject a v1 packet shorter than 32 bytes (§7.1 #2)', () => rejects(v1({ size: 4 }, 4).subarray(0, 28), 'QRTR_TRUNCATED_HEADER'));
    it('should reject a v2 packet shorter than 16 bytes (§7.1 #2)', () => rejects(v2({ size: 4 }, 4).subarray(0, 12), 'QRTR_TRUNCATED_HEADER'));
    for (const version of [0, 2, 4, 0xff]) {
      it(`should reject version byte ${version} (§7.1 #3)`, () => {
        const b = v1({ size: 4 }, 4);
        b[0] = version;
        rejects(b, 'QRTR_BAD_VERSION');
      });
    }
    it('should reject size == 0 (§7.1 #4)', () => rejects(v1({ size: 0 }, 4), 'QRTR_ZERO_SIZE'));
    for (const size of [0xfffffffd, 0xfffffffe, 0xffffffff]) {
      it(`should reject size ${size.toString(16)} that wraps ALIGN on 32-bit (§7.1 #5)`, () => rejects(v1({ size }, 4), 'QRTR_SIZE_OVERFLOW'));
    }
    it('should reject size 0xfffffffd with len == hdrlen (§7.1 #5)', () => {
      const b = v1({ size: 0xfffffffd }, 4).subarray(0, 32);
      rejects(b, 'QRTR_SIZE_OVERFLOW');
    });
    it('should reject a v2 optlen running past the packet (§7.1 #6)', () => rejects(v2({ optlen: 32, size: 4 }, 4), 'QRTR_BAD_OPTLEN'));
    it('should reject a v2 optlen that is not a multiple of 4 (§7.1 #6)', () => rejects(v2({ optlen: 2, size: 2 }, 4), 'QRTR_BAD_OPTLEN'));
    it('should reject trailing junk after the padded payload (§7.1 #7)', () => rejects(v1({ size: 4 }, 8), 'QRTR_SIZE_MISMATCH'));
    it('should reject a truncated payload as a size past the buffer (§7.1 #7)', () => rejects(v1({ size: 12 }, 8), 'QRTR_SIZE_OVERFLOW'));
    for (const size of [1, 2, 3, 5, 6, 7]) {
      it(`should accept an unpadded size ${size} with its pad bytes (§7.1 #8)`, () => {
        const b = v1({ size }, (size + 3) & ~3);
        b.fill(0xaa, 32, 32 + size);
        const p = decodePacket(b);
        expect(p.size).to.equal(size);
        expect(p.payload.length).to.equal(size);
        expect(p.payload.buffer).to.equal(b.buffer, 'payload is a view, not a copy');
      });
    }
    it('should map legacy dst port 0xffff to the control port (§7.1 #12)', () => {
      expect(decodePacket(v1({ size: 20, dstPort: 0xffff }, 20)).dstPort).to.equal(QRTR_PORT_CTRL);
    });
    it('should widen v2 port 0xfffe to the control port for src and dst (§7.1 #12)', () => {
      const p = decodePacket(v2({ size: 4, dstPort: 0xfffe, srcPort: 0xfffe }, 4));
      expect(p.dstPort).to.equal(QRTR_PORT_CTRL);
      expect(p.srcPort).to.equal(QRTR_PORT_CTRL);
    });
    it('should skip v2 option bytes and read the confirm_rx flag', () => {
      const b = v2({ optlen: 8, size: 4, flags: 1 }, 12);
      b.set([1, 2, 3, 4], 24);
      const p = decodePacket(b);
      expect(p.headerLength).to.equal(24);
      expect(p.confirmRx).to.equal(true);
      expect(Array.from(p.payload)).to.deep.equal([1, 2, 3, 4]);
    });
  });

  describe('encodePacket', () => {
    const fieldsArb = fc.record({
      version: fc.constantFrom<1 | 2>(1, 2),
      type: fc.integer({ min: 1, max: 11 }),
      srcNode: fc.integer({ min: 0, max: 0xffff }),
      srcPort: fc.integer({ min: 0, max: 0xfffd }),
      dstNode: fc.integer({ min: 0, max: 0xffff }),
      dstPort: fc.oneof(fc.integer({ min: 0, max: 0xfffd }), fc.constant(QRTR_PORT_CTRL)),
      confirmRx: fc.boolean(),
    });

    it('should round-trip every header field and payload, v1 and v2', () => {
      fc.assert(
        fc.property(fieldsArb, fc.uint8Array({ minLength: 1, maxLength: 300 }), (fields: QrtrHeaderFields, payload) => {
          const wire = encodePacket(fields, payload);
          expect(wire.length % 4).to.equal(0);
          const p = decodePacket(wire);
          expect(p.version).to.equal(fields.version);
          expect(p.type).to.equal(fields.type);
          expect([p.srcNode, p.srcPort, p.dstNode, p.dstPort]).to.deep.equal([fields.srcNode, fields.srcPort, fields.dstNode, fields.dstPort]);
          expect(p.confirmRx).to.equal(fields.confirmRx);
          expect(Buffer.from(p.payload).equals(Buffer.from(payload))).to.equal(true);
        }),
      );
    });

    it('should pad to 4 bytes with zeros', () => {
      const wire = encodePacket({ type: 1, srcNode: 1, srcPort: 2, dstNode: 3, dstPort: 4 }, new Uint8Array([9, 9, 9, 9, 9]));
      expect(wire.length).to.equal(40);
      expect(Array.from(wire.subarray(37))).to.deep.equal([0, 0, 0]);
    });

    it('should never throw anything but a QrtrWireError on random bytes', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
          try {
            decodePacket(bytes);
          } catch (err) {
            expect(err).to.be.instanceOf(QrtrWireError);
          }
        }),
        { numRuns: 2000 },
      );
    });
  });
});
