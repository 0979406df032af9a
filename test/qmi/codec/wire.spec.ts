import { expect } from 'chai';
import {
  bytes, enum16, enum32, fixedArray, i16, i64, i8, opt, parseQmi, buildSchemas, qmiCodec, qmiIndication, qmiRequest,
  req, str, struct, u16, u32, u64, u8, varArray, wlfw,
} from '../../../src/qmi';
import { bothEngines, hexBytes, toHex } from './helpers';

const DEMO_QMI = `# demo.qmi
package demo;
const DEMO_PING = 0x21;

struct qmi_result { u16 result; u16 error; };

request ping_req {
    required u32 cookie = 1;          # TLV 0x01, 4 bytes
    optional string note = 0x10;      # TLV 0x10, raw chars, no prefix
    optional u16 samples(8) = 0x11;   # TLV 0x11: 1-byte count + count*2 bytes
} = DEMO_PING;

response ping_resp {
    required qmi_result result = 2;   # the usual TLV 0x02
    optional u8 flags[2] = 0x10;      # fixed array: exactly 2 bytes, no count
} = DEMO_PING;
`;

/** Encodes `value` with both engines and checks the exact body bytes and the round trip. */
function expectBody(schema: Parameters<typeof bothEngines>[0], value: Record<string, unknown>, hex: string): void {
  for (const [name, codec] of bothEngines(schema)) {
    expect(toHex(codec.encode(value as never)), name).to.equal(toHex(hexBytes(hex)));
  }
}

