import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { NameService, QmiService, QRTR_PORT_CTRL, Router, createMemoryLink } from '../../../src/testing';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir } from '../index';
import { SimulatedHostMemory, WlfwFirmware, buildBoardContainer, simulatedFiles, type SimFaults } from '../../wlfw/sim';
import type { Endpoint } from '../../../src/sdk';
import { ATH11K_SIM_PROFILES } from '../sim/profiles';
import { createRig, requestNames, requestsNamed, sleep, type Rig } from '../../wlfw/test/rig';

async function failedWith(rig: Rig, key: string): Promise<{ code: string; message: string; details?: Readonly<Record<string, unknown>> }> {
  const err = (await rig.loader('ath11k').whenReady([key], 10_000).then(
    () => undefined,
    (e: { status?: { lastError?: { code: string; message: string; details?: Readonly<Record<string, unknown>> } } }) => e.status?.lastError,
  ))!;
  expect(err, 'the card should have failed').to.not.equal(undefined);
  return err;
}

async function oneCard(faults: SimFaults, config: Record<string, unknown> = {}, chip = 'QCN9074') {
  const rig = await createRig([plugin], { ath11k: { maxAttempts: 1, ...config } });
  const card = createSimulatedCard({ chip, pciAddress: '0000:01:00.0', boardId: 9, faults });
  await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
  await rig.host.start('ath11k');
  await card.attach(rig.router);
  return { rig, card };
}

