import { expect } from 'chai';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir } from '../index';
import * as ath11k from '../../ath11k';
import { createRig, requestNames, requestsNamed, sleep, type Rig } from '../../wlfw/test/rig';

function collapse(names: string[]): string[] {
  return names.filter((n, i) => n !== 'BDF_DOWNLOAD' || names[i - 1] !== 'BDF_DOWNLOAD');
}

describe('ath12k loader against its firmware simulators', function () {
  this.timeout(15_000);
  let rig: Rig;
  afterEach(async () => rig?.close());

  const cases = [
    { chip: 'QCN9274', types: [4, 0, 2], shadow: 'none', nm: undefined },
    { chip: 'WCN7850', types: [4, 1], shadow: 'v3', nm: 0x0e },
    { chip: 'QCN9274 hw1.0', types: [4, 0, 2], shadow: 'none', nm: undefined },
    { chip: 'IPQ5332', types: [4, 0, 2], shadow: 'none', nm: undefined },
  ];
  for (const c of cases) {
    it(`should bring up ${c.chip} with PHY_CAP first and the §4.4 sequence`, async () => {
      rig = await createRig([plugin], { ath12k: { dmaChunkLimit: 4 * 1024 * 1024 } });
      const card = createSimulatedCard({ chip: c.chip, pciAddress: '0000:05:00.0', boardId: 0x2b });
      await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
      await rig.host.start('ath12k');
      await card.attach(rig.router);
      const [status] = await rig.loader('ath12k').whenReady(undefined, 10_000);
      expect(card.firmware!.violations).to.deep.equal([]);
      expect(card.firmware!.orderDeviations).to.deep.equal([]);
      const mem = c.chip === 'WCN7850' ? ['RESPOND_MEM', 'RESPOND_MEM'] : ['RESPOND_MEM'];
      expect(collapse(requestNames(card))).to.deep.equal(['PHY_CAP', 'IND_REGISTER', 'HOST_CAP', ...mem, 'CAP', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_INI', 'WLAN_CFG', 'WLAN_MODE']);
      expect(card.profile.hwRev).to.equal(c.chip === 'QCN9274 hw1.0' || c.chip === 'IPQ5332' ? 'hw1.0' : 'hw2.0');
      const [hostCap] = requestsNamed(card, 'HOST_CAP');
      // A lone device: hardware group ATH12K_INVALID_GROUP_ID 0xff, device 0; MLO-capable by firmware-2.bin
      // FW_FEATURE_MLO (QCN9274) or PHY_CAP single_chip_mlo_support (WCN7850); max_mlo_peer from hw_params.
      const chipName = c.chip.split(' ')[0];
      // hw1.0 and IPQ5332 simulate firmware without firmware-2.bin MLO and without single_chip_mlo_support: no MLO block.
      if (c.chip === 'QCN9274' || c.chip === 'WCN7850') {
        expect(hostCap).to.include({ mlo_capable: 1, mlo_chip_id: 0, mlo_group_id: 0xff, mlo_num_chips: 1, max_mlo_peer: c.chip === 'WCN7850' ? 32 : 256, cal_done: 0 });
      } else expect(hostCap.mlo_capable).to.equal(undefined);
      expect(hostCap.m3_support).to.equal(c.chip === 'IPQ5332' ? undefined : 1);
      for (const k of ['initiate_cal_download_enable', 'initiate_cal_update_enable', 'msa_ready_enable', 'pin_connect_result_enable']) expect(requestsNamed(card, 'IND_REGISTER')[0][k], k).to.equal(undefined);
      expect(hostCap.nm_modem).to.equal(c.nm);
      // ath12k_hw_params.qmi_cnss_feature_bitmap: QCN9274 0x08, WCN7850 0x18.
      expect(hostCap.feature_list).to.equal(BigInt(chipName === 'WCN7850' ? 0x18 : 0x08));
      expect([...new Set(requestsNamed(card, 'BDF_DOWNLOAD').map((b) => b.bdf_type))]).to.deep.equal(c.types);
      const [cfg] = requestsNamed(card, 'WLAN_CFG') as { shadow_reg_v2?: unknown[]; shadow_reg_v3?: unknown[] }[];
      expect(cfg.shadow_reg_v2).to.equal(undefined);
      // WCN7850: 29 UMAC rings + 7 CE rings, each its target HP/TP register.
      expect(cfg.shadow_reg_v3?.length ?? 0).to.equal(c.shadow === 'v3' ? 36 : 0);
      expect(status).to.include({ state: 'ready', chip: chipName, hwRev: card.profile.hwRev, boardId: 0x2b, family: 'ath12k', chipBy: c.chip === 'IPQ5332' ? 'compatible' : 'pci', numRadios: card.profile.numPhy });
    });
  }

  it('should hold HOST_CAP until every card of the group registered, then number the cards', async () => {
    const cards = ['0000:06:00.0', '0000:07:00.0', '0000:08:00.0'].map((pciAddress, i) => createSimulatedCard({ chip: 'QCN9274', pciAddress, boardId: 0x30 + i }));
    rig = await createRig([plugin], { ath12k: { groups: [{ id: 'mlo0', keys: cards.map((c) => c.key) }] } });
    await writeSimulatedFirmwareDir(rig.firmwareDir, cards);
    await rig.host.start('ath12k');
    await cards[0].attach(rig.router);
    await cards[1].attach(rig.router);
    await sleep(150);
    expect(requestsNamed(cards[0], 'IND_REGISTER')).to.have.length(1);
    expect(requestsNamed(cards[0], 'HOST_CAP'), 'HOST_CAP waits for the third card').to.have.length(0);
    expect(rig.loader('ath12k').snapshot().map((s) => s.state)).to.deep.equal(['group-wait', 'group-wait']);
    await cards[2].attach(rig.router);
    const statuses = await rig.loader('ath12k').whenReady(undefined, 10_000);
    expect(statuses.map((s) => s.group)).to.deep.equal(['mlo0', 'mlo0', 'mlo0']);
    expect(cards.map((c) => requestsNamed(c, 'HOST_CAP')[0].mlo_chip_id)).to.deep.equal([0, 1, 2]);
    expect(cards.map((c) => requestsNamed(c, 'HOST_CAP')[0].mlo_num_chips)).to.deep.equal([3, 3, 3]);
  });

  it('should go ahead with the cards present when a configured group member never appears', async () => {
    const card = createSimulatedCard({ chip: 'QCN9274', pciAddress: '0000:06:00.0', boardId: 1 });
    rig = await createRig([plugin], { ath12k: { groupWaitMs: 150, groups: [{ id: 'g', keys: [card.key, 'mhi:0000:0a:00.0'] }] } });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath12k');
    await card.attach(rig.router);
    const [status] = await rig.loader('ath12k').whenReady([card.key], 10_000);
    expect(status).to.include({ state: 'ready', group: 'g' });
    expect(requestsNamed(card, 'HOST_CAP')[0]).to.include({ mlo_chip_id: 0, mlo_num_chips: 1 });
    expect(rig.logs.some((l) => l.level === 'warn' && /group wait timed out/.test(l.msg ?? ''))).to.equal(true);
  });

  it('should recover one card of a group that crashes mid-download without touching the other', async () => {
    const cards = ['0000:06:00.0', '0000:07:00.0'].map((pciAddress, i) =>
      createSimulatedCard({ chip: 'QCN9274', pciAddress, boardId: 0x40 + i, faults: i === 1 ? { crashAt: { step: 'bdf', afterSegments: 6, mode: 'service', restartAfterMs: 20 } } : undefined }),
    );
    rig = await createRig([plugin], { ath12k: { groupWaitMs: 300 } });
    await writeSimulatedFirmwareDir(rig.firmwareDir, cards);
    await rig.host.start('ath12k');
    for (const c of cards) await c.attach(rig.router);
    const statuses = await rig.loader('ath12k').whenReady(cards.map((c) => c.key), 10_000);
    expect(statuses.map((s) => s.recoveries)).to.deep.equal([0, 1]);
    expect(cards.map((c) => c.boots.length)).to.deep.equal([1, 2]);
    for (const c of cards) {
      expect(c.firmware!.violations).to.deep.equal([]);
      expect(c.received.map((f) => f.fileId)).to.deep.equal([c.boardId, c.boardId, c.boardId]);
    }
  });

  it('should share a system with ath11k: the daemon default of two QCN9074, one WCN6855 and one WCN7850 (overlapping instances)', async () => {
    const ath11kCards = [
      ath11k.createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 0xa1 }),
      ath11k.createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:02:00.0', boardId: 0xa2 }),
      ath11k.createSimulatedCard({ chip: 'WCN6855', pciAddress: '0000:03:00.0', boardId: 0xff }),
    ];
    const ath12kCard = createSimulatedCard({ chip: 'WCN7850', pciAddress: '0000:04:00.0', boardId: 0xff });
    rig = await createRig([ath11k.plugin, plugin], { ath12k: { dmaChunkLimit: 1024 * 1024 } });
    await ath11k.writeSimulatedFirmwareDir(rig.firmwareDir, ath11kCards);
    await writeSimulatedFirmwareDir(rig.firmwareDir, [ath12kCard]);
    await rig.host.startAll();
    for (const c of [...ath11kCards, ath12kCard]) await c.attach(rig.router);
    const a11 = await rig.loader('ath11k').whenReady(ath11kCards.map((c) => c.key), 10_000);
    const a12 = await rig.loader('ath12k').whenReady([ath12kCard.key], 10_000);
    expect(a11.map((s) => s.chip)).to.deep.equal(['QCN9074', 'QCN9074', 'WCN6855']);
    expect(a12.map((s) => s.chip)).to.deep.equal(['WCN7850']);
    // Each loader declined the other family's cards by PCI device id, before any QMI.
    expect(rig.loader('ath11k').snapshot().map((s) => s.key)).to.deep.equal(ath11kCards.map((c) => c.key));
    expect(rig.loader('ath12k').snapshot().map((s) => s.key)).to.deep.equal([ath12kCard.key]);
    for (const c of [...ath11kCards, ath12kCard]) expect(c.firmware!.violations, c.key).to.deep.equal([]);
  });
});
