import { expect } from 'chai';
import { Container } from 'inversify';
import * as net from 'node:net';
import * as path from 'node:path';
import { LocalClientBackend, LocalClientServer, localClientBackendModule, type LocalClientEvent } from '../../src/services/local-client';
import { FrameDecoder, LOCAL_CLIENT_PROTOCOL_VERSION, MAX_SERVER_FRAME_LENGTH, Op, connectQrtrd, encodeFrame, encodeJsonFrame, type QrtrdConnection } from '../../src/client';
import { NameService, nameServiceModule, type LookupEvent } from '../../src/ns';
import {
  BACKEND_CONTRIBUTION,
  QrtrNetworkResetError,
  QrtrNoSuchPortError,
  QrtrPortPermissionError,
  QrtrWouldBlockError,
  Router,
  getContributions,
  routerModule,
  type BackendContribution,
  type PacketTrace,
  type QrtrMessage,
} from '../../src/router';
import { QRTR_PORT_CTRL, QrtrType, instanceWord } from '../../src/wire';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';
import { nextMessage, spawnChild, tempDir, until, type ChildHandle } from '../links/helpers';

const CLIENT_PROCESS = path.join(__dirname, 'fixtures', 'client-process.js');

async function expectRejection(promise: Promise<unknown>, code: string): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect((err as { code: string }).code).to.equal(code);
    return err as Error;
  }
  throw new Error(`expected a rejection with ${code}`);
}

