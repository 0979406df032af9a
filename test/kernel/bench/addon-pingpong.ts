// The addon side of bench/kernel.bench.ts (same protocol as qrtr-pingpong.c: READY, then
// one measurement per line of stdin), run in the guest: two AfQipcrtrSocket instances
// driven by the event loop (Poller readiness).
// Receiving goes through `messages$`; sending through `trySendLocal()`, the public
// synchronous path for local-node destinations (no promise per datagram), falling back
// to `send()` for whatever it did not take, as its contract says.
import { createInterface } from 'node:readline';
import type { Subscription } from 'rxjs';
import { AfQipcrtrSocket } from '../../../src/kernel';

const WINDOW = 32;
const SIZE = 64;

function openBound(continueStreams: boolean): AfQipcrtrSocket {
  const socket = new AfQipcrtrSocket({ continueStreams }).open();
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

/**
 * How the benchmark receives: `messages$` (one object per datagram) or `batches$` (one lent
 * batch per recvmmsg). `each` returns false to stop reading the rest of what arrived.
 */
interface Receiver {
  /** Hands each datagram's bytes (a view; for batches$, into the lent receive area). */
  views(socket: AfQipcrtrSocket, each: (data: Uint8Array) => boolean, error: (e: unknown) => void): Subscription;
  /** Hands each datagram's length only (batches$ reads it in place, no view made). */
  lengths(socket: AfQipcrtrSocket, each: (length: number) => boolean, error: (e: unknown) => void): Subscription;
}

const MESSAGES: Receiver = {
  views: (socket, each, error) => socket.messages$.subscribe({ next: (m) => void each(m.data), error }),
  lengths: (socket, each, error) => socket.messages$.subscribe({ next: (m) => void each(m.data.length), error }),
};

const BATCHES: Receiver = {
  views: (socket, each, error) =>
    socket.batches$.subscribe({
      next: (batch) => {
        for (let i = 0; i < batch.count; i++) if (!each(batch.datagram(i))) return;
      },
      error,
    }),
  lengths: (socket, each, error) =>
    socket.batches$.subscribe({
      next: (batch) => {
        for (let i = 0; i < batch.count; i++) if (!each(batch.length(i))) return;
      },
      error,
    }),
};

/** Ping-pong of one datagram between a and b; b echoes what it received. */
async function latency(receiver: Receiver, a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number): Promise<{ rttUs: number; trips: number }> {
  const payload = new Uint8Array(SIZE).fill(0x5a);
  const aPort = a.address?.port ?? 0;
  const bPort = b.address?.port ?? 0;
  const one = [payload];
  const echoed: Uint8Array[] = [payload];
  const fail = (error: unknown): void => console.error(error);
  const echo = receiver.views(
    b,
    (data) => {
      echoed[0] = data;
      sendLocal(b, aPort, echoed, 1, fail);
      return true;
    },
    fail,
  );
  let trips = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await new Promise<void>((resolve, reject) => {
    const back = receiver.views(
      a,
      () => {
        trips++;
        if ((trips & 63) === 0 && performance.now() >= end) {
          back.unsubscribe();
          resolve();
          return false;
        }
        sendLocal(a, bPort, one, 1, reject);
        return true;
      },
      reject,
    );
    sendLocal(a, bPort, one, 1, reject);
  });
  echo.unsubscribe();
  return { rttUs: ((performance.now() - start) / trips) * 1000, trips };
}

/** Bursts of WINDOW datagrams from a to b; the next burst leaves when the last one is drained. */
async function throughput(receiver: Receiver, a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number): Promise<{ datagramsPerSecond: number; datagrams: number }> {
  const payload = new Uint8Array(SIZE).fill(0x5a);
  const bPort = b.address?.port ?? 0;
  let received = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await new Promise<void>((resolve, reject) => {
    const window = new Array<Uint8Array>(WINDOW).fill(payload);
    const burst = (): void => sendLocal(a, bPort, window, WINDOW, reject);
    const sink = receiver.lengths(
      b,
      (length) => {
        // Like the C baseline's recv() length check: the data is really looked at.
        if (length !== SIZE) reject(new Error(`received ${length} bytes`));
        received++;
        if (received % WINDOW !== 0) return true;
        if (performance.now() >= end) {
          sink.unsubscribe();
          resolve();
          return false;
        }
        burst();
        return true;
      },
      reject,
    );
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
  // --poll-between-slices: continueStreams off (the A/B baseline: a streaming drain
  // re-enters the poll set after each maxReadsPerWakeup datagrams).
  const batched = process.argv.includes('--batch');
  const continueStreams = !process.argv.includes('--poll-between-slices');
  const impl = (batched ? 'addon-batch' : 'addon') + (continueStreams ? '' : '-poll');
  const receiver = batched ? BATCHES : MESSAGES;
  const a = openBound(continueStreams);
  const b = openBound(continueStreams);
  // The C and Python baselines run at full speed from their first datagram; the addon's
  // JavaScript is measured once V8 has optimized it.
  const warmUpSeconds =
    (await warmUp(async (s) => (await latency(receiver, a, b, s)).trips / s, 2)) +
    (await warmUp(async (s) => (await throughput(receiver, a, b, s)).datagramsPerSecond, 4));
  console.log('QRTRD-BENCH-READY');
  for await (const line of createInterface({ input: process.stdin })) {
    const seconds = Number(line);
    const l = await latency(receiver, a, b, seconds);
    const t = await throughput(receiver, a, b, seconds);
    console.log(`QRTRD-BENCH ${JSON.stringify({ impl, rttUs: Number(l.rttUs.toFixed(2)), trips: l.trips, datagramsPerSecond: Math.round(t.datagramsPerSecond), datagrams: t.datagrams, warmUpSeconds: Number(warmUpSeconds.toFixed(2)) })}`);
  }
  a.close();
  b.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
