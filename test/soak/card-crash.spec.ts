import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pino from 'pino';
import { QrtrdDaemon, type DaemonStatus } from '../../src/daemon/daemon';
import { DEFAULT_CONFIG, DEFAULT_SIMULATION, type SimulatedCardConfig } from '../../src/daemon/config';
import * as ath11k from '../../plugins/ath11k';
import * as ath12k from '../../plugins/ath12k';
import type { SimulatedCard } from '../../plugins/wlfw/sim/simulated-card';
import type { WlfwCardStatus } from '../../plugins/wlfw/src';
import { holdingsOf, leaksOf, report, scale, until } from './soak-harness';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

/** The cards section's rows, as the WLFW plugins' card statuses. */
function cardsOf(s: DaemonStatus): WlfwCardStatus[] {
  return (s.sections.find((x) => x.id === 'cards')?.rows ?? []).map((r) => r.data as WlfwCardStatus);
}

function simulate(spec: SimulatedCardConfig): SimulatedCard {
  const create = spec.family === 'ath11k' ? ath11k.createSimulatedCard : ath12k.createSimulatedCard;
  return create({ chip: spec.chip, pciAddress: spec.pciAddress, boardId: spec.boardId });
}

/**
 * The daemon's own composition (plugins, reservations of the configured cards, name
 * service) with the default simulated cards attached from here, so the soak can unplug
 * and replug them: each crash is a link loss and a firmware reboot, and each return
 * a full bring-up (board data download included) on the same reserved endpoint.
 */
describe('soak: the default simulated cards crashing and returning', function () {
  this.timeout(scale(60_000, 900_000));
  const specs = DEFAULT_SIMULATION.cards;
  let dir: string;
  let daemon: QrtrdDaemon;
  const cards = new Map<string, SimulatedCard>();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qrtrd-soak-cards-'));
    await ath11k.writeSimulatedFirmwareDir(dir, specs.filter((c) => c.family === 'ath11k'));
    await ath12k.writeSimulatedFirmwareDir(dir, specs.filter((c) => c.family === 'ath12k'));
    const keys = (family: string): string[] => specs.filter((c) => c.family === family).map((c) => `mhi:${c.pciAddress}`);
    daemon = new QrtrdDaemon(
      {
        ...DEFAULT_CONFIG,
        console: false,
        firmwareDir: dir,
        simulation: { ...DEFAULT_SIMULATION, enabled: false },
        pluginConfig: { ath11k: { cards: keys('ath11k'), retryDelayMs: 10 }, ath12k: { cards: keys('ath12k'), retryDelayMs: 10, groupWaitMs: 100 } },
      },
      pino({ level: 'silent' }),
    );
    await daemon.start();
    for (const spec of specs) {
      const card = simulate(spec);
      await card.attach(daemon.router);
      cards.set(spec.pciAddress, card);
    }
    await until('every card ready', () => cardsOf(daemon.status()).filter((c) => c.state === 'ready').length === specs.length, 20_000);
  });

  after(async () => {
    for (const card of cards.values()) card.detach();
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const readyCards = (s: DaemonStatus): number => cardsOf(s).filter((c) => c.state === 'ready').length;

  it('should come back ready every time, on the same endpoints, holding nothing more', async () => {
    const crashes = scale(40, 1000);
    // Warm up until V8's young generation reaches its working size, then the baseline.
    const crashOnce = async (i: number): Promise<void> => {
      const spec = specs[i % specs.length];
      const key = `mhi:${spec.pciAddress}`;
      const recoveries = cardsOf(daemon.status()).find((c) => c.key === key)!.recoveries;
      cards.get(spec.pciAddress)!.detach();
      // A fresh simulator per return, so the soak measures the daemon and not the simulators' logs.
      const card = simulate(spec);
      cards.set(spec.pciAddress, card);
      await card.attach(daemon.router);
      await until(`${key} ready again`, () => {
        const c = cardsOf(daemon.status()).find((x) => x.key === key);
        return c !== undefined && c.state === 'ready' && c.recoveries > recoveries;
      }, 10_000);
    };
    for (let i = 0; i < scale(100, 300); i++) await crashOnce(i);
    const before = daemon.status();
    const endpointsBefore = before.endpoints.map((e) => e.id);
    const heapBefore = heapUsed();
    const rssBefore = process.memoryUsage().rss;
    const started = Date.now();
    for (let i = 0; i < crashes; i++) await crashOnce(i);
    const ms = Date.now() - started;
    const after = daemon.status();
    const heapAfter = heapUsed();
    const rssAfter = process.memoryUsage().rss;
    const leaks = leaksOf(holdingsOf(before), holdingsOf(after));
    report('card-crash', {
      crashes,
      ms,
      msPerReturn: +(ms / crashes).toFixed(1),
      leaks,
      ready: `${readyCards(after)}/${specs.length}`,
      heapUsedMiB: `${(heapBefore / 2 ** 20).toFixed(1)}->${(heapAfter / 2 ** 20).toFixed(1)}`,
      rssMiB: `${(rssBefore / 2 ** 20).toFixed(1)}->${(rssAfter / 2 ** 20).toFixed(1)}`,
      reservationsExpired: after.endpointIds.expired,
      refused: after.endpointIds.refusedQuota,
    });
    expect(leaks, 'leaked objects (name: count above the baseline)').to.deep.equal({});
    expect(readyCards(after)).to.equal(specs.length);
    expect(after.endpoints.map((e) => e.id), 'each card returns on its reserved endpoint').to.deep.equal(endpointsBefore);
    expect(after.endpointIds.expired + after.endpointIds.refusedQuota).to.equal(0);
    // In-process: mocha and the simulators share the heap, so the bound is on the daemon's part, loosely.
    expect((heapAfter - heapBefore) / heapBefore, 'heap growth over the crashes').to.be.below(0.1);
    expect((rssAfter - rssBefore) / rssBefore, 'RSS growth over the crashes').to.be.below(0.1);
  });
});
