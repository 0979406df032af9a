/**
 * Runs INSIDE a private network namespace (test/netdev/netns-dataplane.spec.ts starts it
 * under `unshare -n`; never run it in the host's namespace): the real qrtrd with
 * --netdev, the real `qrtr connect`, the kernel's ping and UDP sockets through the
 * interface qrtrd made. Prints one JSON line with what it measured.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectQrtrd } from '../../src/client';

const DIST = resolve(__dirname, '..', '..');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');
const QRTR = join(DIST, 'src', 'cli', 'qrtr.js');

function run(script: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** One UDP echo round trip per payload size, byte-exact, to `target`. */
async function echoEverySize(socket: dgram.Socket, target: string, maxPayload: number): Promise<{ sizes: number; mismatches: number[] }> {
  const mismatches: number[] = [];
  for (let size = 1; size <= maxPayload; size++) {
    const payload = Buffer.alloc(size);
    for (let i = 0; i < size; i++) payload[i] = (i * 31 + size) & 0xff;
    const reply = await new Promise<Buffer | null>((resolveReply) => {
      const timer = setTimeout(() => finish(null), 2000);
      const onMessage = (msg: Buffer): void => finish(msg);
      function finish(msg: Buffer | null): void {
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolveReply(msg);
      }
      socket.on('message', onMessage);
      socket.send(payload, 7, target);
    });
    if (!reply || !reply.equals(payload)) mismatches.push(size);
  }
  return { sizes: maxPayload, mismatches };
}

/**
 * Sustained load with a fixed window of datagrams in flight, spread over the routed
 * range: every one must come back (0 loss), at whatever rate the path sustains.
 */
async function sustained(socket: dgram.Socket, base: string, count: number, size: number, window: number): Promise<{ sent: number; received: number; seconds: number; pps: number; mbps: number }> {
  const prefix = base.split('.').slice(0, 3).join('.');
  let sent = 0;
  let received = 0;
  const started = process.hrtime.bigint();
  const payload = Buffer.alloc(size, 0x5a);
  await new Promise<void>((done) => {
    let idle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        socket.off('message', onMessage);
        done();
      }, 2000);
    };
    const pump = (): void => {
      while (sent < count && sent - received < window) {
        payload.writeUInt32BE(sent, 0);
        // Every address of the routed range but our own (.2): the gateway and .3 … .202.
        const host = sent % 201;
        socket.send(payload, 7, `${prefix}.${host === 0 ? 1 : host + 2}`);
        sent++;
      }
    };
    const onMessage = (): void => {
      received++;
      arm();
      if (received === count) {
        clearTimeout(idle);
        socket.off('message', onMessage);
        done();
        return;
      }
      pump();
    };
    socket.on('message', onMessage);
    arm();
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { sent, received, seconds, pps: received / seconds, mbps: (received * size * 8) / seconds / 1e6 };
}