describe('ath11k loader under firmware faults', function () {
  this.timeout(15_000);
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  for (const mode of ['service', 'rejuvenate', 'detach'] as const) {
    it(`should bring a card up again after a '${mode}' crash at host capability`, async () => {
      const setup = await oneCard({ crashAt: { step: 'host-cap', mode, restartAfterMs: 20 } }, { maxAttempts: 3 });
      rig = setup.rig;
      const [status] = await rig.loader('ath11k').whenReady(undefined, 10_000);
      expect(status).to.include({ state: 'ready', recoveries: 1 });
      expect(setup.card.boots).to.have.length(2);
      expect(setup.card.firmware!.violations).to.deep.equal([]);
      expect(setup.card.log.some((e) => e.dir === 'tx' && e.name === 'REJUVENATE')).to.equal(mode === 'rejuvenate');
    });
  }

  it('should look WLFW servers up again when a lookup fails (a name service that does not answer in time), and serve the card once one does', async () => {
    rig = await createRig([plugin]);
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 0x1a });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    // A control port that takes NEW_LOOKUP and never lists: as a loaded kernel's name service
    // that does not finish the listing within the lookup's timeout.
    rig.ns.close();
    const mute = rig.router.openSocketSync({ port: QRTR_PORT_CTRL, trusted: true });
    await rig.host.start('ath11k');
    const failed = (): number => rig!.logs.filter((l) => l.level === 'warn' && l.msg === 'WLFW lookup failed; looking up again').length;
    for (let waited = 0; failed() < 2 && waited < 10_000; waited += 50) await sleep(50);
    expect(failed(), 'retried with backoff after each failure').to.be.at.least(2);
    const warning = rig.logs.find((l) => l.msg === 'WLFW lookup failed; looking up again')!.obj as { code?: string; retryInMs?: number };
    expect(warning).to.include({ code: 'NS_SERVICE_TIMEOUT', retryInMs: 250 });
    mute.close();
    const ns = new NameService(rig.router);
    try {
      await card.attach(rig.router);
      const [status] = await rig.loader('ath11k').whenReady(['mhi:0000:01:00.0'], 12_000);
      expect(status).to.include({ state: 'ready', chip: 'QCN9074' });
      expect(card.firmware!.violations).to.deep.equal([]);
    } finally {
      await rig.close();
      rig = undefined;
      ns.close();
    }
  });

  it('should fail with a typed step error when CAP carries a malformed TLV', async () => {
    const setup = await oneCard({ wrongTlv: 'cap' });
    rig = setup.rig;
    const err = await failedWith(rig, setup.card.key);
    expect(err.code).to.equal('WLFW_STEP_FAILED');
    expect(err.message).to.match(/target capability/);
  });

  it('should fail naming NO_MEMORY when the firmware refuses the memory', async () => {
    const setup = await oneCard({ refuseMemory: true });
    rig = setup.rig;
    const err = await failedWith(rig, setup.card.key);
    expect(err.message).to.match(/respond memory.*NO_MEMORY/);
  });

  it('should time out waiting for FW_INIT_DONE with WLFW_INDICATION_TIMEOUT', async () => {
    const setup = await oneCard({ withhold: 'fw-init-done' }, { indicationTimeoutMs: 100 });
    rig = setup.rig;
    expect((await failedWith(rig, setup.card.key)).code).to.equal('WLFW_INDICATION_TIMEOUT');
  });

  it('should fail with WLFW_HOST_MEMORY when an allocation fails and the firmware asked for more than 5 segments', async () => {
    // QCA6390 first asks 2 large blocks (delayed answer: ath11k allows it for <= ATH11K_QMI_FW_MEM_REQ_SEGMENT_CNT 5),
    // then 16 x 512 KiB: with nothing above 256 KiB allocatable, 16 > 5 segments is an error, as in ath11k_qmi_alloc_target_mem_chunk.
    const setup = await oneCard({}, { dmaChunkLimit: 256 * 1024 }, 'QCA6390');
    rig = setup.rig;
    const err = await failedWith(rig, setup.card.key);
    expect(err.code).to.equal('WLFW_HOST_MEMORY');
    expect(requestsNamed(setup.card, 'RESPOND_MEM').map((r) => (r.mem_seg as unknown[]).length)).to.deep.equal([0]);
  });

  it('should give the delayed answer to five segments when one allocation fails (ath11k: <= 5 segments)', async () => {
    const setup = await oneCard({}, { dmaChunkLimit: 1024 * 1024 });
    rig = setup.rig;
    // QCN9074 asks 5 segments, two of 2 MiB: the answer is delayed; this firmware has nothing smaller to ask and refuses.
    await failedWith(rig, setup.card.key);
    expect(requestsNamed(setup.card, 'RESPOND_MEM').map((r) => (r.mem_seg as unknown[]).length)).to.deep.equal([0]);
  });

  it('should still answer the delayed memory response correctly when the firmware is slow', async () => {
    const setup = await oneCard({ delayMs: { 'request-mem': 30, 'respond-mem': 10, 'fw-init-done': 30 } }, { dmaChunkLimit: 1024 * 1024 }, 'QCA6390');
    rig = setup.rig;
    await rig.loader('ath11k').whenReady(undefined, 10_000);
    expect(requestsNamed(setup.card, 'RESPOND_MEM').map((r) => (r.mem_seg as unknown[]).length)).to.deep.equal([0, 16]);
  });

  it('should name every board name and file it tried, in order, when no board entry matches, and send nothing', async () => {
    rig = await createRig([plugin]);
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 77 });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [{ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 78 }]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const err = await failedWith(rig, card.key);
    const dir = path.join(rig.firmwareDir, 'ath11k', 'QCN9074', 'hw1.0');
    expect(err.code).to.equal('WLFW_BOARD_DATA_NOT_FOUND');
    expect(err.details?.tried).to.deep.equal([
      { file: path.join(dir, 'board-2.bin'), name: 'bus=pci,qmi-chip-id=0,qmi-board-id=77' },
      { file: path.join(dir, 'board.bin') },
    ]);
    expect(err.message).to.contain('mhi:0000:01:00.0').and.contain("'bus=pci,qmi-chip-id=0,qmi-board-id=77'");
    expect(requestNames(card)).to.not.include('BDF_DOWNLOAD');
  });

  it('should report a board-2.bin with a bad magic, or an IE running past its end, as WLFW_BOARD_CONTAINER_MALFORMED with file and offset', async () => {
    rig = await createRig([plugin]);
    const a = createSimulatedCard({ chip: 'WCN6855', pciAddress: '0000:01:00.0', boardId: 1 });
    const b = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:02:00.0', boardId: 2 });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [a, b]);
    const fileA = path.join(rig.firmwareDir, 'ath11k', 'WCN6855', 'hw2.0', 'board-2.bin');
    const fileB = path.join(rig.firmwareDir, 'ath11k', 'QCN9074', 'hw1.0', 'board-2.bin');
    const truncated = buildBoardContainer('ath11k', [{ ie: 0, names: ['x'], data: new Uint8Array(64) }]);
    new DataView(truncated.buffer).setUint32(24, 0x10000, true); // the BOARD IE's length
    await fs.writeFile(fileA, truncated);
    await fs.writeFile(fileB, buildBoardContainer('ath12k', [{ ie: 0, names: ['bus=pci,qmi-chip-id=0,qmi-board-id=2'], data: new Uint8Array(64) }]));
    await rig.host.start('ath11k');
    await a.attach(rig.router);
    await b.attach(rig.router);
    const ea = await failedWith(rig, a.key);
    const eb = await failedWith(rig, b.key);
    expect([ea.code, eb.code]).to.deep.equal(['WLFW_BOARD_CONTAINER_MALFORMED', 'WLFW_BOARD_CONTAINER_MALFORMED']);
    expect(ea.details).to.include({ path: fileA, offset: 20 });
    expect(ea.message).to.match(/runs past the end/);
    expect(eb.details).to.include({ path: fileB, offset: 0 });
    expect(eb.message).to.match(/bad magic/);
    for (const card of [a, b]) expect(requestNames(card)).to.not.include('BDF_DOWNLOAD');
  });

  it('should bring up a card emulated by hand on another backend kind, found only through the name service', async () => {
    // The link knows nothing of the device: the configured identity gives the PCI ids its board name needs.
    const identity = { key: 'tun:emu0', address: '0000:00:00.0', vendor: '0x17cb', device: '0x1103', subsystemVendor: '0x17cb', subsystemDevice: '0x3374' };
    rig = await createRig([plugin], { ath11k: { identities: [identity] } });
    const profile = ATH11K_SIM_PROFILES.WCN6855;
    await writeSimulatedFirmwareDir(rig.firmwareDir, [{ chip: 'WCN6855', pciAddress: '0000:00:00.0', boardId: 0x42 }]);
    await rig.host.start('ath11k');
    // Someone else's emulator: its own router and name service, a WLFW service, and a link of its own kind.
    const device = new Router({ localNode: 9 });
    const deviceNs = new NameService(device);
    // The emulator's link lends the device's host memory, as a link owning a real device would.
    const memory = new SimulatedHostMemory({ device: 'emu0' });
    const firmware = new WlfwFirmware(profile, 0x42, simulatedFiles(profile, 0x42, 'tun', 'emu0'), {}, () => undefined, () => undefined, undefined, memory);
    const service = await QmiService.start(device, { service: 0x45, version: 1, instance: profile.instance }, (s) => firmware.install(s));
    const [near, far] = createMemoryLink({ kind: 'tun', key: 'emu0' });
    const lent: Endpoint = {
      backendKey: near.backendKey,
      packets$: near.packets$,
      transmit: (p) => near.transmit(p),
      close: () => near.close(),
      control: { memory, toJSON: () => ({ memory: memory.kind, reset: false }) },
    };
    rig.router.attach(lent);
    device.attach(far);
    const [status] = await rig.loader('ath11k').whenReady(['tun:emu0'], 10_000);
    expect(status).to.include({ state: 'ready', chip: 'WCN6855', node: 9, boardId: 0x42, memoryProvider: 'simulated' });
    expect(firmware.violations).to.deep.equal([]);
    service.close();
    deviceNs.close();
    device.shutdown();
  });

  it('should fail typed, sending no address, when the link lends no host memory', async () => {
    const identity = { key: 'tun:emu1', address: '0000:00:00.0', vendor: '0x17cb', device: '0x1103', subsystemVendor: '0x17cb', subsystemDevice: '0x3374' };
    rig = await createRig([plugin], { ath11k: { identities: [identity] } });
    const profile = ATH11K_SIM_PROFILES.WCN6855;
    await writeSimulatedFirmwareDir(rig.firmwareDir, [{ chip: 'WCN6855', pciAddress: '0000:00:00.0', boardId: 0x42 }]);
    await rig.host.start('ath11k');
    const device = new Router({ localNode: 9 });
    const deviceNs = new NameService(device);
    const firmware = new WlfwFirmware(profile, 0x42, simulatedFiles(profile, 0x42, 'tun', 'emu1'), {}, () => undefined, () => undefined);
    const service = await QmiService.start(device, { service: 0x45, version: 1, instance: profile.instance }, (s) => firmware.install(s));
    const [near, far] = createMemoryLink({ kind: 'tun', key: 'emu1' });
    rig.router.attach(near);
    device.attach(far);
    const err = await failedWith(rig, 'tun:emu1');
    expect(err).to.include({ code: 'DEVICE_MEMORY_UNAVAILABLE' });
    expect(firmware.log.filter((e) => e.dir === 'rx').map((e) => e.name)).to.not.include('RESPOND_MEM');
    service.close();
    deviceNs.close();
    device.shutdown();
  });

  it('should leave a card that stops answering mid-way to its own timeout while another card comes up', async () => {
    rig = await createRig([plugin], { ath11k: { maxAttempts: 1, indicationTimeoutMs: 200 } });
    const stuck = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 1, faults: { withhold: 'fw-mem-ready' } });
    const fine = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:02:00.0', boardId: 2 });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [stuck, fine]);
    await rig.host.start('ath11k');
    await stuck.attach(rig.router);
    await fine.attach(rig.router);
    await rig.loader('ath11k').whenReady([fine.key], 10_000);
    await sleep(300);
    const states = Object.fromEntries(rig.loader('ath11k').snapshot().map((s) => [s.key, s.state]));
    expect(states).to.deep.equal({ [stuck.key]: 'failed', [fine.key]: 'ready' });
  });
});
