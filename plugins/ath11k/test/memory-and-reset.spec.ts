import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { NameService, QmiClient, Router } from '../../../src/testing';
import { wlfw, type DeviceDmaBuffer } from '../../../src/sdk';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir } from '../index';
import { ResetBackoff, RESET_FAIL_TIMEOUT_MS } from '../../wlfw/src/reset-backoff';
import { createRig, requestsNamed, sleep, type Rig } from '../../wlfw/test/rig';
import type { SimulatedCard } from '../../wlfw/sim';

// The memory contract (target memory and M3 from the card's link, fixed regions on AHB) and the
// reset through the link on a crash, against the simulated cards' host memory and MHI link.

async function startWith(cards: SimulatedCard[], config: Record<string, unknown> = {}): Promise<Rig> {
  const rig = await createRig([plugin], { ath11k: config });
  await writeSimulatedFirmwareDir(rig.firmwareDir, cards);
  await rig.host.start('ath11k');
  for (const c of cards) await c.attach(rig.router);
  return rig;
}

function statusOf(rig: Rig, key: string) {
  const status = rig.loader('ath11k').snapshot().find((s) => s.key === key);
  if (!status) throw new Error(`no card ${key}`);
  return status;
}

async function until(what: string, test: () => boolean, limitMs = 10_000): Promise<void> {
  for (let waited = 0; !test(); waited += 10) {
    if (waited > limitMs) throw new Error(`not ${what} within ${limitMs} ms`);
    await sleep(10);
  }
}

describe('WLFW memory from the link that owns the card', function () {
  this.timeout(20_000);
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('should answer RESPOND_MEM with buffers of the card\'s link and put m3.bin\'s bytes behind M3_INFO', async () => {
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 3 });
    rig = await startWith([card]);
    await rig.loader('ath11k').whenReady([card.key], 10_000);
    const [resp] = requestsNamed(card, 'RESPOND_MEM');
    const segs = resp.mem_seg as { addr: bigint; size: number }[];
    expect(segs).to.have.length(5);
    for (const s of segs) expect(card.memory!.backs(s.addr, s.size), `0x${s.addr.toString(16)}`).to.equal(true);
    const [m3] = requestsNamed(card, 'M3_INFO') as { addr: bigint; size: number }[];
    const m3File = await fs.readFile(path.join(rig.firmwareDir, 'ath11k', 'QCN9074', 'hw1.0', 'm3.bin'));
    expect(Buffer.from(card.memory!.read(m3.addr, m3.size)).equals(m3File)).to.equal(true);
    expect(card.firmware!.violations).to.deep.equal([]);
    expect(card.memory!.liveAllocations).to.equal(6);
    expect(statusOf(rig, card.key).memoryProvider).to.equal('simulated');
    await rig.close();
    rig = undefined;
    // Every buffer handed out has its release: the loader's stop frees them.
    expect(card.memory!.liveAllocations).to.equal(0);
  });

  it('should place IPQ8074 memory in reserved regions as ath11k_qmi_assign_target_mem_chunk does and copy the board bytes to bdf_addr', async () => {
    const card = createSimulatedCard({ chip: 'IPQ8074', pciAddress: '0000:05:00.0', boardId: 0x21 });
    rig = await startWith([card]);
    await rig.loader('ath11k').whenReady([card.key], 10_000);
    const [resp] = requestsNamed(card, 'RESPOND_MEM');
    // The real log's answer: CALDB at ATH11K_QMI_CALDB_ADDRESS, BDF at bdf_addr, M3_DUMP dropped.
    expect((resp.mem_seg as { addr: bigint; type: number }[]).map((s) => [s.type, s.addr])).to.deep.equal([
      [4, 0x4ba0_0000n],
      [2, 0x4b0c_0000n],
    ]);
    const downloads = requestsNamed(card, 'BDF_DOWNLOAD');
    expect(downloads.every((d) => d.data === undefined)).to.equal(true);
    expect(card.firmware!.violations).to.deep.equal([]);
    expect(card.memory!.liveAllocations).to.equal(0);
  });

  it('should keep the same buffers for the firmware of the next incarnation when it asks the same', async () => {
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 3 });
    rig = await startWith([card]);
    await rig.loader('ath11k').whenReady([card.key], 10_000);
    const allocations = card.memory!.allocationCount;
    await card.crashNow('rddm');
    await until('back after the reset', () => statusOf(rig!, card.key).state === 'ready' && card.boots.length === 2);
    const [first, second] = requestsNamed(card, 'RESPOND_MEM').map((r) => (r.mem_seg as { addr: bigint }[]).map((s) => s.addr));
    expect(second).to.deep.equal(first);
    expect(card.memory!.allocationCount).to.equal(allocations);
  });
});

