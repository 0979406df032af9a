import { expect } from 'chai';
import fc from 'fast-check';
import {
  QMI_HEADER_LENGTH, QmiDecodeError, QmiTlvReader, QmiTlvWriter, decodeQmiHeader, encodeQmiHeader, qmiBody,
} from '../../../src/qmi';
import { catchError } from './arbitraries';
import { hexBytes, toHex } from './helpers';

describe('QMI header', () => {
  it('should encode type, txn, msg id and msg_len little-endian in 7 bytes', () => {
    const b = new Uint8Array(QMI_HEADER_LENGTH);
    expect(encodeQmiHeader({ type: 4, txn: 0xbeef, msgId: 0x0035, msgLen: 0x0720 }, b)).to.equal(7);
    expect(toHex(b)).to.equal('04 ef be 35 00 20 07');
  });

  it('should decode a header and expose the body as a view', () => {
    const d = hexBytes('02 01 00 24 00 03 00 10 00 00');
    expect(decodeQmiHeader(d)).to.deep.equal({ type: 2, txn: 1, msgId: 0x24, msgLen: 3 });
    expect(qmiBody(d).byteOffset).to.equal(7);
  });

  it('should reject a datagram shorter than 7 bytes (QMI_TRUNCATED_HEADER)', () => {
    expect(catchError(() => decodeQmiHeader(hexBytes('00 01 00 20 00 00')))).to.have.property('code', 'QMI_TRUNCATED_HEADER');
  });

  it('should reject a type other than 0, 2 and 4 (QMI_BAD_MESSAGE_TYPE)', () => {
    for (const t of [1, 3, 5, 0x80]) {
      expect(catchError(() => decodeQmiHeader(Uint8Array.of(t, 0, 0, 0, 0, 0, 0)))).to.have.property('code', 'QMI_BAD_MESSAGE_TYPE');
    }
  });

  it('should reject msg_len that disagrees with the datagram (QMI_LENGTH_MISMATCH)', () => {
    const e = catchError(() => decodeQmiHeader(hexBytes('00 01 00 20 00 05 00 01 02'))) as QmiDecodeError;
    expect(e.code).to.equal('QMI_LENGTH_MISMATCH');
    expect(e.details).to.include({ msgLen: 5, available: 2 });
  });

  it('should round-trip any valid header and reject nothing else untyped', () => {
    fc.assert(fc.property(fc.constantFrom(0, 2, 4), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 64 }), (type, txn, msgId, len) => {
      const d = new Uint8Array(7 + len);
      encodeQmiHeader({ type: type as 0 | 2 | 4, txn, msgId, msgLen: len }, d);
      expect(decodeQmiHeader(d)).to.deep.equal({ type, txn, msgId, msgLen: len });
    }));
    fc.assert(fc.property(fc.uint8Array({ maxLength: 16 }), (d) => {
      const e = catchError(() => decodeQmiHeader(d));
      if (e !== undefined) expect(e).to.be.instanceOf(QmiDecodeError);
    }));
  });
});

describe('QmiTlvReader / QmiTlvWriter', () => {
  it('should write TLVs and read them back as views', () => {
    const buf = new Uint8Array(32);
    const w = new QmiTlvWriter(buf).write(0x02, Uint8Array.of(0, 0, 0, 0)).begin(0x10).u8(1).u16(0x0203).u32(0x04050607).end();
    const body = buf.subarray(0, w.offset);
    expect(toHex(body)).to.equal('02 04 00 00 00 00 00 10 07 00 01 03 02 07 06 05 04');
    const r = new QmiTlvReader(body);
    const seen: Array<[number, string]> = [];
    while (r.next()) seen.push([r.type, toHex(r.value)]);
    expect(seen).to.deep.equal([[2, '00 00 00 00'], [0x10, '01 03 02 07 06 05 04']]);
    expect(r.value.buffer).to.equal(buf.buffer);
  });

  it('should reject truncated and overflowing TLVs with typed errors', () => {
    expect(catchError(() => { const r = new QmiTlvReader(hexBytes('10 01')); r.next(); })).to.have.property('code', 'QMI_TRUNCATED_TLV');
    expect(catchError(() => { const r = new QmiTlvReader(hexBytes('10 05 00 01')); r.next(); })).to.have.property('code', 'QMI_TLV_OVERFLOW');
  });

  it('should refuse to write past its target', () => {
    expect(catchError(() => new QmiTlvWriter(new Uint8Array(4)).write(1, Uint8Array.of(1, 2)))).to.have.property('code', 'QRTRD_INVALID_ARGUMENT');
  });
});
