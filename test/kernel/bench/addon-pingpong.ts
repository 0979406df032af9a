// The addon side of bench/kernel.bench.ts (same protocol as qrtr-pingpong.c: READY, then
// one measurement per line of stdin), run in the guest: two AfQipcrtrSocket instances
// driven by the event loop (Poller readiness).
// Receiving goes through `messages$`; sending through `trySendLocal()`, the public
// synchronous path for local-node destinations (no promise per datagram), falling back
// to `send()` for whatever it did not take, as its contract says.
import { createInterface } from 'node:readline';
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

async function latencyMessages(a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number): Promise<{ rttUs: number; trips: number }> {
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

/** latency() through batches$: each echo is sent straight from the lent receive area. */
async function latencyBatched(a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number): Promise<{ rttUs: number; trips: number }> {
  const payload = new Uint8Array(SIZE).fill(0x5a);
  const aPort = a.address?.port ?? 0;
  const bPort = b.address?.port ?? 0;
  const one = [payload];
  const echoed: Uint8Array[] = [payload];
  const fail = (error: unknown): void => console.error(error);
  const echo = b.batches$.subscribe((batch) => {
    for (let i = 0; i < batch.count; i++) {
      echoed[0] = batch.datagram(i);
      sendLocal(b, aPort, echoed, 1, fail);
    }
  });
  let trips = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await new Promise<void>((resolve, reject) => {
    const back = a.batches$.subscribe({
      next: (batch) => {
        for (let i = 0; i < batch.count; i++) {
          trips++;
          if ((trips & 63) === 0 && performance.now() >= end) {
            back.unsubscribe();
            resolve();
            return;
          }
          sendLocal(a, bPort, one, 1, reject);
        }
      },
      error: reject,
    });
    sendLocal(a, bPort, one, 1, reject);
  });
  echo.unsubscribe();
  return { rttUs: ((performance.now() - start) / trips) * 1000, trips };
}

/** throughput() through batches$: each datagram's length is checked in place, no object per datagram. */
async function throughputBatched(a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number): Promise<{ datagramsPerSecond: number; datagrams: number }> {
  const payload = new Uint8Array(SIZE).fill(0x5a);
  const bPort = b.address?.port ?? 0;
  let received = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await new Promise<void>((resolve, reject) => {
    const window = new Array<Uint8Array>(WINDOW).fill(payload);
    const burst = (): void => sendLocal(a, bPort, window, WINDOW, reject);
    const sink = b.batches$.subscribe({
      next: (batch) => {
        for (let i = 0; i < batch.count; i++) {
          if (batch.length(i) !== SIZE) reject(new Error(`received ${batch.length(i)} bytes`));
        }
        const before = received;
        received += batch.count;
        // A burst is drained when the count crosses a multiple of WINDOW.
        if (Math.floor(received / WINDOW) === Math.floor(before / WINDOW)) return;
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

async function throughputMessages(a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number): Promise<{ datagramsPerSecond: number; datagrams: number }> {
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

/**
 * Runs `measure` in short windows until its rate stops improving (two windows in a row
 * within 3% of the best) or `capSeconds` pass. Under TCG, V8's optimizing compiler runs on
 * a helper thread and needs one to three seconds before these paths run optimized code,
 * longer when the host is busy; a fixed short warm-up measured partly unoptimized code.
 */
async function warmUp(measure: (seconds: number) => Promise<number>, capSeconds: number): Promise<number> {
  const start = performance.now();
  let best = 0;
  let flat = 0;
  while (flat < 2 && performance.now() - start < capSeconds * 1000) {
    const rate = await measure(0.25);
    if (rate > best * 1.03) {
      best = rate;
      flat = 0;
    } else {
      flat++;
    }
  }
  return (performance.now() - start) / 1000;
}

async function main(): Promise<void> {
  // --batch: receive through batches$ (one lent batch per recvmmsg) instead of messages$.
  const batched = process.argv.includes('--batch');
  const impl = batched ? 'addon-batch' : 'addon';
  const latency = batched ? latencyBatched : latencyMessages;
  const throughput = batched ? throughputBatched : throughputMessages;
  const a = openBound();
  const b = openBound();
  // The C and Python baselines run at full speed from their first datagram; the addon's
  // JavaScript is measured once V8 has optimized it.
  const warmUpSeconds =
    (await warmUp(async (s) => (await latency(a, b, s)).trips / s, 2)) +
    (await warmUp(async (s) => (await throughput(a, b, s)).datagramsPerSecond, 4));
  console.log('QRTRD-BENCH-READY');
  for await (const line of createInterface({ input: process.stdin })) {
    const seconds = Number(line);
    const l = await latency(a, b, seconds);
    const t = await throughput(a, b, seconds);
    console.log(`QRTRD-BENCH ${JSON.stringify({ impl, rttUs: Number(l.rttUs.toFixed(2)), trips: l.trips, datagramsPerSecond: Math.round(t.datagramsPerSecond), datagrams: t.datagrams, warmUpSeconds: Number(warmUpSeconds.toFixed(2)) })}`);
  }
  a.close();
  b.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
