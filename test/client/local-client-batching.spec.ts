import { expect } from 'chai';
import * as path from 'node:path';
import { firstValueFrom } from 'rxjs';
import { Writable } from 'node:stream';
import { LocalClientServer } from '../../src/services/local-client';
import * as net from 'node:net';
import { FrameDecoder, FrameWriter, LOCAL_CLIENT_PROTOCOL_VERSION, MAX_SERVER_FRAME_LENGTH, Op, encodeFrame, encodeJsonFrame } from '../../src/services/local-client/protocol';
import { connectQrtrd, type QrtrdConnection } from '../../src/client';
import type { QrtrMessage } from '../../src/router';
import { createHost } from '../helpers/host';
import { tempDir, until } from '../links/helpers';

/** A real Writable that records how its chunks were handed down: one entry per _write/_writev call. */
class RecordingStream extends Writable {
  readonly calls: Buffer[][] = [];
  constructor() {
    super({
      writev: (chunks, callback) => {
        this.calls.push(chunks.map((c) => c.chunk as Buffer));
        callback();
      },
      write: (chunk: Buffer, _encoding, callback) => {
        this.calls.push([chunk]);
        callback();
      },
    });
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FrameWriter (batched local-client writes)', () => {
  it('should hand every frame of one event-loop turn down in one write, in order, including frames queued by promise continuations', async () => {
    const stream = new RecordingStream();
    const writer = new FrameWriter(stream);
    for (let i = 0; i < 50; i++) writer.write(Buffer.from([i]));
    await Promise.resolve().then(() => writer.write(Buffer.from([50])));
    expect(stream.calls).to.have.length(0);
    expect(writer.queuedBytes).to.equal(51); // the per-client byte bound sees frames not yet written
    await turn();
    expect(stream.calls).to.have.length(1);
    expect([...Buffer.concat(stream.calls[0])]).to.deep.equal([...Array(51).keys()]);
    writer.write(Buffer.from([51]));
    await turn();
    expect(stream.calls.map((c) => [...Buffer.concat(c)])).to.deep.equal([[...Array(51).keys()], [51]]);
  });

  it('should encode frames into its buffer exactly as encodeFrame does', async () => {
    const stream = new RecordingStream();
    const writer = new FrameWriter(stream);
    const tail = Buffer.from('payload');
    writer.frame(0x83, 1, 7, 3, 10, 20, 0xffffffff, 0, tail);
    writer.frame(0x81, 0, 8, 0);
    writer.frame(0x04, 2, 9, 4, 1, 2, 3, 4, new Uint8Array(0));
    await turn();
    const expected = Buffer.concat([encodeFrame(0x83, 1, 7, [10, 20, 0xffffffff], tail), encodeFrame(0x81, 0, 8, []), encodeFrame(0x04, 2, 9, [1, 2, 3, 4])]);
    expect(Buffer.concat(stream.calls.flat()).equals(expected)).to.equal(true);
  });

  it('should not overwrite bytes a real socket still holds: frames written while the peer does not read arrive intact', async () => {
    const tmpSock = tempDir('writer');
    const serverSocket = await new Promise<{ server: net.Server; peer: Promise<net.Socket> }>((resolve) => {
      let accept!: (s: net.Socket) => void;
      const peer = new Promise<net.Socket>((r) => (accept = r));
      const server = net.createServer((c) => accept(c));
      server.listen(path.join(tmpSock.dir, 'w.sock'), () => resolve({ server, peer }));
    });
    const client = net.createConnection(path.join(tmpSock.dir, 'w.sock'));
    const peer = await serverSocket.peer;
    peer.pause();
    const writer = new FrameWriter(client);
    const expected: Buffer[] = [];
    for (let turnNo = 0; turnNo < 200; turnNo++) {
      const tail = Buffer.alloc(4000, turnNo & 0xff);
      for (let i = 0; i < 4; i++) {
        writer.frame(0x83, 0, turnNo, 1, i, 0, 0, 0, tail);
        expected.push(encodeFrame(0x83, 0, turnNo, [i], tail));
      }
      await turn();
    }
    const want = Buffer.concat(expected);
    const got: Buffer[] = [];
    let length = 0;
    await new Promise<void>((resolve) => {
      peer.on('data', (d: Buffer) => {
        got.push(d);
        length += d.length;
        if (length >= want.length) resolve();
      });
      peer.resume();
    });
    expect(Buffer.concat(got).equals(want)).to.equal(true);
    client.destroy();
    peer.destroy();
    serverSocket.server.close();
    tmpSock.remove();
  });

  it('should write the frames of a read batch when the batch ends, one write per writer, before the turn is over', async () => {
    const a = new RecordingStream();
    const b = new RecordingStream();
    const writerA = new FrameWriter(a);
    const writerB = new FrameWriter(b);
    writerA.write(Buffer.from([0])); // before the batch: waits for the turn's end, then leaves with the batch's frames
    FrameWriter.beginBatch();
    writerA.write(Buffer.from([1]));
    writerB.write(Buffer.from([10]));
    FrameWriter.beginBatch(); // nested (a chunk handled inside another): only the outer end writes
    writerA.write(Buffer.from([2]));
    FrameWriter.endBatch();
    expect(a.calls).to.have.length(0);
    writerB.write(Buffer.from([11]));
    FrameWriter.endBatch();
    // Synchronously at the end of the batch, not from setImmediate.
    expect(a.calls.map((c) => [...Buffer.concat(c)])).to.deep.equal([[0, 1, 2]]);
    expect(b.calls.map((c) => [...Buffer.concat(c)])).to.deep.equal([[10, 11]]);
    writerA.write(Buffer.from([3])); // outside a batch again: per turn
    expect(a.calls).to.have.length(1);
    await turn();
    expect(a.calls.map((c) => [...Buffer.concat(c)])).to.deep.equal([[0, 1, 2], [3]]);
  });

  it('should write every writer once when a flush hands an in-process peer a chunk that batches frames of its own', () => {
    const c = new RecordingStream();
    const d = new RecordingStream();
    const writerC = new FrameWriter(c);
    const writerD = new FrameWriter(d);
    // An in-process peer (a stream pair in one process): it handles the chunk it is written at
    // once, inside the outer batch's flush, and that handling writes to two other connections.
    const peerSide = new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        FrameWriter.beginBatch();
        writerC.write(Buffer.from([100 + chunk[chunk.length - 1]]));
        writerD.write(Buffer.from([200 + chunk[chunk.length - 1]]));
        FrameWriter.endBatch();
        callback();
      },
    });
    const a = new RecordingStream();
    const writerA = new FrameWriter(a);
    const writerPeer = new FrameWriter(peerSide);
    FrameWriter.beginBatch();
    writerPeer.write(Buffer.from([1]));
    writerA.write(Buffer.from([2]));
    FrameWriter.endBatch();
    expect(a.calls.map((x) => [...Buffer.concat(x)])).to.deep.equal([[2]]);
    expect(c.calls.map((x) => [...Buffer.concat(x)])).to.deep.equal([[101]]);
    expect(d.calls.map((x) => [...Buffer.concat(x)])).to.deep.equal([[201]]);
    // The batch list is empty again: a later batch writes only its own frames.
    FrameWriter.beginBatch();
    writerA.write(Buffer.from([3]));
    FrameWriter.endBatch();
    expect(a.calls.map((x) => [...Buffer.concat(x)])).to.deep.equal([[2], [3]]);
    expect(c.calls).to.have.length(1);
  });

  it('should flush what is queued when the stream is ended in the same turn', async () => {
    const stream = new RecordingStream();
    const writer = new FrameWriter(stream);
    writer.write(Buffer.from([1]));
    writer.write(Buffer.from([2]));
    writer.end();
    await new Promise<void>((resolve) => stream.once('finish', resolve));
    expect([...Buffer.concat(stream.calls.flat())]).to.deep.equal([1, 2]);
  });
});

