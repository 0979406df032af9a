// Simulated QCN9074 cards (same node id, same WLFW instance, one MHI endpoint each), in-process:
// 1. bring-up wall time of 1 card vs 64 at once (target: 64 in at most 3x the time of one);
// 2. memory per card: RSS and heap after 1, 16 and 64 cards are up, each count in a fresh
//    process (so the JIT, the module graph and the allocator start equal), the slope
//    1 -> 64 against its target, and the same for the kernel's IPCR ring sizes (32 x 64 KiB
//    DL buffers per card, `rings: 'kernel'`) measured in the same run as the comparison;
// 3. peak RSS over 12 successive 64-card bring-ups in one process vs the peak of one
//    64-card bring-up in a fresh process (dead cards' memory must not pile up).
//    The target row runs as the daemon does: its MemoryReclaimer (src/daemon/memory-reclaim.ts)
//    watches the router and reclaims once endpoints have been quiet for the daemon's default
//    reclaimAfterDetachMs after the teardown, and the next bring-up starts after that (cards
//    do not come back within 2 s of going on real hosts). Beside it, informational: V8 alone
//    (no reclaim), a plain full GC after each bring-up (what this bench measured before),
//    and V8 alone under --max-semi-space-size=2 (QRTRD_CARDS_BENCH_V8=0 skips that one).
// Run: node dist/bench/cards.bench.js   (QRTRD_CARDS_BENCH_ROUNDS: fresh processes per point, default 3;
//   QRTRD_CARDS_BENCH_ONLY=timing|memory|successive runs one part, memory = per-card and successive)
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { NameService, PluginHost, Router, type SimulatedMhiRingProfile } from '../src/testing';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir, WLFW_LOADER_LIFECYCLE, type WlfwLoaderLifecycle } from '../plugins/ath11k';
import type { SimFaults } from '../plugins/ath11k/sim';
import { DEFAULT_CONFIG } from '../src/daemon/config';
import { MemoryReclaimer } from '../src/daemon/memory-reclaim';
import { printTable, verdict } from './lib';

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

const MIB = 1024 * 1024;
const RSS_PER_CARD_TARGET_MIB = 0.5;
const SUCCESSIVE_TARGET = 1.1;
const SUCCESSIVE_RUNS = 12;

const pciAddress = (i: number): string => `0000:${(i >> 4).toString(16).padStart(2, '0')}:${(i & 15).toString(16).padStart(2, '0')}.0`;

interface BringUp {
  ms: number;
  peakRss: number;
  /** RSS and heap with every card up, after a full collection (when gc is exposed). */
  rss: number;
  heap: number;
}

async function bringUp(count: number, dir: string, latency: SimFaults['delayMs'], rings?: SimulatedMhiRingProfile, forceGc = true, reclaim = false): Promise<BringUp> {
  const router = new Router();
  // As the daemon wires it (QrtrdDaemon.doStart), with the daemon's default quiet time.
  const reclaimer = reclaim ? new MemoryReclaimer(router.endpointEvents$, { afterDetachMs: DEFAULT_CONFIG.reclaimAfterDetachMs }) : undefined;
  const ns = new NameService(router);
  const host = new PluginHost({ router, config: { ath11k: { firmwareDir: dir, probeFamily: false } } });
  host.add(plugin);
  await host.start('ath11k');
  const loader = host.containerOf('ath11k').get<WlfwLoaderLifecycle>(WLFW_LOADER_LIFECYCLE).loader!;
  const cards = Array.from({ length: count }, (_, i) =>
    createSimulatedCard({ chip: 'QCN9074', pciAddress: pciAddress(i), boardId: i % 8, faults: { delayMs: latency }, mhi: rings ? { rings } : undefined }),
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
  const gc = (globalThis as { gc?: () => void }).gc;
  // The daemon never forces a collection; the successive figure is measured without this one.
  if (forceGc) gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  await host.stopAll();
  for (const c of cards) c.detach();
  ns.close();
  router.shutdown();
  if (reclaimer) {
    // The reclaimer's timer does not hold the process (as in the daemon, where sockets do).
    const hold = setInterval(() => undefined, 1000);
    await reclaimer.settled();
    clearInterval(hold);
    if (reclaimer.reclaims === 0) throw new Error('the reclaimer did not run after the teardown');
    reclaimer.close();
  }
  return { ms, peakRss, rss, heap: heapUsed };
}

async function firmwareDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qrtrd-cards-bench-'));
  await writeSimulatedFirmwareDir(dir, Array.from({ length: 64 }, (_, i) => ({ chip: 'QCN9074', pciAddress: pciAddress(i), boardId: i % 8 })));
  return dir;
}

