import { expect } from 'chai';
import { runScript } from '../helpers/processes';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectQrtrd } from '../../src/client';
import { probeKernelQrtr } from '../../src/kernel';
import { SIMULATED_MODEM_IDENTITY } from '../../plugins/bam-dmux/sim';

const DIST = resolve(__dirname, '..', '..');
const REPO = resolve(DIST, '..');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');
const QRTR = join(DIST, 'src', 'cli', 'qrtr.js');


/** Starts a long-running node script; resolves once a stdout line matches. */
function start(script: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${script} not ready in 20 s; stdout: ${out}; stderr: ${err}`)), 20000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => ready.test(l));
      if (line) {
        clearTimeout(timer);
        resolvePromise({ child, line });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready; stderr: ${err}`));
    });
  });
}

function exitOf(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolvePromise, reject) => {
    if (child.exitCode !== null) return resolvePromise(child.exitCode);
    const timer = setTimeout(() => reject(new Error('process did not exit in time')), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolvePromise(code);
    });
  });
}

describe('qrtrd as a process', function () {
  this.timeout(60000);
  let dir: string;
  let daemon: ChildProcess;
  let listenPath: string;
  let socketPath: string;
  const remotes: ChildProcess[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qrtrd-process-'));
    listenPath = join(dir, 'remote.sock');
    socketPath = join(dir, 'qrtrd.sock');
    ({ child: daemon } = await start(
      QRTRD,
      ['--listen', listenPath, '--socket', socketPath, '--quiet', '--log-file', join(dir, 'log.json'), '--log-level', 'debug'],
      /^qrtrd ready/,
    ));
  });

  after(() => {
    for (const r of remotes) r.kill('SIGKILL');
    if (daemon.exitCode === null) daemon.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('should show two remote processes with identical node ids and services as distinct endpoints in qrtr lookup --json', async () => {
    const fixture = join(DIST, 'test', 'links', 'fixtures', 'remote-node.js');
    for (let i = 0; i < 2; i++) remotes.push((await start(fixture, [listenPath, '7', '4242', '1'], /"ready":true/)).child);
    let rows: { service: number; node: number; endpoint: number; key: string; instance: number }[] = [];
    for (let attempt = 0; attempt < 20 && rows.length < 2; attempt++) {
      const result = await runScript(QRTR, ['lookup', '4242', '--json', '--socket', socketPath]);
      expect(result.code, result.stderr).to.equal(0);
      rows = JSON.parse(result.stdout);
      if (rows.length < 2) await new Promise((r) => setTimeout(r, 100));
    }
    expect(rows).to.have.length(2);
    expect(rows.map((r) => [r.service, r.node, r.instance])).to.deep.equal([
      [4242, 7, 1],
      [4242, 7, 1],
    ]);
    expect(rows[0].endpoint).to.not.equal(rows[1].endpoint);
    for (const r of rows) expect(r.key).to.match(/^socket:/);
  });

  it('should filter qrtr lookup by node', async () => {
    const at = async (node: number): Promise<{ node: number }[]> => {
      const result = await runScript(QRTR, ['lookup', '4242', '--node', String(node), '--json', '--socket', socketPath]);
      expect(result.code, result.stderr).to.equal(0);
      return JSON.parse(result.stdout) as { node: number }[];
    };
    expect((await at(7)).map((r) => r.node)).to.deep.equal([7, 7]);
    expect(await at(8)).to.deep.equal([]);
  });

  it('should pick the QMI server of qrtr qmi by --node, and say how to choose when several match', async () => {
    const dms: { node: number; endpoint: number }[] = JSON.parse((await runScript(QRTR, ['lookup', '2', '--json', '--socket', socketPath])).stdout);
    expect(dms).to.have.length(1);
    const model = await runScript(QRTR, ['qmi', '--service', '2', '--node', String(dms[0].node), '--qmi', join(REPO, 'src', 'qmi', 'schemas', 'dms.qmi'), '--message', 'dms_get_model_req', '--json', '--socket', socketPath]);
    expect(model.code, model.stderr).to.equal(0);
    expect(JSON.parse(model.stdout).response.decoded.model).to.equal(SIMULATED_MODEM_IDENTITY.model);
    // Two identical remote nodes (node 7, two endpoints) serve 4242: the node alone cannot choose.
    const ambiguous = await runScript(QRTR, ['qmi', '--service', '4242', '--node', '7', '--msg-id', '1', '--socket', socketPath]);
    expect(ambiguous.code).to.equal(2);
    expect(ambiguous.stderr).to.match(/2 servers match service 4242 \(node 7 port \d+ endpoint \d+, node 7 port \d+ endpoint \d+\); choose one with --endpoint ID or --node N/);
    const none = await runScript(QRTR, ['qmi', '--service', '4242', '--node', '99', '--msg-id', '1', '--socket', socketPath]);
    expect(none.code).to.equal(1);
    expect(none.stderr).to.contain('no server for service 4242, node 99').and.contain('[QRTR_NO_SERVICE]');
  });

  it('should look up in the kernel with --kernel, or say why it cannot', async () => {
    const result = await runScript(QRTR, ['lookup', '--kernel', '--json']);
    const probe = probeKernelQrtr();
    if (probe.available) {
      // A kernel with QRTR (the guest checks cover this path with a known server).
      expect(result.code, result.stderr).to.equal(0);
      expect(JSON.parse(result.stdout)).to.be.an('array');
    } else {
      // No addon or no AF_QIPCRTR here: the same typed error the probe gets, as JSON.
      expect(result.code).to.equal(1);
      expect(JSON.parse(result.stdout).error.code).to.equal(probe.code);
    }
    const misuse = await runScript(QRTR, ['endpoints', '--kernel', '--socket', socketPath]);
    expect(misuse.code).to.equal(2);
    expect(misuse.stderr).to.contain('--kernel');
  });

  it('should cut off a garbage-writing peer while the others keep working', async () => {
    const garbage = net.connect(listenPath);
    await new Promise((r) => garbage.once('connect', r));
    const closed = new Promise<void>((r) => garbage.once('close', () => r()));
    garbage.on('error', () => undefined);
    garbage.resume(); // read the daemon's HELLO, or the stream never reports its end
    garbage.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await closed;
    // The two honest remote nodes still echo, each through its own endpoint.
    const conn = await connectQrtrd(socketPath);
    const rows: { endpoint: number; node: number; port: number }[] = JSON.parse((await runScript(QRTR, ['lookup', '4242', '--json', '--socket', socketPath])).stdout);
    expect(rows).to.have.length(2);
    for (const row of rows) {
      const socket = await conn.openSocket();
      socket.bindEndpoint(row.endpoint);
      const echoed = socket.receive();
      await socket.send({ node: row.node, port: row.port }, new Uint8Array([row.endpoint, 1, 2, 3]));
      const message = await echoed;
      expect(message.endpoint).to.equal(row.endpoint);
      expect(Array.from(message.data)).to.deep.equal([row.endpoint, 1, 2, 3]);
      socket.close();
    }
    conn.close();
    const log = readFileSync(join(dir, 'log.json'), 'utf8');
    expect(log).to.match(/QRTR_BAD_VERSION/);
  });

  it('should let an out-of-process plugin hold a QMI conversation with the simulated modem over --socket', async () => {
    const result = await runScript(join(DIST, 'test', 'daemon', 'fixtures', 'dms-plugin.js'), [socketPath, 'rpmsg:IPCRTR-modem']);
    expect(result.code, result.stderr).to.equal(0);
    const answer = JSON.parse(result.stdout);
    expect(answer).to.include({
      manufacturer: SIMULATED_MODEM_IDENTITY.manufacturer,
      model: SIMULATED_MODEM_IDENTITY.model,
      revision: SIMULATED_MODEM_IDENTITY.revision,
      imei: SIMULATED_MODEM_IDENTITY.imei,
    });
    expect(answer.server.endpoint).to.equal(answer.endpoint);
  });

  it('should report the simulated cards through qrtr cards --json and endpoints through qrtr endpoints --json', async () => {
    const cards = await runScript(QRTR, ['cards', '--json', '--socket', socketPath]);
    expect(cards.code, cards.stderr).to.equal(0);
    const list: { key: string; state: string; endpoint: number }[] = JSON.parse(cards.stdout);
    expect(list.map((c) => c.key)).to.deep.equal(['mhi:0000:01:00.0', 'mhi:0000:02:00.0', 'mhi:0000:03:00.0', 'mhi:0000:04:00.0']);
    const endpoints = await runScript(QRTR, ['endpoints', '--json', '--socket', socketPath]);
    const parsed: { endpoints: { id: number }[]; reservations: { key: string }[]; counters: Record<string, number> } = JSON.parse(endpoints.stdout);
    for (const card of list) expect(parsed.endpoints.map((e) => e.id)).to.include(card.endpoint);
    expect(parsed.reservations.map((r) => r.key)).to.include('mhi:0000:01:00.0');
    // The lifecycle counters: the four configured cards' reservations are held, none refused.
    expect(parsed.counters).to.include({ refusedQuota: 0, refusedExhausted: 0 });
    expect(parsed.counters.reservations).to.be.at.least(4);
    expect(parsed.counters.live).to.equal(parsed.reservations.length);
  });

  it('should follow servers coming and going with qrtr lookup --watch', async () => {
    const watch = spawn(process.execPath, [QRTR, 'lookup', '4242', '--watch', '--json', '--socket', socketPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const events: { event: string; endpoint: number }[] = [];
    let buffer = '';
    watch.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const line of lines) if (line.trim()) events.push(JSON.parse(line));
    });
    const waitFor = async (predicate: () => boolean): Promise<void> => {
      for (let i = 0; i < 100 && !predicate(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(predicate(), JSON.stringify(events)).to.equal(true);
    };
    await waitFor(() => events.filter((e) => e.event === 'add').length === 2);
    const third = (await start(join(DIST, 'test', 'links', 'fixtures', 'remote-node.js'), [listenPath, '7', '4242', '1'], /"ready":true/)).child;
    await waitFor(() => events.filter((e) => e.event === 'add').length === 3);
    const added = events[2].endpoint;
    third.kill('SIGKILL');
    await waitFor(() => events.some((e) => e.event === 'remove' && e.endpoint === added));
    watch.kill('SIGINT');
    expect(await exitOf(watch, 5000)).to.equal(0);
  });

  it('should stream decoded traffic to qrtr trace and write it to a pcap file', async () => {
    const pcap = join(dir, 'trace.pcap');
    const trace = runScript(QRTR, ['trace', '--json', '--count', '5', '--endpoint', '6', '--pcap', pcap, '--socket', socketPath]);
    await new Promise((r) => setTimeout(r, 500));
    const request = await runScript(QRTR, ['qmi', '--service', '2', '--msg-id', '0x22', '--endpoint', '6', '--socket', socketPath]);
    expect(request.code, request.stderr).to.equal(0);
    const result = await trace;
    expect(result.code, result.stderr).to.equal(0);
    const lines: { endpoint: number; direction: string; line: string }[] = result.stdout.trim().split('\n').map((l) => JSON.parse(l));
    // lookup answer, lookup socket DEL_CLIENT, request, response, request socket DEL_CLIENT
    expect(lines).to.have.length(5);
    expect(lines.every((l) => l.endpoint === 6)).to.equal(true);
    expect(lines.some((l) => /dms req txn 1 msg 0x0022 dms_get_model_req/.test(l.line))).to.equal(true);
    // Decoded by the shipped DMS schema, field by field.
    expect(lines.some((l) => /dms resp txn 1 msg 0x0022 dms_get_model_resp .*"model":"QRTRD-SIM-X55"/.test(l.line))).to.equal(true);
    const replay = await runScript(QRTR, ['trace', '--read', pcap]);
    expect(replay.stdout.trim().split('\n')).to.have.length(5);
  });

  it('should fail with a non-zero status and a hint when no daemon answers', async () => {
    const result = await runScript(QRTR, ['lookup', '--socket', join(dir, 'nobody.sock')]);
    expect(result.code).to.equal(1);
    expect(result.stderr).to.match(/Start it with 'qrtrd --socket/);
    const usage = await runScript(QRTR, ['frobnicate', '--socket', socketPath]);
    expect(usage.code).to.equal(2);
  });

  it('should shut down cleanly on SIGTERM: remote links closed, socket files removed, exit status 0', async () => {
    daemon.kill('SIGTERM');
    expect(await exitOf(daemon, 10000)).to.equal(0);
    for (const remote of remotes) expect(await exitOf(remote, 5000)).to.equal(0, 'the remote node saw its link close');
    expect(existsSync(listenPath)).to.equal(false);
    expect(existsSync(socketPath)).to.equal(false);
    const log = readFileSync(join(dir, 'log.json'), 'utf8');
    expect(log).to.contain('"msg":"stopped"');
  });
});
