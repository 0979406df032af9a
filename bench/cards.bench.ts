// Bring-up of 1 simulated QCN9074 card vs 64 identical ones at once (same node id,
// same WLFW instance, one endpoint each), in-process. Target: 64 cards in at most
// 3x the wall time of one. Run: node dist/bench/cards.bench.js
import 'reflect-metadata';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NameService, PluginHost, Router } from '../src/testing';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir, WLFW_LOADER_LIFECYCLE, type WlfwLoaderLifecycle } from '../plugins/ath11k';
import type { SimFaults } from '../plugins/ath11k/sim';

/**
 * Firmware processing time per step (ms): memory request after boot, memory
 * setup, ~1 ms per board segment written, M3 start and firmware init. Real
 * cards take far longer (seconds, mostly MHI image download and firmware init);
 * these are deliberately short so that host CPU time still shows.
 */
const FIRMWARE_LATENCY: SimFaults['delayMs'] = {
  'host-cap': 2,
  'request-mem': 20,
  'respond-mem': 2,
  'fw-mem-ready': 10,
  cap: 1,
  bdf: 1,
  m3: 5,
  'fw-init-done': 100,
  'wlan-cfg': 2,
  'wlan-mode': 5,
};

async function bringUp(count: number, dir: string, latency: SimFaults['delayMs']): Promise<{ ms: number; peakRss: number }> {
  const router = new Router();
  const ns = new NameService(router);
  const host = new PluginHost({ router, config: { ath11k: { firmwareDir: dir, probeFamily: false } } });
  host.add(plugin);
  await host.start('ath11k');
  const loader = host.containerOf('ath11k').get<WlfwLoaderLifecycle>(WLFW_LOADER_LIFECYCLE).loader!;
  const cards = Array.from({ length: count }, (_, i) =>
    createSimulatedCard({ chip: 'QCN9074', pciAddress: `0000:${(i >> 4).toString(16).padStart(2, '0')}:${(i & 15).toString(16).padStart(2, '0')}.0`, boardId: i % 8, faults: { delayMs: latency } }),
  );
  // Simulator construction (64 device routers and name services) is not host work: do it before timing.
  await Promise.all(cards.map((c) => c.powerOn()));
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 5);
  const started = process.hrtime.bigint();
  await Promise.all(cards.map((c) => c.attach(router)));
  await loader.whenReady(cards.map((c) => c.key), 60_000);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  await host.stopAll();
  for (const c of cards) c.detach();
  ns.close();
  router.shutdown();
  return { ms, peakRss };
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qrtrd-cards-bench-'));
  const specs = Array.from({ length: 64 }, (_, i) => ({
    chip: 'QCN9074',
    pciAddress: `0000:${(i >> 4).toString(16).padStart(2, '0')}:${(i & 15).toString(16).padStart(2, '0')}.0`,
    boardId: i % 8,
  }));
  await writeSimulatedFirmwareDir(dir, specs);
  await bringUp(1, dir, {}); // warm-up (JIT, file cache)
  await bringUp(64, dir, {});
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const measure = async (latency: SimFaults['delayMs'], runs: number): Promise<{ t1: number; t64: number; peak: number }> => {
    const one: number[] = [];
    const many: number[] = [];
    let peak = 0;
    for (let r = 0; r < runs; r++) {
      one.push((await bringUp(1, dir, latency)).ms);
      const m = await bringUp(64, dir, latency);
      many.push(m.ms);
      peak = Math.max(peak, m.peakRss);
    }
    return { t1: median(one), t64: median(many), peak };
  };
  const real = await measure(FIRMWARE_LATENCY, 5);
  const zero = await measure({}, 7);
  const rows: string[][] = [
    ['case', '1 card ms', '64 cards ms', 'ratio', 'target', 'met'],
    ['firmware latency', real.t1.toFixed(1), real.t64.toFixed(1), (real.t64 / real.t1).toFixed(2), '<= 3.00', real.t64 / real.t1 <= 3 ? 'yes' : 'no'],
    ['zero latency', zero.t1.toFixed(1), zero.t64.toFixed(1), (zero.t64 / zero.t1).toFixed(2), 'info', `${((zero.t64 - zero.t1) / 63).toFixed(2)} ms CPU/card`],
    ['peak RSS (64)', '', `${(Math.max(real.peak, zero.peak) / 1048576).toFixed(1)} MiB`, '', '', ''],
  ];
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(i === 0 ? 18 : 13)).join(''));
  await fs.rm(dir, { recursive: true, force: true });
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