describe('local-client ordering and fairness under batching', () => {
  let tmp: ReturnType<typeof tempDir>;
  let host: ReturnType<typeof createHost>;
  let server: LocalClientServer;
  let connections: QrtrdConnection[];
  let socketPath: string;

  beforeEach(async () => {
    tmp = tempDir('client-batching');
    socketPath = path.join(tmp.dir, 'qrtrd.sock');
    host = createHost();
    server = new LocalClientServer(host.router, host.ns, { path: socketPath });
    await server.listen();
    connections = [];
  });

  afterEach(async () => {
    for (const c of connections) c.close();
    await server.close();
    host.router.shutdown();
    tmp.remove();
  });

  async function connect(): Promise<QrtrdConnection> {
    const c = await connectQrtrd(socketPath);
    connections.push(c);
    return c;
  }

  it('should keep each client\'s datagrams and send completions in order when both send a burst in one turn', async () => {
    const [a, b] = [await connect(), await connect()];
    const [sa, sb] = [await a.openSocket(), await b.openSocket()];
    const sink = host.router.openSocketSync();
    const seen = new Map<number, number[]>();
    sink.messages$.subscribe((m: QrtrMessage) => {
      const list = seen.get(m.from.port) ?? [];
      list.push(new DataView(m.data.buffer, m.data.byteOffset).getUint32(0, true));
      seen.set(m.from.port, list);
    });
    const burst = 300;
    const completions: string[] = [];
    const sends: Promise<void>[] = [];
    for (let i = 0; i < burst; i++) {
      for (const [name, s] of [['a', sa], ['b', sb]] as const) {
        const data = new Uint8Array(4);
        new DataView(data.buffer).setUint32(0, i, true);
        sends.push(s.send(sink.address, data).then(() => void completions.push(`${name}${i}`)));
      }
    }
    await Promise.all(sends);
    await until(() => (seen.get(sa.address.port)?.length ?? 0) === burst && (seen.get(sb.address.port)?.length ?? 0) === burst, 'both bursts');
    expect(seen.get(sa.address.port)).to.deep.equal([...Array(burst).keys()]);
    expect(seen.get(sb.address.port)).to.deep.equal([...Array(burst).keys()]);
    for (const name of ['a', 'b']) {
      expect(completions.filter((c) => c[0] === name)).to.deep.equal([...Array(burst).keys()].map((i) => `${name}${i}`));
    }
  });

  it('should answer a quiet client while another floods: its round trip completes before the flood is through', async function () {
    this.timeout(20000);
    const [flooder, quiet] = [await connect(), await connect()];
    const [sf, sq] = [await flooder.openSocket(), await quiet.openSocket()];
    const sink = host.router.openSocketSync();
    let sunk = 0;
    sink.messages$.subscribe(() => void sunk++);
    const echo = host.router.openSocketSync();
    echo.messages$.subscribe((m) => void echo.send(m.from, m.data));
    const flood = 20_000;
    const payload = new Uint8Array(64);
    const flooding: Promise<void>[] = [];
    for (let i = 0; i < flood; i++) flooding.push(sf.send(sink.address, payload));
    const replied = firstValueFrom(sq.messages$);
    await sq.send(echo.address, new Uint8Array([1]));
    const reply = await replied;
    const sunkAtReply = sunk;
    expect(reply.data[0]).to.equal(1);
    await Promise.all(flooding);
    await until(() => sunk === flood, 'the whole flood');
    expect(sunkAtReply, 'flood datagrams delivered before the quiet client was answered').to.be.below(flood);
  });
});

