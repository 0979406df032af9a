import { expect } from 'chai';
import { QRTR_NODE_BCAST, QRTR_PORT_CTRL, QrtrType, encodeControl, encodePacket } from '../../src/wire';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';
import type { QrtrdErrorLike, QrtrMessage } from './imports';

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  try {
    await promise;
  } catch (err) {
    expect((err as QrtrdErrorLike).code).to.equal(code);
    return;
  }
  expect.fail(`expected rejection with ${code}`);
}

describe('Router', () => {
  describe('ports and sockets', () => {
    it('should allocate ephemeral ports lowest-free from 0x4000', async () => {
      const { router } = createHost();
      const a = await router.openSocket();
      const b = await router.openSocket();
      expect([a.address.port, b.address.port]).to.deep.equal([0x4000, 0x4001]);
      a.close();
      expect((await router.openSocket()).address.port).to.equal(0x4000);
      router.shutdown();
    });

    it('should reserve ports below 0x4000 and the control port for trusted owners', async () => {
      const { router } = createHost();
      await expectCode(router.openSocket({ port: 1 }), 'QRTR_PORT_PERMISSION');
      await expectCode(router.openSocket({ port: QRTR_PORT_CTRL }), 'QRTR_PORT_PERMISSION');
      expect(router.openSocketSync({ port: 1, trusted: true }).address.port).to.equal(1);
      await expectCode(router.openSocket({ port: 0x4000 + 5 }).then(() => router.openSocket({ port: 0x4005 })), 'QRTR_ADDRESS_IN_USE');
      router.shutdown();
    });

    it('should deliver locally with endpoint 1 and fail to unknown ports', async () => {
      const { router } = createHost();
      const a = await router.openSocket();
      const b = await router.openSocket();
      const got: QrtrMessage[] = [];
      b.messages$.subscribe((m) => got.push(m));
      await a.send({ node: 1, port: b.address.port }, new Uint8Array([1, 2, 3]));
      expect(got).to.have.length(1);
      expect(got[0].endpoint).to.equal(1);
      expect(got[0].from).to.deep.equal(a.address);
      await expectCode(a.send({ node: 1, port: 0x7000 }, new Uint8Array([1])), 'QRTR_NO_SUCH_PORT');
      router.shutdown();
    });

    it('should queue datagrams until someone receives them (pull)', async () => {
      const { router } = createHost();
      const a = await router.openSocket();
      const b = await router.openSocket();
      await a.send({ node: 1, port: b.address.port }, new Uint8Array([7]));
      await a.send({ node: 1, port: b.address.port }, new Uint8Array([8]));
      expect((await b.receive()).data[0]).to.equal(7);
      expect((await b.receive()).data[0]).to.equal(8);
      router.shutdown();
    });

    it('should broadcast DEL_CLIENT with a separate header per endpoint on close (§3.2, §7.3 #31)', async () => {
      const { router } = createHost();
      const a = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      const b = new RawPeer(router, { kind: 'mhi', key: 'b' }, 9);
      a.hello();
      b.hello();
      await settle();
      const socket = await router.openSocket();
      socket.close();
      await settle();
      const delA = a.controls(QrtrType.DEL_CLIENT);
      const delB = b.controls(QrtrType.DEL_CLIENT);
      expect(delA).to.have.length(1);
      expect(delB).to.have.length(1);
      expect(delA[0].header.dstNode).to.equal(7);
      expect(delB[0].header.dstNode).to.equal(9);
      expect([delA[0].node, delA[0].port]).to.deep.equal([1, socket.address.port]);
      router.shutdown();
    });

    it('should refuse broadcast to ports other than CTRL', async () => {
      const { router } = createHost();
      const s = await router.openSocket();
      await expectCode(s.send({ node: QRTR_NODE_BCAST, port: 5 }, new Uint8Array(4)), 'QRTR_BAD_DESTINATION');
      await expectCode(s.send({ node: 1, port: 0x4001 }, new Uint8Array(70000)), 'QRTR_MESSAGE_SIZE');
      router.shutdown();
    });
  });

  describe('control plane', () => {
    it('should greet a new endpoint with HELLO and not answer its HELLO again (no ping-pong)', async () => {
      const { router } = createHost();
      const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      await settle();
      expect(peer.controls(QrtrType.HELLO)).to.have.length(1);
      peer.hello();
      await settle();
      expect(peer.controls(QrtrType.HELLO)).to.have.length(1);
      // A later HELLO means the peer restarted: answer it.
      peer.hello();
      await settle();
      expect(peer.controls(QrtrType.HELLO)).to.have.length(2);
      router.shutdown();
    });

    it('should learn the node from traffic and route legacy sends to the first endpoint that claimed it', async () => {
      const { router } = createHost();
      const a = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      const b = new RawPeer(router, { kind: 'mhi', key: 'b' }, 7);
      a.hello();
      b.hello();
      await settle();
      expect(router.endpoints().map((e) => e.primaryNode)).to.deep.equal([7, 7]);
      expect(router.legacyEndpointOf(7)).to.equal(a.id);
      const s = await router.openSocket();
      await s.send({ node: 7, port: 1 }, new Uint8Array([1]));
      await s.send({ node: 7, port: 1 }, new Uint8Array([2]), { endpoint: b.id });
      await settle();
      expect(a.data().map((p) => p.payload[0])).to.deep.equal([1]);
      expect(b.data().map((p) => p.payload[0])).to.deep.equal([2]);
      a.detach();
      expect(router.legacyEndpointOf(7)).to.equal(b.id);
      router.shutdown();
    });

    it('should look one endpoint up by ID with the same snapshot endpoints() gives, and nothing once it detached', async () => {
      const { router } = createHost();
      const a = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      const b = new RawPeer(router, { kind: 'mhi', key: 'b' }, 9);
      a.hello();
      b.hello();
      await settle();
      expect(router.endpoint(b.id)).to.deep.equal(router.endpoints().find((e) => e.id === b.id));
      expect(router.endpoint(b.id)!.primaryNode).to.equal(9);
      // A snapshot: changing it does not reach the router's state.
      (router.endpoint(a.id)!.nodes as number[]).push(99);
      expect(router.endpoint(a.id)!.nodes).to.deep.equal([7]);
      b.detach();
      expect(router.endpoint(b.id)).to.equal(undefined);
      expect(router.endpoint(12345)).to.equal(undefined);
      router.shutdown();
    });

    it('should fail sends without a route with a typed error (ECONNRESET / ENXIO)', async () => {
      const { router } = createHost();
      const s = await router.openSocket();
      await expectCode(s.send({ node: 42, port: 1 }, new Uint8Array([1])), 'QRTR_NO_ROUTE');
      await expectCode(s.send({ node: 42, port: 1 }, new Uint8Array([1]), { endpoint: 9 }), 'QRTR_NO_ROUTE');
      router.shutdown();
    });

    it('should send BYE to the name service for every node of a detached endpoint, bridged ones included', async () => {
      const { router, ns } = createHost();
      const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      peer.announce(69, 0x101, 1);
      peer.announce(15, 0x1, 2, 8); // a server on node 8 behind node 7
      await settle();
      expect(ns.servers().map((s) => s.node).sort()).to.deep.equal([7, 8]);
      peer.detach();
      await settle();
      expect(ns.servers()).to.deep.equal([]);
      expect(ns.stats().nodes).to.equal(0);
      router.shutdown();
    });

    it('should clean up servers, lookups, flows and ports on detach with nothing leaked', async () => {
      const { router, ns } = createHost();
      for (let round = 0; round < 3; round++) {
        const peer = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
        peer.announce(69, 0x101, 1);
        await settle();
        const client = await router.openSocket();
        client.bindEndpoint(peer.id);
        for (let i = 0; i < 12; i++) void client.send({ node: 7, port: 1 }, new Uint8Array([i])).catch(() => undefined);
        peer.detach();
        client.close();
        await settle();
      }
      expect(ns.stats()).to.include({ servers: 0, nodes: 0, lookups: 0 });
      expect(router.endpoints()).to.deep.equal([]);
      expect(router.endpointIds.size).to.equal(0);
      expect(router.portCount).to.equal(1); // the name service
      router.shutdown();
    });
  });

  describe('hostile inputs (reference §7.1)', () => {
    async function dropped(send: (peer: RawPeer) => void): Promise<Record<string, number>> {
      const { router } = createHost();
      const peer = new RawPeer(router, { kind: 'mhi', key: 'evil' }, 7);
      peer.hello();
      await settle();
      send(peer);
      await settle();
      const counters = router.endpoints()[0].counters.dropped;
      router.shutdown();
      return counters;
    }

    it('should count malformed packets and keep the link (#1-#8)', async () => {
      const counters = await dropped((p) => {
        p.sendRaw(new Uint8Array(0));
        p.sendRaw(new Uint8Array(33));
        p.sendRaw(new Uint8Array([9, 0, 0, 0]));
      });
      expect(counters.malformed).to.equal(3);
    });

    it('should reject NEW_SERVER and RESUME_TX shorter than 20 bytes (#9) and other short controls (#10)', async () => {
      const counters = await dropped((p) => {
        for (const type of [QrtrType.NEW_SERVER, QrtrType.RESUME_TX, QrtrType.BYE, QrtrType.DEL_CLIENT]) {
          p.send({ type, srcPort: QRTR_PORT_CTRL, dstPort: QRTR_PORT_CTRL }, new Uint8Array([type, 0, 0, 0, 1, 0, 0, 0]));
        }
      });
      expect(counters.malformed).to.equal(4);
    });

    it('should drop control types not addressed to the control port (#11)', async () => {
      const counters = await dropped((p) => p.send({ type: QrtrType.NEW_SERVER, srcPort: 1, dstPort: 0x4000 }, encodeControl({ type: QrtrType.NEW_SERVER, service: 1, port: 1, node: 7 })));
      expect(counters.controlNotToControlPort).to.equal(1);
    });

    it('should drop DATA addressed to the control port instead of parsing it as a command (#13)', async () => {
      const counters = await dropped((p) => p.send({ type: QrtrType.DATA, srcPort: 1, dstPort: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.DEL_SERVER, service: 1, node: 7, port: 1 })));
      expect(counters.dataToControlPort).to.equal(1);
    });

    it('should drop unknown types 0, 12, 13 and above (#14)', async () => {
      const counters = await dropped((p) => {
        for (const type of [0, 12, 13, 14, 200]) p.send({ type, srcPort: QRTR_PORT_CTRL, dstPort: QRTR_PORT_CTRL }, encodeControl({ type }));
      });
      expect(counters.unknownType).to.equal(5);
    });

    it('should drop packets claiming the local node, the broadcast node, or another endpoint\'s node (#15, #16)', async () => {
      const { router, ns } = createHost();
      const good = new RawPeer(router, { kind: 'mhi', key: 'good' }, 5);
      good.announce(69, 0x101, 1);
      const evil = new RawPeer(router, { kind: 'mhi', key: 'evil' }, 7);
      evil.hello();
      await settle();
      evil.announce(15, 1, 3, 1); // srcNode=7, but payload says local node 1
      evil.control({ type: QrtrType.NEW_SERVER, service: 15, instance: 1, node: 1, port: 3 }, { srcNode: 1 });
      evil.control({ type: QrtrType.HELLO }, { srcNode: QRTR_NODE_BCAST });
      evil.announce(15, 1, 3, 5); // forwarding a server "behind" node 5, which belongs to good
      await settle();
      const counters = router.endpoints().find((e) => e.id === evil.id)!.counters.dropped;
      expect(counters.spoofedNode).to.equal(4);
      expect(ns.servers().map((s) => [s.endpoint, s.node])).to.deep.equal([[good.id, 5]]);
      router.shutdown();
    });

    it('should ignore RESUME_TX for unknown (node, port) (#17) and drop remote NEW_LOOKUP/DEL_LOOKUP (#24)', async () => {
      const counters = await dropped((p) => {
        p.control({ type: QrtrType.RESUME_TX, node: 0xffff0000, port: 5 });
        p.control({ type: QrtrType.NEW_LOOKUP, service: 0 });
        p.control({ type: QrtrType.DEL_LOOKUP, service: 0 });
      });
      expect(counters.remoteLookup).to.equal(2);
    });

    it('should cap the node ids one endpoint may present (#16 flood)', async () => {
      const { router } = createHost({ limits: { nodesPerEndpoint: 4 } as never });
      const peer = new RawPeer(router, { kind: 'mhi', key: 'flood' }, 7);
      for (let n = 100; n < 110; n++) peer.announce(15, 1, 1, n);
      await settle();
      expect(router.endpoints()[0].nodes).to.have.length(4);
      expect(router.endpoints()[0].counters.dropped.nodeLimit).to.equal(7);
      router.shutdown();
    });

    it('should accept v2 packets from a link', async () => {
      const { router } = createHost();
      const peer = new RawPeer(router, { kind: 'mhi', key: 'v2' }, 7);
      const s = await router.openSocket();
      const got: number[] = [];
      s.messages$.subscribe((m) => got.push(m.data[0]));
      peer.send({ version: 2, srcPort: 3, dstPort: s.address.port }, new Uint8Array([42]));
      await settle();
      expect(got).to.deep.equal([42]);
      router.shutdown();
    });

    it('should count packets addressed to another node (#19) but deliver them by port as mainline does', async () => {
      const { router } = createHost();
      const peer = new RawPeer(router, { kind: 'mhi', key: 'm' }, 7);
      const s = await router.openSocket();
      peer.sendRaw(encodePacket({ type: QrtrType.DATA, srcNode: 7, srcPort: 1, dstNode: 99, dstPort: s.address.port }, new Uint8Array([1])));
      await settle();
      expect((await s.receive()).data[0]).to.equal(1);
      expect(router.endpoints()[0].counters.dropped.misaddressed).to.equal(1);
      router.shutdown();
    });
  });
});

describe('Router: local delivery', () => {
  it('should let two local sockets answer each other from their subscribers 100000 times without growing the stack', async () => {
    const { router } = createHost();
    const a = await router.openSocket();
    const b = await router.openSocket();
    let bounces = 0;
    const order: number[] = [];
    b.messages$.subscribe((m) => void b.send(m.from, m.data));
    a.messages$.subscribe((m) => {
      if (order.length < 5) order.push(m.data[0]);
      if (++bounces < 100_000) void a.send(b.address, new Uint8Array([bounces & 0xff]));
    });
    await a.send(b.address, new Uint8Array([0]));
    expect(bounces).to.equal(100_000);
    expect(order).to.deep.equal([0, 1, 2, 3, 4], 'deferred deliveries keep their order');
    router.shutdown();
  });
});
