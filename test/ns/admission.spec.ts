import { expect } from 'chai';
import { NameService, PerNodeAdmissionPolicy, DEFAULT_NS_LIMITS, type NsAdmissionPolicy, type NameServiceIncident } from '../../src/ns';
import { Router } from '../../src/router';
import { QRTR_PORT_CTRL, QrtrType, encodeControl, instanceWord } from '../../src/wire';
import { RawPeer, settle } from '../helpers/raw-peer';

describe('NS admission policy', () => {
  function world(limits: Partial<typeof DEFAULT_NS_LIMITS> | NsAdmissionPolicy) {
    const router = new Router();
    const ns = new NameService(router, limits);
    const incidents: NameServiceIncident[] = [];
    ns.incidents$.subscribe((i) => incidents.push(i));
    return { router, ns, incidents };
  }

  it('should cap the servers of one endpoint over all its nodes with NS_ENDPOINT_SERVER_LIMIT, and leave other endpoints their share', async () => {
    const { router, ns, incidents } = world({ serversPerNode: 4, serversPerEndpoint: 6 });
    const flooder = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
    for (const node of [7, 8]) for (let port = 1; port <= 4; port++) flooder.control({ type: QrtrType.NEW_SERVER, service: 15, instance: instanceWord(1, node), node, port });
    const honest = new RawPeer(router, { kind: 'mhi', key: 'b' }, 9);
    honest.announce(15, instanceWord(1, 9), 1);
    await settle();
    expect(ns.servers({ service: 15 }).filter((s) => s.endpoint === flooder.id)).to.have.length(6);
    expect(ns.servers({ service: 15 }).filter((s) => s.endpoint === honest.id)).to.have.length(1);
    expect(incidents.map((i) => i.error.code)).to.deep.equal(['NS_ENDPOINT_SERVER_LIMIT', 'NS_ENDPOINT_SERVER_LIMIT']);
    router.shutdown();
  });

  it('should cap the wire lookups of one local socket with NS_PORT_LOOKUP_LIMIT, and free them with the socket', async () => {
    const { router, ns, incidents } = world({ lookupsPerPort: 3 });
    const greedy = await router.openSocket();
    for (let i = 0; i < 5; i++) await greedy.send({ node: 1, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.NEW_LOOKUP, service: 100 + i }));
    const other = await router.openSocket();
    await other.send({ node: 1, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.NEW_LOOKUP, service: 100 }));
    await settle();
    expect(ns.stats().lookups).to.equal(4);
    expect(incidents.map((i) => [i.error.code, i.from.port])).to.deep.equal([
      ['NS_PORT_LOOKUP_LIMIT', greedy.address.port],
      ['NS_PORT_LOOKUP_LIMIT', greedy.address.port],
    ]);
    greedy.close();
    await settle();
    expect(ns.stats().lookups).to.equal(1);
    router.shutdown();
  });

  it('should take a policy object in place of the limits, so more dimensions can wrap the default', async () => {
    const base = new PerNodeAdmissionPolicy(DEFAULT_NS_LIMITS);
    const seen: number[] = [];
    const policy: NsAdmissionPolicy = {
      admitServer: (server, usage) => {
        seen.push(server.service);
        if (server.service === 666) throw new Error('not this one');
        base.admitServer(server, usage);
      },
      admitLookup: (usage) => base.admitLookup(usage),
    };
    const { router, ns } = world(policy);
    const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
    peer.announce(15, instanceWord(1, 0), 1);
    peer.announce(666, instanceWord(1, 0), 2);
    await settle();
    expect(seen).to.deep.equal([15, 666]);
    expect(ns.servers().map((s) => s.service)).to.deep.equal([15]);
    expect(ns.stats().internalErrors, 'a policy bug is contained and counted').to.equal(1);
    router.shutdown();
  });
});
