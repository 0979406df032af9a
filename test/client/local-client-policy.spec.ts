import { expect } from 'chai';
import fc from 'fast-check';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { firstValueFrom } from 'rxjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectQrtrd } from '../../src/client';
import { readPeerCredentials } from '../../src/kernel/native-loader';
import { LocalClientServer, parsePolicyConfig, resolveRights, DEFAULT_POLICY } from '../../src/services/local-client';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';
import { tempDir, until } from '../links/helpers';
import { QRTR_NODE_BCAST, QRTR_PORT_CTRL, QRTR_PORT_CTRL_LEGACY, QrtrType, encodeControl } from '../../src/wire';

const QRTR_CLI = path.join(__dirname, '..', '..', 'src', 'cli', 'qrtr.js');
/** The per-uid queued-bytes bound of the test policy. */
const UID_QUEUED_BYTES = 1024 * 1024;

const POLICY_CLIENT = path.join(__dirname, 'fixtures', 'policy-client.js');
/** nobody/nogroup: the unprivileged user the clients drop to. */
const UID = 65534;
const GID = 65534;

interface Outcome {
  ok?: boolean;
  code?: string;
  message?: string;
  uid?: number;
}

/** Runs one attempt in a real process of uid 65534 and returns what it saw. */
function runAs(socketPath: string, action: string, a: number, b: number, extra = ''): Promise<Outcome & Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [POLICY_CLIENT, socketPath, action, String(a), String(b), extra], { uid: UID, gid: GID, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Outcome & Record<string, unknown>);
      } catch {
        reject(new Error(`policy client printed ${JSON.stringify(out)}, stderr ${err}`));
      }
    });
  });
}

/** The code a promise rejects with, or 'RESULT' if it resolves. */
function refusalOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => 'RESULT',
    (err: { code?: string }) => err.code,
  );
}

/** Like runAs, but the client stays connected (HOLD=1) until release() closes its stdin. */
function startAs(socketPath: string, action: string, a: number, b: number, extra = ''): Promise<{ outcome: Outcome & Record<string, unknown>; child: ChildProcessWithoutNullStreams; release(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [POLICY_CLIENT, socketPath, action, String(a), String(b), extra], { uid: UID, gid: GID, env: { ...process.env, HOLD: '1' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        child.stdout.removeAllListeners('data');
        resolve({
          outcome: JSON.parse(line) as Outcome & Record<string, unknown>,
          child,
          release: () =>
            new Promise<void>((done) => {
              child.once('exit', () => done());
              child.stdin.end();
            }),
        });
      }
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`policy client exited (${code}) before reporting: ${out}`)));
  });
}

