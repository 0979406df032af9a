import { expect } from 'chai';
import { QrtrType } from '../../src/wire';
import { SocketPeer } from '../helpers/socket-peer';
import { DaemonUnderTest, describeSoak, dropsBetween, holdingsOf, leaksOf, report, scale, sleep, until } from './soak-harness';

/** How one churning remote node behaves before it goes (issue #14's mix). */
const BEHAVIOURS = ['bye', 'no-bye', 'mid-packet', 'hello-only', 'wlfw-gone'] as const;
type Behaviour = (typeof BEHAVIOURS)[number];

const STEADY_NODE = 9;
const STEADY_PORT = 1;
/** Where churning nodes send their one datagram: no socket there (counted as noSuchPort). */
const UNUSED_PORT = 0x7ff0;

async function churnOnce(path: string, behaviour: Behaviour): Promise<void> {
  const peer = await SocketPeer.connect(path, 7);
  peer.keepReceived = false;
  // Like a real node, wait for the router's HELLO (else the router's write may find the socket gone first).
  const greeted = peer.next((p) => p.type === QrtrType.HELLO);
  peer.hello();
  await greeted;
  switch (behaviour) {
    case 'bye':
      peer.data(1, UNUSED_PORT, new Uint8Array(16));
      peer.bye();
      await peer.close();
      return;
    case 'no-bye':
      peer.data(1, UNUSED_PORT, new Uint8Array(16));
      await peer.close();
      return;
    case 'mid-packet':
      peer.cutMidPacket(1, UNUSED_PORT);
      await peer.closed;
      return;
    case 'hello-only':
      await peer.close();
      return;
    case 'wlfw-gone':
      // The reproduction: WLFW (69) v1 instance 7 on node 7, one datagram, gone.
      {
        // The loaders' first QMI request proves they took the card (and reserved its endpoint).
        const asked = peer.next((p) => p.type === QrtrType.DATA && p.dstPort === 1);
        peer.announce(69, 1, 7, 1);
        peer.data(1, UNUSED_PORT, new Uint8Array(16));
        await asked;
      }
      await peer.close();
      return;
  }
}

describeSoak('soak: remote-node churn over --listen', { short: 60_000, long: 900_000 }, (daemonOf) => {
  let daemon: DaemonUnderTest;
  beforeEach(() => {
    daemon = daemonOf();
  });

  it('should leave nothing behind after attach/detach cycles while a steady peer loses nothing', async () => {
    const cycles = scale(500, 10_000);
    const concurrency = 4;
    // The steady peer: sends sequence numbers to a local client, which echoes each back.
    const steady = await SocketPeer.connect(daemon.listenPath, STEADY_NODE);
    steady.keepReceived = false;
    steady.autoResume = true;
    steady.hello();
    const local = await daemon.conn.openSocket();
    const echoed = new Set<number>();
    let receivedByLocal = 0;
    local.messages$.subscribe((m) => {
      receivedByLocal++;
      void local.send({ node: STEADY_NODE, port: STEADY_PORT }, m.data);
    });
    steady.onData = (p) => echoed.add(new DataView(p.payload.buffer, p.payload.byteOffset, 4).getUint32(0, true));
    let sent = 0;
    const sendOne = (): void => {
      const payload = new Uint8Array(4);
      new DataView(payload.buffer).setUint32(0, sent++, true);
      steady.data(STEADY_PORT, local.address.port, payload);
    };
    sendOne();
    await until('the steady exchange to start', () => echoed.size === 1);

    // Warm up until V8's young generation has grown to its working size (heapTotal
    // rises from ~30 to ~47 MiB in the first ~2,000 cycles while heapUsed stays
    // flat; longer under the long form's faster pace), then take the baseline every leak and the RSS are measured against.
    const warmUp = scale(1500, 5000);
    for (let i = 0; i < warmUp; i++) await churnOnce(daemon.listenPath, BEHAVIOURS[i % BEHAVIOURS.length]);
    await until('the warm-up to drain', async () => (await daemon.status()).endpoints.length === 1);
    const before = await daemon.settledStatus();
    const baseline = holdingsOf(before);

    const started = Date.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cycles) {
        const i = next++;
        await churnOnce(daemon.listenPath, BEHAVIOURS[i % BEHAVIOURS.length]);
        if (i % 4 === 0) sendOne();
        if (daemon.died) throw new Error(daemon.died);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const churnMs = Date.now() - started;

    await until('the last detaches and the echoes', async () => (await daemon.status()).endpoints.length === 1 && echoed.size === sent, 20_000);
    // Grace periods of reservations (none expected here) and the allocator settle.
    await sleep(200);
    const after = await daemon.settledStatus();
    const leaks = leaksOf(baseline, holdingsOf(after));
    const rssGrowth = (after.rssBytes - before.rssBytes) / before.rssBytes;
    const heapGrowth = (after.heapUsedBytes - before.heapUsedBytes) / before.heapUsedBytes;
    report('remote-churn', {
      cycles,
      ms: churnMs,
      cyclesPerSecond: Math.round((cycles / churnMs) * 1000),
      leaks,
      steadySent: sent,
      steadyLost: sent - echoed.size,
      rssStartMiB: +(before.rssBytes / 2 ** 20).toFixed(1),
      rssEndMiB: +(after.rssBytes / 2 ** 20).toFixed(1),
      rssGrowthPct: +(rssGrowth * 100).toFixed(1),
      heapUsedMiB: `${(before.heapUsedBytes / 2 ** 20).toFixed(1)}->${(after.heapUsedBytes / 2 ** 20).toFixed(1)}`,
      retiredKeys: after.endpointIds.keysRetired - before.endpointIds.keysRetired,
      reservationsRetired: after.endpointIds.retired - before.endpointIds.retired,
      drops: dropsBetween(before.drops, after.drops),
    });
    expect(daemon.died, 'the daemon is alive').to.equal(undefined);
    expect(leaks, 'leaked objects (name: count above the baseline)').to.deep.equal({});
    expect(after.endpointIds.refusedQuota, 'reservations refused for quota').to.equal(0);
    expect(after.endpointIds.retired - before.endpointIds.retired, 'WLFW reservations retired (ath11k and ath12k both take instance 7)').to.be.at.least(cycles / BEHAVIOURS.length);
    expect(sent - echoed.size, 'datagrams the steady peer lost').to.equal(0);
    expect(receivedByLocal).to.equal(sent);
    expect(rssGrowth, 'RSS growth over the churn').to.be.below(0.1);
    expect(heapGrowth, 'V8 heap (used) growth over the churn').to.be.below(0.1);
    local.close();
    await steady.close();
  });
},
// The churned WLFW peer is a bare node; like the kernel, the loaders need the card's PCI ids to take
// instance 7 (ath11k QCN9074; ath12k declines it), given as the peer's identity.
{ cardIdentities: [{ instance: 7, vendor: '0x17cb', device: '0x1104' }] });
