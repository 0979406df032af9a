import { expect } from 'chai';
import {
  QmiDecodeError, QmiResultError, bytes, dms, opt, qmiCodec, qmiRequest, qmiResponseType, qmiResponse, req, str, struct, u16, u32, u8,
  varArray, wlfw,
} from '../../../src/qmi';
import { catchError } from './arbitraries';
import { bothEngines, expectDecodeError, hexBytes } from './helpers';

const simple = qmiRequest('simple_req', 0x30, {
  id: req(0x01, u32),
  flag: opt(0x10, u8),
  list: opt(0x11, varArray(u16, 3)),
  name: opt(0x12, str(4)),
  rec: opt(0x13, struct('rec_s', { a: u8, b: u16 })),
  recs: opt(0x14, varArray(struct('recv_s', { a: u8, s: str(4) }), 2)),
});

describe('QMI decoder rejections', () => {
  it('should reject a truncated TLV header (QMI_TRUNCATED_TLV)', () => {
    const e = expectDecodeError(simple, hexBytes('01 04 00 01 00 00 00 | 10 01'), 'QMI_TRUNCATED_TLV');
    expect(e.details).to.include({ offset: 7, remaining: 2 });
  });

  it('should reject a TLV length running past the buffer (QMI_TLV_OVERFLOW)', () => {
    const e = expectDecodeError(simple, hexBytes('01 08 00 01 00 00 00'), 'QMI_TLV_OVERFLOW');
    expect(e.details).to.include({ tlv: 1, length: 8, remaining: 4 });
  });

  it('should reject an array count above the maximum (QMI_ARRAY_TOO_LONG)', () => {
    const e = expectDecodeError(simple, hexBytes('01 04 00 01 00 00 00 | 11 09 00 04 01 00 02 00 03 00 04 00'), 'QMI_ARRAY_TOO_LONG');
    expect(e.details).to.include({ count: 4, max: 3, path: 'simple_req.list', tlv: 0x11 });
  });

  it('should reject a top-level string over its maximum (QMI_STRING_TOO_LONG)', () => {
    expectDecodeError(simple, hexBytes('01 04 00 01 00 00 00 | 12 05 00 61 62 63 64 65'), 'QMI_STRING_TOO_LONG');
  });

  it('should reject a nested string over its maximum and name the field path', () => {
    const ts = '61'.repeat(33);
    const e = expectDecodeError(wlfw.wlfw_cap_resp, hexBytes(`02 04 00 00 00 00 00 | 13 26 00 01 00 00 00 21 ${ts}`), 'QMI_STRING_TOO_LONG');
    expect(e.details).to.include({ message: 'wlfw_cap_resp', tlv: 0x13, path: 'wlfw_cap_resp.fw_version_info.fw_build_timestamp', length: 33, max: 32 });
    expect(e.message).to.contain('wlfw_cap_resp.fw_version_info.fw_build_timestamp');
  });

  it('should reject a missing mandatory TLV (QMI_MISSING_TLV)', () => {
    const e = expectDecodeError(simple, hexBytes('10 01 00 01'), 'QMI_MISSING_TLV');
    expect(e.details).to.include({ path: 'simple_req.id', tlv: 1 });
  });

  it('should reject an unknown TLV below 0x10 (QMI_UNKNOWN_MANDATORY_TLV)', () => {
    const e = expectDecodeError(simple, hexBytes('01 04 00 01 00 00 00 | 05 01 00 00'), 'QMI_UNKNOWN_MANDATORY_TLV');
    expect(e.details).to.include({ tlv: 5 });
  });

  it('should reject trailing bytes inside a fixed-size field (QMI_TRAILING_BYTES)', () => {
    expectDecodeError(simple, hexBytes('01 05 00 01 00 00 00 ff'), 'QMI_TRAILING_BYTES');
  });

  it('should reject trailing bytes after a variable field', () => {
    expectDecodeError(simple, hexBytes('01 04 00 01 00 00 00 | 11 04 00 01 01 00 ff'), 'QMI_TRAILING_BYTES');
  });

  it('should reject a fixed-size field shorter than its type (QMI_TRUNCATED_VALUE)', () => {
    const e = expectDecodeError(simple, hexBytes('01 03 00 01 00 00'), 'QMI_TRUNCATED_VALUE');
    expect(e.details).to.include({ needed: 4, available: 3 });
  });

  it('should reject array elements running past the TLV (QMI_TRUNCATED_VALUE)', () => {
    expectDecodeError(simple, hexBytes('01 04 00 01 00 00 00 | 11 04 00 02 01 00 02'), 'QMI_TRUNCATED_VALUE');
  });

  it('should reject a nested string running past the TLV (QMI_TRUNCATED_VALUE)', () => {
    const e = expectDecodeError(simple, hexBytes('01 04 00 01 00 00 00 | 14 05 00 01 07 03 61 62'), 'QMI_TRUNCATED_VALUE');
    expect(e.details).to.include({ path: 'simple_req.recs.s' });
  });

  it('should reject a struct TLV longer than its members (QMI_STRUCT_LENGTH_MISMATCH)', () => {
    expectDecodeError(simple, hexBytes('01 04 00 01 00 00 00 | 13 04 00 01 02 00 ff'), 'QMI_STRUCT_LENGTH_MISMATCH');
  });

  it('should reject a struct array TLV with bytes left after its records', () => {
    expectDecodeError(simple, hexBytes('01 04 00 01 00 00 00 | 14 05 00 01 07 01 61 ff'), 'QMI_STRUCT_LENGTH_MISMATCH');
  });

  it('should skip unknown optional TLVs (>= 0x10)', () => {
    for (const [, codec] of bothEngines(simple)) {
      expect(codec.decode(hexBytes('7f 02 00 aa bb | 01 04 00 2a 00 00 00')).id).to.equal(42);
    }
  });

  it('should let the last copy of a duplicated TLV win (kernel behaviour)', () => {
    for (const [, codec] of bothEngines(simple)) {
      expect(codec.decode(hexBytes('01 04 00 01 00 00 00 | 10 01 00 01 | 10 01 00 02')).flag).to.equal(2);
    }
  });

  it('should report absent optional TLVs as undefined properties', () => {
    for (const [, codec] of bothEngines(simple)) {
      const v = codec.decode(hexBytes('01 04 00 01 00 00 00'));
      expect(v).to.have.property('flag', undefined);
      expect(Object.keys(v)).to.deep.equal(['id', 'flag', 'list', 'name', 'rec', 'recs']);
    }
  });

  it('should raise QmiResultError instead of QMI_MISSING_TLV when a failed response omits mandatory TLVs', () => {
    for (const engine of ['compiled', 'interpreted'] as const) {
      const e = catchError(() => qmiCodec(dms.dms_get_model_resp, engine).decode(hexBytes('02 04 00 01 00 5e 00')));
      expect(e).to.be.instanceOf(QmiResultError);
      expect(e).to.include({ code: 'QMI_RESULT_ERROR', error: 0x5e, errorName: 'NOT_SUPPORTED' });
    }
  });

  it('should reject a datagram whose header names another message (QMI_MESSAGE_MISMATCH)', () => {
    const e = catchError(() => qmiCodec(wlfw.wlfw_cap_resp).decodeMessage(hexBytes('02 01 00 25 00 00 00')));
    expect(e).to.be.instanceOf(QmiDecodeError).and.to.have.property('code', 'QMI_MESSAGE_MISMATCH');
  });

  it('should never read past a sliced view of a larger buffer', () => {
    const backing = hexBytes('01 04 00 01 00 00 00 | 11 03 00 01 05 00');
    const view = backing.subarray(0, 12); // cuts the last byte of TLV 0x11
    expectDecodeError(simple, view, 'QMI_TLV_OVERFLOW');
  });

  it('should decode a long blob TLV of exactly its maximum', () => {
    const s = qmiResponse('blob_resp', 1, { resp: req(2, qmiResponseType), data: opt(0x10, bytes(6144)) });
    const body = new Uint8Array(7 + 3 + 2 + 6144);
    body.set(hexBytes('02 04 00 00 00 00 00 | 10 02 18 00 18'));
    for (const [, codec] of bothEngines(s)) expect(codec.decode(body).data!.length).to.equal(6144);
  });
});
