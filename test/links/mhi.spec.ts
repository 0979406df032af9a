import { expect } from 'chai';
import { Container } from 'inversify';
import {
  MhiBackend,
  MhiQrtrEndpoint,
  MhiRxBufferPool,
  SIMULATED_MHI_RINGS,
  SimulatedMhiController,
  createSimulatedMhiCard,
  mhiBackendModule,
  type SimulatedMhiCard,
} from '../../src/links/mhi';
import { NameService } from '../../src/ns';
import { BACKEND_CONTRIBUTION, Router, getContributions, routerModule, type BackendContribution, type QrtrSocket } from '../../src/router';
import { QRTR_PORT_CTRL, QrtrType, encodeControl, encodePacket, instanceWord } from '../../src/wire';
import { createHost } from '../helpers/host';
import { settle } from '../helpers/raw-peer';
import { nextMessage, until } from './helpers';

interface Card {
  card: SimulatedMhiCard;
  router: Router;
  server: QrtrSocket;
}

/** A simulated Wi-Fi card: its own router at node 7 with a WLFW-like echo server (service 69). */
async function plugCard(host: Router, pci: string, options?: Parameters<typeof createSimulatedMhiCard>[2]): Promise<Card> {
  const card = createSimulatedMhiCard(host, pci, options);
  const router = new Router({ localNode: 7 });
  new NameService(router);
  router.attach(card.deviceEndpoint);
  const server = await router.openSocket();
  server.messages$.subscribe((m) => {
    server.send(m.from, m.data, { endpoint: m.endpoint }).catch(() => undefined);
  });
  await server.send({ node: 7, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.NEW_SERVER, service: 69, instance: instanceWord(1, 0) }));
  return { card, router, server };
}