describe('WLFW reset on crash through the link', function () {
  this.timeout(30_000);
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('should reset a card that crashed into RDDM and bring it back while the other cards keep serving', async () => {
    const cards = [
      createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 1 }),
      createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:02:00.0', boardId: 2 }),
      createSimulatedCard({ chip: 'WCN6855', pciAddress: '0000:03:00.0', boardId: 0xff }),
    ];
    rig = await startWith(cards);
    await rig.loader('ath11k').whenReady(cards.map((c) => c.key), 10_000);
    const others = [cards[0], cards[2]];
    const seen: string[] = [];
    const subs = others.map((c) => rig!.loader('ath11k').status$(c.key)!.subscribe((s) => seen.push(`${c.key} ${s.state}`)));
    await cards[1].crashNow('rddm');
    await until('the crashed card back', () => statusOf(rig!, cards[1].key).state === 'ready' && cards[1].boots.length === 2);
    subs.forEach((s) => s.unsubscribe());
    expect(cards[1].powerCycles).to.equal(1);
    expect(statusOf(rig, cards[1].key)).to.include({ state: 'ready', recoveries: 1, resets: 1 });
    // The others never left ready and their firmware booted once.
    expect(seen.every((line) => line.endsWith(' ready'))).to.equal(true);
    expect(others.map((c) => [c.boots.length, c.powerCycles, statusOf(rig!, c.key).state])).to.deep.equal([
      [1, 0, 'ready'],
      [1, 0, 'ready'],
    ]);
    expect(cards.flatMap((c) => c.boots.flatMap((b) => b.violations))).to.deep.equal([]);
  });

  it('should give up with WLFW_RESET_EXHAUSTED when the firmware keeps crashing: 3 failed recoveries within 20 s', async () => {
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 1, faults: { crashAt: { step: 'host-cap', mode: 'rddm', times: 100 } } });
    rig = await startWith([card]);
    await until('failed', () => rig!.loader('ath11k').snapshot().some((s) => s.key === card.key && s.state === 'failed'), 15_000);
    await sleep(100);
    expect(statusOf(rig, card.key).lastError?.code).to.equal('WLFW_RESET_EXHAUSTED');
    // ath11k_core_reset: the first reset is no failure; each reset asked before the previous one
    // completed is one (3 after the fourth reset); the next crash inside ATH11K_RESET_FAIL_TIMEOUT_HZ stops it.
    expect(card.powerCycles).to.equal(4);
    expect(card.boots.length).to.equal(5);
    expect(statusOf(rig, card.key).state).to.equal('failed');
  });

  it('should report DEVICE_RESET_UNSUPPORTED when the link cannot power-cycle the card', async () => {
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 1, noReset: true });
    rig = await startWith([card]);
    await rig.loader('ath11k').whenReady([card.key], 10_000);
    await card.crashNow('rddm');
    await until('reported', () => statusOf(rig!, card.key).lastError?.code === 'DEVICE_RESET_UNSUPPORTED');
    expect(statusOf(rig, card.key).state).to.equal('recovering');
  });

  it('should power-cycle a cbcal_restart_fw chip after calibration through the same link reset, outside the crash back-off', async () => {
    const card = createSimulatedCard({ chip: 'IPQ8074', pciAddress: '0000:05:00.0', boardId: 0x12 });
    rig = await startWith([card]);
    await rig.loader('ath11k').whenReady([card.key], 10_000);
    // One power cycle through control.reset (the calibration restart); the status counts crash resets only.
    expect([card.powerCycles, card.boots.length]).to.deep.equal([1, 2]);
    expect(statusOf(rig, card.key)).to.include({ state: 'ready', calDone: true });
    expect(statusOf(rig, card.key).resets ?? 0).to.equal(0);
    // A crash afterwards is reset through the same hook.
    await card.crashNow('rddm');
    await until('back after the crash reset', () => statusOf(rig!, card.key).state === 'ready' && card.boots.length === 3);
    expect([card.powerCycles, statusOf(rig, card.key).resets]).to.deep.equal([2, 1]);
    expect(card.boots.flatMap((b) => b.violations)).to.deep.equal([]);
  });

  it('should fail a cbcal_restart_fw chip with DEVICE_RESET_UNSUPPORTED after calibrating when its link cannot reset', async () => {
    const card = createSimulatedCard({ chip: 'IPQ8074', pciAddress: '0000:05:00.0', boardId: 0x12, noReset: true });
    rig = await startWith([card]);
    await until('failed', () => rig!.loader('ath11k').snapshot().some((s) => s.key === card.key && s.state === 'failed'));
    expect(statusOf(rig, card.key).lastError?.code).to.equal('DEVICE_RESET_UNSUPPORTED');
    expect(statusOf(rig, card.key).calDone).to.equal(true);
    expect(card.powerCycles).to.equal(0);
  });

  it('should stop resetting after 5 failed recoveries in all, even spread beyond 20 s', () => {
    let now = 0;
    const backoff = new ResetBackoff(() => now);
    const decisions: boolean[] = [];
    for (let i = 0; i < 7; i++) {
      decisions.push(backoff.request().reset);
      now += RESET_FAIL_TIMEOUT_MS + 1;
    }
    // Reset 1 is no failure; each later one counts one (never 3 inside one window here); at 5 it stops for good.
    expect(decisions).to.deep.equal([true, true, true, true, true, true, false]);
    backoff.succeeded();
    expect(backoff.request().reset).to.equal(true);
  });
});

