// The addon side of bench/kernel.bench.ts (same protocol as qrtr-pingpong.c), run in
// the guest: two AfQipcrtrSocket instances driven by the event loop (uv_poll readiness).
import { AfQipcrtrSocket } from '../../../src/kernel';

const WINDOW = 32;
const SIZE = 64;

function openBound(): AfQipcrtrSocket {
  const socket = new AfQipcrtrSocket().open();
  socket.bind(0);
  return socket;
}

async function latency(a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number): Promise<{ rttUs: number; trips: number }> {
  const payload = new Uint8Array(SIZE).fill(0x5a);
  const aPort = a.address?.port ?? 0;
  const bPort = b.address?.port ?? 0;
  const echo = b.messages$.subscribe((m) => {
    b.send(1, aPort, m.data).catch((error: unknown) => console.error(error));
  });
  let trips = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await new Promise<void>((resolve, reject) => {
    const back = a.messages$.subscribe({
      next: () => {
        trips++;
        if ((trips & 63) === 0 && performance.now() >= end) {
          back.unsubscribe();
          resolve();
          return;
        }
        a.send(1, bPort, payload).catch(reject);
      },
      error: reject,
    });
    a.send(1, bPort, payload).catch(reject);
  });
  echo.unsubscribe();
  return { rttUs: ((performance.now() - start) / trips) * 1000, trips };
}

async function throughput(a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number): Promise<{ datagramsPerSecond: number; datagrams: number }> {
  const payload = new Uint8Array(SIZE).fill(0x5a);
  const bPort = b.address?.port ?? 0;
  let received = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await new Promise<void>((resolve, reject) => {
    const burst = (): void => {
      for (let i = 0; i < WINDOW; i++) a.send(1, bPort, payload).catch(reject);
    };
    const sink = b.messages$.subscribe({
      next: () => {
        received++;
        if (received % WINDOW !== 0) return;
        if (performance.now() >= end) {
          sink.unsubscribe();
          resolve();
        } else {
          burst();
        }
      },
      error: reject,
    });
    burst();
  });
  return { datagramsPerSecond: received / ((performance.now() - start) / 1000), datagrams: received };
}

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 1.5);
  const a = openBound();
  const b = openBound();
  await latency(a, b, 0.3); // warm-up: JIT and page cache
  const l = await latency(a, b, seconds);
  const t = await throughput(a, b, seconds);
  a.close();
  b.close();
  console.log(`QRTRD-BENCH ${JSON.stringify({ impl: 'addon', rttUs: Number(l.rttUs.toFixed(2)), trips: l.trips, datagramsPerSecond: Math.round(t.datagramsPerSecond), datagrams: t.datagrams })}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