describe('MHI backend', () => {
  it('should attach two identical simulated cards as distinct mhi endpoints and talk to each', async () => {
    const { router, ns } = createHost();
    const a = await plugCard(router, '0000:01:00.0');
    const b = await plugCard(router, '0000:02:00.0');
    await until(() => ns.servers({ service: 69 }).length === 2, 'both WLFW servers');
    const servers = ns.servers({ service: 69 });
    expect(servers.map((s) => s.node)).to.deep.equal([7, 7]);
    expect(servers.map((s) => s.endpoint)).to.deep.equal([a.card.attached.id, b.card.attached.id]);
    expect(router.endpoints().map((e) => `${e.key.kind}:${e.key.key}`)).to.deep.equal(['mhi:0000:01:00.0', 'mhi:0000:02:00.0']);
    const client = await router.openSocket();
    for (const [card, server] of [
      [a, servers[0]],
      [b, servers[1]],
    ] as const) {
      await client.send({ node: 7, port: server.port }, Buffer.from(card.card.controller.pciAddress), { endpoint: server.endpoint });
      const reply = await nextMessage(client);
      expect(reply.endpoint).to.equal(server.endpoint);
      expect(Buffer.from(reply.data).toString()).to.equal(card.card.controller.pciAddress);
    }
    router.shutdown();
  });

  it('should prepare the channels, then register the endpoint, then queue RX buffers (§5.1 ordering)', () => {
    const { router } = createHost();
    const log: string[] = [];
    router.endpointEvents$.subscribe((e) => log.push(e.type));
    const controller = new SimulatedMhiController('0000:03:00.0', { ringSize: 4, trace: (op) => log.push(op) });
    MhiQrtrEndpoint.probe(router, controller);
    expect(log).to.deep.equal(['prepare', 'attached', 'queue-rx', 'queue-rx', 'queue-rx', 'queue-rx']);
    expect(controller.queuedRxBuffers).to.equal(4);
    router.shutdown();
    // The router forgets the endpoint, closes it (unprepare), then reports the detach.
    expect(log.slice(-2)).to.deep.equal(['unprepare', 'detached']);
  });

  it('should hold device packets until the host queues buffers, and requeue every buffer', async () => {
    const { router, ns } = createHost();
    const controller = new SimulatedMhiController('0000:04:00.0', { ringSize: 2 });
    const cardRouter = new Router({ localNode: 9 });
    // The card talks first: before the host probed, its packets wait on the device.
    cardRouter.attach(controller.deviceEndpoint);
    const announce = (port: number): Uint8Array =>
      encodePacket(
        { type: QrtrType.NEW_SERVER, srcNode: 9, srcPort: QRTR_PORT_CTRL, dstNode: 1, dstPort: QRTR_PORT_CTRL },
        encodeControl({ type: QrtrType.NEW_SERVER, service: 15, instance: instanceWord(1, port), node: 9, port }),
      );
    for (let port = 1; port <= 20; port++) controller.deviceEndpoint.transmit(announce(port));
    await settle();
    expect(controller.deviceBacklogLength).to.equal(21); // the card router's HELLO and 20 announcements
    expect(() => controller.queueTx(new Uint8Array(32))).to.not.throw();
    const early = await controller.queueTx(new Uint8Array(32)).catch((e) => e.code);
    expect(early).to.equal('MHI_CHANNEL_NOT_READY');
    const { attached } = MhiQrtrEndpoint.probe(router, controller);
    await until(() => ns.servers({ service: 15 }).length === 20, 'all 20 servers through a 2-buffer ring');
    expect(controller.queuedRxBuffers).to.equal(2);
    expect(controller.deviceBacklogLength).to.equal(0);
    expect(router.endpoints()[0].counters.dropped.malformed).to.equal(0);
    expect(attached.key).to.deep.equal({ kind: 'mhi', key: '0000:04:00.0' });
    cardRouter.shutdown();
    router.shutdown();
  });

  it('should skip error completions and keep the buffer in the ring', async () => {
    const { router } = createHost();
    const { card } = await plugCard(router, '0000:05:00.0', { ringSize: 4 });
    await settle();
    expect(card.controller.injectDownlinkError()).to.equal(true);
    expect(card.hostEndpoint.errors).to.equal(1);
    expect(card.controller.queuedRxBuffers).to.equal(4);
    router.shutdown();
  });

  it('should refuse a DL packet larger than the RX buffers and a full UL ring with typed errors', async () => {
    const { router } = createHost();
    // Three UL descriptors: the router's HELLO takes one.
    const controller = new SimulatedMhiController('0000:06:00.0', { ringSize: 3, bufferLength: 1024 });
    MhiQrtrEndpoint.probe(router, controller);
    expect(() => controller.deviceEndpoint.transmit(new Uint8Array(2048))).to.throw().with.property('code', 'QRTR_LINK_PACKET_TOO_LARGE');
    const sends = [1, 2, 3].map(() => controller.queueTx(new Uint8Array(32)).then(() => 'ok', (e) => e.code));
    // Nobody on the card consumes UL: two fit the ring, the third does not.
    expect(await sends[2]).to.equal('MHI_RING_FULL');
    router.shutdown();
    expect(await Promise.all(sends.slice(0, 2))).to.deep.equal(['MHI_CHANNEL_NOT_READY', 'MHI_CHANNEL_NOT_READY']);
  });

  it('should detach on hot unplug: servers go (BYE) and both routers forget the link', async () => {
    const { router, ns } = createHost();
    const a = await plugCard(router, '0000:07:00.0');
    await until(() => ns.servers({ service: 69 }).length === 1, 'the server');
    a.card.remove();
    await settle();
    expect(ns.servers({ service: 69 })).to.have.length(0);
    expect(router.endpoints()).to.have.length(0);
    expect(a.router.endpoints()).to.have.length(0);
    expect(a.card.controller.isPrepared).to.equal(false);
    // The same slot can be probed again and gets the same endpoint ID only if reserved.
    const reservation = router.reserveEndpoint({ kind: 'mhi', key: '0000:07:00.0' }, 'test');
    const again = await plugCard(router, '0000:07:00.0');
    expect(again.card.attached.id).to.equal(reservation.id);
    router.shutdown();
  });

  it('should probe contributed controllers and support hot-plug through the backend', async () => {
    const controllers = [new SimulatedMhiController('0000:08:00.0'), new SimulatedMhiController('0000:09:00.0')];
    const container = new Container();
    container.load(routerModule, mhiBackendModule({ controllers: () => controllers }));
    const [backend] = getContributions<BackendContribution>(container, BACKEND_CONTRIBUTION);
    expect(backend).to.be.instanceOf(MhiBackend);
    const router = container.get(Router);
    await backend.start(router);
    expect(router.endpoints().map((e) => e.key.key)).to.deep.equal(['0000:08:00.0', '0000:09:00.0']);
    (backend as MhiBackend).add(new SimulatedMhiController('0000:0a:00.0'));
    (backend as MhiBackend).remove('0000:08:00.0');
    expect(router.endpoints().map((e) => e.key.key)).to.deep.equal(['0000:09:00.0', '0000:0a:00.0']);
    await backend.stop();
    expect(router.endpoints()).to.have.length(0);
    expect(() => (backend as MhiBackend).add(new SimulatedMhiController('0000:0b:00.0'))).to.throw().with.property('code', 'QRTR_BACKEND_NOT_STARTED');
    router.shutdown();
  });

  it('should hold packets for a full UL ring and send them in order once descriptors free (back-pressure, none lost)', async () => {
    const { router, ns } = createHost();
    const a = await plugCard(router, '0000:0c:00.0', { ulRingSize: 1, dlRingSize: 1 });
    await until(() => ns.servers({ service: 69 }).length === 1, 'the server');
    const [server] = ns.servers({ service: 69 });
    const client = await router.openSocket();
    const received: string[] = [];
    client.messages$.subscribe((m) => received.push(Buffer.from(m.data).toString()));
    // Twenty datagrams in one tick through a one-descriptor UL ring: nineteen wait.
    const sends = Array.from({ length: 20 }, (_, i) => client.send({ node: 7, port: server.port }, Buffer.from(`m${i}`), { endpoint: server.endpoint }));
    expect(a.card.hostEndpoint.waitingTransfers).to.be.greaterThan(0);
    await Promise.all(sends);
    await until(() => received.length === 20, 'twenty echoes');
    expect(received).to.deep.equal(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(a.card.hostEndpoint.waitingTransfers).to.equal(0);
    router.shutdown();
  });

  it('should refuse a UL packet past the host backlog, and fail waiting packets when the link closes', async () => {
    const { router } = createHost();
    const controller = new SimulatedMhiController('0000:0d:00.0', { ulRingSize: 1 });
    // No card router on the device side: nothing drains the UL ring.
    const { endpoint } = MhiQrtrEndpoint.probe(router, controller, { txBacklog: 2 });
    const outcomes = [1, 2, 3, 4].map(() => endpoint.transmit(new Uint8Array(16)).then(() => 'ok', (e) => e.code));
    // The HELLO holds the only descriptor: two wait, the third is refused.
    expect(endpoint.waitingTransfers).to.equal(2);
    expect(await outcomes[2]).to.equal('MHI_RING_FULL');
    router.shutdown();
    expect(await Promise.all(outcomes)).to.deep.equal(['QRTR_LINK_CLOSED', 'QRTR_LINK_CLOSED', 'MHI_RING_FULL', 'MHI_RING_FULL']);
  });

  it('should size UL and DL rings apart, default to the small profile, and free every DL buffer at removal', () => {
    const { router } = createHost();
    const pool = new MhiRxBufferPool();
    const small = new SimulatedMhiController('0000:0e:00.0');
    expect([small.ulRingSize, small.dlRingSize, small.bufferLength]).to.deep.equal([4, 4, 8192]);
    const kernel = new SimulatedMhiController('0000:0f:00.0', { rings: 'ath11k-qcn9074', ulRingSize: 2 });
    expect([kernel.ulRingSize, kernel.dlRingSize, kernel.bufferLength]).to.deep.equal([2, SIMULATED_MHI_RINGS['ath11k-qcn9074'].dlRingSize, 0xffff]);
    expect(() => new SimulatedMhiController('0000:10:00.0', { dlRingSize: 0 })).to.throw().with.property('code', 'QRTR_LINK_CONFIG_INVALID');
    MhiQrtrEndpoint.probe(router, kernel, { rxBuffers: pool });
    expect(kernel.queuedRxBuffers).to.equal(32);
    kernel.remove();
    expect(kernel.queuedRxBuffers).to.equal(0);
    expect(pool.freeBytes).to.equal(32 * 0xffff);
    // The next probe takes them back instead of allocating.
    MhiQrtrEndpoint.probe(router, new SimulatedMhiController('0000:11:00.0', { rings: 'kernel' }), { rxBuffers: pool });
    expect(pool.freeBytes).to.equal(0);
    router.shutdown();
  });
});