describe('simulated firmware refuses memory and one-shot mistakes', function () {
  this.timeout(20_000);
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  async function firstRefusal(card: SimulatedCard): Promise<string> {
    await until('a refusal', () => (card.firmware?.violations.length ?? 0) > 0);
    return card.firmware!.violations[0];
  }

  it('should refuse M3_INFO when m3.bin\'s bytes did not reach the buffer (a provider that drops the copy)', async () => {
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 1 });
    const memory = card.memory!;
    const allocate = memory.allocateCoherent.bind(memory);
    memory.allocateCoherent = (size: number): DeviceDmaBuffer => ({ ...allocate(size), write: () => undefined });
    rig = await startWith([card]);
    expect(await firstRefusal(card)).to.match(/M3_INFO: the \d+ bytes at 0x[0-9a-f]+ are not the M3 image/);
    expect(statusOf(rig, card.key).state).to.not.equal('ready');
  });

  it('should refuse the fixed-address board data when the bytes are not at bdf_addr', async () => {
    const card = createSimulatedCard({ chip: 'IPQ8074', pciAddress: '0000:05:00.0', boardId: 0x21 });
    card.memory!.writeReserved = () => undefined;
    rig = await startWith([card]);
    expect(await firstRefusal(card)).to.match(/BDF_DOWNLOAD: the \d+ bytes at 0x4b0c0000 are not the board file/);
    expect(statusOf(rig, card.key).state).to.not.equal('ready');
  });

  it('should refuse RESPOND_MEM addresses that are not memory lent to the card', async () => {
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 1 });
    const memory = card.memory!;
    const allocate = memory.allocateCoherent.bind(memory);
    // A buffer the host frees before answering: the address names nothing the device may DMA to.
    memory.allocateCoherent = (size: number): DeviceDmaBuffer => {
      const b = allocate(size);
      b.free();
      return b;
    };
    rig = await startWith([card]);
    expect(await firstRefusal(card)).to.match(/RESPOND_MEM type 1: 0x[0-9a-f]+ \(\+\d+\) is not host memory lent to the card/);
  });

  it('should answer a repeated IND_REGISTER and HOST_CAP with INCOMPATIBLE_STATE', async () => {
    const router = new Router();
    const ns = new NameService(router);
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 1 });
    await card.attach(router);
    const client = await QmiClient.open(router, { service: 0x45, version: 1, endpoint: card.endpointId, name: 'test WLFW client' });
    try {
      const register = { fw_ready_enable: 1, client_id: 0x4b4e454c, request_mem_enable: 1, fw_mem_ready_enable: 1, fw_init_done_enable: 1 } as never;
      const first = await client.request(wlfw.wlfw_ind_register_req, wlfw.wlfw_ind_register_resp, register, { timeout: 2000, checkResult: false });
      const again = await client.request(wlfw.wlfw_ind_register_req, wlfw.wlfw_ind_register_resp, register, { timeout: 2000, checkResult: false });
      expect([first.resp.result, again.resp.result, again.resp.error]).to.deep.equal([0, 1, 90]);
      const cap = { num_clients: 1, bdf_support: 1, cal_done: 0, mem_cfg_mode: 2, m3_support: 1, m3_cache_support: 1 } as never;
      await client.request(wlfw.wlfw_host_cap_req, wlfw.wlfw_host_cap_resp, cap, { timeout: 2000, checkResult: false });
      const capAgain = await client.request(wlfw.wlfw_host_cap_req, wlfw.wlfw_host_cap_resp, cap, { timeout: 2000, checkResult: false });
      expect([capAgain.resp.result, capAgain.resp.error]).to.deep.equal([1, 90]);
      expect(card.firmware!.violations.some((v) => /IND_REGISTER repeated/.test(v))).to.equal(true);
    } finally {
      client.close();
      card.detach();
      ns.close();
      router.shutdown();
    }
  });
});
