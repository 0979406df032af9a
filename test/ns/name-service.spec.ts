import { expect } from 'chai';
import { QRTR_PORT_CTRL, QrtrType, decodeControl, encodeControl, instanceWord } from '../../src/wire';
import type { LookupEvent } from '../../src/ns';
import type { QrtrMessage, QrtrSocket } from '../../src/router';
import { createHost, publish } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';

function ctrl(socket: QrtrSocket, type: number, fields: { service?: number; instance?: number; node?: number; port?: number } = {}): Promise<void> {
  return socket.send({ node: socket.address.node, port: QRTR_PORT_CTRL }, encodeControl({ type, ...fields }));
}

function decoded(messages: QrtrMessage[]) {
  return messages.map((m) => ({ ...decodeControl(m.data), endpoint: m.endpoint, from: m.from }));
}

describe('NameService', () => {
  describe('wire protocol (reference §4.3)', () => {
    it('should answer NEW_LOOKUP with matches tagged by endpoint, then the all-zero sentinel from endpoint 0, then live updates', async () => {
      const { router } = createHost();
      const a = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      a.announce(69, instanceWord(1, 1), 1);
      await settle();
      const client = await router.openSocket();
      const got: QrtrMessage[] = [];
      client.messages$.subscribe((m) => got.push(m));
      await ctrl(client, QrtrType.NEW_LOOKUP, { service: 69, instance: 0 });
      const b = new RawPeer(router, { kind: 'mhi', key: 'b' }, 7);
      b.announce(69, instanceWord(1, 1), 1);
      await settle();
      const list = decoded(got);
      expect(list.map((p) => [p.type, p.service, p.node, p.port, p.endpoint])).to.deep.equal([
        [QrtrType.NEW_SERVER, 69, 7, 1, a.id],
        [QrtrType.NEW_SERVER, 0, 0, 0, 0],
        [QrtrType.NEW_SERVER, 69, 7, 1, b.id],
      ]);
      expect(list.every((p) => p.from.port === QRTR_PORT_CTRL && p.from.node === 1)).to.equal(true);
      b.detach();
      await settle();
      expect(decoded(got).slice(3).map((p) => [p.type, p.endpoint])).to.deep.equal([[QrtrType.DEL_SERVER, b.id]]);
      router.shutdown();
    });

    it('should match instance 0 as a wildcard and a nonzero instance word exactly (§4.4)', async () => {
      const { router } = createHost();
      const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      peer.announce(69, instanceWord(1, 1), 1);
      peer.announce(69, instanceWord(1, 7), 2);
      peer.announce(69, instanceWord(2, 7), 3);
      await settle();
      const client = await router.openSocket();
      const got: QrtrMessage[] = [];
      client.messages$.subscribe((m) => got.push(m));
      await ctrl(client, QrtrType.NEW_LOOKUP, { service: 69, instance: instanceWord(1, 7) });
      expect(decoded(got).map((p) => p.port)).to.deep.equal([2, 0]);
      got.length = 0;
      await ctrl(client, QrtrType.NEW_LOOKUP, { service: 0, instance: 0 });
      expect(decoded(got).map((p) => p.port)).to.deep.equal([1, 2, 3, 0]);
      router.shutdown();
    });

    it('should restrict a lookup to the endpoint the requesting socket is bound to', async () => {
      const { router } = createHost();
      const a = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      const b = new RawPeer(router, { kind: 'mhi', key: 'b' }, 7);
      a.announce(69, 0x101, 1);
      b.announce(69, 0x101, 1);
      await settle();
      const client = await router.openSocket();
      client.bindEndpoint(b.id);
      const got: QrtrMessage[] = [];
      client.messages$.subscribe((m) => got.push(m));
      await ctrl(client, QrtrType.NEW_LOOKUP, { service: 69 });
      expect(decoded(got).map((p) => [p.port, p.endpoint])).to.deep.equal([
        [1, b.id],
        [0, 0],
      ]);
      router.shutdown();
    });

    it('should override node and port of a local NEW_SERVER with the sender (#22) and broadcast it to every endpoint', async () => {
      const { router, ns } = createHost();
      const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      peer.hello();
      await settle();
      const service = await router.openSocket();
      await ctrl(service, QrtrType.NEW_SERVER, { service: 15, instance: 0x1, node: 99, port: 1234 });
      await settle();
      expect(ns.servers()).to.deep.equal([{ service: 15, version: 1, instance: 0, node: 1, port: service.address.port, endpoint: 1 }]);
      const announced = peer.controls(QrtrType.NEW_SERVER);
      expect(announced.map((p) => [p.service, p.node, p.port])).to.deep.equal([[15, 1, service.address.port]]);
      router.shutdown();
    });

    it('should tell every newly attached remote about all local servers: 100 services, 3 rounds, none missing or duplicated', async () => {
      const { router } = createHost();
      const sockets: QrtrSocket[] = [];
      for (let i = 0; i < 100; i++) {
        const s = await router.openSocket();
        await publish(s, 1000 + i, 1, i);
        sockets.push(s);
      }
      for (let round = 0; round < 3; round++) {
        const peer = new RawPeer(router, { kind: 'mhi', key: `round-${round}` }, 7);
        peer.hello();
        await settle();
        const services = peer.controls(QrtrType.NEW_SERVER).map((p) => p.service).sort((x, y) => x - y);
        expect(services).to.deep.equal(Array.from({ length: 100 }, (_, i) => 1000 + i));
        peer.detach();
        await settle();
      }
      router.shutdown();
    });

    it('should delete servers on DEL_CLIENT without broadcasting DEL_SERVER, and forward DEL_CLIENT to local servers', async () => {
      const { router, ns } = createHost();
      const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      peer.announce(69, 0x101, 4);
      const service = await router.openSocket();
      await publish(service, 15, 1, 0);
      const got: QrtrMessage[] = [];
      service.messages$.subscribe((m) => got.push(m));
      await settle();
      peer.control({ type: QrtrType.DEL_CLIENT, node: 7, port: 4 });
      await settle();
      expect(ns.servers().map((s) => s.service)).to.deep.equal([15]);
      expect(decoded(got).map((p) => [p.type, p.node, p.port, p.endpoint])).to.deep.equal([[QrtrType.DEL_CLIENT, 7, 4, peer.id]]);
      expect(peer.controls(QrtrType.DEL_SERVER)).to.have.length(0);
      router.shutdown();
    });

    it('should reject DEL_CLIENT naming another node (#23), a local one naming another port, and local BYE (#25)', async () => {
      const { router, ns } = createHost();
      const victim = await router.openSocket();
      await publish(victim, 15, 1, 0);
      const attacker = await router.openSocket();
      await ctrl(attacker, QrtrType.DEL_CLIENT, { node: 1, port: victim.address.port });
      await ctrl(attacker, QrtrType.BYE, { node: 1 });
      const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      peer.control({ type: QrtrType.DEL_CLIENT, node: 1, port: victim.address.port });
      peer.control({ type: QrtrType.DEL_SERVER, service: 15, node: 1, port: victim.address.port });
      await settle();
      expect(ns.servers()).to.have.length(1);
      // The peer's DEL_SERVER finds nothing in its own (endpoint, node) space: refused as NS_NO_SUCH_SERVER.
      expect(ns.stats().rejected).to.equal(4);
      router.shutdown();
    });

    it('should remove lookups on DEL_LOOKUP and on DEL_CLIENT of their owner', async () => {
      const { router, ns } = createHost();
      const client = await router.openSocket();
      await ctrl(client, QrtrType.NEW_LOOKUP, { service: 69 });
      await ctrl(client, QrtrType.NEW_LOOKUP, { service: 15 });
      expect(ns.stats().lookups).to.equal(2);
      await ctrl(client, QrtrType.DEL_LOOKUP, { service: 69 });
      expect(ns.stats().lookups).to.equal(1);
      client.close();
      expect(ns.stats().lookups).to.equal(0);
      router.shutdown();
    });

    it('should replace a re-registered (node, port) silently without counter drift (#26)', async () => {
      const { router, ns } = createHost();
      const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      for (let i = 0; i < 5; i++) peer.announce(69, 0x101, 1);
      await settle();
      expect(ns.stats()).to.include({ servers: 1, nodes: 1 });
      peer.control({ type: QrtrType.BYE });
      await settle();
      expect(ns.stats()).to.include({ servers: 0, nodes: 0 });
      router.shutdown();
    });

    it('should ignore NEW_SERVER with service 0 or port 0 (#21) and cap servers per node (#20)', async () => {
      const { router, ns } = createHost();
      const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      peer.announce(0, 1, 1);
      peer.announce(5, 1, 0);
      for (let port = 1; port <= 300; port++) peer.announce(69, 0x101, port);
      peer.announce(69, instanceWord(2, 1), 1); // replacing stays allowed at the cap
      await settle();
      expect(ns.stats().servers).to.equal(256);
      expect(ns.stats().rejected).to.equal(2 + 44);
      expect(ns.servers({ service: 69, version: 2 }).map((s) => s.port)).to.deep.equal([1]);
      router.shutdown();
    });

    it('should send BYE for a departed remote node to every local server', async () => {
      const { router } = createHost();
      const service = await router.openSocket();
      await publish(service, 15, 1, 0);
      const got: QrtrMessage[] = [];
      service.messages$.subscribe((m) => got.push(m));
      const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      peer.hello();
      await settle();
      peer.detach();
      await settle();
      expect(decoded(got).map((p) => [p.type, p.node, p.endpoint])).to.deep.equal([[QrtrType.BYE, 7, peer.id]]);
      router.shutdown();
    });
  });

  describe('in-process API', () => {
    it('should emit a snapshot, then add and remove events, from lookup$', async () => {
      const { router, ns } = createHost();
      const a = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      a.announce(69, 0x101, 1);
      await settle();
      const events: LookupEvent[] = [];
      const sub = ns.lookup$({ service: 69 }).subscribe((e) => events.push(e));
      const b = new RawPeer(router, { kind: 'mhi', key: 'b' }, 7);
      b.announce(69, 0x101, 1);
      await settle();
      b.detach();
      sub.unsubscribe();
      expect(events.map((e) => (e.type === 'snapshot' ? `snapshot:${e.servers.length}` : `${e.type}:${e.server.endpoint}`))).to.deep.equal([
        'snapshot:1',
        `add:${b.id}`,
        `remove:${b.id}`,
      ]);
      expect(ns.stats().lookups).to.equal(0);
      router.shutdown();
    });

    it('should restrict lookup$ to an endpoint', async () => {
      const { router, ns } = createHost();
      const a = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      const b = new RawPeer(router, { kind: 'mhi', key: 'b' }, 7);
      a.announce(69, 0x101, 1);
      b.announce(69, 0x101, 1);
      await settle();
      expect(ns.servers({ service: 69, endpoint: b.id }).map((s) => s.endpoint)).to.deep.equal([b.id]);
      router.shutdown();
    });

    it('should restrict servers() and lookup$ to a node, in snapshots and live updates', async () => {
      const { router, ns } = createHost();
      const a = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      const b = new RawPeer(router, { kind: 'mhi', key: 'b' }, 8);
      a.announce(69, 0x101, 1);
      await settle();
      const events: string[] = [];
      const sub = ns.lookup$({ service: 69, node: 8 }).subscribe((e) => events.push(e.type === 'snapshot' ? `snapshot:${e.servers.length}` : `${e.type}:${e.server.node}`));
      b.announce(69, 0x101, 1);
      a.announce(69, 0x101, 2);
      await settle();
      expect(ns.servers({ service: 69, node: 7 }).map((s) => [s.node, s.port])).to.deep.equal([[7, 1], [7, 2]]);
      expect(ns.servers({ service: 69, node: 8 }).map((s) => [s.node, s.port])).to.deep.equal([[8, 1]]);
      expect(events).to.deep.equal(['snapshot:0', 'add:8']);
      sub.unsubscribe();
      router.shutdown();
    });

    it('should resolve waitForService when the service appears and reject with NS_SERVICE_TIMEOUT otherwise', async () => {
      const { router, ns } = createHost();
      const waiting = ns.waitForService({ service: 69, instance: 1 }, 1000);
      const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
      peer.announce(69, 0x101, 3);
      expect((await waiting).port).to.equal(3);
      const err = await ns.waitForService({ service: 70 }, 20).catch((e: { code: string }) => e);
      expect((err as { code: string }).code).to.equal('NS_SERVICE_TIMEOUT');
      expect(ns.stats().lookups).to.equal(0);
      router.shutdown();
    });

    it('should raise NS_LOOKUP_LIMIT as a typed error when the lookup limit is reached', () => {
      const { Router } = require('../../src/router') as typeof import('../../src/router');
      const { NameService } = require('../../src/ns') as typeof import('../../src/ns');
      const ns = new NameService(new Router(), { lookups: 1 });
      ns.lookup$({ service: 1 }).subscribe();
      let code = '';
      ns.lookup$({ service: 2 }).subscribe({ error: (e: { code: string }) => (code = e.code) });
      expect(code).to.equal('NS_LOOKUP_LIMIT');
    });
  });
});
