import { expect } from 'chai';
import { connectQrtrd } from '../../src/client';
import { SocketPeer } from '../helpers/socket-peer';
import { DaemonUnderTest, describeSoak, dropsBetween, report, scale, sleep, until } from './soak-harness';

const MiB = 2 ** 20;

describeSoak('soak: a peer that never sends RESUME_TX and a local client that stops reading', { short: 60_000, long: 600_000 }, (daemonOf) => {
  let daemon: DaemonUnderTest;
  beforeEach(() => {
    daemon = daemonOf();
  });

  it('should keep memory bounded and count every refused send and every drop by reason', async () => {
    const flood = scale(20_000, 200_000);
    const before = await daemon.settledStatus();

    // A remote node that takes datagrams but never confirms them (no RESUME_TX).
    const mute = await SocketPeer.connect(daemon.listenPath, 40);
    mute.keepReceived = false;
    mute.hello();
    // A local client whose socket never consumes what it is sent.
    const stuck = await connectQrtrd(daemon.socketPath, { receiveWindow: 16 });
    const sink = await stuck.openSocket();
    // A healthy local client beside them.
    const healthy = await daemon.conn.openSocket();
    let healthyGot = 0;
    healthy.messages$.subscribe(() => healthyGot++);
    await until('the mute peer to be known', async () => (await daemon.status()).endpoints.some((e) => e.nodes.includes(40)));

    // 1. Sends to the mute peer: past the flow-control window they would block.
    const outcomes = new Map<string, number>();
    const sender = await daemon.conn.openSocket();
    const payload = new Uint8Array(64);
    for (let i = 0; i < flood / 10; i++) {
      const code = await sender.send({ node: 40, port: 1 }, payload, { nonBlocking: true }).then(
        () => 'sent',
        (err: { code?: string }) => err.code ?? 'unknown',
      );
      outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
    }
    await until('the sent datagrams to arrive', () => mute.dataReceived >= (outcomes.get('sent') ?? 0));
    const received = mute.dataReceived;

    // 2. The mute peer floods the stuck local client, and sends the healthy one a few.
    const peak = { rss: 0, heap: 0 };
    for (let i = 0; i < flood; i++) {
      mute.data(2, sink.address.port, payload);
      if (i % 1000 === 0) {
        mute.data(2, healthy.address.port, payload);
        await sleep(0);
      }
      if (i % 20_000 === 0) {
        const s = await daemon.status();
        peak.rss = Math.max(peak.rss, s.rssBytes);
        peak.heap = Math.max(peak.heap, s.heapUsedBytes);
      }
    }
    const healthySent = Math.ceil(flood / 1000);
    await until('the healthy client to get its datagrams', () => healthyGot === healthySent, 30_000);
    await until('the flood to be handled', async () => {
      const s = await daemon.status();
      const d = dropsBetween(before.drops, s.drops);
      return (d.queueFull ?? 0) > 0 && (d.queueFull ?? 0) + 16 + 4096 >= flood - 16;
    }, 30_000);
    const after = await daemon.settledStatus();
    const drops = dropsBetween(before.drops, after.drops);
    peak.rss = Math.max(peak.rss, after.rssBytes);
    report('backpressure', {
      flood,
      sendsToMutePeer: Object.fromEntries(outcomes),
      mutePeerReceived: received,
      drops,
      rssMiB: `${(before.rssBytes / MiB).toFixed(1)}->${(after.rssBytes / MiB).toFixed(1)} (peak ${(peak.rss / MiB).toFixed(1)})`,
      heapUsedMiB: `${(before.heapUsedBytes / MiB).toFixed(1)}->${(after.heapUsedBytes / MiB).toFixed(1)} (peak ${(peak.heap / MiB).toFixed(1)})`,
      healthy: `${healthyGot}/${healthySent}`,
    });
    // Flow control: the mute peer got its window and the rest were refused, each counted.
    expect(outcomes.get('sent')).to.equal(received);
    expect((outcomes.get('sent') ?? 0) + (outcomes.get('QRTR_WOULD_BLOCK') ?? 0)).to.equal(flood / 10);
    expect(outcomes.get('QRTR_WOULD_BLOCK'), 'refused as would-block').to.be.greaterThan(0);
    // The stuck client: what its window and the socket queue could not hold was dropped, and counted.
    const queued = flood - (drops.queueFull ?? 0);
    expect(queued, 'datagrams held for the stuck client (window + socket queue)').to.be.at.most(16 + 4096 + 64);
    expect(healthyGot).to.equal(healthySent);
    // Bounded: the flood's size does not show in the heap.
    expect(after.heapUsedBytes - before.heapUsedBytes, 'heap growth').to.be.below(16 * MiB);
    expect(peak.rss - before.rssBytes, 'RSS peak over the start').to.be.below(64 * MiB);
    stuck.close();
    await mute.close();
  });
});
