/**
 * Local-client protocol cost: request/response round trips between a socket and an
 * echo server socket, in process (the router's own sockets) vs through qrtrd's
 * --socket (the client SDK in the same process, over a real UNIX socket). Informational:
 * the issue sets no target; the ratio is what an out-of-process plugin pays.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router, type QrtrSocket, type QrtrSocketProvider } from '../src/router';
import { NameService } from '../src/ns';
import { LocalClientServer } from '../src/services/local-client';
import { connectQrtrd } from '../src/client';
import { printTable } from './lib';

async function roundTrips(provider: QrtrSocketProvider, echo: QrtrSocket, count: number, inFlight: number): Promise<number> {
  const socket = await provider.openSocket();
  const payload = new Uint8Array(64);
  const start = process.hrtime.bigint();
  let sent = 0;
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    socket.messages$.subscribe(() => {
      received++;
      if (received === count) resolve();
      else if (sent < count) {
        sent++;
        socket.send(echo.address, payload).catch(reject);
      }
    });
    for (; sent < Math.min(inFlight, count); sent++) socket.send(echo.address, payload).catch(reject);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  socket.close();
  return count / seconds;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'qrtrd-client-bench-'));
  const router = new Router();
  const ns = new NameService(router);
  const echo = router.openSocketSync();
  echo.messages$.subscribe((m) => void echo.send(m.from, m.data));
  const server = new LocalClientServer(router, ns, { path: join(dir, 'q.sock') });
  await server.listen();
  const conn = await connectQrtrd(join(dir, 'q.sock'));
  const rows = [];
  for (const inFlight of [1, 32]) {
    const count = inFlight === 1 ? 5_000 : 50_000;
    await roundTrips(router, echo, 1000, inFlight); // warm-up
    await roundTrips(conn, echo, 1000, inFlight);
    const local = await roundTrips(router, echo, count, inFlight);
    const remote = await roundTrips(conn, echo, count, inFlight);
    rows.push({ 'in flight': inFlight, 'in-process msgs/s': local, 'local-client msgs/s': remote, ratio: remote / local });
  }
  printTable('Round trips of 64-byte datagrams to an echo socket: in process vs through the local-client socket', rows);
  conn.close();
  await server.close();
  router.shutdown();
  rmSync(dir, { recursive: true, force: true });
}

void main();
