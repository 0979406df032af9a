// The addon side of bench/kernel.bench.ts (same protocol as qrtr-pingpong.c: READY, then
// one measurement per line of stdin), run in the guest: two AfQipcrtrSocket instances
// driven by the event loop (Poller readiness).
// Receiving goes through `messages$`; sending through `trySendLocal()`, the public
// synchronous path for local-node destinations (no promise per datagram), falling back
// to `send()` for whatever it did not take, as its contract says.
import { createInterface } from 'node:readline';
import type { Subscription } from 'rxjs';
import { AfQipcrtrSocket } from '../../../src/kernel';
import { SIZE, WINDOW, sendLocal, throughputBatched } from './batched-throughput';

function openBound(continueStreams: boolean): AfQipcrtrSocket {
  const socket = new AfQipcrtrSocket({ continueStreams }).open();
  socket.bind(0);
  return socket;
}

/**
 * How the messages$ path receives (one object per datagram; the batched path has its own
 * loops: latencyBatched below, throughputBatched in batched-throughput.ts). `each` returns false to stop reading the rest of what arrived.
 */
interface Receiver {
  /** Hands each datagram's bytes. */
  views(socket: AfQipcrtrSocket, each: (data: Uint8Array) => boolean, error: (e: unknown) => void): Subscription;
  /** Hands each datagram's length only. */
  lengths(socket: AfQipcrtrSocket, each: (length: number) => boolean, error: (e: unknown) => void): Subscription;
}

const MESSAGES: Receiver = {
  views: (socket, each, error) => socket.messages$.subscribe({ next: (m) => void each(m.data), error }),
  lengths: (socket, each, error) => socket.messages$.subscribe({ next: (m) => void each(m.data.length), error }),
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
 * The batched path's exchanges (`--batch`): received through batches$, and sent straight
 * from the lent receive area with trySendFrom wherever what was received is what goes out
 * (the echo; a burst read whole in one batch), as the C baseline sends from the buffer it
 * received into. No copy into the tx area, no view per datagram. `copy` (the A/B
 * baseline, `--copy`): the same loops, sending with trySendLocal instead (a view of each
 * echoed datagram, each burst from `window`), so that the send is the only difference.
 */
async function latencyBatched(a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number, copy: boolean): Promise<{ rttUs: number; trips: number }> {
  const aPort = a.address?.port ?? 0;
  const bPort = b.address?.port ?? 0;
  const one = [new Uint8Array(SIZE).fill(0x5a)];
  const echoed: Uint8Array[] = [one[0]];
  const fail = (error: unknown): void => console.error(error);
  const echo = b.batches$.subscribe({
    next: (batch) => {
      try {
        if (copy) {
          for (let i = 0; i < batch.count; i++) {
            echoed[0] = batch.datagram(i);
            sendLocal(b, aPort, echoed, 1, fail);
          }
        } else if (b.trySendFrom(batch, aPort) < batch.count) fail(new Error('echo not taken'));
      } catch (error) {
        fail(error);
      }
    },
    error: fail,
  });
  let trips = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await new Promise<void>((resolve, reject) => {
    const back = a.batches$.subscribe({
      next: (batch) => {
        trips += batch.count;
        if ((trips & 63) === 0 && performance.now() >= end) {
          back.unsubscribe();
          resolve();
          return;
        }
        try {
          if (copy) sendLocal(a, bPort, one, 1, reject);
          else if (a.trySendFrom(batch, bPort) < batch.count) reject(new Error('ping not taken'));
        } catch (error) {
          reject(error);
        }
      },
      error: reject,
    });
    sendLocal(a, bPort, one, 1, reject);
  });
  echo.unsubscribe();
  return { rttUs: ((performance.now() - start) / trips) * 1000, trips };
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
  // --copy: the batched path sending with trySendLocal (copies into the tx area) instead
  // of trySendFrom, for A/B runs.
  const copy = process.argv.includes('--copy');
  const impl = (batched ? (copy ? 'addon-batch-copy' : 'addon-batch') : 'addon') + (continueStreams ? '' : '-poll');
  const latencyOf = (s: number): ReturnType<typeof latency> => (batched ? latencyBatched(a, b, s, copy) : latency(MESSAGES, a, b, s));
  const throughputOf = (s: number): ReturnType<typeof throughput> => (batched ? throughputBatched(a, b, s, copy) : throughput(MESSAGES, a, b, s));
  const a = openBound(continueStreams);
  const b = openBound(continueStreams);
  // The C and Python baselines run at full speed from their first datagram; the addon's
  // JavaScript is measured once V8 has optimized it.
  const warmUpSeconds =
    (await warmUp(async (s) => (await latencyOf(s)).trips / s, 2)) +
    (await warmUp(async (s) => (await throughputOf(s)).datagramsPerSecond, 4));
  console.log('QRTRD-BENCH-READY');
  for await (const line of createInterface({ input: process.stdin })) {
    const seconds = Number(line);
    const l = await latencyOf(seconds);
    const t = await throughputOf(seconds);
    console.log(`QRTRD-BENCH ${JSON.stringify({ impl, rttUs: Number(l.rttUs.toFixed(2)), trips: l.trips, datagramsPerSecond: Math.round(t.datagramsPerSecond), datagrams: t.datagrams, warmUpSeconds: Number(warmUpSeconds.toFixed(2)) })}`);
  }
  a.close();
  b.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
