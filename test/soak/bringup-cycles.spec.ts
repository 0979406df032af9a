import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapSnapshot, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NameService, PluginHost, Router } from '../../src/testing';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir, WLFW_LOADER_LIFECYCLE, type WlfwLoaderLifecycle } from '../../plugins/ath11k';
import { report, scale } from './soak-harness';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const pciAddress = (i: number): string => `0000:${(i >> 4).toString(16).padStart(2, '0')}:${(i & 15).toString(16).padStart(2, '0')}.0`;

/**
 * Live JS objects and closures in the heap, by constructor (or function) name, after a
 * full collection: read from a V8 heap snapshot, so it counts everything reachable,
 * whoever holds it (the statuses the daemon reports cannot see a leaked closure).
 */
async function liveObjectsByName(): Promise<Map<string, number>> {
  // What a teardown scheduled (the loader's last status publish on setImmediate) runs first.
  await new Promise((resolve) => setTimeout(resolve, 50));
  gc();
  const chunks: Buffer[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(chunk as Buffer);
  const snapshot = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const { meta } = snapshot.snapshot;
  const width = meta.node_fields.length;
  const edgeWidth = meta.edge_fields.length;
  const typeAt = meta.node_fields.indexOf('type');
  const nameAt = meta.node_fields.indexOf('name');
  const edgeCountAt = meta.node_fields.indexOf('edge_count');
  const edgeTypeAt = meta.edge_fields.indexOf('type');
  const toAt = meta.edge_fields.indexOf('to_node');
  const weak = meta.edge_types[0].indexOf('weak');
  const counted = new Set([meta.node_types[0].indexOf('object'), meta.node_types[0].indexOf('closure')]);
  const { nodes, edges, strings } = snapshot;
  // Held by something other than V8's allocation-site feedback: an optimised object literal
  // keeps its first object as a boilerplate (one per source site, not per cycle), which is not the program's.
  const held = new Uint8Array(nodes.length / width);
  for (let i = 0, e = 0; i < nodes.length; i += width) {
    const feedback = strings[nodes[i + nameAt]] === 'system / AllocationSite';
    const end = e + nodes[i + edgeCountAt] * edgeWidth;
    for (; e < end; e += edgeWidth) if (!feedback && edges[e + edgeTypeAt] !== weak) held[edges[e + toAt] / width] = 1;
  }
  const counts = new Map<string, number>();
  for (let i = 0; i < nodes.length; i += width) {
    if (!counted.has(nodes[i + typeAt]) || !held[i / width]) continue;
    const name = strings[nodes[i + nameAt]];
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

/** One bring-up of `count` simulated QCN9074 cards through the ath11k loader, then a full teardown. */
async function bringUpAndTearDown(count: number, dir: string): Promise<void> {
  const router = new Router();
  const ns = new NameService(router);
  const host = new PluginHost({ router, config: { ath11k: { firmwareDir: dir, probeFamily: false } } });
  host.add(plugin);
  await host.start('ath11k');
  const loader = host.containerOf('ath11k').get<WlfwLoaderLifecycle>(WLFW_LOADER_LIFECYCLE).loader!;
  const cards = Array.from({ length: count }, (_, i) => createSimulatedCard({ chip: 'QCN9074', pciAddress: pciAddress(i), boardId: i % 8 }));
  await Promise.all(cards.map((c) => c.powerOn()));
  await Promise.all(cards.map((c) => c.attach(router)));
  await loader.whenReady(cards.map((c) => c.key), 30_000);
  await host.stopAll();
  for (const c of cards) c.detach();
  ns.close();
  router.shutdown();
}

/**
 * The successive-bring-up figure of bench/cards.bench.ts (docs/performance.md, "Memory
 * per simulated card") is V8 sizing its heap; this holds that it is not retention:
 * after N bring-ups and teardowns of a router, name service, plugin host and cards,
 * no kind of object is left over more than after the first.
 */
describe('soak: bring-up and teardown of simulated cards, repeated', function () {
  this.timeout(scale(120_000, 900_000));
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qrtrd-soak-bringup-'));
    await writeSimulatedFirmwareDir(dir, Array.from({ length: 16 }, (_, i) => ({ chip: 'QCN9074', pciAddress: pciAddress(i), boardId: i % 8 })));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('should leave no more objects of any kind after many cycles than after the first', async () => {
    const cards = scale(8, 16);
    const cycles = scale(6, 24);
    // Two cycles first: module-level caches, JIT feedback and lazily built tables settle in them.
    await bringUpAndTearDown(cards, dir);
    await bringUpAndTearDown(cards, dir);
    const baseline = await liveObjectsByName();
    for (let i = 0; i < cycles; i++) await bringUpAndTearDown(cards, dir);
    const after = await liveObjectsByName();
    // A leak of anything a cycle creates grows by at least one per cycle; fewer is noise
    // (objects of mocha, the logger or timers alive at the moment of either snapshot).
    const grown: Record<string, number> = {};
    for (const [name, n] of after) {
      const more = n - (baseline.get(name) ?? 0);
      if (more >= cycles) grown[name] = more;
    }
    const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    const changed = [...after].map(([name, n]) => [name, n - (baseline.get(name) ?? 0)] as const).filter(([, d]) => d !== 0).sort((x, y) => y[1] - x[1]).slice(0, 5);
    report('bringup-cycles', { cards, cycles, objectsBefore: total(baseline), objectsAfter: total(after), largestChanges: Object.fromEntries(changed), grown });
    expect(grown, `object kinds that grew by ${cycles} or more over ${cycles} cycles (name: how many more)`).to.deep.equal({});
  });
});
