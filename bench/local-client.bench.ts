/**
 * Local-client round trips against the bare socket work they stand on, measured in
 * the same run: two connectQrtrd() clients through the daemon's --socket (client A
 * sends 64-byte datagrams to client B's socket, B echoes them) vs
 *   - a bare UNIX-socket echo (one stream, the echo server writes back each chunk), and
 *   - a bare two-hop relay with the same topology (A -> relay -> B -> relay -> A,
 *     bytes forwarded as they arrive, no framing).
 * The local-client path runs twice: with awaited sends (a RESULT per SEND) and with
 * quiet sends (`openSocket({ quietSends: true })`: no frame on success), each against
 * its own echo socket on B that sends the same way.
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
import { Router, SEND_COMPLETED } from '../src/router';
import { NameService } from '../src/ns';
import { LocalClientServer } from '../src/services/local-client';
import { connectQrtrd, type QrtrdConnection } from '../src/client';
import { printTable, verdict } from './lib';

const PAYLOAD = 64;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
/** Multiplies the round trips per sample (longer samples, less noise on a shared machine). */
const SCALE = Number(process.env.BENCH_SCALE ?? 1);

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

async function localClientRoundTrips(a: QrtrdConnection, bAddress: { node: number; port: number }, count: number, depth: number, quiet = false): Promise<Sample> {
  const socket = await a.openSocket({ quietSends: quiet });
  const payload = new Uint8Array(PAYLOAD);
  const result = await new Promise<Sample>((resolve, reject) => {
    let sent = 0;
    let received = 0;
    // Quiet sends report failures on sendFailures$ (as a net.Socket's write reports them on 'error');
    // their promise is the settled SEND_COMPLETED unless they had to wait, and needs a handler only then.
    const failures = quiet ? socket.sendFailures$.subscribe((f) => reject(f.error)) : null;
    const send = (): void => {
      const p = socket.send(bAddress, payload);
      if (p !== SEND_COMPLETED) p.catch(reject);
    };
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    socket.messages$.subscribe(() => {
      received++;
      if (received === count) resolve(sample(count, t0, cpu0));
      else if (sent < count) {
        sent++;
        send();
      }
    });
    for (; sent < Math.min(depth, count); sent++) send();
    void failures;
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
  const quietEcho = await b.openSocket({ quietSends: true });
  quietEcho.messages$.subscribe((m) => {
    const p = quietEcho.send(m.from, m.data);
    if (p !== SEND_COMPLETED) p.catch(() => undefined);
  });
  const quietRoundTrips = (count: number, depth: number): Promise<Sample> => localClientRoundTrips(a, quietEcho.address, count, depth, true);
  const closeLocalClients = async (): Promise<void> => {
    a.close();
    b.close();
    await server.close();
    router.shutdown();
    rmSync(dir, { recursive: true, force: true });
  };
  if (process.env.BENCH_PROFILE_RELAY) {
    // Profiling mode for the baseline: the bare relay alone (BENCH_PROFILE_DEPTH in flight, default 32).
    const relay = await bareRelay(dir);
    await streamRoundTrips(relay.client, 5000, 32);
    const s = await streamRoundTrips(relay.client, Number(process.env.BENCH_PROFILE_RELAY), Number(process.env.BENCH_PROFILE_DEPTH ?? 32));
    console.log(`bare relay only: ${Math.round(s.rate)} rt/s, ${s.cpuUs.toFixed(1)} µs CPU per round trip`);
    await relay.close();
    await closeLocalClients();
    return;
  }
  if (process.env.BENCH_PROFILE_LC) {
    // Profiling mode (node --cpu-prof): only the local-client path (BENCH_PROFILE_DEPTH in flight, default 32;
    // quiet sends with BENCH_PROFILE_QUIET=1), no baselines.
    const count = Number(process.env.BENCH_PROFILE_LC);
    const quiet = process.env.BENCH_PROFILE_QUIET === '1';
    await localClientRoundTrips(a, quiet ? quietEcho.address : echoSocket.address, 5000, 32, quiet);
    const s = await localClientRoundTrips(a, quiet ? quietEcho.address : echoSocket.address, count, Number(process.env.BENCH_PROFILE_DEPTH ?? 32), quiet);
    console.log(`local-client only${quiet ? ' (quiet sends)' : ''}: ${Math.round(s.rate)} rt/s, ${s.cpuUs.toFixed(1)} µs CPU per round trip`);
    await closeLocalClients();
    return;
  }
  const echo = await bareEcho(dir);
  const relay = await bareRelay(dir);

  const rows = [];
  for (const depth of [1, 32]) {
    const count = Math.round((depth === 1 ? 3_000 : 30_000) * SCALE);
    // Warm-up of every path before the measured rounds.
    await streamRoundTrips(echo.client, 2000, depth);
    await streamRoundTrips(relay.client, 2000, depth);
    await localClientRoundTrips(a, echoSocket.address, 2000, depth);
    await quietRoundTrips(2000, depth);
    const echoRate: number[] = [];
    const relayRate: number[] = [];
    const relayCpu: number[] = [];
    const variants = [
      { name: 'awaited', run: (n: number) => localClientRoundTrips(a, echoSocket.address, n, depth), rate: [] as number[], cpu: [] as number[], vsEcho: [] as number[], vsRelay: [] as number[], cpuRatio: [] as number[] },
      { name: 'quiet', run: (n: number) => quietRoundTrips(n, depth), rate: [] as number[], cpu: [] as number[], vsEcho: [] as number[], vsRelay: [] as number[], cpuRatio: [] as number[] },
    ];
    for (let r = 0; r < ROUNDS; r++) {
      const e = await streamRoundTrips(echo.client, count, depth);
      const samples: Sample[] = [];
      for (const v of variants) samples.push(await v.run(count));
      const y = await streamRoundTrips(relay.client, count, depth);
      echoRate.push(e.rate);
      relayRate.push(y.rate);
      relayCpu.push(y.cpuUs);
      variants.forEach((v, i) => {
        const l = samples[i];
        v.rate.push(l.rate);
        v.cpu.push(l.cpuUs);
        v.vsEcho.push(l.rate / e.rate);
        v.vsRelay.push(l.rate / y.rate);
        v.cpuRatio.push(l.cpuUs / y.cpuUs);
      });
    }
    for (const v of variants) {
      const m = { echo: median(v.vsEcho), relay: median(v.vsRelay), cpu: median(v.cpuRatio) };
      rows.push({
        'in flight': depth,
        sends: v.name,
        'local-client rt/s': Math.round(median(v.rate)),
        'bare echo rt/s': Math.round(median(echoRate)),
        'bare relay rt/s': Math.round(median(relayRate)),
        'vs echo (min..max)': `${m.echo.toFixed(2)} (${spread(v.vsEcho)})${depth === 32 ? ` target >= 0.6: ${verdict(m.echo >= 0.6)}` : ''}`,
        'vs relay (min..max)': `${m.relay.toFixed(2)} (${spread(v.vsRelay)})${depth === 1 ? ` target >= 1.0: ${verdict(m.relay >= 1.0)}` : ''}`,
        'CPU µs/rt lc / relay': `${median(v.cpu).toFixed(1)} / ${median(relayCpu).toFixed(1)}`,
        'CPU ratio (min..max)': `${m.cpu.toFixed(2)} (${spread(v.cpuRatio)})${depth === 32 ? ` target <= 1.0: ${verdict(m.cpu <= 1.0)}` : ''}`,
      });
    }
  }
  printTable(`Local-client round trips of ${PAYLOAD}-byte datagrams (A -> daemon -> B -> daemon -> A, one process), medians of ${ROUNDS} interleaved rounds`, rows);
  await echo.close();
  await relay.close();
  await closeLocalClients();
}

void main();
