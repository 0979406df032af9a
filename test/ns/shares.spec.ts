import { expect } from 'chai';
import { NameService, type LookupEvent, type NameServiceIncident } from '../../src/ns';
import { Router, type QrtrSocket } from '../../src/router';
import { QRTR_PORT_CTRL, QrtrType, encodeControl, instanceWord } from '../../src/wire';
import { RawPeer, settle } from '../helpers/raw-peer';

function world(limits: ConstructorParameters<typeof NameService>[1]) {
  const router = new Router();
  const ns = new NameService(router, limits);
  const incidents: NameServiceIncident[] = [];
  ns.incidents$.subscribe((i) => incidents.push(i));
  const codes = () => incidents.map((i) => i.error.code);
  return { router, ns, incidents, codes };
}

function newLookup(socket: QrtrSocket, service: number): Promise<void> {
  return socket.send({ node: 1, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.NEW_LOOKUP, service }));
}

describe('NS shares, reserves and peer rows (issue #18)', () => {
  it('should refuse a remote NEW_SERVER naming node 0 from another node with NS_NODE_ZERO, count it and never store it; a node-0 modem keeps its own', async () => {
    const { router, ns, codes } = world({});
    const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
    peer.announce(15, instanceWord(1, 0), 1, 0);
    peer.announce(15, instanceWord(1, 0), 2);
    await settle();
    expect(ns.servers({ service: 15 }).map((s) => [s.node, s.port])).to.deep.equal([[7, 2]]);
    expect(codes()).to.deep.equal(['NS_NODE_ZERO']);
    expect(ns.stats().rejected).to.equal(1);
    expect(ns.registry.hasNode(peer.id, 0)).to.equal(false);
    // A peer that is node 0 itself (a modem at node 0) announces its own servers there; they go with it.
    const modem = new RawPeer(router, { kind: 'bam-dmux', key: 'modem' }, 0);
    modem.announce(26, instanceWord(1, 0), 5, 0);
    await settle();
    expect(ns.servers({ service: 26 }).map((s) => [s.endpoint, s.node, s.port])).to.deep.equal([[modem.id, 0, 5]]);
    expect(codes()).to.deep.equal(['NS_NODE_ZERO']);
    modem.detach();
    await settle();
    expect(ns.servers({ service: 26 })).to.deep.equal([]);
    router.shutdown();
  });

  it('should remove every row a peer created when it leaves: 20 peers, rows on nodes the router never learned, none stale', async () => {
    const { router, ns } = world({});
    const watcher: LookupEvent[] = [];
    ns.lookup$({ service: 0 }).subscribe((e) => watcher.push(e));
    for (let round = 0; round < 2; round++) {
      const peers = Array.from({ length: 20 }, (_, i) => new RawPeer(router, { kind: 'remote', key: `peer-${round}-${i}` }, 7));
      peers.forEach((peer, i) => {
        peer.announce(69, instanceWord(1, i), 1); // its own node (learned by the router)
        peer.announce(70, instanceWord(1, i), 2, 100 + i); // a node it never sent from (no BYE for it)
        peer.announce(71, instanceWord(1, i), 3, 0); // node 0: refused (NS_NODE_ZERO)
      });
      await settle();
      expect(ns.stats().servers).to.equal(40);
      expect(ns.stats().nodes).to.equal(40);
      for (const peer of peers) peer.detach();
      await settle();
      expect(ns.stats(), `round ${round}`).to.include({ servers: 0, nodes: 0 });
      expect(ns.servers()).to.deep.equal([]);
      for (const peer of peers) expect(ns.registry.nodesOf(peer.id)).to.deep.equal([]);
    }
    const adds = watcher.filter((e) => e.type === 'add').length;
    const removes = watcher.filter((e) => e.type === 'remove').length;
    expect([adds, removes], 'every row announced is retracted to watchers').to.deep.equal([80, 80]);
    router.shutdown();
  });

  it('should give each link its share of the node table and keep a reserve so a bridged flood cannot starve an honest card', async () => {
    // 64 node records; 16 per link; the last 8 only for links holding fewer than 2 nodes.
    const { router, ns, codes } = world({ nodes: 64, nodesPerEndpoint: 16, nodeReserve: 8, nodeReserveShare: 2 });
    // Each bridge presents node ids of its own (the router refuses a node id another link claimed).
    const bridges = Array.from({ length: 5 }, (_, i) => new RawPeer(router, { kind: 'remote', key: `bridge-${i}` }, 100 * (i + 1)));
    bridges.forEach((bridge, i) => {
      for (let node = 1; node <= 20; node++) bridge.announce(15, instanceWord(1, node), 1, 100 * (i + 1) + node);
    });
    await settle();
    const held = bridges.map((b) => ns.registry.nodesOf(b.id).length);
    // Bridges 0-2 get their 16; bridge 3 fills the shared part (56) with 8 and takes none of
    // the reserve (it holds >= 2); bridge 4 takes 2 reserve slots while it holds fewer than 2.
    expect(held).to.deep.equal([16, 16, 16, 8, 2]);
    const honest = new RawPeer(router, { kind: 'mhi', key: 'card' }, 9);
    honest.announce(69, instanceWord(1, 0), 1);
    await settle();
    expect(ns.servers({ service: 69 }).map((s) => s.endpoint)).to.deep.equal([honest.id]);
    const count = (code: string) => codes().filter((c) => c === code).length;
    expect(count('NS_ENDPOINT_NODE_LIMIT'), 'bridges 0-2: nodes 17-20').to.equal(12);
    expect(count('NS_NODE_RESERVE'), 'bridge 3 past 8 and bridge 4 past 2').to.equal(12 + 18);
    expect(count('NS_NODE_LIMIT')).to.equal(0);
    expect(ns.stats().nodes).to.equal(16 * 3 + 8 + 2 + 1);
    router.shutdown();
  });

  it('should bound the server table in all and keep its reserve for links with few servers', async () => {
    const { router, ns, codes } = world({ servers: 40, serversPerEndpoint: 16, serverReserve: 8, serverReserveShare: 4 });
    const floods = Array.from({ length: 3 }, (_, i) => new RawPeer(router, { kind: 'remote', key: `flood-${i}` }, 10 + i));
    for (const f of floods) for (let port = 1; port <= 20; port++) f.announce(15, instanceWord(1, port), port);
    await settle();
    // 40 in all, the last 8 kept: two floods take the shared 32, the third only 4 reserve slots.
    expect(floods.map((f) => ns.registry.serversOf(f.id).length)).to.deep.equal([16, 16, 4]);
    const honest = new RawPeer(router, { kind: 'mhi', key: 'card' }, 9);
    for (let port = 1; port <= 5; port++) honest.announce(69, instanceWord(1, 0), port);
    await settle();
    expect(ns.registry.serversOf(honest.id), 'the honest card gets the rest of the reserve').to.have.length(4);
    const count = (code: string) => codes().filter((c) => c === code).length;
    expect(count('NS_ENDPOINT_SERVER_LIMIT')).to.equal(4 + 4);
    expect(count('NS_SERVER_RESERVE')).to.equal(16);
    expect(count('NS_SERVER_TABLE_LIMIT')).to.equal(1);
    router.shutdown();
  });

  it('should bound one origin over every path (wire lookups of its ports and lookup$ together), and keep a reserve of the table', async () => {
    const { router, ns, codes } = world({ lookups: 24, lookupsPerPort: 8, lookupsPerOrigin: 10, lookupReserve: 4, lookupReserveShare: 2 });
    // One user, two sockets and an in-process lookup: 10 in all, whatever the path.
    const a = await router.openSocket();
    const b = await router.openSocket();
    ns.attributePort(a.address.port, 'uid 1000');
    ns.attributePort(b.address.port, 'uid 1000');
    for (let i = 0; i < 6; i++) await newLookup(a, 100 + i);
    for (let i = 0; i < 6; i++) await newLookup(b, 200 + i);
    await settle();
    expect(ns.registry.lookupsOfOrigin('uid 1000')).to.equal(10);
    const errors: string[] = [];
    ns.lookup$({ service: 300 }, { origin: 'uid 1000' }).subscribe({ error: (e: { code: string }) => errors.push(e.code) });
    expect(errors).to.deep.equal(['NS_ORIGIN_LOOKUP_LIMIT']);
    expect(codes()).to.deep.equal(['NS_ORIGIN_LOOKUP_LIMIT', 'NS_ORIGIN_LOOKUP_LIMIT']);
    // Others fill the shared part (24 - 4 = 20): 10 more from two unattributed sockets.
    const c = await router.openSocket();
    const d = await router.openSocket();
    for (let i = 0; i < 8; i++) await newLookup(c, 400 + i);
    for (let i = 0; i < 4; i++) await newLookup(d, 500 + i);
    await settle();
    expect(ns.stats().lookups).to.equal(20);
    expect(codes().slice(2)).to.deep.equal(['NS_LOOKUP_RESERVE', 'NS_LOOKUP_RESERVE']);
    // A newcomer still gets its first lookups from the reserve; a holder cannot.
    const newcomer = await router.openSocket();
    await newLookup(newcomer, 600);
    await newLookup(newcomer, 601);
    await newLookup(newcomer, 602);
    await settle();
    expect(ns.registry.lookupsOfOrigin(ns.originOfPort(newcomer.address.port))).to.equal(2);
    const events: LookupEvent[] = [];
    ns.lookup$({ service: 700 }, { origin: 'uid 2000' }).subscribe((e) => events.push(e));
    expect(events.map((e) => e.type)).to.deep.equal(['snapshot']);
    // Closing a port frees its lookups and forgets its origin.
    a.close();
    b.close();
    await settle();
    expect(ns.registry.lookupsOfOrigin('uid 1000')).to.equal(0);
    expect(ns.originOfPort(a.address.port)).to.not.equal('uid 1000');
    router.shutdown();
  });
});

