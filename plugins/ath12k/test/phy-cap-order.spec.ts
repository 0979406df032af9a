import { expect } from 'chai';
import { NameService, QmiClient, Router } from '../../../src/testing';
import { wlfw } from '../../../src/sdk';
import { createSimulatedCard } from '../index';

// ath12k/qmi.c ath12k_qmi_event_server_arrive sends PHY_CAP (ath12k_qmi_phy_cap_send) before
// IND_REGISTER. What firmware answers to a PHY_CAP after that is in no public source, so the
// simulated firmware answers it and records the departure from the kernel's order instead of
// inventing a refusal.
describe('ath12k simulated firmware and PHY_CAP out of the kernel order', function () {
  this.timeout(10_000);

  it('should answer a PHY_CAP sent after IND_REGISTER and record it as a departure from the kernel order', async () => {
    const router = new Router();
    const ns = new NameService(router);
    const card = createSimulatedCard({ chip: 'WCN7850', pciAddress: '0000:04:00.0', boardId: 1 });
    await card.attach(router);
    const client = await QmiClient.open(router, { service: 0x45, version: 1, endpoint: card.endpointId, name: 'test WLFW client' });
    try {
      const first = await client.request(wlfw.wlfw_phy_cap_req, wlfw.wlfw_phy_cap_resp, {}, { timeout: 2000, checkResult: false });
      expect(card.firmware!.orderDeviations).to.deep.equal([]);
      const register = { fw_ready_enable: 1, client_id: 0x4b4e454c, request_mem_enable: 1, fw_mem_ready_enable: 1, fw_init_done_enable: 1, cal_done_enable: 1 } as never;
      await client.request(wlfw.wlfw_ind_register_req, wlfw.wlfw_ind_register_resp, register, { timeout: 2000 });
      const late = await client.request(wlfw.wlfw_phy_cap_req, wlfw.wlfw_phy_cap_resp, {}, { timeout: 2000, checkResult: false });
      expect([first.resp.result, late.resp.result, late.num_phy]).to.deep.equal([0, 0, first.num_phy]);
      expect(card.firmware!.violations).to.deep.equal([]);
      expect(card.firmware!.orderDeviations).to.deep.equal(['PHY_CAP in phase boot; ath12k_qmi_event_server_arrive sends it before IND_REGISTER']);
    } finally {
      client.close();
      card.detach();
      ns.close();
      router.shutdown();
    }
  });
});