describe('local-client bounds on what waits for a client (per socket and per connection)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let host: ReturnType<typeof createHost>;
  let server: LocalClientServer;
  let socketPath: string;

  beforeEach(async () => {
    tmp = tempDir('client-bounds');
    socketPath = path.join(tmp.dir, 'qrtrd.sock');
    host = createHost();
    server = new LocalClientServer(host.router, host.ns, { path: socketPath, limits: { queuedBytesPerSocket: 256 * 1024, writeQueueLimitBytes: 512 * 1024 } });
    await server.listen();
  });

  afterEach(async () => {
    await server.close();
    host.router.shutdown();
    tmp.remove();
  });

  /** A raw protocol client: HELLO, then OPEN with `window`; returns the stream and the socket's port. */
  async function rawClient(window: number): Promise<{ conn: net.Socket; port: number; frames: { op: number; id: number; body: Buffer }[] }> {
    const conn = net.createConnection(socketPath);
    await new Promise<void>((resolve) => conn.once('connect', () => resolve()));
    const frames: { op: number; id: number; body: Buffer }[] = [];
    const decoder = new FrameDecoder((f) => frames.push({ op: f.op, id: f.id, body: Buffer.from(f.body) }), MAX_SERVER_FRAME_LENGTH);
    const onData = (chunk: Buffer): void => decoder.push(chunk);
    conn.on('data', onData);
    conn.write(encodeJsonFrame(Op.HELLO, 0, { protocol: LOCAL_CLIENT_PROTOCOL_VERSION }));
    conn.write(encodeFrame(Op.OPEN, 0, 1, [0, window]));
    await until(() => frames.some((f) => f.op === Op.RESULT), 'OPEN answered');
    const port = frames.find((f) => f.op === Op.RESULT)!.body.readUInt32LE(8);
    return { conn, port, frames };
  }

  it('should drop and count, per socket, datagrams beyond its queued-bytes bound while the client withholds credit (root too)', async () => {
    const raw = await rawClient(1);
    const { conn, port } = raw;
    const sender = host.router.openSocketSync();
    const payload = new Uint8Array(60000);
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      await sender.send({ node: host.router.localNode, port }, payload).catch(() => void refused++);
    }
    const stats = server.clientStats().flatMap((c) => c.sockets).find((s) => s.port === port)!;
    // One datagram is in the client's window; at most 256 KiB wait; the rest are refused to the local sender.
    expect(stats.queuedBytes).to.be.at.most(256 * 1024);
    expect(stats.queuedBytes).to.be.greaterThan(128 * 1024);
    expect(stats.dropped).to.equal(refused);
    expect(refused).to.equal(40 - 1 - Math.floor((256 * 1024) / (60000 + 64)));
    // The client is told through the `connection` query, which reports its own sockets only.
    const root = await connectQrtrd(socketPath);
    const mine = (await root.query('connection')) as { sockets: unknown[] };
    expect(mine.sockets).to.deep.equal([]);
    root.close();
    conn.write(encodeJsonFrame(Op.QUERY, 9, { name: 'connection' }));
    await until(() => raw.frames.some((f) => f.op === Op.RESULT && f.id === 9), 'the connection query answered');
    const answer = raw.frames.find((f) => f.op === Op.RESULT && f.id === 9)!;
    const reported = (JSON.parse(answer.body.toString()) as { result: { sockets: { port: number; dropped: number }[] } }).result;
    expect(reported.sockets).to.deep.equal([{ handle: 1, port, queuedBytes: stats.queuedBytes, dropped: refused }]);
    conn.destroy();
  });

  it('should disconnect a client that stops reading once more than its write bound is queued, counting frames not yet written', async () => {
    const { conn, port } = await rawClient(1024);
    conn.pause();
    const events: string[] = [];
    server.events$.subscribe((e) => e.type === 'disconnected' && events.push(e.reason));
    const sender = host.router.openSocketSync();
    const payload = new Uint8Array(60000);
    for (let i = 0; i < 200 && events.length === 0; i++) {
      await sender.send({ node: host.router.localNode, port }, payload).catch(() => undefined);
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    await until(() => events.length > 0, 'the client cut');
    expect(events).to.deep.equal(['not-reading']);
    conn.destroy();
  });
});