describe('local-client policy: refusals an unprivileged user sees (real processes of uid 65534; issue #18)', function () {
  this.timeout(20000);
  let tmp: ReturnType<typeof tempDir>;
  let socketPath: string;
  let host: ReturnType<typeof createHost>;
  let server: LocalClientServer;
  let cardA: RawPeer;
  let cardB: RawPeer;

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('    skipped: these tests fork clients that drop to uid 65534, which needs root (id -u is not 0)');
      this.skip();
    }
    if (readPeerCredentials(0) === null && !fs.existsSync(path.join(__dirname, '..', '..', '..', 'native', 'build', 'Release', 'qrtr_native.node'))) {
      console.log('    skipped: the native addon (SO_PEERCRED) is not built');
      this.skip();
    }
  });

  beforeEach(async () => {
    tmp = tempDir('policy');
    fs.chmodSync(tmp.dir, 0o755);
    socketPath = path.join(tmp.dir, 'qrtrd.sock');
    host = createHost();
    cardA = new RawPeer(host.router, { kind: 'mhi', key: '0000:01:00.0' }, 7);
    cardB = new RawPeer(host.router, { kind: 'mhi', key: '0000:02:00.0' }, 7);
    cardA.hello();
    cardB.hello();
    await settle();
    const policy = parsePolicyConfig(
      { socketMode: 0o660, socketGroup: GID, grants: [{ uids: [UID], endpoints: ['mhi:0000:01:*'], publish: [0x4242] }], perUid: { connections: 2, queuedBytes: UID_QUEUED_BYTES } },
      (key, expected, actual) => {
        throw new Error(`${key}: ${expected} (${String(actual)})`);
      },
    );
    server = new LocalClientServer(host.router, host.ns, { path: socketPath, policy, peerCredentials: readPeerCredentials });
    await server.listen();
  });

  afterEach(async () => {
    await server.close();
    host.router.shutdown();
    tmp.remove();
  });

  function dataOn(card: RawPeer, text: string): number {
    return card.data().filter((p) => Buffer.from(p.payload).toString().includes(text)).length;
  }

  it('should let a publish grant announce its own server of a granted service, and refuse any other control message', async () => {
    const { outcome, release } = await startAs(socketPath, 'publish', 0x4242, 0x4343);
    try {
      expect(outcome.ok, JSON.stringify(outcome)).to.equal(true);
      // The granted NEW_SERVER reached the name service, for the client's own port only.
      expect(host.ns.servers({ service: 0x4242 }).map((s) => s.port)).to.deep.equal([outcome.port]);
      // Another service, or the granted one for another port: typed refusals, nothing registered.
      expect(outcome.codes).to.deep.equal({ QRTRD_POLICY_DENIED: 2 });
      expect(host.ns.servers({ service: 0x4343 })).to.deep.equal([]);
    } finally {
      await release();
    }
    await settle();
    expect(host.ns.servers({ service: 0x4242 }), 'removed with its client').to.deep.equal([]);
  });

  it('should create the socket file with the configured mode and group, not from the umask', () => {
    const stat = fs.statSync(socketPath);
    expect(stat.mode & 0o777).to.equal(0o660);
    expect(stat.gid).to.equal(GID);
  });

  it('should deliver on the granted endpoint (the grant works)', async () => {
    const outcome = await runAs(socketPath, 'send-granted', cardA.id, cardB.id);
    expect(outcome).to.deep.include({ ok: true, uid: UID });
    await until(() => dataOn(cardA, 'to-A') === 1, 'the datagram on card A');
  });

  it('should refuse a send naming endpoint B from a socket bound to A, and B receives nothing', async () => {
    const outcome = await runAs(socketPath, 'send-other-endpoint', cardA.id, cardB.id);
    expect(outcome.code).to.equal('QRTRD_POLICY_DENIED');
    await settle();
    expect(dataOn(cardB, 'to-B')).to.equal(0);
    expect(server.refusals(UID).get('send on an endpoint the policy does not grant')).to.equal(1);
  });

  it('should refuse binding to an endpoint the policy does not grant', async () => {
    const outcome = await runAs(socketPath, 'bind-ungranted', cardA.id, cardB.id);
    expect(outcome.code).to.equal('QRTRD_POLICY_DENIED');
  });

  it('should refuse TRACE', async () => {
    expect((await runAs(socketPath, 'trace', cardA.id, cardB.id)).code).to.equal('QRTRD_POLICY_DENIED');
  });

  for (const action of ['control-card', 'control-broadcast', 'control-router']) {
    it(`should refuse DATA to a control port (${action}) with ERROR, never delivering it`, async () => {
      const outcome = await runAs(socketPath, action, cardA.id, cardB.id);
      expect(outcome.code).to.equal('QRTRD_POLICY_DENIED');
      await settle();
      // The router's own DEL_CLIENT for the closed port is expected; the client's BYE and DATA are not.
      expect(cardA.controls(QrtrType.BYE).length + cardB.controls(QrtrType.BYE).length).to.equal(0);
      expect(cardA.data().length + cardB.data().length).to.equal(0);
    });
  }

  it('should bound made-up reservations per uid across connections, leaving IDs for the cards', async () => {
    const outcome = await runAs(socketPath, 'reserve', cardA.id, cardB.id);
    expect(outcome.code).to.equal('QRTRD_CLIENT_UID_LIMIT');
    // The cards and root are unaffected: a new card still attaches.
    const cardC = new RawPeer(host.router, { kind: 'mhi', key: '0000:03:00.0' }, 8);
    expect(cardC.id).to.be.greaterThan(0);
  });

  it('should refuse the connection over the per-uid limit with a typed FATAL the SDK turns into "too many clients for uid"', async () => {
    const outcome = await runAs(socketPath, 'connections', cardA.id, cardB.id);
    expect(outcome.code).to.equal('QRTRD_CLIENT_TOO_MANY');
    expect(outcome.message).to.contain(`too many clients for uid ${UID}`);
    // root is not bounded by the uid limit and keeps full rights.
    const root = await connectQrtrd(socketPath);
    const socket = await root.openSocket();
    await socket.send({ node: 7, port: 0x4001 }, Buffer.from('root-to-B'), { endpoint: cardB.id });
    await until(() => dataOn(cardB, 'root-to-B') === 1, 'root datagram on B');
    root.close();
  });

  it('should bound 64 connections x 64 RESERVE of made-up keys per uid, so a card and root still get endpoint IDs', async () => {
    const outcome = await runAs(socketPath, 'reserve-flood', cardA.id, cardB.id);
    const codes = outcome.codes as Record<string, number>;
    expect(outcome.connections).to.equal(2); // perUid.connections
    expect(codes.QRTRD_CLIENT_TOO_MANY).to.equal(62);
    expect(outcome.granted).to.equal(DEFAULT_POLICY.defaultReservations);
    expect(codes.QRTRD_CLIENT_UID_LIMIT).to.equal(2 * 64 - DEFAULT_POLICY.defaultReservations);
    const cardC = new RawPeer(host.router, { kind: 'mhi', key: '0000:03:00.0' }, 8);
    expect(cardC.id).to.be.greaterThan(0);
    const root = await connectQrtrd(socketPath);
    const reservation = await root.reserveEndpoint({ kind: 'mhi', key: '0000:04:00.0' });
    expect(reservation.id).to.be.greaterThan(0);
    root.close();
  });

  it('should answer the 65th connection with FATAL QRTRD_CLIENT_TOO_MANY, which `qrtr lookup` reports instead of "no daemon"; the other clients keep working', async () => {
    const roots = await Promise.all(Array.from({ length: 64 }, () => connectQrtrd(socketPath)));
    const outcome = await runAs(socketPath, 'send-granted', cardA.id, cardB.id);
    expect(outcome.code).to.equal('QRTRD_CLIENT_TOO_MANY');
    expect(outcome.message).to.contain('too many clients');
    const cli = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [QRTR_CLI, 'lookup', '1', '--socket', socketPath], { uid: UID, gid: GID, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(cli.code).to.not.equal(0);
    expect(cli.stderr).to.contain('too many clients');
    expect(cli.stderr).to.not.contain('Start it with');
    const socket = await roots[63].openSocket();
    await socket.send({ node: 7, port: 0x4001 }, Buffer.from('root-still-works'), { endpoint: cardA.id });
    await until(() => dataOn(cardA, 'root-still-works') === 1, 'the datagram of a connected client');
    for (const root of roots) root.close();
  });

  it("should answer DEL_CLIENT for another client's port and BYE to the router's control port with ERROR, never RESULT (root included), and the victim's server stays", async () => {
    const root = await connectQrtrd(socketPath);
    const victim = await root.openSocket();
    await victim.send({ node: root.localNode, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.NEW_SERVER, service: 4242, instance: 1, node: root.localNode, port: victim.address.port }));
    await until(() => host.ns.servers({ service: 4242 }).length === 1, 'the victim server registered');
    // The unprivileged user: refused by policy before it reaches the name service.
    expect((await runAs(socketPath, 'del-client-other', victim.address.port, 0)).code).to.equal('QRTRD_POLICY_DENIED');
    // Root has the control right: the name service refuses and the SEND answers its code.
    const attacker = await root.openSocket();
    const delClient = attacker.send({ node: root.localNode, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.DEL_CLIENT, node: root.localNode, port: victim.address.port }));
    expect(await refusalOf(delClient)).to.equal('NS_REJECTED_COMMAND');
    const bye = attacker.send({ node: root.localNode, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.BYE }));
    expect(await refusalOf(bye)).to.equal('NS_REJECTED_COMMAND');
    expect(host.ns.servers({ service: 4242 })).to.have.length(1);
    // A command the name service accepts still answers RESULT.
    await attacker.send({ node: root.localNode, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.DEL_CLIENT, node: root.localNode, port: attacker.address.port }));
    root.close();
  });

  it("should refuse 4,100 NEW_LOOKUP sent as DATA to the router's control port, leaving the lookup table to everyone else", async () => {
    const outcome = await runAs(socketPath, 'lookup-flood', cardA.id, cardB.id);
    expect(outcome.delivered).to.equal(0);
    expect((outcome.codes as Record<string, number>).QRTRD_POLICY_DENIED).to.equal(4100);
    cardA.announce(77, 1, 0x4001);
    const root = await connectQrtrd(socketPath);
    const snapshot = await firstValueFrom(root.lookup$({ service: 77 }));
    expect(snapshot).to.deep.include({ type: 'snapshot' });
    expect((snapshot as unknown as { servers: unknown[] }).servers).to.have.length(1);
    root.close();
  });

  it('should bound the bytes queued for a client that reads but never returns credit, counting the drops on its socket, while another client is served', async () => {
    const { outcome, release } = await startAs(socketPath, 'no-credit', 0, 0);
    expect(outcome.ok).to.equal(true);
    const root = await connectQrtrd(socketPath);
    const honest = await root.openSocket();
    const received: number[] = [];
    honest.messages$.subscribe((m) => received.push(m.data.length));
    const payload = new Uint8Array(60000);
    for (let i = 0; i < 400; i++) {
      cardA.send({ srcPort: 0x4001, dstPort: outcome.port as number }, payload);
      if (i % 40 === 0) cardA.send({ srcPort: 0x4001, dstPort: honest.address.port }, payload);
    }
    await until(() => received.length === 10, 'the other client served');
    const usage = server.queueUsage(UID);
    // 400 x 60 kB (24 MB) sent; at most the uid's bound waits in the daemon, the rest is dropped and counted.
    expect(usage.queuedBytes).to.be.at.most(UID_QUEUED_BYTES);
    expect(usage.queuedBytes).to.be.greaterThan(UID_QUEUED_BYTES / 2);
    const sockets = server.clientStats().flatMap((c) => c.sockets).filter((s) => s.port === outcome.port);
    expect(sockets).to.have.length(1);
    expect(sockets[0].dropped).to.equal(usage.dropped);
    expect(sockets[0].dropped).to.be.at.least(400 - 1 - Math.floor(UID_QUEUED_BYTES / 60000));
    await release();
    await until(() => server.queueUsage(UID).queuedBytes === 0, 'the queued bytes released with the client');
    root.close();
  });

  it('should reassemble a 64 KiB frame written one byte per write(2) copying each received byte once', async function () {
    this.timeout(120000);
    const root = await connectQrtrd(socketPath);
    const sink = await root.openSocket();
    const got = firstValueFrom(sink.messages$);
    const { outcome, release } = await startAs(socketPath, 'one-byte', sink.address.port, 0);
    expect(outcome).to.deep.include({ ok: true });
    expect((await got).data.length).to.equal(65535);
    const stats = server.clientStats().filter((c) => c.uid === UID);
    const raw = stats.reduce((x, y) => (x.receivedBytes > y.receivedBytes ? x : y));
    expect(raw.receivedBytes).to.be.at.least(outcome.frameBytes as number);
    // Linear: bytes moved by reassembly never exceed the bytes received (+ 4 per frame whose length field was split).
    expect(raw.reassemblyCopiedBytes).to.be.at.most(raw.receivedBytes + 4 * 3);
    await release();
    root.close();
  });

  it('should cut a stopped client at shutdown and remove the socket file within the deadline', async () => {
    const child = spawn(process.execPath, ['-e', `require('net').connect(${JSON.stringify(socketPath)}); setInterval(() => {}, 1000)`], { uid: UID, gid: GID, stdio: 'ignore' });
    await until(() => server.clientCount === 1, 'the client connected');
    child.kill('SIGSTOP');
    const started = process.hrtime.bigint();
    await server.close();
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    expect(fs.existsSync(socketPath)).to.equal(false);
    expect(elapsedMs).to.be.lessThan(10000);
    child.kill('SIGKILL');
    // afterEach closes again: a no-op on a closed server.
    server = new LocalClientServer(host.router, host.ns, { path: path.join(tmp.dir, 'unused.sock') });
  });
});

