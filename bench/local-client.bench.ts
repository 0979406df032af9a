/**
 * Local-client round trips against the bare socket work they stand on, measured in
 * the same run: two connectQrtrd() clients through the daemon's --socket (client A
 * sends 64-byte datagrams to client B's socket, B echoes them) vs
 *   - a bare UNIX-socket echo (one stream, the echo server writes back each chunk), and
 *   - a bare two-hop relay with the same topology (A -> relay -> B -> relay -> A,
 *     bytes forwarded as they arrive, no framing).
 * Everything runs in this one process, so process.cpuUsage() is the CPU of the
 * daemon and both clients together; CPU per round trip is stable on a loaded
 * machine where throughput is not. Variants alternate in every round; the
 * figures are medians over the rounds with min..max beside them.
 */
import 'reflect-metadata';
import * as net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from '../src/router';
import { NameService } from '../src/ns';
import { LocalClientServer } from '../src/services/local-client';
import { connectQrtrd, type QrtrdConnection } from '../src/client';
import { printTable, verdict } from './lib';

const PAYLOAD = 64;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

interface Sample {
  readonly rate: number;
  /** µs of CPU (user + system) per round trip. */
  readonly cpuUs: number;
}

function sample(count: number, t0: bigint, cpu0: NodeJS.CpuUsage): Sample {
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return { rate: count / seconds, cpuUs: (cpu.user + cpu.system) / count };
}

/** Byte-stream round trips: `depth` 64-byte units in flight, one more sent per unit returned. */
function streamRoundTrips(client: net.Socket, count: number, depth: number): Promise<Sample> {
  const unit = Buffer.alloc(PAYLOAD);
  return new Promise((resolve) => {
    let sent = 0;
    let bytes = 0;
    let done = 0;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      const units = Math.floor(bytes / PAYLOAD);
      bytes -= units * PAYLOAD;
      done += units;
      if (done >= count) {
        client.off('data', onData);
        resolve(sample(count, t0, cpu0));
        return;
      }
      for (let i = 0; i < units && sent < count; i++, sent++) client.write(unit);
    };
    client.on('data', onData);
    for (; sent < Math.min(depth, count); sent++) client.write(unit);
  });
}

function connect(path: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(path, () => resolve(s));
    s.once('error', reject);
    s.setNoDelay?.(true);
  });
}

async function bareEcho(dir: string): Promise<{ client: net.Socket; close(): Promise<void> }> {
  const path = join(dir, 'echo.sock');
  const server = net.createServer((c) => c.on('data', (d) => c.write(d)));
  await new Promise<void>((r) => server.listen(path, r));
  const client = await connect(path);
  return { client, close: () => new Promise((r) => { client.destroy(); server.close(() => r()); }) };
}

/** A relay process stand-in: the first connection's bytes go to the second and back; the second echoes. */
async function bareRelay(dir: string): Promise<{ client: net.Socket; close(): Promise<void> }> {
  const path = join(dir, 'relay.sock');
  const peers: net.Socket[] = [];
  const server = net.createServer((c) => {
    peers.push(c);
    c.on('data', (d) => peers[peers.indexOf(c) ^ 1]?.write(d));
  });
  await new Promise<void>((r) => server.listen(path, r));
  const client = await connect(path);
  const echo = await connect(path);
  echo.on('data', (d) => echo.write(d));
  while (peers.length < 2) await new Promise((r) => setImmediate(r));
  return { client, close: () => new Promise((r) => { client.destroy(); echo.destroy(); server.close(() => r()); }) };
}

async function localClientRoundTrips(a: QrtrdConnection, bAddress: { node: number; port: number }, count: number, depth: number): Promise<Sample> {
  const socket = await a.openSocket();
  const payload = new Uint8Array(PAYLOAD);
  const result = await new Promise<Sample>((resolve, reject) => {
    let sent = 0;
    let received = 0;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    socket.messages$.subscribe(() => {
      received++;
      if (received === count) resolve(sample(count, t0, cpu0));
      else if (sent < count) {
        sent++;
        socket.send(bAddress, payload).catch(reject);
      }
    });
    for (; sent < Math.min(depth, count); sent++) socket.send(bAddress, payload).catch(reject);
  });
  socket.close();
  return result;
}

