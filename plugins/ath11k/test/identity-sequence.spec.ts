import { expect } from 'chai';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir, ATH11K_SIM_PROFILES, ATH11K_CHIPS } from '../index';
import * as ath12k from '../../ath12k';
import { SimulatedCard } from '../../wlfw/sim';
import { Ath12kFwFeature, buildFwContainer, chipFromSocVersion, expectedInstance, featureBytes, parseFwContainer, FwContainerError, FwIe } from '../../wlfw/src';
import { createRig, requestNames, requestsNamed, sleep, type Rig } from '../../wlfw/test/rig';
import * as fc from 'fast-check';

// Identity before QMI, the kernel's per-chip sequence rules, and the parts of the sequence the
// bring-up tests do not reach: each asserts what the simulated firmware received or what the
// loader reports, through the plugins' public interfaces.

async function stateOf(rig: Rig, family: 'ath11k' | 'ath12k', key: string, want: (s: string) => boolean, limitMs = 5000): Promise<ReturnType<Rig['loader']>['snapshot'] extends () => (infer T)[] ? T : never> {
  for (let waited = 0; waited < limitMs; waited += 20) {
    const s = rig.loader(family).snapshot().find((x) => x.key === key);
    if (s && want(s.state)) return s as never;
    await sleep(20);
  }
  throw new Error(`${key}: ${JSON.stringify(rig.loader(family).snapshot().map((s) => [s.key, s.state, s.lastError?.code]))}`);
}