describe('NS shares at their defaults (the refusals of issue #18)', () => {
  it('should keep an honest card registrable while 17 links each present 255 bridged node ids', async () => {
    const { router, ns, codes } = world({});
    const bridges = Array.from({ length: 17 }, (_, i) => new RawPeer(router, { kind: 'remote', key: `bridge-${i}` }, 1000 * (i + 1)));
    bridges.forEach((bridge, i) => {
      for (let n = 0; n < 255; n++) bridge.announce(15, instanceWord(1, n), 1, 1000 * (i + 1) + n);
    });
    await settle();
    expect(ns.stats().nodes).to.be.lessThan(4096);
    const honest = new RawPeer(router, { kind: 'mhi', key: 'card' }, 9);
    honest.announce(69, instanceWord(1, 0), 1);
    await settle();
    expect(ns.servers({ service: 69 }).map((s) => s.endpoint)).to.deep.equal([honest.id]);
    expect(codes()).to.not.include('NS_NODE_LIMIT');
    expect(codes()).to.include('NS_NODE_RESERVE');
    router.shutdown();
  });

  it('should keep lookups for everyone else while one origin sends 4,100 NEW_LOOKUP as DATA over 20 sockets', async () => {
    const { router, ns, codes } = world({});
    const sockets = await Promise.all(Array.from({ length: 20 }, () => router.openSocket()));
    for (const s of sockets) ns.attributePort(s.address.port, 'uid 1000');
    for (let i = 0; i < 4100; i++) await newLookup(sockets[i % 20], 1000 + i);
    await settle();
    expect(ns.registry.lookupsOfOrigin('uid 1000')).to.equal(256);
    expect(codes().filter((c) => c === 'NS_ORIGIN_LOOKUP_LIMIT')).to.have.length(4100 - 256);
    const other = await router.openSocket();
    const answers: number[] = [];
    other.messages$.subscribe((m) => answers.push(m.data.length));
    await newLookup(other, 69);
    await settle();
    expect(answers, 'the end-of-listing sentinel arrives').to.have.length(1);
    const events: LookupEvent[] = [];
    ns.lookup$({ service: 69 }, { origin: 'uid 2000' }).subscribe((e) => events.push(e));
    expect(events.map((e) => e.type)).to.deep.equal(['snapshot']);
    router.shutdown();
  });
});
