import { expect } from 'chai';
import { maxEncodedLength, qmiCodec, qmiMessage, wlfw, type QmiField, type QmiMessageSchema } from '../../../src/qmi';

/** The schema restricted to TLVs with ids in [lo, hi] (the ath11k subset of a superset message). */
function only(schema: QmiMessageSchema, lo: number, hi: number): QmiMessageSchema {
  const fields: Record<string, QmiField> = {};
  for (const [k, f] of Object.entries(schema.fields)) if (f.tlv <= 0x02 || (f.tlv >= lo && f.tlv <= hi)) fields[k] = f;
  return qmiMessage(`${schema.name}_subset`, schema.msgId, fields, schema.kind);
}

describe('maxEncodedLength (reference §4.5 MAX_LEN cross-checks)', () => {
  const cases: Array<[string, QmiMessageSchema, number]> = [
    ['HOST_CAP resp', wlfw.wlfw_host_cap_resp, 7],
    ['IND_REGISTER resp (7 + 11)', wlfw.wlfw_ind_register_resp, 18],
    ['M3_INFO req', wlfw.wlfw_m3_info_req, 18],
    ['WLAN_MODE req', wlfw.wlfw_wlan_mode_req, 11],
    ['REQUEST_MEM_IND (3 + 1 + 52 x 35)', wlfw.wlfw_request_mem_ind, 1824],
    ['RESPOND_MEM req (3 + 1 + 52 x 17)', wlfw.wlfw_respond_mem_req, 888],
    ['BDF_DOWNLOAD req', wlfw.wlfw_bdf_download_req, 6182],
    ['CAP resp, ath11k TLVs 0x10..0x19', only(wlfw.wlfw_cap_resp, 0x10, 0x19), 235],
    ['WLAN_CFG req, ath11k TLVs 0x10..0x14', only(wlfw.wlfw_wlan_cfg_req, 0x10, 0x14), 803],
    ['HOST_CAP req, ath11k TLVs 0x10..0x1C (below the 261 upper bound)', only(wlfw.wlfw_host_cap_req, 0x10, 0x1c), 189],
    ['WLAN_INI req', wlfw.wlfw_wlan_ini_req, 4],
    ['REJUVENATE_IND', wlfw.wlfw_rejuvenate_ind, 144],
    ['CAP req (empty)', wlfw.wlfw_cap_req, 0],
  ];
  for (const [name, schema, expected] of cases) {
    it(`should compute ${expected} for ${name}`, () => {
      expect(maxEncodedLength(schema)).to.equal(expected);
    });
  }

  it('should give IND_REGISTER req 51: 54 minus the 3 bytes of a u32 rejuvenate_enable that ath1xk sends as u8', () => {
    expect(maxEncodedLength(wlfw.wlfw_ind_register_req)).to.equal(54 - 3);
  });

  it('should expose the bound on the codec as maxLength', () => {
    expect(qmiCodec(wlfw.wlfw_bdf_download_req).maxLength).to.equal(6182);
  });
});
