import { expect } from 'chai';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectQrtrd } from '../../src/client';
import { readPeerCredentials } from '../../src/kernel/native-loader';
import { LocalClientServer, parsePolicyConfig, resolveRights, DEFAULT_POLICY } from '../../src/services/local-client';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';
import { tempDir, until } from '../links/helpers';
import { QrtrType } from '../../src/wire';

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
function runAs(socketPath: string, action: string, a: number, b: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [POLICY_CLIENT, socketPath, action, String(a), String(b)], { uid: UID, gid: GID, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as Outcome);
      } catch {
        reject(new Error(`policy client printed ${JSON.stringify(out)}, stderr ${err}`));
      }
    });
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
      { socketMode: 0o660, socketGroup: GID, grants: [{ uids: [UID], endpoints: ['mhi:0000:01:*'] }], perUid: { connections: 2 } },
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
