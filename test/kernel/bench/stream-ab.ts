// In-guest A/B of the batched receive path (bench/kernel.bench.ts with
// QRTRD_KERNEL_BENCH_AB=1): the bench's throughput pattern (bursts of 32 64-byte
// datagrams, the next burst sent from the subscriber when the last one is read) through
// `batches$`, with continueStreams on and off, plus a plain loop over sendBatch/recvBatch
// (no event loop, no RxJS) as the ceiling. All three run in ONE process, in short windows
// in rotating order, so the host's load bursts (seconds long) hit them alike; the
// paired ratios are more robust than comparing separate processes' best windows.
// Prints one line per pair: QRTRD-AB {"on":..,"off":..,"plain":..}.
import { AfQipcrtrSocket } from '../../../src/kernel';
import { loadNativeBinding } from '../../../src/kernel/native-loader';
import { RX_META } from '../../../src/kernel/io-areas';

const WINDOW = 32;
const SIZE = 64;

interface Pair {
  readonly a: AfQipcrtrSocket;
  readonly b: AfQipcrtrSocket;
}

function pair(continueStreams: boolean): Pair {
  const a = new AfQipcrtrSocket({ continueStreams }).open();
  a.bind(0);
  const b = new AfQipcrtrSocket({ continueStreams }).open();
  b.bind(0);
  return { a, b };
}

const window = new Array<Uint8Array>(WINDOW).fill(new Uint8Array(SIZE).fill(0x5a));

/** Datagrams/s through batches$ for `seconds` (the bench's addon-batch throughput). */
function batched({ a, b }: Pair, seconds: number): Promise<number> {
  const port = b.address?.port ?? 0;
  return new Promise((resolve, reject) => {
    let received = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    const sink = b.batches$.subscribe({
      next: (batch) => {
        for (let i = 0; i < batch.count; i++) {
          if (batch.length(i) !== SIZE) reject(new Error(`received ${batch.length(i)} bytes`));
          received++;
          if (received % WINDOW !== 0) continue;
          if (performance.now() >= end) {
            sink.unsubscribe();
            resolve(received / ((performance.now() - start) / 1000));
            return;
          }
          a.trySendLocal(port, window, WINDOW);
        }
      },
      error: reject,
    });
    a.trySendLocal(port, window, WINDOW);
  });
}

/** The same exchange from a plain loop: trySendLocal, then recvBatch until the burst is in. */
function plain({ a, b }: Pair, fd: number, seconds: number): number {
  const native = loadNativeBinding();
  const port = b.address?.port ?? 0;
  let received = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    a.trySendLocal(port, window, WINDOW);
    for (let got = 0; got < WINDOW; ) {
      const n = native.recvBatch(fd, WINDOW);
      if (n < 0) throw new Error(`recvBatch: ${n}`);
      for (let i = 0; i < n; i++) if (RX_META[i * 5] !== SIZE) throw new Error(`received ${RX_META[i * 5]} bytes`);
      got += n;
    }
    received += WINDOW;
  }
  return received / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const pairs = Number(process.argv[2] ?? 16);
  const seconds = Number(process.argv[3] ?? 0.5);
  const on = pair(true);
  const off = pair(false);
  const loop = pair(true);
  // The plain loop reads b's fd directly (no subscriber, so the socket is never polled).
  const loopFd = (loop.b as unknown as { fd: number }).fd;
  const run = (k: number): Promise<number> | number => (k === 0 ? batched(on, seconds) : k === 1 ? batched(off, seconds) : plain(loop, loopFd, seconds));
  // Warm-up: V8 optimizes these paths on a helper thread (seconds under TCG).
  for (let i = 0; i < 8; i++) for (let k = 0; k < 3; k++) await run(k);
  for (let p = 0; p < pairs; p++) {
    const rates = [0, 0, 0];
    for (let j = 0; j < 3; j++) {
      const k = (p + j) % 3;
      rates[k] = await run(k);
    }
    console.log(`QRTRD-AB ${JSON.stringify({ pair: p, on: Math.round(rates[0]), off: Math.round(rates[1]), plain: Math.round(rates[2]) })}`);
  }
  for (const { a, b } of [on, off, loop]) {
    a.close();
    b.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