function median(values: number[]): number {
  const s = [...values].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function spread(values: number[], digits = 2): string {
  return `${Math.min(...values).toFixed(digits)}..${Math.max(...values).toFixed(digits)}`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qrtrd-lc-bench-'));
  const router = new Router();
  const ns = new NameService(router);
  const server = new LocalClientServer(router, ns, { path: join(dir, 'q.sock') });
  await server.listen();
  const a = await connectQrtrd(join(dir, 'q.sock'));
  const b = await connectQrtrd(join(dir, 'q.sock'));
  const echoSocket = await b.openSocket();
  echoSocket.messages$.subscribe((m) => void echoSocket.send(m.from, m.data).catch(() => undefined));
  if (process.env.BENCH_PROFILE_LC) {
    // Profiling mode (node --cpu-prof): only the local-client path (BENCH_PROFILE_DEPTH in flight, default 32), no baselines.
    const count = Number(process.env.BENCH_PROFILE_LC);
    await localClientRoundTrips(a, echoSocket.address, 5000, 32);
    const s = await localClientRoundTrips(a, echoSocket.address, count, Number(process.env.BENCH_PROFILE_DEPTH ?? 32));
    console.log(`local-client only: ${Math.round(s.rate)} rt/s, ${s.cpuUs.toFixed(1)} µs CPU per round trip`);
    a.close();
    b.close();
    await server.close();
    router.shutdown();
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const echo = await bareEcho(dir);
  const relay = await bareRelay(dir);

  const rows = [];
  for (const depth of [1, 32]) {
    const count = depth === 1 ? 3_000 : 30_000;
    // Warm-up of every path before the measured rounds.
    await streamRoundTrips(echo.client, 2000, depth);
    await streamRoundTrips(relay.client, 2000, depth);
    await localClientRoundTrips(a, echoSocket.address, 2000, depth);
    const vsEcho: number[] = [];
    const vsRelay: number[] = [];
    const cpuRatio: number[] = [];
    const lcCpu: number[] = [];
    const relayCpu: number[] = [];
    const lcRate: number[] = [];
    const echoRate: number[] = [];
    const relayRate: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const e = await streamRoundTrips(echo.client, count, depth);
      const l = await localClientRoundTrips(a, echoSocket.address, count, depth);
      const y = await streamRoundTrips(relay.client, count, depth);
      vsEcho.push(l.rate / e.rate);
      vsRelay.push(l.rate / y.rate);
      cpuRatio.push(l.cpuUs / y.cpuUs);
      lcCpu.push(l.cpuUs);
      relayCpu.push(y.cpuUs);
      lcRate.push(l.rate);
      echoRate.push(e.rate);
      relayRate.push(y.rate);
    }
    const m = { echo: median(vsEcho), relay: median(vsRelay), cpu: median(cpuRatio) };
    rows.push({
      'in flight': depth,
      'local-client rt/s': Math.round(median(lcRate)),
      'bare echo rt/s': Math.round(median(echoRate)),
      'bare relay rt/s': Math.round(median(relayRate)),
      'vs echo (min..max)': `${m.echo.toFixed(2)} (${spread(vsEcho)})${depth === 32 ? ` target >= 0.6: ${verdict(m.echo >= 0.6)}` : ''}`,
      'vs relay (min..max)': `${m.relay.toFixed(2)} (${spread(vsRelay)})${depth === 1 ? ` target >= 1.0: ${verdict(m.relay >= 1.0)}` : ''}`,
      'CPU µs/rt lc / relay': `${median(lcCpu).toFixed(1)} / ${median(relayCpu).toFixed(1)}`,
      'CPU ratio (min..max)': `${m.cpu.toFixed(2)} (${spread(cpuRatio)})${depth === 32 ? ` target <= 1.0: ${verdict(m.cpu <= 1.0)}` : ''}`,
    });
  }
  printTable(`Local-client round trips of ${PAYLOAD}-byte datagrams (A -> daemon -> B -> daemon -> A, one process), medians of ${ROUNDS} interleaved rounds`, rows);
  a.close();
  b.close();
  await echo.close();
  await relay.close();
  await server.close();
  router.shutdown();
  rmSync(dir, { recursive: true, force: true });
}

void main();
