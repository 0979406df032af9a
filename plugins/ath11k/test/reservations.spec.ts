import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_ROUTER_OPTIONS, NameService, PluginHost, Router, StreamSocketListener, recordingLogger, type LogRecord } from '../../../src/testing';
import { plugin as ath11k, createSimulatedCard, writeSimulatedFirmwareDir } from '../index';
import { WLFW_LOADER_LIFECYCLE, type WlfwLoader, type WlfwLoaderLifecycle } from '../../wlfw/src';
import { SocketPeer } from '../../../test/helpers/socket-peer';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('ath11k loader: endpoint reservations of cards found by lookup', function () {
  this.timeout(30_000);
  let dir: string;
  let router: Router;
  let ns: NameService;
  let host: PluginHost;
  let logs: LogRecord[];
  const loader = (): WlfwLoader => host.containerOf('ath11k').get<WlfwLoaderLifecycle>(WLFW_LOADER_LIFECYCLE).loader!;

  async function setUp(reservationsPerOwner: number, detachGraceMs = 30_000): Promise<void> {
    dir = mkdtempSync(join(tmpdir(), 'qrtrd-reservations-'));
    router = new Router({ limits: { ...DEFAULT_ROUTER_OPTIONS.limits, reservationsPerOwner } });
    ns = new NameService(router);
    const logger = recordingLogger();
    logs = logger.records;
    host = new PluginHost({ router, logger, config: { ath11k: { firmwareDir: dir, requestTimeoutMs: 300, indicationTimeoutMs: 300, retryDelayMs: 10, maxAttempts: 1, detachGraceMs } } });
    host.add(ath11k);
    await host.start('ath11k');
  }

  afterEach(async () => {
    await host.stopAll();
    ns.close();
    router.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should release the reservation of a socket-keyed card when its connection closes: 100 reconnections leak nothing (issue #14)', async () => {
    await setUp(64);
    const listener = new StreamSocketListener(router, { path: join(dir, 'remote.sock') });
    await listener.listen();
    // The control port and the loader's own (its lookup's socket): client ports come and go above them.
    const baseline = router.portCount;
    try {
      for (let i = 0; i < 100; i++) {
        const peer = await SocketPeer.connect(listener.path, 7);
        peer.hello();
        peer.announce(69, 1, 7, 1);
        peer.data(1, 0x4000, new Uint8Array(8));
        await until('the loader to take the card', () => loader().snapshot().length === 1);
        await peer.close();
        await until('the card to be dropped', () => loader().snapshot().length === 0 && router.endpoints().length === 0);
      }
      expect(router.endpointIds.reservationsHeldBy('ath11k')).to.equal(0);
      expect(router.endpointIds.stats()).to.include({ live: 0, reservations: 0, retired: 100, refusedQuota: 0 });
      expect(host.plugins()[0].state).to.equal('started');
      await until('every client port to close', () => router.portCount === baseline);
    } finally {
      await listener.close();
    }
  });

  it("should refuse a card past the quota with a typed error, show it 'refused', log it once, and retry it when a slot frees", async () => {
    await setUp(2, 50);
    const cards = [1, 2, 3, 4].map((n) => createSimulatedCard({ chip: 'QCN9074', pciAddress: `0000:0${n}:00.0`, boardId: n }));
    await writeSimulatedFirmwareDir(dir, cards);
    for (const card of cards) await card.attach(router);
    await until('two cards to be refused', () => loader().snapshot().filter((c) => c.state === 'refused').length === 2);
    const refused = loader().snapshot().filter((c) => c.state === 'refused');
    expect(refused.map((c) => c.lastError?.code)).to.deep.equal(['QRTR_ENDPOINT_QUOTA_EXCEEDED', 'QRTR_ENDPOINT_QUOTA_EXCEEDED']);
    const lines = logs.filter((r) => (r.obj as { code?: string }).code === 'QRTR_ENDPOINT_QUOTA_EXCEEDED');
    expect(lines, 'one log line for the episode').to.have.length(1);
    expect(lines[0].obj).to.include({ owner: 'ath11k', quota: 2 });
    // A card goes for good (away past its 50 ms grace period): its slot goes to a refused card.
    const served = loader().snapshot().find((c) => c.state !== 'refused')!;
    cards.find((c) => `mhi:${c.pciAddress}` === served.key)!.detach();
    await until('a refused card to be taken', () => loader().snapshot().filter((c) => c.state === 'refused').length === 1, 10_000);
    expect(loader().snapshot().map((c) => c.key)).to.not.include(served.key);
    expect(router.endpointIds.reservationsHeldBy('ath11k')).to.equal(2);
    expect(router.endpointIds.stats()).to.include({ expired: 1 });
    for (const card of cards) card.detach();
  });
});
