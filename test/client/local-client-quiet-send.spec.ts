import { expect } from 'chai';
import * as net from 'node:net';
import * as path from 'node:path';
import { LocalClientServer } from '../../src/services/local-client';
import {
  CAPABILITY_QUIET_SEND,
  FrameDecoder,
  LOCAL_CLIENT_PROTOCOL_VERSION,
  MAX_CLIENT_FRAME_LENGTH,
  MAX_SERVER_FRAME_LENGTH,
  Op,
  SEND_FLAG_QUIET,
  connectQrtrd,
  encodeFrame,
  encodeJsonFrame,
  sendFailureOf,
  type QrtrdConnection,
  type RemoteQrtrSocket,
  type RemoteSendFailure,
} from '../../src/client';
import { QrtrMessageSizeError, QrtrNoRouteError, QrtrNoSuchPortError, QrtrRemotePortGoneError, QrtrWouldBlockError, type QrtrAddress, type QrtrMessage } from '../../src/router';
import { QrtrType } from '../../src/wire';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';
import { nextMessage, tempDir, until } from '../links/helpers';

interface RawFrame {
  op: number;
  flags: number;
  id: number;
  body: Buffer;
}

/** The rejection of `promise` (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error & { code: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code: string };
  }
  throw new Error('expected a rejection');
}

/** Resolves with whether `promise` settled within `ms`. */
function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(
    () => true,
    () => true,
  ), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
}