/** One measurement in this (fresh) process; prints one JSON line. */
async function child(kind: string, count: number, dir: string, rings: SimulatedMhiRingProfile): Promise<void> {
  if (kind === 'memory') {
    const r = await bringUp(count, dir, {}, rings);
    console.log(JSON.stringify({ rss: r.rss, heap: r.heap, peakRss: r.peakRss }));
    return;
  }
  // successive: the peak RSS over SUCCESSIVE_RUNS bring-ups of `count` cards, one after the other,
  // collected only when V8 decides; successive-gc: with a full GC after each; successive-reclaim:
  // as the daemon runs, its reclaimer after each teardown.
  let peak = 0;
  for (let i = 0; i < SUCCESSIVE_RUNS; i++) peak = Math.max(peak, (await bringUp(count, dir, {}, rings, kind === 'successive-gc', kind === 'successive-reclaim')).peakRss);
  console.log(JSON.stringify({ peakRss: peak }));
}

/**
 * V8 settings measured beside the default (informational rows; the target is the
 * default's): a smaller young generation, the candidate production setting, and a
 * young generation at its full size from the start, which shows how much of the
 * ratio is a cold heap in the fresh process against a grown one (docs/performance.md).
 */
const V8_VARIANTS: { readonly label: string; readonly flags: readonly string[] }[] = [{ label: 'V8 alone, --max-semi-space-size=2', flags: ['--max-semi-space-size=2'] }];

