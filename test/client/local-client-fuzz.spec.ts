import { expect } from 'chai';
import fc from 'fast-check';
import * as net from 'node:net';
import * as path from 'node:path';
import { LocalClientServer } from '../../src/services/local-client';
import { LOCAL_CLIENT_PROTOCOL_VERSION, Op, connectQrtrd, encodeFrame, encodeJsonFrame } from '../../src/client';
import { createHost } from '../helpers/host';
import { tempDir } from '../links/helpers';

/** Writes bytes after a valid HELLO and resolves once the server closed the connection or went quiet. */
function hammer(socketPath: string, bytes: Buffer): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection(socketPath);
    const ops: number[] = [];
    let received = Buffer.alloc(0);
    let timer: NodeJS.Timeout;
    const done = (): void => {
      clearTimeout(timer);
      conn.destroy();
      resolve(ops);
    };
    conn.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      while (received.length >= 4 && received.length >= 4 + received.readUInt32LE(0)) {
        ops.push(received[4]);
        received = received.subarray(4 + received.readUInt32LE(0));
      }
    });
    conn.on('close', done);
    conn.on('error', reject);
    conn.on('connect', () => {
      conn.write(encodeJsonFrame(Op.HELLO, 0, { protocol: LOCAL_CLIENT_PROTOCOL_VERSION, pid: 0 }));
      conn.write(bytes);
      timer = setTimeout(done, 30);
    });
  });
}

const frameArb = fc
  .record({
    op: fc.oneof(fc.constantFrom(...Object.values(Op)), fc.integer({ min: 0, max: 255 })),
    flags: fc.integer({ min: 0, max: 7 }),
    id: fc.oneof(fc.constant(1), fc.nat()),
    fields: fc.array(fc.oneof(fc.constant(0), fc.constant(1), fc.constant(0x4000), fc.nat()), { maxLength: 5 }),
    tail: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.json().map((j) => Buffer.from(j))),
  })
  .map((f) => encodeFrame(f.op, f.flags, f.id, f.fields, f.tail));

describe('LocalClientServer under hostile clients', () => {
  it('should answer arbitrary frames and bytes with RESULT, ERROR or FATAL only, and keep serving others', async function () {
    this.timeout(60000);
    const tmp = tempDir('fuzz');
    const socketPath = path.join(tmp.dir, 'qrtrd.sock');
    const { router, ns } = createHost();
    const server = new LocalClientServer(router, ns, { path: socketPath });
    await server.listen();
    const portsAtStart = router.portCount;
    const allowed = new Set<number>([Op.WELCOME, Op.RESULT, Op.ERROR, Op.FATAL, Op.LOOKUP_EVENT, Op.LOOKUP_ERROR, Op.MESSAGE, Op.SOCKET_ERROR, Op.SOCKET_CLOSED]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.array(frameArb, { maxLength: 8 }).map((frames) => Buffer.concat(frames)), fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b))), async (bytes) => {
        const ops = await hammer(socketPath, bytes);
        expect(ops[0]).to.equal(Op.WELCOME);
        expect(ops.every((op) => allowed.has(op))).to.equal(true, ops.join(','));
        const fatal = ops.indexOf(Op.FATAL);
        expect(fatal === -1 || fatal === ops.length - 1).to.equal(true, 'nothing follows FATAL');
      }),
      { numRuns: 60 },
    );
    // Every hostile connection is gone and left nothing behind.
    const deadline = Date.now() + 2000;
    while (server.clientCount > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(server.clientCount).to.equal(0);
    expect(router.portCount).to.equal(portsAtStart);
    expect(ns.stats().lookups).to.equal(0);
    expect(router.endpointIds.size).to.equal(0);
    const client = await connectQrtrd(socketPath);
    const socket = await client.openSocket();
    expect(socket.address.port).to.equal(0x4000);
    client.close();
    await server.close();
    router.shutdown();
    tmp.remove();
  });

  it('should refuse another protocol version and tell a client about sockets the daemon closed', async () => {
    const tmp = tempDir('fuzz');
    const socketPath = path.join(tmp.dir, 'qrtrd.sock');
    const { router, ns } = createHost();
    const server = new LocalClientServer(router, ns, { path: socketPath });
    await server.listen();
    const conn = net.createConnection(socketPath);
    let received = Buffer.alloc(0);
    conn.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
    await new Promise((resolve) => conn.once('connect', resolve));
    conn.write(encodeJsonFrame(Op.HELLO, 0, { protocol: 99 }));
    await new Promise((resolve) => conn.once('close', resolve));
    expect(received[4]).to.equal(Op.FATAL);
    expect(JSON.parse(received.subarray(12).toString()).code).to.equal('QRTRD_CLIENT_PROTOCOL_VERSION');

    const client = await connectQrtrd(socketPath);
    const socket = await client.openSocket();
    let completed = false;
    socket.messages$.subscribe({ complete: () => (completed = true) });
    router.shutdown();
    const deadline = Date.now() + 2000;
    while (!socket.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(socket.closed).to.equal(true);
    expect(completed).to.equal(true);
    client.close();
    await server.close();
    tmp.remove();
  });
});