/** The daemon's view of the modem: interfaces with their bridge counters, the network's counters, calls. */
async function modemStatus(socketPath: string): Promise<unknown> {
  const conn = await connectQrtrd(socketPath, { timeoutMs: 3000 });
  try {
    // The modem plugin's status section carries the modem's status as each row's data.
    type ModemData = { netdevs: unknown; network: unknown; calls: unknown; stats: { dmux: unknown } };
    const status = (await conn.query('status')) as { sections: { id: string; rows: { data: ModemData }[] }[] };
    const modem = status.sections.find((s) => s.id === 'modem')!.rows[0].data;
    return { netdevs: modem.netdevs, network: modem.network, calls: modem.calls, dmux: modem.stats.dmux };
  } finally {
    conn.close();
  }
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'raw-ip';
  const ipType = process.argv[3] ?? '4';
  const result: Record<string, unknown> = { mode, ipType };
  spawnSync('ip', ['link', 'set', 'lo', 'up']);
  const dir = mkdtempSync(join(tmpdir(), 'qrtrd-netns-'));
  const socketPath = join(dir, 'qrtrd.sock');
  const daemon = spawn(process.execPath, [QRTRD, '--netdev', mode, '--socket', socketPath, '--quiet', '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let daemonErr = '';
  daemon.stderr!.on('data', (d: Buffer) => (daemonErr += d.toString()));
  try {
    for (let i = 0; i < 100 && !existsSync(socketPath); i++) await sleep(100);
    let connected: { status: number | null; stdout: string; stderr: string } | undefined;
    for (let i = 0; i < 30; i++) {
      // The plain command for IPv4: `qrtr connect --json`, as a user types it.
      connected = run(QRTR, ['connect', '--json', '--socket', socketPath, ...(ipType === '4' ? [] : ['--ip-type', ipType])]);
      if (connected.status === 0 || !/NO_NETDEV|QRTR_NO_SERVICE|no server/.test(connected.stdout + connected.stderr)) break;
      await sleep(200);
    }
    if (connected?.status !== 0) throw new Error(`qrtr connect failed: ${connected?.stdout} ${connected?.stderr}`);
    const settings = JSON.parse(connected.stdout) as { interface: string; ipv4: { address: string; gateway: string; prefix: number }; ipv6?: { address: string; gateway: string }; mtu: number; dns: string[] };
    result.connect = settings;
    const link = spawnSync('ip', ['-j', 'addr', 'show', 'dev', settings.interface], { encoding: 'utf8' });
    const info = (JSON.parse(link.stdout) as { mtu: number; operstate: string; flags: string[]; addr_info: { family: string; local: string; prefixlen: number; address?: string }[] }[])[0];
    result.link = { mtu: info.mtu, up: info.flags.includes('UP'), ipv4: info.addr_info.filter((a) => a.family === 'inet') };
    const ping = spawnSync('ping', ['-c', '20', '-i', '0.05', '-W', '2', settings.ipv4.gateway], { encoding: 'utf8', timeout: 30_000 });
    result.ping = { status: ping.status, received: Number(/(\d+) received/.exec(ping.stdout)?.[1] ?? -1) };
    const big = spawnSync('ping', ['-c', '3', '-i', '0.05', '-W', '2', '-M', 'do', '-s', String(settings.mtu - 28), settings.ipv4.gateway], { encoding: 'utf8', timeout: 30_000 });
    result.pingFullMtu = { received: Number(/(\d+) received/.exec(big.stdout)?.[1] ?? -1) };
    const tooBig = spawnSync('ping', ['-c', '1', '-W', '1', '-M', 'do', '-s', String(settings.mtu - 27), settings.ipv4.gateway], { encoding: 'utf8', timeout: 10_000 });
    result.pingAboveMtu = { status: tooBig.status, output: `${tooBig.stdout}${tooBig.stderr}`.trim().split('\n').slice(-1)[0] };
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, settings.ipv4.address, () => r()));
    result.udpEverySize = await echoEverySize(socket, settings.ipv4.gateway, settings.mtu - 28);
    result.sustained = await sustained(socket, settings.ipv4.gateway, Number(process.env.QRTRD_NETNS_COUNT ?? 20000), 1400, 64);
    socket.close();
    if (settings.ipv6) {
      const ping6 = spawnSync('ping', ['-6', '-c', '10', '-i', '0.05', '-W', '2', settings.ipv6.gateway], { encoding: 'utf8', timeout: 30_000 });
      result.ping6 = { received: Number(/(\d+) received/.exec(ping6.stdout)?.[1] ?? -1), output: ping6.stdout.slice(-300) + ping6.stderr };
      const socket6 = dgram.createSocket('udp6');
      await new Promise<void>((r) => socket6.bind(0, settings.ipv6!.address, () => r()));
      result.udp6EverySize = await echoEverySize(socket6, settings.ipv6.gateway, settings.mtu - 48);
      socket6.close();
    }
    result.modem = await modemStatus(socketPath);
    const disconnected = run(QRTR, ['disconnect', '--json', '--socket', socketPath]);
    result.disconnect = { status: disconnected.status };
    const after = spawnSync('ping', ['-c', '1', '-W', '1', settings.ipv4.gateway], { encoding: 'utf8' });
    result.pingAfterDisconnect = { status: after.status };
  } catch (err) {
    result.error = String((err as Error).stack ?? err);
  } finally {
    daemon.kill('SIGTERM');
    result.daemonExit = await new Promise((r) => daemon.once('exit', (code, signal) => r(code ?? signal)));
    result.daemonStderr = daemonErr.slice(-2000);
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main();