describe('QMI wire format', () => {
  describe('reference §3.3 worked example', () => {
    const expected = '00 07 00 21 00 14 00 | 01 04 00 05 00 00 00 | 10 02 00 68 69 | 11 05 00 02 01 00 02 00';

    it('should encode ping_req from the parsed .qmi exactly as the reference shows', () => {
      const demo = buildSchemas(parseQmi(DEMO_QMI, 'demo.qmi'));
      for (const engine of ['compiled', 'interpreted'] as const) {
        const codec = qmiCodec(demo.messages['ping_req']!, engine);
        expect(toHex(codec.encodeMessage({ cookie: 5, note: 'hi', samples: [1, 2] }, 7))).to.equal(toHex(hexBytes(expected)));
      }
    });

    it('should encode the same bytes from the builder API and decode them back', () => {
      const pingReq = qmiRequest('ping_req', 0x21, { cookie: req(1, u32), note: opt(0x10, str()), samples: opt(0x11, varArray(u16, 8)) });
      const codec = qmiCodec(pingReq);
      const wire = codec.encodeMessage({ cookie: 5, note: 'hi', samples: [1, 2] }, 7);
      expect(toHex(wire)).to.equal(toHex(hexBytes(expected)));
      const { header, value } = codec.decodeMessage(wire);
      expect(header).to.deep.equal({ type: 0, txn: 7, msgId: 0x21, msgLen: 20 });
      expect(value).to.deep.equal({ cookie: 5, note: 'hi', samples: [1, 2] });
    });

    it('should encode ping_resp with a fixed array and no count', () => {
      const demo = buildSchemas(parseQmi(DEMO_QMI, 'demo.qmi'));
      const codec = qmiCodec(demo.messages['ping_resp']!);
      expect(toHex(codec.encodeMessage({ result: { result: 0, error: 0 }, flags: Uint8Array.of(0xa, 0xb) }, 0x1234)))
        .to.equal(toHex(hexBytes('02 34 12 21 00 0c 00 | 02 04 00 00 00 00 00 | 10 02 00 0a 0b')));
    });
  });

  describe('WLFW messages', () => {
    it('should encode IND_REGISTER as ath11k sends it', () => {
      const wire = qmiCodec(wlfw.wlfw_ind_register_req).encodeMessage({
        fw_ready_enable: 1, client_id: 0x4b4e454c, request_mem_enable: 1, fw_mem_ready_enable: 1, fw_init_done_enable: 1, cal_done_enable: 1,
      }, 1);
      expect(toHex(wire)).to.equal(toHex(hexBytes(
        '00 01 00 20 00 1b 00 | 10 01 00 01 | 15 04 00 4c 45 4e 4b | 16 01 00 01 | 17 01 00 01 | 18 01 00 01 | 1b 01 00 01')));
    });

    it('should encode an empty CAP request as a bare 7-byte header', () => {
      expect(toHex(qmiCodec(wlfw.wlfw_cap_req).encodeMessage({}, 5))).to.equal('00 05 00 24 00 00 00');
    });

    it('should encode CAP response strings: top-level without prefix, nested with a 1-byte prefix', () => {
      expectBody(wlfw.wlfw_cap_resp, {
        resp: { result: 0, error: 0 },
        fw_version_info: { fw_version: 0x01020304, fw_build_timestamp: '2024' },
        fw_build_id: 'QC',
      }, '02 04 00 00 00 00 00 | 13 09 00 04 03 02 01 04 32 30 32 34 | 14 02 00 51 43');
    });

    it('should encode BDF data with a u16 count, and a count-0 array as a TLV holding just the count', () => {
      expectBody(wlfw.wlfw_bdf_download_req, { valid: 1, data: Uint8Array.of(0xaa, 0xbb, 0xcc), end: 1 },
        '01 01 00 01 | 13 05 00 03 00 aa bb cc | 14 01 00 01');
      expectBody(wlfw.wlfw_bdf_download_req, { valid: 1, data: new Uint8Array(0) }, '01 01 00 01 | 13 02 00 00 00');
    });

    it('should encode REQUEST_MEM_IND records with nested mem_cfg arrays packed without padding', () => {
      expectBody(wlfw.wlfw_request_mem_ind, {
        mem_seg: [{ size: 0x100000, type: 1, mem_cfg: [{ offset: 0x10n, size: 0x20, secure_flag: 1 }] }],
      }, '01 17 00 | 01 | 00 00 10 00 | 01 00 00 00 | 01 | 10 00 00 00 00 00 00 00 | 20 00 00 00 | 01');
    });

    it('should encode WLAN_MODE as 18 bytes on the wire', () => {
      const wire = qmiCodec(wlfw.wlfw_wlan_mode_req).encodeMessage({ mode: 7, hw_debug: 0 }, 3);
      expect(toHex(wire)).to.equal(toHex(hexBytes('00 03 00 22 00 0b 00 | 01 04 00 07 00 00 00 | 10 01 00 00')));
    });
  });

  describe('element kinds', () => {
    it('should encode signed scalars and enums as little-endian two\'s complement', () => {
      const s = qmiIndication('signed', 1, { a: opt(0x10, i8), b: opt(0x11, i16), c: opt(0x12, enum32), d: opt(0x13, i64), e: opt(0x14, enum16) });
      expectBody(s, { a: -1, b: -2, c: -1, d: -1n, e: -3 },
        '10 01 00 ff | 11 02 00 fe ff | 12 04 00 ff ff ff ff | 13 08 00 ff ff ff ff ff ff ff ff | 14 02 00 fd ff');
    });

    it('should encode u64 little-endian as a bigint', () => {
      expectBody(qmiRequest('big', 1, { v: req(1, u64) }), { v: 0x0102030405060708n }, '01 08 00 08 07 06 05 04 03 02 01');
    });

    it('should give nested strings a 1-byte prefix up to max 255 and 2 bytes from 256 (kernel rule)', () => {
      expectBody(qmiRequest('s255', 1, { v: opt(0x10, struct('t255', { s: str(255) })) }), { v: { s: 'ab' } }, '10 03 00 02 61 62');
      expectBody(qmiRequest('s256', 1, { v: opt(0x10, struct('t256', { s: str(256) })) }), { v: { s: 'ab' } }, '10 04 00 02 00 61 62');
    });

    it('should encode fixed arrays without a count and honour an explicit 2-byte count', () => {
      expectBody(qmiRequest('fx', 1, { a: opt(0x10, fixedArray(u16, 2)), b: opt(0x11, varArray(u8, 10, 2)) }),
        { a: [1, 2], b: Uint8Array.of(9) }, '10 04 00 01 00 02 00 | 11 03 00 01 00 09');
    });

    it('should emit TLVs in schema order, not sorted by id', () => {
      expectBody(qmiRequest('order', 1, { late: opt(0x11, u8), early: opt(0x10, u8) }), { late: 1, early: 2 }, '11 01 00 01 | 10 01 00 02');
    });

    it('should write into a caller buffer at an offset and return the end offset', () => {
      const codec = qmiCodec(qmiRequest('into', 1, { v: req(1, bytes(8)) }));
      const target = new Uint8Array(10).fill(0xee);
      expect(codec.encodeInto({ v: Uint8Array.of(1, 2) }, target, 2)).to.equal(8);
      expect(toHex(target)).to.equal('ee ee 01 03 00 02 01 02 ee ee');
    });

    it('should decode byte arrays as views into the input, not copies', () => {
      const codec = qmiCodec(qmiRequest('view', 1, { v: req(1, bytes(8)) }));
      const body = hexBytes('01 03 00 02 aa bb');
      const { v } = codec.decode(body);
      expect(v.buffer).to.equal(body.buffer);
      expect(v.byteOffset).to.equal(4);
    });
  });
});
