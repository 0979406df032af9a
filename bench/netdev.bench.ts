/**
 * The data plane to the OS: UDP echo through `wwan0` → qrtrd (NetdevBridge, BAM-DMUX,
 * simulated modem and network) → back, against a bare TUN echo (bench/tun-echo.ts: the
 * same responder answering on the TUN itself), in the same run, alternating rounds.
 * 1400-byte datagrams with 64 in flight. Target: qrtrd ≥ 0.5× the bare echo's packets/s.
 * Runs itself under `unshare -n` (a private network namespace; needs root); without
 * that it prints why and exits 0.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { printTable, verdict } from './lib';

const DIST = resolve(__dirname, '..');
const SIZE = 1400;
const WINDOW = 64;
const COUNT = Number(process.env.QRTRD_NETDEV_BENCH_COUNT ?? 30000);
const ROUNDS = Number(process.env.QRTRD_NETDEV_BENCH_ROUNDS ?? 3);
const TARGET = 0.5;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Datagrams/s of COUNT echoes with WINDOW in flight from `source` to `target`'s routed /24. */
async function measure(source: string, target: string): Promise<{ pps: number; lost: number }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, source, () => r()));
  const prefix = target.split('.').slice(0, 3).join('.');
  const payload = Buffer.alloc(SIZE, 0x5a);
  let sent = 0;
  let received = 0;
  const started = process.hrtime.bigint();
  await new Promise<void>((done) => {
    let idle = setTimeout(done, 3000);
    const pump = (): void => {
      while (sent < COUNT && sent - received < WINDOW) {
        const host = sent % 201;
        socket.send(payload, 7, `${prefix}.${host === 0 ? 1 : host + 2}`);
        sent++;
      }
    };
    socket.on('message', () => {
      received++;
      clearTimeout(idle);
      if (received === COUNT) return done();
      idle = setTimeout(done, 3000);
      pump();
    });
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  socket.close();
  return { pps: received / seconds, lost: sent - received };
}

function runCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(DIST, 'src', 'cli', 'qrtr.js'), ...args], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function inNamespace(): Promise<void> {
  spawnSync('ip', ['link', 'set', 'lo', 'up']);
  const dir = mkdtempSync(join(tmpdir(), 'qrtrd-netdev-bench-'));
  const socketPath = join(dir, 'qrtrd.sock');
  const children: ChildProcess[] = [];
  try {
    const daemon = spawn(process.execPath, [join(DIST, 'src', 'cli', 'qrtrd.js'), '--netdev', '--socket', socketPath, '--quiet', '--log-level', 'warn'], { stdio: 'ignore' });
    children.push(daemon);
    const echo = spawn(process.execPath, [join(DIST, 'bench', 'tun-echo.js'), 'echo0', '10.65.0.2', '10.65.0.1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(echo);
    await new Promise<void>((r) => echo.stdout!.once('data', () => r()));
    for (let i = 0; i < 100 && !existsSync(socketPath); i++) await sleep(100);
    let connected = runCli(['connect', '--json', '--socket', socketPath]);
    for (let i = 0; i < 30 && connected.status !== 0; i++) {
      await sleep(200);
      connected = runCli(['connect', '--json', '--socket', socketPath]);
    }
    if (connected.status !== 0) throw new Error(`qrtr connect failed: ${connected.stdout}${connected.stderr}`);
    const call = JSON.parse(connected.stdout) as { ipv4: { address: string; gateway: string } };
    const rows: Record<string, string | number>[] = [];
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const bare = await measure('10.65.0.2', '10.65.0.1');
      const qrtrd = await measure(call.ipv4.address, call.ipv4.gateway);
      ratios.push(qrtrd.pps / bare.pps);
      rows.push({ round, 'bare TUN echo pkt/s': bare.pps, 'bare Mbit/s': (bare.pps * SIZE * 8) / 1e6, 'qrtrd pkt/s': qrtrd.pps, 'qrtrd Mbit/s': (qrtrd.pps * SIZE * 8) / 1e6, '× bare': qrtrd.pps / bare.pps, lost: bare.lost + qrtrd.lost });
    }
    printTable(`UDP echo, ${SIZE}-byte datagrams, ${WINDOW} in flight, ${COUNT} per round: wwan0 → qrtrd → BAM-DMUX → simulated modem vs a bare TUN echo`, rows);
    const median = [...ratios].sort((a, b) => a - b)[Math.floor(ratios.length / 2)];
    console.log(`\nmedian ratio ${median.toFixed(2)}× (target ≥ ${TARGET}×: ${verdict(median >= TARGET)})`);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(): void {
  if (process.argv[2] === '--in-namespace') {
    void inNamespace().catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
    return;
  }
  if (process.platform !== 'linux' || !existsSync('/dev/net/tun')) {
    console.log('netdev bench: needs Linux with /dev/net/tun; skipped');
    return;
  }
  const probe = spawnSync('unshare', ['-n', 'true']);
  if (probe.status !== 0) {
    console.log(`netdev bench: cannot create a network namespace (unshare -n: ${probe.stderr?.toString().trim() || probe.error?.message}); skipped`);
    return;
  }
  const run = spawnSync('unshare', ['-n', process.execPath, __filename, '--in-namespace'], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
}

main();