function inFreshProcess(args: string[], v8Flags: readonly string[] = []): { rss: number; heap: number; peakRss: number } {
  const run = spawnSync(process.execPath, ['--expose-gc', ...v8Flags, __filename, '--child', ...args], { encoding: 'utf8', maxBuffer: 16 * MIB });
  if (run.status !== 0) throw new Error(`child ${args.join(' ')} failed (${String(run.status)}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').pop()!) as { rss: number; heap: number; peakRss: number };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const spread = (xs: number[]): string => `${(Math.min(...xs) / MIB).toFixed(1)}-${(Math.max(...xs) / MIB).toFixed(1)}`;

async function timing(dir: string): Promise<void> {
  await bringUp(1, dir, {}); // warm-up (JIT, file cache)
  await bringUp(64, dir, {});
  const measure = async (latency: SimFaults['delayMs'], runs: number): Promise<{ t1: number; t64: number }> => {
    const one: number[] = [];
    const many: number[] = [];
    for (let r = 0; r < runs; r++) {
      one.push((await bringUp(1, dir, latency)).ms);
      many.push((await bringUp(64, dir, latency)).ms);
    }
    return { t1: median(one), t64: median(many) };
  };
  const real = await measure(FIRMWARE_LATENCY, 5);
  const zero = await measure({}, 7);
  printTable('bring-up wall time, 1 card vs 64 at once (medians)', [
    { case: 'firmware latency', '1 card ms': real.t1, '64 cards ms': real.t64, ratio: real.t64 / real.t1, target: '<= 3.00', met: verdict(real.t64 / real.t1 <= 3) },
    { case: 'zero latency', '1 card ms': zero.t1, '64 cards ms': zero.t64, ratio: zero.t64 / zero.t1, target: 'info', met: `${((zero.t64 - zero.t1) / 63).toFixed(2)} ms CPU/card` },
  ]);
}

async function memory(dir: string): Promise<void> {
  const rounds = Number(process.env.QRTRD_CARDS_BENCH_ROUNDS ?? 3);
  const counts = [1, 16, 64];
  const profiles: SimulatedMhiRingProfile[] = ['small', 'kernel'];
  const samples = new Map<string, { rss: number[]; heap: number[] }>();
  // Interleaved: every round measures every (profile, count) once, each in its own process.
  for (let r = 0; r < rounds; r++) {
    for (const rings of profiles) {
      for (const count of counts) {
        const m = inFreshProcess(['memory', String(count), dir, rings]);
        const key = `${rings}/${count}`;
        const s = samples.get(key) ?? { rss: [], heap: [] };
        s.rss.push(m.rss);
        s.heap.push(m.heap);
        samples.set(key, s);
      }
    }
  }
  const rows = [];
  for (const rings of profiles) {
    const at = (count: number): { rss: number; heap: number } => ({ rss: median(samples.get(`${rings}/${count}`)!.rss), heap: median(samples.get(`${rings}/${count}`)!.heap) });
    const slope = (at(64).rss - at(1).rss) / 63 / MIB;
    const heapSlope = (at(64).heap - at(1).heap) / 63 / MIB;
    for (const count of counts) {
      const s = samples.get(`${rings}/${count}`)!;
      rows.push({ rings, cards: count, 'RSS MiB': at(count).rss / MIB, 'RSS range': spread(s.rss), 'heap MiB': at(count).heap / MIB, 'heap range': spread(s.heap), 'MiB/card (1->64)': '', target: '', met: '' });
    }
    rows.push({
      rings,
      cards: '1->64',
      'RSS MiB': '',
      'RSS range': '',
      'heap MiB': '',
      'heap range': '',
      'MiB/card (1->64)': `RSS ${slope.toFixed(3)}, heap ${heapSlope.toFixed(3)}`,
      target: rings === 'small' ? `RSS <= ${RSS_PER_CARD_TARGET_MIB}` : 'comparison',
      met: rings === 'small' ? verdict(slope <= RSS_PER_CARD_TARGET_MIB) : '',
    });
  }
  printTable(`memory per simulated card: each count in a fresh process, after a full GC; medians of ${rounds} (QCN9074, MHI ring profiles 'small' = default and 'kernel')`, rows);
}

async function successive(dir: string): Promise<void> {
  const rounds = Number(process.env.QRTRD_CARDS_BENCH_ROUNDS ?? 3);

  const variants: { readonly label: string; readonly flags: readonly string[]; readonly mode?: string }[] = [
    { label: `as the daemon runs (reclaim ${DEFAULT_CONFIG.reclaimAfterDetachMs} ms after the last detach)`, flags: [], mode: 'successive-reclaim' },
    { label: 'V8 alone (no reclaim)', flags: [] },
    // The figure of earlier rounds: a plain full GC after every bring-up.
    { label: 'full GC after each bring-up', flags: [], mode: 'successive-gc' },
    ...(process.env.QRTRD_CARDS_BENCH_V8 === '0' ? [] : V8_VARIANTS),
  ];
  const one = variants.map(() => [] as number[]);
  const successive = variants.map(() => [] as number[]);
  // Interleaved: every round measures every variant once.
  for (let r = 0; r < rounds; r++) {
    variants.forEach((v, i) => {
      one[i].push(inFreshProcess(['memory', '64', dir, 'small'], v.flags).peakRss);
      successive[i].push(inFreshProcess([v.mode ?? 'successive', '64', dir, 'small'], v.flags).peakRss);
    });
  }
  const successiveRows = variants.flatMap((v, i) => {
    const ratio = median(successive[i]) / median(one[i]);
    const isDefault = i === 0;
    return [
      { variant: v.label, case: 'one bring-up', 'peak RSS MiB': median(one[i]) / MIB, range: spread(one[i]), ratio: '', target: '', met: '' },
      {
        variant: v.label,
        case: `${SUCCESSIVE_RUNS} successive`,
        'peak RSS MiB': median(successive[i]) / MIB,
        range: spread(successive[i]),
        ratio,
        target: isDefault ? `<= ${SUCCESSIVE_TARGET}` : 'info',
        met: isDefault ? verdict(ratio <= SUCCESSIVE_TARGET) : '',
      },
    ];
  });
  printTable(`peak RSS: ${SUCCESSIVE_RUNS} successive 64-card bring-ups in one process vs one 64-card bring-up (fresh processes, medians of ${rounds})`, successiveRows);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    await child(argv[1], Number(argv[2]), argv[3], argv[4] as SimulatedMhiRingProfile);
    return;
  }
  const dir = await firmwareDir();
  try {
    const only = process.env.QRTRD_CARDS_BENCH_ONLY;
    if (only !== 'memory' && only !== 'successive') await timing(dir);
    if (only !== 'timing' && only !== 'successive') await memory(dir);
    if (only !== 'timing') await successive(dir);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