describe('ath11k/ath12k identity and sequence rules (kernel v6.18)', function () {
  this.timeout(20_000);
  let rig: Rig;
  afterEach(async () => rig?.close());

  it('should pick the hw revision from TCSR_SOC_HW_VERSION / SUB_VER as ath11k_pci_probe does', () => {
    const wcn = ATH11K_CHIPS.filter((c) => c.pciDeviceId === 0x1103);
    const pick = (v: number, sub?: number): string | undefined => {
      const c = chipFromSocVersion('ath11k', wcn, v, sub);
      return c && `${c.chip} ${c.hwRev}`;
    };
    expect(pick(0x200)).to.equal('WCN6855 hw2.0');
    expect(pick(0x201)).to.equal('WCN6855 hw2.0');
    expect(pick(0x210, 0x12345678)).to.equal('WCN6855 hw2.1');
    expect(pick(0x211, 0x1019c0e1)).to.equal('QCA2066 hw2.1');
    expect(pick(0x210, 0x001e60e1)).to.equal('QCA6698AQ hw2.1');
    expect(pick(0x202)).to.equal(undefined);
    expect(pick(0x300)).to.equal(undefined);
    // ath12k: major bits 11:8 (QCN9274 hw1.0 vs hw2.0).
    const qcn = ath12k.ATH12K_CHIPS.filter((c) => c.pciDeviceId === 0x1109);
    expect(chipFromSocVersion('ath12k', qcn, 0x100, undefined)?.hwRev).to.equal('hw1.0');
    expect(chipFromSocVersion('ath12k', qcn, 0x2f0, undefined)?.hwRev).to.equal('hw2.0');
  });

  it('should compute the shifted instances from the PCI address (MULTI_QRTR_ID, the OpenWrt QCN9074 scheme)', () => {
    const qcn9274 = ath12k.ATH12K_CHIPS.find((c) => c.chip === 'QCN9274')!;
    const qcn9074 = ATH11K_CHIPS.find((c) => c.chip === 'QCN9074')!;
    const id = { bus: 'pci', address: '0001:03:00.0' };
    expect(expectedInstance(qcn9274, id, { multiQrtrId: true, qcn9074: false })).to.equal(7 + 0x13);
    expect(expectedInstance(qcn9274, id, { multiQrtrId: false, qcn9074: false })).to.equal(7);
    expect(expectedInstance(qcn9074, id, { multiQrtrId: true, qcn9074: true })).to.equal(7 + 0x13);
    expect(expectedInstance(qcn9074, id, { multiQrtrId: true, qcn9074: false })).to.equal(7);
  });

  it('should bring up WCN6855 hw2.1 from WCN6855/hw2.1 and report the revision it chose', async () => {
    rig = await createRig([plugin]);
    const card = createSimulatedCard({ chip: 'WCN6855 hw2.1', pciAddress: '0000:03:00.0', boardId: 0xff });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const [status] = await rig.loader('ath11k').whenReady([card.key], 10_000);
    expect(status).to.include({ chip: 'WCN6855', hwRev: 'hw2.1', chipBy: 'pci', state: 'ready' });
    expect(status.boardFile).to.contain('/ath11k/WCN6855/hw2.1/');
    expect(card.firmware!.violations).to.deep.equal([]);
  });

  it('should refuse a SoC version no revision matches, before any QMI', async () => {
    rig = await createRig([plugin]);
    const card = new SimulatedCard({ profile: { ...ATH11K_SIM_PROFILES.WCN6855, socHwVersion: 0x300 }, pciAddress: '0000:03:00.0', boardId: 1 });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const status = await stateOf(rig, 'ath11k', card.key, (s) => s === 'failed');
    expect(status.lastError?.code).to.equal('WLFW_UNSUPPORTED_SOC');
    expect(requestNames(card)).to.deep.equal([]);
  });

  it('should never let the ath11k loader talk to an ath12k card (declined by PCI id, no PHY_CAP, nothing sent)', async () => {
    rig = await createRig([plugin]);
    const card = ath12k.createSimulatedCard({ chip: 'QCN9274', pciAddress: '0000:05:00.0', boardId: 1 });
    await ath12k.writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    await sleep(300);
    expect(requestNames(card)).to.deep.equal([]);
    expect(rig.loader('ath11k').snapshot().filter((s) => s.key === card.key && s.state !== 'declined')).to.deep.equal([]);
  });

  it('should go on with def_num_link when PHY_CAP fails (WCN7850: 2 radios, no MLO without single_chip_mlo_support)', async () => {
    rig = await createRig([ath12k.plugin], { ath12k: { dmaChunkLimit: 8 * 1024 * 1024 } });
    const card = ath12k.createSimulatedCard({ chip: 'WCN7850', pciAddress: '0000:04:00.0', boardId: 1, faults: { phyCapFails: true } });
    await ath12k.writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath12k');
    await card.attach(rig.router);
    const [status] = await rig.loader('ath12k').whenReady([card.key], 10_000);
    expect(status.numRadios).to.equal(2);
    // Without PHY_CAP there is no single_chip_mlo_support and WCN7850 has no firmware-2.bin features: no MLO block.
    const [hostCap] = requestsNamed(card, 'HOST_CAP');
    expect(hostCap.mlo_capable).to.equal(undefined);
    expect(requestNames(card).slice(0, 3)).to.deep.equal(['PHY_CAP', 'IND_REGISTER', 'HOST_CAP']);
    expect(card.firmware!.violations).to.deep.equal([]);
  });

  it('should bring up an ath12k card at its MULTI_QRTR_ID-shifted instance when firmware-2.bin has the feature', async () => {
    rig = await createRig([ath12k.plugin], { ath12k: { dmaChunkLimit: 4 * 1024 * 1024 } });
    const profile = { ...ath12k.ATH12K_SIM_PROFILES.QCN9274, fwFeatures: [Ath12kFwFeature.MULTI_QRTR_ID, Ath12kFwFeature.MLO] };
    const card = new SimulatedCard({ profile, pciAddress: '0000:03:00.0', boardId: 1, instanceShift: true });
    await ath12k.writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath12k');
    await card.attach(rig.router);
    const [status] = await rig.loader('ath12k').whenReady([card.key], 10_000);
    expect(status).to.include({ instance: 10, chip: 'QCN9274', state: 'ready' });
    expect(status.fwFeatures).to.deep.equal([0, 1]);
  });

  it('should refuse a shifted instance the firmware files do not explain (no MULTI_QRTR_ID feature)', async () => {
    rig = await createRig([ath12k.plugin]);
    const card = new SimulatedCard({ profile: ath12k.ATH12K_SIM_PROFILES.QCN9274, pciAddress: '0000:03:00.0', boardId: 1, instanceShift: true });
    await ath12k.writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath12k');
    await card.attach(rig.router);
    const status = await stateOf(rig, 'ath12k', card.key, (s) => s === 'failed');
    expect(status.lastError?.code).to.equal('WLFW_INSTANCE_MISMATCH');
  });

  it('should match a QCN9074 at 7 + (domain|bus) only with qcn9074InstanceShift (the OpenWrt scheme)', async () => {
    rig = await createRig([plugin], { ath11k: { qcn9074InstanceShift: true } });
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:02:00.0', boardId: 2, instanceShift: true });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const [status] = await rig.loader('ath11k').whenReady([card.key], 10_000);
    expect(status).to.include({ instance: 9, state: 'ready' });
  });

  it('should send WLAN_MODE(OFF) to running firmware on stop', async () => {
    rig = await createRig([plugin]);
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 2 });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    await rig.loader('ath11k').whenReady([card.key], 10_000);
    await rig.host.stopAll();
    expect(card.firmware!.modeOffReceived).to.equal(true);
    expect(requestsNamed(card, 'WLAN_MODE').map((m) => m.mode)).to.deep.equal([0, 4]);
  });

  it('should run mission mode as FTM (WLAN_MODE 1) with ftmMode', async () => {
    rig = await createRig([plugin], { ath11k: { ftmMode: true } });
    const card = createSimulatedCard({ chip: 'WCN6855', pciAddress: '0000:01:00.0', boardId: 2, ftmMode: true });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    await rig.loader('ath11k').whenReady([card.key], 10_000);
    expect(requestsNamed(card, 'WLAN_MODE').map((m) => m.mode)).to.deep.equal([1]);
    // WCN6855: coldboot_cal_ftm false, so no calibration in FTM either.
    expect(card.powerCycles).to.equal(0);
  });

  it('should calibrate QCN9074 in FTM (coldboot_cal_ftm, cbcal_restart_fw), power-cycle it, and run FTM mission mode', async () => {
    rig = await createRig([plugin], { ath11k: { ftmMode: true } });
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 2, ftmMode: true });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const [status] = await rig.loader('ath11k').whenReady([card.key], 10_000);
    expect(card.boots.flatMap((b) => b.violations)).to.deep.equal([]);
    expect(status.calDone).to.equal(true);
    expect(card.powerCycles).to.equal(1);
    expect(requestsNamed(card, 'WLAN_MODE').map((m) => m.mode)).to.deep.equal([7, 1]);
    expect(requestsNamed(card, 'HOST_CAP').map((h) => h.cal_done)).to.deep.equal([0, 1]);
  });

  it('should have the FTM witness refuse a loader that skips the FTM calibration of QCN9074 (cold_boot_cal off)', async () => {
    rig = await createRig([plugin], { ath11k: { ftmMode: true, coldBootCal: false } });
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 2, ftmMode: true });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const status = await stateOf(rig, 'ath11k', card.key, (s) => s === 'failed');
    expect(status.lastError?.code).to.equal('WLFW_STEP_FAILED');
    expect(card.boots.flatMap((b) => b.violations)).to.deep.equal(['WLAN_MODE(mission) before cold-boot calibration']);
  });

  it('should have the witness refuse NORMAL mission mode from a loader without ftmMode on a card held to ftm_mode', async () => {
    rig = await createRig([plugin]);
    const card = createSimulatedCard({ chip: 'WCN6855', pciAddress: '0000:01:00.0', boardId: 2, ftmMode: true });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    await stateOf(rig, 'ath11k', card.key, (s) => s === 'failed');
    expect(card.boots.flatMap((b) => b.violations)).to.deep.equal(['WLAN_MODE 0, expected FTM (1): the kernel runs ftm_mode']);
  });

  it('should fail with WLFW_COLD_BOOT_CAL_TIMEOUT when calibration never reports CAL_DONE', async () => {
    rig = await createRig([plugin], { ath11k: { coldBootCalTimeoutMs: 200 } });
    const card = createSimulatedCard({ chip: 'IPQ8074', pciAddress: '0000:01:00.0', boardId: 2, faults: { withhold: 'cal-done' } });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const status = await stateOf(rig, 'ath11k', card.key, (s) => s === 'failed');
    expect(status.lastError?.code).to.equal('WLFW_COLD_BOOT_CAL_TIMEOUT');
    expect(card.powerCycles).to.equal(0);
  });

  it('should send a board file over board_size truncated to its first 256 KiB', async () => {
    rig = await createRig([plugin], { ath11k: { dmaChunkLimit: 4 * 1024 * 1024 } });
    const card = new SimulatedCard({ profile: { ...ATH11K_SIM_PROFILES.QCN9074, boardSize: 300 * 1024 }, pciAddress: '0000:01:00.0', boardId: 3 });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    await rig.loader('ath11k').whenReady([card.key], 10_000);
    expect(card.received.find((f) => f.bdfType === 0)?.size).to.equal(256 * 1024);
    expect(card.firmware!.violations).to.deep.equal([]);
  });
});