describe('LocalClientServer and connectQrtrd', () => {
  let tmp: ReturnType<typeof tempDir>;
  let socketPath: string;
  let host: ReturnType<typeof createHost>;
  let server: LocalClientServer;
  let events: LocalClientEvent[];
  let children: ChildHandle[];
  let connections: QrtrdConnection[];

  beforeEach(async () => {
    tmp = tempDir('client');
    socketPath = path.join(tmp.dir, 'qrtrd.sock');
    host = createHost();
    server = new LocalClientServer(host.router, host.ns, { path: socketPath });
    events = [];
    server.events$.subscribe((e) => events.push(e));
    await server.listen();
    children = [];
    connections = [];
  });

  afterEach(async () => {
    for (const c of children) c.kill();
    await Promise.all(children.map((c) => c.exited));
    for (const c of connections) c.close();
    await server.close();
    host.router.shutdown();
    tmp.remove();
  });

  async function connect(options?: { receiveWindow?: number }): Promise<QrtrdConnection> {
    const connection = await connectQrtrd(socketPath, options);
    connections.push(connection);
    return connection;
  }

  it('should serve a client process that registers a service, exchanges datagrams and holds a reservation until it dies', async function () {
    this.timeout(20000);
    const child = spawnChild(process.execPath, [CLIENT_PROCESS, socketPath]);
    children.push(child);
    const ready = JSON.parse(await child.ready) as { port: number; reservedId: number; owner: string };
    const { router, ns } = host;
    await until(() => ns.servers({ service: 0x1234 }).length === 1, 'the client service');
    expect(ns.servers({ service: 0x1234 })[0]).to.deep.include({ node: 1, port: ready.port, endpoint: 1, version: 1, instance: 5 });
    expect(ready.owner).to.match(/^client:\d+$/);
    const reservation = router.endpointIds.entries().find((e) => e.id === ready.reservedId)!;
    expect(reservation.key).to.deep.equal({ kind: 'mhi', key: '0000:05:00.0' });
    expect([...reservation.reservations.keys()]).to.deep.equal([ready.owner]);

    const local = await router.openSocket();
    for (let i = 0; i < 30; i++) {
      await local.send({ node: 1, port: ready.port }, Buffer.from(`hello ${i}`));
      const reply = await nextMessage(local);
      expect(Buffer.from(reply.data).toString()).to.equal(`echo:hello ${i}`);
      expect(reply.from).to.deep.equal({ node: 1, port: ready.port });
      expect(reply.endpoint).to.equal(1);
    }

    const portsBefore = router.portCount;
    child.kill();
    await until(() => events.some((e) => e.type === 'disconnected'), 'the disconnect');
    await until(() => ns.servers({ service: 0x1234 }).length === 0, 'the service to go with its client');
    expect(router.endpointIds.entries().some((e) => e.id === ready.reservedId)).to.equal(false);
    expect(router.portCount).to.equal(portsBefore - 1);
  });

  it('should stream name-service lookups: snapshot, then live additions and removals', async () => {
    const client = await connect();
    const peer = new RawPeer(host.router, { kind: 'mhi', key: '0000:01:00.0' }, 7);
    peer.announce(69, instanceWord(1, 1), 1);
    await settle();
    const got: LookupEvent[] = [];
    const subscription = client.lookup$({ service: 69 }).subscribe((e) => got.push(e));
    await until(() => got.length === 1, 'the snapshot');
    expect(got[0]).to.deep.equal({ type: 'snapshot', servers: [{ service: 69, version: 1, instance: 1, node: 7, port: 1, endpoint: peer.id }] });
    const second = new RawPeer(host.router, { kind: 'mhi', key: '0000:02:00.0' }, 7);
    second.announce(69, instanceWord(1, 1), 1);
    await until(() => got.length === 2, 'the addition');
    expect(got[1]).to.deep.include({ type: 'add' });
    expect((got[1] as { server: { endpoint: number } }).server.endpoint).to.equal(second.id);
    peer.detach();
    await until(() => got.length === 3, 'the removal');
    expect(got[2]).to.deep.equal({ type: 'remove', server: { service: 69, version: 1, instance: 1, node: 7, port: 1, endpoint: peer.id } });
    const endpoints = await client.endpoints();
    expect(endpoints.map((e) => [e.id, e.key.key, e.primaryNode])).to.deep.equal([[second.id, '0000:02:00.0', 7]]);
    subscription.unsubscribe();
    await until(() => host.ns.stats().lookups === 0, 'the server-side lookup to end');
  });

  it('should carry a node filter in lookups to the daemon', async () => {
    const client = await connect();
    const at7 = new RawPeer(host.router, { kind: 'mhi', key: '0000:01:00.0' }, 7);
    const at8 = new RawPeer(host.router, { kind: 'mhi', key: '0000:02:00.0' }, 8);
    at7.announce(69, instanceWord(1, 1), 1);
    at8.announce(69, instanceWord(1, 1), 1);
    await settle();
    const got: LookupEvent[] = [];
    const subscription = client.lookup$({ service: 69, node: 8 }).subscribe((e) => got.push(e));
    await until(() => got.length === 1, 'the snapshot');
    expect(got[0]).to.deep.equal({ type: 'snapshot', servers: [{ service: 69, version: 1, instance: 1, node: 8, port: 1, endpoint: at8.id }] });
    subscription.unsubscribe();
    const bad: LookupEvent[] = [];
    const error = await new Promise<unknown>((resolve) => client.lookup$({ service: 69, node: -1 }).subscribe({ next: (e) => bad.push(e), error: resolve }));
    expect(error).to.have.property('code', 'QRTRD_INVALID_ARGUMENT');
    expect(error).to.have.property('message').that.includes('lookup node');
    expect(bad).to.deep.equal([]);
  });

  it('should re-throw typed router errors with their class, code and details', async () => {
    const client = await connect();
    const err = await expectRejection(client.openSocket({ port: 5 }), 'QRTR_PORT_PERMISSION');
    expect(err).to.be.instanceOf(QrtrPortPermissionError);
    expect((err as QrtrPortPermissionError).details).to.deep.equal({ port: 5 });
    const socket = await client.openSocket();
    const noPort = await expectRejection(socket.send({ node: 1, port: 0x7000 }, new Uint8Array([1])), 'QRTR_NO_SUCH_PORT');
    expect(noPort).to.be.instanceOf(QrtrNoSuchPortError);
    expect(noPort.name).to.equal('QrtrNoSuchPortError');
    await expectRejection(client.openSocket({ port: socket.address.port }), 'QRTR_ADDRESS_IN_USE');
  });

  it('should preserve flow control: the 11th send waits until the remote confirms, and resolves only after the router sent it', async () => {
    const client = await connect();
    const peer = new RawPeer(host.router, { kind: 'mhi', key: 'a' }, 7);
    peer.hello();
    await settle();
    const socket = await client.openSocket();
    for (let i = 0; i < 10; i++) await socket.send({ node: 7, port: 3 }, new Uint8Array([i]));
    await expectRejection(socket.send({ node: 7, port: 3 }, new Uint8Array([10]), { nonBlocking: true }), 'QRTR_WOULD_BLOCK').then((e) =>
      expect(e).to.be.instanceOf(QrtrWouldBlockError),
    );
    const controller = new AbortController();
    const aborted = socket.send({ node: 7, port: 3 }, new Uint8Array([11]), { signal: controller.signal });
    controller.abort();
    await expectRejection(aborted, 'QRTR_ABORTED');
    const order: string[] = [];
    const tap = host.router.packets$.subscribe((t: PacketTrace) => {
      if (t.direction === 'tx' && t.packet[32] === 12) order.push('router transmitted');
    });
    const waiting = socket.send({ node: 7, port: 3 }, new Uint8Array([12])).then(() => order.push('client resolved'));
    await settle();
    expect(order).to.deep.equal([]);
    expect(peer.data()).to.have.length(10);
    peer.send({ type: QrtrType.RESUME_TX, srcPort: 3, dstPort: socket.address.port }, new Uint8Array([7, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    await waiting;
    expect(order).to.deep.equal(['router transmitted', 'client resolved']);
    tap.unsubscribe();
  });

  it('should send RESUME_TX only as datagrams enter the client window', async () => {
    const client = await connect({ receiveWindow: 8 });
    const peer = new RawPeer(host.router, { kind: 'mhi', key: 'a' }, 7);
    const socket = await client.openSocket();
    for (let i = 0; i < 20; i++) peer.send({ srcPort: 9, dstPort: socket.address.port, confirmRx: true }, new Uint8Array([i]));
    await until(() => peer.controls(QrtrType.RESUME_TX).length === 8, '8 confirmations');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(peer.controls(QrtrType.RESUME_TX)).to.have.length(8);
    const received: number[] = [];
    for (let i = 0; i < 20; i++) received.push((await nextMessage(socket)).data[0]);
    expect(received).to.deep.equal([...Array(20).keys()]);
    await until(() => peer.controls(QrtrType.RESUME_TX).length === 20, 'all confirmations');
  });

  it('should deliver to messages$ subscribers and report a name-service restart as QrtrNetworkResetError', async () => {
    const client = await connect();
    const socket = await client.openSocket();
    const local = await host.router.openSocket();
    const got: QrtrMessage[] = [];
    let failure: unknown;
    socket.messages$.subscribe({ next: (m) => got.push(m), error: (e) => (failure = e) });
    await local.send(socket.address, Buffer.from('one'));
    await until(() => got.length === 1, 'the datagram');
    host.ns.close();
    host.ns = new NameService(host.router);
    await until(() => failure !== undefined, 'the reset');
    expect(failure).to.be.instanceOf(QrtrNetworkResetError);
    // The socket stays usable: subscribe again.
    socket.messages$.subscribe((m) => got.push(m));
    await local.send(socket.address, Buffer.from('two'));
    await until(() => got.length === 2, 'the datagram after the reset');
    expect(Buffer.from(got[1].data).toString()).to.equal('two');
  });

  it('should answer a malformed frame with a typed FATAL error and close only that connection', async () => {
    const good = await connect();
    const goodSocket = await good.openSocket();
    const raw = net.createConnection(socketPath);
    await new Promise((resolve) => raw.once('connect', resolve));
    const frames: { op: number; body: Buffer }[] = [];
    const decoder = new FrameDecoder((f) => frames.push({ op: f.op, body: Buffer.from(f.body) }), MAX_SERVER_FRAME_LENGTH);
    raw.on('data', (chunk: Buffer) => decoder.push(chunk));
    const closed = new Promise((resolve) => raw.once('close', resolve));
    raw.write(encodeJsonFrame(Op.HELLO, 0, { protocol: LOCAL_CLIENT_PROTOCOL_VERSION, pid: 1 }));
    raw.write(encodeFrame(Op.OPEN, 0, 1, [0, 16]));
    raw.write(encodeFrame(0x55, 0, 2, [1, 2, 3]));
    await closed;
    expect(frames.map((f) => f.op)).to.deep.equal([Op.WELCOME, Op.RESULT, Op.FATAL]);
    const fatal = JSON.parse(frames[2].body.toString());
    expect(fatal).to.deep.include({ name: 'LocalClientMalformedFrameError', code: 'QRTRD_CLIENT_MALFORMED_FRAME' });
    expect(fatal.details).to.deep.equal({ op: 0x55 });
    await until(() => events.some((e) => e.type === 'disconnected' && e.reason === 'protocol'), 'the disconnect event');
    // The socket the bad client opened is closed; the good client is untouched.
    const openedPort = frames[1].body.readUInt32LE(8);
    await expectRejection(host.router.openSocket().then((s) => s.send({ node: 1, port: openedPort }, new Uint8Array([1]))), 'QRTR_NO_SUCH_PORT');
    const local = await host.router.openSocket();
    await local.send(goodSocket.address, Buffer.from('still fine'));
    expect(Buffer.from((await nextMessage(goodSocket)).data).toString()).to.equal('still fine');
  });

  it('should cut a client announcing a frame over the limit, and one that skips HELLO', async () => {
    for (const bytes of [Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 0, 0, 0]), encodeFrame(Op.OPEN, 0, 1, [0, 16])]) {
      const raw = net.createConnection(socketPath);
      let received = Buffer.alloc(0);
      raw.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
      const closed = new Promise((resolve) => raw.once('close', resolve));
      raw.write(bytes);
      await closed;
      expect(received[4]).to.equal(Op.FATAL);
    }
    const codes = events.filter((e) => e.type === 'disconnected').map((e) => (e as { error?: { code: string } }).error?.code);
    expect(codes).to.deep.equal(['QRTRD_CLIENT_FRAME_TOO_LARGE', 'QRTRD_CLIENT_MALFORMED_FRAME']);
  });

  it('should release reservations, lookups and sockets when a client closes, and allow releasing a reservation early', async () => {
    const client = await connect();
    const a = await client.reserveEndpoint({ kind: 'rpmsg', key: 'IPCRTR' }, 'wlan');
    expect(a.owner).to.match(/^client:\d+\/wlan$/);
    const b = await client.reserveEndpoint({ kind: 'mhi', key: '0000:03:00.0' });
    expect(host.router.endpointIds.get({ kind: 'rpmsg', key: 'IPCRTR' })).to.equal(a.id);
    await a.release();
    expect(host.router.endpointIds.get({ kind: 'rpmsg', key: 'IPCRTR' })).to.equal(0);
    client.lookup$({ service: 1 }).subscribe();
    await client.openSocket();
    await until(() => host.ns.stats().lookups === 1, 'the lookup');
    const ports = host.router.portCount;
    client.close();
    await until(() => host.router.endpointIds.get({ kind: 'mhi', key: '0000:03:00.0' }) === 0, 'the reservation release');
    expect(b.id).to.be.greaterThan(1);
    expect(host.ns.stats().lookups).to.equal(0);
    expect(host.router.portCount).to.equal(ports - 1);
    await expectRejection(client.openSocket(), 'QRTRD_CLIENT_DISCONNECTED');
  });

  it('should fail to connect to a path nobody serves with a typed error', async () => {
    const err = await expectRejection(connectQrtrd(path.join(tmp.dir, 'nobody.sock')), 'QRTRD_CLIENT_CONNECT');
    expect((err as unknown as { details: { errno: string } }).details.errno).to.equal('ENOENT');
  });

  it('should plug into the composition root as a BACKEND_CONTRIBUTION', async () => {
    const container = new Container();
    const other = path.join(tmp.dir, 'module.sock');
    container.load(routerModule, nameServiceModule, localClientBackendModule({ path: other }));
    const [backend] = getContributions<BackendContribution>(container, BACKEND_CONTRIBUTION);
    expect(backend).to.be.instanceOf(LocalClientBackend);
    const router = container.get(Router);
    await backend.start(router);
    const client = await connectQrtrd(other);
    expect(client.localNode).to.equal(1);
    await client.openSocket();
    await backend.stop();
    await client.whenClosed();
    expect(router.portCount).to.equal(1); // only the name service's control port
    router.shutdown();
  });
});

export { QRTR_PORT_CTRL };
