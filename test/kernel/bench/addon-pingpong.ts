// The addon side of bench/kernel.bench.ts (same protocol as qrtr-pingpong.c), run in
// the guest: two AfQipcrtrSocket instances driven by the event loop (uv_poll readiness).
// Receiving goes through `messages$`; sending through `trySendLocal()`, the public
// synchronous path for local-node destinations (no promise per datagram), falling back
// to `send()` for whatever it did not take, as its contract says.
import { AfQipcrtrSocket } from '../../../src/kernel';

const WINDOW = 32;
const SIZE = 64;

function openBound(): AfQipcrtrSocket {
  const socket = new AfQipcrtrSocket().open();
  socket.bind(0);
  return socket;
}

/** Sends datagrams[0..count) to the local port: trySendLocal, then send() for the rest. */
function sendLocal(socket: AfQipcrtrSocket, port: number, datagrams: Uint8Array[], count: number, reject: (error: unknown) => void): void {
  try {
    for (let i = socket.trySendLocal(port, datagrams, count); i < count; i++) socket.send(1, port, datagrams[i]).catch(reject);
  } catch (error) {
    reject(error);
  }
}

async function latency(a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number): Promise<{ rttUs: number; trips: number }> {
  const payload = new Uint8Array(SIZE).fill(0x5a);
  const aPort = a.address?.port ?? 0;
  const bPort = b.address?.port ?? 0;
  const one = [payload];
  const echoed: Uint8Array[] = [payload];
  const fail = (error: unknown): void => console.error(error);
  const echo = b.messages$.subscribe((m) => {
    echoed[0] = m.data;
    sendLocal(b, aPort, echoed, 1, fail);
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
        sendLocal(a, bPort, one, 1, reject);
      },
      error: reject,
    });
    sendLocal(a, bPort, one, 1, reject);
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
    const window = new Array<Uint8Array>(WINDOW).fill(payload);
    const burst = (): void => sendLocal(a, bPort, window, WINDOW, reject);
    const sink = b.messages$.subscribe({
      next: (m) => {
        // Like the C baseline's recv() length check: the data is really looked at.
        if (m.data.length !== SIZE) reject(new Error(`received ${m.data.length} bytes`));
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
  // Warm-up of both measured paths: under TCG, V8 needs a few hundred ms to optimize
  // them, which would otherwise be a third of a 1 s round.
  await latency(a, b, 0.3);
  await throughput(a, b, 0.3);
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