describe('firmware-2.bin (ath1xk_fw_request_firmware_api_n)', () => {
  it('should read FEATURES and the M3 image and skip unknown IEs', () => {
    const m3 = Uint8Array.of(1, 2, 3, 4, 5);
    const file = buildFwContainer('ath12k', [
      { id: FwIe.TIMESTAMP, data: Uint8Array.of(0x78, 0x56, 0x34, 0x12) },
      { id: FwIe.FEATURES, data: featureBytes([0, 1]) },
      { id: 77, data: Uint8Array.of(9) },
      { id: FwIe.M3_IMAGE, data: m3 },
    ]);
    // Hand-checked layout: "QCOM-ATH12K-FW\0" padded to 16, then { le32 id, le32 len, data padded to 4 }.
    expect(Buffer.from(file.subarray(0, 16)).toString('latin1')).to.equal('QCOM-ATH12K-FW\0\0');
    expect([...file.subarray(16, 28)]).to.deep.equal([0, 0, 0, 0, 4, 0, 0, 0, 0x78, 0x56, 0x34, 0x12]);
    const parsed = parseFwContainer(file, 'ath12k');
    expect(parsed.timestamp).to.equal(0x12345678);
    expect([...parsed.features]).to.deep.equal([0, 1]);
    expect(parsed.featuresValid).to.equal(true);
    expect([...parsed.m3!]).to.deep.equal([...m3]);
    expect(parsed.unknownIes).to.deep.equal([77]);
    expect(() => parseFwContainer(file, 'ath11k')).to.throw(FwContainerError, /invalid firmware magic/);
  });

  it('should refuse an IE longer than the file and never throw anything but FwContainerError', () => {
    const file = buildFwContainer('ath11k', [{ id: FwIe.FEATURES, data: Uint8Array.of(1) }]);
    const bad = file.slice();
    new DataView(bad.buffer).setUint32(20, 1000, true);
    expect(() => parseFwContainer(bad, 'ath11k')).to.throw(FwContainerError, /invalid length for FW IE 1/);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), (tail) => {
        const data = new Uint8Array(16 + tail.length);
        data.set(file.subarray(0, 16));
        data.set(tail, 16);
        try {
          parseFwContainer(data, 'ath11k');
        } catch (err) {
          if (!(err instanceof FwContainerError)) throw err;
        }
      }),
    );
  });
});