describe('local-client quiet sends (SEND_FLAG_QUIET, the quiet-send capability)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let socketPath: string;
  let host: ReturnType<typeof createHost>;
  let server: LocalClientServer;
  let connections: QrtrdConnection[];
  let raws: net.Socket[];

  beforeEach(async () => {
    tmp = tempDir('quiet');
    socketPath = path.join(tmp.dir, 'qrtrd.sock');
    host = createHost();
    connections = [];
    raws = [];
  });

  afterEach(async () => {
    for (const c of connections) c.close();
    for (const r of raws) r.destroy();
    await server?.close();
    host.router.shutdown();
    tmp.remove();
  });

  async function listen(limits?: ConstructorParameters<typeof LocalClientServer>[2]['limits']): Promise<void> {
    server = new LocalClientServer(host.router, host.ns, { path: socketPath, limits });
    await server.listen();
  }

  async function connect(options?: { receiveWindow?: number }): Promise<QrtrdConnection> {
    const connection = await connectQrtrd(socketPath, options);
    connections.push(connection);
    return connection;
  }

  /** A client written by hand: HELLO, then frames as given; every server frame recorded. */
  async function rawClient(): Promise<{ conn: net.Socket; frames: RawFrame[]; welcome: Record<string, unknown> }> {
    const conn = net.createConnection(socketPath);
    raws.push(conn);
    await new Promise<void>((resolve) => conn.once('connect', () => resolve()));
    const frames: RawFrame[] = [];
    const decoder = new FrameDecoder((f) => frames.push({ op: f.op, flags: f.flags, id: f.id, body: Buffer.from(f.body) }), MAX_SERVER_FRAME_LENGTH);
    conn.on('data', (chunk: Buffer) => decoder.push(chunk));
    conn.write(encodeJsonFrame(Op.HELLO, 0, { protocol: LOCAL_CLIENT_PROTOCOL_VERSION }));
    await until(() => frames.some((f) => f.op === Op.WELCOME), 'WELCOME');
    const welcome = JSON.parse(frames.find((f) => f.op === Op.WELCOME)!.body.toString('utf8')) as Record<string, unknown>;
    return { conn, frames, welcome };
  }

  /** OPEN on a raw client; returns the handle and port. */
  async function rawOpen(raw: { conn: net.Socket; frames: RawFrame[] }, id: number): Promise<{ handle: number; port: number }> {
    raw.conn.write(encodeFrame(Op.OPEN, 0, id, [0, 64]));
    await until(() => raw.frames.some((f) => f.op === Op.RESULT && f.id === id), `OPEN ${id}`);
    const body = raw.frames.find((f) => f.op === Op.RESULT && f.id === id)!.body;
    return { handle: body.readUInt32LE(0), port: body.readUInt32LE(8) };
  }

  describe('protocol (raw frames)', () => {
    beforeEach(() => listen());

    it('should offer quiet-send in WELCOME, answer a quiet SEND with nothing on success, and a flagless SEND with RESULT as before', async () => {
      const raw = await rawClient();
      expect(raw.welcome.capabilities).to.deep.equal([CAPABILITY_QUIET_SEND]);
      const a = await rawOpen(raw, 1);
      const b = await rawOpen(raw, 2);
      const node = host.router.localNode;
      raw.conn.write(encodeFrame(Op.SEND, SEND_FLAG_QUIET, 10, [a.handle, node, b.port, 0], Buffer.from('quiet')));
      raw.conn.write(encodeFrame(Op.SEND, 0, 11, [a.handle, node, b.port, 0], Buffer.from('loud')));
      await until(() => raw.frames.filter((f) => f.op === Op.MESSAGE).length === 2 && raw.frames.some((f) => f.id === 11 && f.op === Op.RESULT), 'both datagrams and the RESULT');
      await settle();
      const messages = raw.frames.filter((f) => f.op === Op.MESSAGE).map((f) => f.body.subarray(12).toString());
      expect(messages).to.deep.equal(['quiet', 'loud']);
      expect(raw.frames.filter((f) => f.id === 10 && f.op !== Op.MESSAGE)).to.deep.equal([]);
      expect(raw.frames.filter((f) => f.id === 11 && f.op !== Op.MESSAGE).map((f) => f.op)).to.deep.equal([Op.RESULT]);
    });

    it('should answer a failing quiet SEND with one SEND_FAILED (id, handle, destination, typed error), and a flagless one with ERROR', async () => {
      const raw = await rawClient();
      const a = await rawOpen(raw, 1);
      const node = host.router.localNode;
      raw.conn.write(encodeFrame(Op.SEND, SEND_FLAG_QUIET, 20, [a.handle, node, 0x7000, 0], Buffer.from('x')));
      // An unknown handle: the sender's socket closed meanwhile (here: never opened).
      raw.conn.write(encodeFrame(Op.SEND, SEND_FLAG_QUIET, 21, [999, node, 0x7001, 0], Buffer.from('x')));
      raw.conn.write(encodeFrame(Op.SEND, 0, 22, [a.handle, node, 0x7000, 0], Buffer.from('x')));
      raw.conn.write(encodeFrame(Op.ENDPOINTS, 0, 23, []));
      await until(() => [20, 21, 22, 23].every((id) => raw.frames.some((f) => f.id === id)), 'every answer');
      await settle();
      // Like ERROR, SEND_FAILED may come after the replies to later requests (the router fails a send from a promise).
      const replies = raw.frames.filter((f) => f.id >= 20).map((f) => [f.op, f.id]);
      expect(replies).to.have.deep.members([
        [Op.SEND_FAILED, 20],
        [Op.SEND_FAILED, 21],
        [Op.ERROR, 22],
        [Op.RESULT, 23],
      ]);
      expect(replies).to.have.length(4);
      const failed = (id: number): { handle: number; node: number; port: number; error: Record<string, unknown> } => {
        const body = raw.frames.find((f) => f.id === id)!.body;
        return { handle: body.readUInt32LE(0), node: body.readUInt32LE(4), port: body.readUInt32LE(8), error: JSON.parse(body.subarray(12).toString('utf8')) as Record<string, unknown> };
      };
      expect(failed(20)).to.deep.include({ handle: a.handle, node, port: 0x7000 });
      expect(failed(20).error).to.deep.include({ name: 'QrtrNoSuchPortError', code: 'QRTR_NO_SUCH_PORT' });
      expect(failed(21)).to.deep.include({ handle: 999, node, port: 0x7001 });
      expect(failed(21).error).to.deep.include({ name: 'LocalClientUnknownHandleError', code: 'QRTRD_CLIENT_UNKNOWN_HANDLE' });
      const error22 = JSON.parse(raw.frames.find((f) => f.id === 22)!.body.toString('utf8')) as Record<string, unknown>;
      expect(error22).to.deep.include({ name: 'QrtrNoSuchPortError', code: 'QRTR_NO_SUCH_PORT' });
    });
  });

  describe('SDK against a daemon without the capability', () => {
    it('should not set the quiet flag and await each send as before: resolved by RESULT, rejected typed by ERROR', async () => {
      // A daemon before quiet sends, by hand: its WELCOME has no `capabilities`.
      const seen: RawFrame[] = [];
      let peer: net.Socket | undefined;
      const fake = net.createServer((conn) => {
        peer = conn;
        const decoder = new FrameDecoder((f) => {
          seen.push({ op: f.op, flags: f.flags, id: f.id, body: Buffer.from(f.body) });
          if (f.op === Op.HELLO) conn.write(encodeJsonFrame(Op.WELCOME, 0, { protocol: LOCAL_CLIENT_PROTOCOL_VERSION, localNode: 1, owner: 'client:1' }));
          if (f.op === Op.OPEN) conn.write(encodeFrame(Op.RESULT, 0, f.id, [1, 1, 0x4000]));
        }, MAX_CLIENT_FRAME_LENGTH);
        conn.on('data', (chunk: Buffer) => decoder.push(chunk));
      });
      await new Promise<void>((resolve) => fake.listen(socketPath, resolve));
      try {
        const client = await connect();
        expect(client.quietSendSupported).to.equal(false);
        const socket = await client.openSocket({ quietSends: true });
        const first = socket.send({ node: 1, port: 0x4001 }, new Uint8Array([1]));
        const second = socket.send({ node: 1, port: 0x4001 }, new Uint8Array([2]), { quiet: true });
        await until(() => seen.filter((f) => f.op === Op.SEND).length === 2, 'both SENDs');
        const sends = seen.filter((f) => f.op === Op.SEND);
        expect(sends.map((f) => f.flags & SEND_FLAG_QUIET)).to.deep.equal([0, 0]);
        expect(await settlesWithin(first, 50)).to.equal(false);
        peer!.write(encodeFrame(Op.RESULT, 0, sends[0].id, []));
        await first;
        peer!.write(encodeJsonFrame(Op.ERROR, sends[1].id, { name: 'QrtrNoSuchPortError', code: 'QRTR_NO_SUCH_PORT', message: 'No socket', details: { node: 1, port: 0x4001 } }));
        const err = await rejection(second);
        expect(err).to.be.instanceOf(QrtrNoSuchPortError);
        expect(err.code).to.equal('QRTR_NO_SUCH_PORT');
      } finally {
        for (const c of connections.splice(0)) c.close();
        await new Promise<void>((resolve) => fake.close(() => resolve()));
        server = undefined as unknown as LocalClientServer;
      }
    });
  });

  describe('SDK against qrtrd', () => {
    /**
     * The same failing send twice: awaited (its rejection), then quiet (resolved at once,
     * its failure on sendFailures$). `prepare` runs before each, `trigger` after each is issued.
     */
    async function bothWays(
      socket: RemoteQrtrSocket,
      to: QrtrAddress,
      data: Uint8Array,
      prepare: () => Promise<void> = async () => undefined,
      trigger: () => Promise<void> = async () => undefined,
    ): Promise<{ awaited: Error & { code: string }; quiet: RemoteSendFailure; sendId: number }> {
      await prepare();
      const awaitedSend = socket.send(to, data);
      await trigger();
      const awaited = await rejection(awaitedSend);
      const failures: RemoteSendFailure[] = [];
      const subscription = socket.sendFailures$.subscribe((f) => failures.push(f));
      await prepare();
      const quietSend = socket.send(to, data, { quiet: true });
      const sendId = socket.lastSendId;
      // Resolved once queued: nothing waits for the daemon.
      expect(await settlesWithin(quietSend, 0)).to.equal(true);
      await quietSend;
      await trigger();
      await until(() => failures.length === 1, 'the quiet failure');
      subscription.unsubscribe();
      return { awaited, quiet: failures[0], sendId };
    }

    function expectSameFailure(result: { awaited: Error & { code: string }; quiet: RemoteSendFailure; sendId: number }, to: QrtrAddress, type: new (...args: never[]) => Error, code: string): void {
      expect(result.awaited).to.be.instanceOf(type);
      expect(result.awaited.code).to.equal(code);
      expect(result.quiet.error).to.be.instanceOf(type);
      expect(result.quiet.error.constructor).to.equal(result.awaited.constructor);
      expect(result.quiet.error.code).to.equal(code);
      expect(result.quiet.error.details).to.deep.equal((result.awaited as unknown as { details: unknown }).details);
      expect(result.quiet.sendId).to.equal(result.sendId);
      expect(result.quiet.to).to.deep.equal(to);
    }

    it('should carry quiet sends both ways with no reply frame, and report that the daemon offers them', async () => {
      await listen();
      const a = await connect();
      const b = await connect();
      expect(a.quietSendSupported).to.equal(true);
      const sa = await a.openSocket({ quietSends: true });
      const sb = await b.openSocket();
      for (let i = 0; i < 20; i++) await sa.send(sb.address, new Uint8Array([i]));
      const got: number[] = [];
      for (let i = 0; i < 20; i++) got.push((await nextMessage(sb)).data[0]);
      expect(got).to.deep.equal([...Array(20).keys()]);
      // `quiet: false` on a quietSends socket is an awaited send again.
      await sb.send(sa.address, new Uint8Array([42]), { quiet: true });
      await sa.send(sb.address, new Uint8Array([43]), { quiet: false });
      expect((await nextMessage(sa)).data[0]).to.equal(42);
      expect((await nextMessage(sb)).data[0]).to.equal(43);
    });

    it('should keep every received payload intact while later reads reuse the SDK read buffer', async () => {
      await listen();
      const receiver = await connect({ receiveWindow: 512 });
      const sink = await receiver.openSocket();
      const sender = await host.router.openSocket();
      // Queued unread in the SDK across many reads, of sizes that also cut frames across reads.
      for (let i = 0; i < 300; i++) await sender.send(sink.address, new Uint8Array(1 + ((i * 397) % 3000)).fill(i & 0xff));
      // The daemon wrote every MESSAGE (the window allows all 300) before this reply: all are decoded, none consumed.
      await receiver.endpoints();
      const got: QrtrMessage[] = [];
      for (let i = 0; i < 300; i++) got.push(await sink.receive());
      got.forEach((m, i) => {
        expect(m.data.length, `datagram ${i}`).to.equal(1 + ((i * 397) % 3000));
        expect(m.data.every((b) => b === (i & 0xff)), `datagram ${i} intact`).to.equal(true);
      });
    });

    it('should report an unknown destination and no route typed, with the same class and code as an awaited send, tied to the send', async () => {
      await listen();
      const client = await connect();
      const socket = await client.openSocket();
      const noPort = { node: host.router.localNode, port: 0x7000 };
      expectSameFailure(await bothWays(socket, noPort, new Uint8Array([1])), noPort, QrtrNoSuchPortError, 'QRTR_NO_SUCH_PORT');
      const noRoute = { node: 99, port: 1 };
      expectSameFailure(await bothWays(socket, noRoute, new Uint8Array([1])), noRoute, QrtrNoRouteError, 'QRTR_NO_ROUTE');
    });

    it('should report a message over the size limit typed', async () => {
      await listen();
      const client = await connect();
      const socket = await client.openSocket();
      const to = { node: host.router.localNode, port: socket.address.port + 1 };
      // 65 536 bytes: one over QRTR's limit, still within the protocol's frame limit (so the router refuses it).
      expectSameFailure(await bothWays(socket, to, new Uint8Array(65536)), to, QrtrMessageSizeError, 'QRTR_MESSAGE_SIZE');
    });

    it('should report a destination socket closed while the send waited for flow control typed', async () => {
      await listen();
      const client = await connect();
      const peer = new RawPeer(host.router, { kind: 'mhi', key: 'a' }, 7);
      peer.hello();
      await settle();
      const socket = await client.openSocket();
      const to = { node: 7, port: 3 };
      // Ten unconfirmed packets fill the flow's window; the next send waits, then the remote port goes away.
      const fill = async (): Promise<void> => {
        for (let i = 0; i < 10; i++) await socket.send(to, new Uint8Array([i]));
      };
      const closeRemote = async (): Promise<void> => {
        // The daemon handles a connection's frames in order: once this reply is back, the send is waiting.
        await client.endpoints();
        peer.control({ type: QrtrType.DEL_CLIENT, node: 7, port: 3 });
      };
      const result = await bothWays(socket, to, new Uint8Array([10]), fill, closeRemote);
      expectSameFailure(result, to, QrtrRemotePortGoneError, 'QRTR_REMOTE_PORT_GONE');
    });

    it('should report a receiver over its per-client queued-bytes quota typed', async () => {
      await listen({ queuedBytesPerSocket: 200 });
      const sender = await connect();
      const receiver = await connect({ receiveWindow: 1 });
      const socket = await sender.openSocket();
      const sink = await receiver.openSocket();
      // Never consumed: the first datagram fills the window of 1, the second waits in the queue (128 of 200 bytes).
      await socket.send(sink.address, new Uint8Array(64));
      await socket.send(sink.address, new Uint8Array(64));
      expectSameFailure(await bothWays(socket, sink.address, new Uint8Array(64)), sink.address, QrtrWouldBlockError, 'QRTR_WOULD_BLOCK');
    });

    it('should reject the next send with a failure nobody subscribed to, without making that send, then send normally', async () => {
      await listen();
      const client = await connect();
      const socket = await client.openSocket();
      const sink = await client.openSocket();
      const received: number[] = [];
      sink.messages$.subscribe((m) => received.push(m.data[0]));
      await socket.send({ node: host.router.localNode, port: 0x7000 }, new Uint8Array([1]), { quiet: true });
      const failedId = socket.lastSendId;
      await until(() => socket.heldSendFailures === 1, 'the failure, held');
      const err = await rejection(socket.send(sink.address, new Uint8Array([2]), { quiet: true }));
      expect(err).to.be.instanceOf(QrtrNoSuchPortError);
      expect(err.code).to.equal('QRTR_NO_SUCH_PORT');
      expect(sendFailureOf(err)).to.deep.include({ sendId: failedId, to: { node: host.router.localNode, port: 0x7000 } });
      expect(socket.heldSendFailures).to.equal(0);
      await socket.send(sink.address, new Uint8Array([3]), { quiet: true });
      await socket.send(sink.address, new Uint8Array([4]));
      await until(() => received.length === 2, 'the datagrams after the failure');
      expect(received).to.deep.equal([3, 4]);
      expect(sendFailureOf(new Error('other'))).to.equal(undefined);
    });

    it('should keep the daemon backpressure: quiet sends held by flow control stop resolving once the daemon stops reading, and resume as the remote confirms', async function () {
      this.timeout(20000);
      await listen({ pendingSendsPerClient: 4 });
      const client = await connect();
      const peer = new RawPeer(host.router, { kind: 'mhi', key: 'a' }, 7);
      peer.hello();
      await settle();
      const socket = await client.openSocket({ quietSends: true });
      const to = { node: 7, port: 3 };
      const payload = new Uint8Array(60000);
      let resolved = 0;
      let blocked: Promise<void> | undefined;
      const failures: RemoteSendFailure[] = [];
      socket.sendFailures$.subscribe((f) => failures.push(f));
      for (let i = 0; i < 200; i++) {
        const sent = socket.send(to, payload);
        if (!(await settlesWithin(sent, 20))) {
          blocked = sent;
          break;
        }
        resolved++;
      }
      // 10 in the flow's window, 4 waiting in the daemon, then the socket buffers and 256 KiB here.
      expect(blocked, 'a quiet send that waits').to.not.equal(undefined);
      expect(resolved).to.be.greaterThan(14);
      expect(peer.data().length).to.equal(10);
      // The remote confirms as it consumes: everything drains and the waiting send resolves.
      const confirm = setInterval(() => {
        peer.send({ type: QrtrType.RESUME_TX, srcPort: 3, dstPort: socket.address.port }, new Uint8Array([7, 0, 0, 0, 7, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
      }, 2);
      try {
        await blocked;
        await until(() => peer.data().length === resolved + 1, 'every datagram transmitted', 15000);
      } finally {
        clearInterval(confirm);
      }
      expect(failures).to.deep.equal([]);
    });
  });
});
