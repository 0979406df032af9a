// Bring-up of 1 simulated QCN9074 card vs 64 identical ones at once (same node id,
// same WLFW instance, one endpoint each), in-process. Target: 64 cards in at most
// 3x the wall time of one. Run: node dist/bench/cards.bench.js
import 'reflect-metadata';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NameService, PluginHost, Router } from '../src/sdk';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir, WLFW_LOADER_LIFECYCLE, type WlfwLoaderLifecycle } from '../plugins/ath11k';

/** Firmware processing time per step (ms), so that concurrency has something to overlap. */
const FIRMWARE_LATENCY = { 'request-mem': 2, 'fw-mem-ready': 2, 'fw-init-done': 5 } as const;

async function bringUp(count: number, dir: string): Promise<{ ms: number; peakRss: number }> {
  const router = new Router();
  const ns = new NameService(router);
  const host = new PluginHost({ router, nameService: ns, config: { ath11k: { firmwareDir: dir, probeFamily: false } } });
  host.add(plugin);
  await host.start('ath11k');
  const loader = host.containerOf('ath11k').get<WlfwLoaderLifecycle>(WLFW_LOADER_LIFECYCLE).loader!;
  const cards = Array.from({ length: count }, (_, i) =>
    createSimulatedCard({ chip: 'QCN9074', pciAddress: `0000:${(i >> 4).toString(16).padStart(2, '0')}:${(i & 15).toString(16).padStart(2, '0')}.0`, boardId: i % 8, faults: { delayMs: FIRMWARE_LATENCY } }),
  );
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 5);
  const started = process.hrtime.bigint();
  await Promise.all(cards.map((c) => c.attach(router)));
  await loader.whenReady(cards.map((c) => c.key), 60_000);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
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
  await bringUp(1, dir); // warm-up (JIT, file cache)
  const runs = 5;
  const one: number[] = [];
  const many: number[] = [];
  let peak = 0;
  for (let r = 0; r < runs; r++) {
    one.push((await bringUp(1, dir)).ms);
    const m = await bringUp(64, dir);
    many.push(m.ms);
    peak = Math.max(peak, m.peakRss);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const t1 = median(one);
  const t64 = median(many);
  const ratio = t64 / t1;
  const rows = [
    ['case', 'median ms', 'ratio', 'target', 'met'],
    ['1 card', t1.toFixed(1), '1.00', '', ''],
    ['64 cards', t64.toFixed(1), ratio.toFixed(2), '<= 3.00', ratio <= 3 ? 'yes' : 'no'],
    ['peak RSS (64)', `${(peak / 1048576).toFixed(1)} MiB`, '', '', ''],
  ];
  for (const row of rows) console.log(row.map((c, i) => c.padEnd(i === 0 ? 16 : 12)).join(''));
  await fs.rm(dir, { recursive: true, force: true });
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