describe('local-client policy: random operations of an unprivileged user through the socket (property, real processes of uid 65534)', function () {
  this.timeout(180000);

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('    skipped: these tests fork clients that drop to uid 65534, which needs root (id -u is not 0)');
      this.skip();
    }
  });

  it('should never deliver to an endpoint the policy denies, nor DATA to any control port', async () => {
    const tmp = tempDir('policy-prop');
    fs.chmodSync(tmp.dir, 0o755);
    const socketPath = path.join(tmp.dir, 'qrtrd.sock');
    const host = createHost();
    const cardA = new RawPeer(host.router, { kind: 'mhi', key: '0000:01:00.0' }, 7);
    const cardB = new RawPeer(host.router, { kind: 'mhi', key: '0000:02:00.0' }, 8);
    cardA.hello();
    cardB.hello();
    await settle();
    const policy = { ...DEFAULT_POLICY, socketGroup: GID, grants: [{ uids: [UID], endpoints: ['mhi:0000:01:*'] }] };
    const server = new LocalClientServer(host.router, host.ns, { path: socketPath, policy, peerCredentials: readPeerCredentials });
    await server.listen();
    const local = host.router.localNode;
    try {
      const endpoint = fc.constantFrom(cardA.id, cardB.id, 0, 999);
      const op = fc.oneof(
        fc.record({ bind: endpoint }),
        fc.record(
          { node: fc.constantFrom(7, 8, local, QRTR_NODE_BCAST, 99), port: fc.constantFrom(0x4001, QRTR_PORT_CTRL, QRTR_PORT_CTRL_LEGACY, 1), endpoint },
          { requiredKeys: ['node', 'port'] },
        ),
      );
      await fc.assert(
        fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
          cardA.received.length = 0;
          cardB.received.length = 0;
          await runAs(socketPath, 'program', cardA.id, cardB.id, JSON.stringify(ops));
          await settle();
          const fromClient = (p: { payload: Uint8Array }): boolean => Buffer.from(p.payload).toString().startsWith('prop-');
          // Card B's endpoint is denied: nothing the client sent reaches it.
          expect(cardB.data().filter(fromClient)).to.deep.equal([]);
          // No client DATA reaches a control port of any card.
          for (const card of [cardA, cardB]) {
            expect(card.data().filter((p) => p.dstPort === QRTR_PORT_CTRL || p.dstPort === QRTR_PORT_CTRL_LEGACY)).to.deep.equal([]);
          }
        }),
        { numRuns: 12 },
      );
    } finally {
      await server.close();
      host.router.shutdown();
      tmp.remove();
    }
  });
});

describe('local-client policy: rights resolution (property)', () => {
  it('should never grant an unprivileged uid an endpoint outside its patterns, trace or control', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60000 }), fc.stringMatching(/^[a-z0-9:.]{1,20}$/), (uid, key) => {
        const policy = { ...DEFAULT_POLICY, grants: [{ uids: [uid], endpoints: ['mhi:0000:01:*'] }] };
        const rights = resolveRights(policy, { uid, gid: uid }, 60001);
        expect(rights.full).to.equal(false);
        expect(rights.trace || rights.control).to.equal(false);
        expect(rights.endpoint(`mhi:${key}`)).to.equal(`mhi:${key}`.startsWith('mhi:0000:01:'));
        expect(rights.reservations).to.equal(DEFAULT_POLICY.defaultReservations);
      }),
    );
  });
});
