// In-guest A/B of the batched path (bench/kernel.bench.ts with QRTRD_KERNEL_BENCH_AB=1):
// the bench's throughput pattern (bursts of 32 64-byte datagrams, the next burst sent
// when the last one is read) in several variants, and the C baseline, in short windows
// in rotating order, so that the host's load bursts (seconds long) hit them alike; the
// paired ratios are more robust than comparing separate processes' best windows.
//   c        the C program (qrtr-pingpong.c --throughput-only), a child process
//   forward  batches$; the next burst sent from the lent batch (trySendFrom, no copy)
//   deep     the same with maxReadsPerWakeup 4096 instead of 512 (informational: one
//            slice of 4096 against eight slices of 512 with a loopHasWork check between)
//   copy     batches$; the next burst copied in from an array (trySendLocal)
//   plain    no event loop: trySendLocal, then recvBatch until the burst is in
//   plainRx  no event loop: recvBatch, then the burst sent from the rx area (sendBatchRx)
// Prints one line per rotation: QRTRD-AB {"pair":p,"c":..,"forward":..,...} (datagrams/s).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { AfQipcrtrSocket } from '../../../src/kernel';
import { loadNativeBinding } from '../../../src/kernel/native-loader';
import { RX_META, txBatcher } from '../../../src/kernel/io-areas';
import { SIZE, WINDOW, throughputBatched } from './batched-throughput';


interface Pair {
  readonly a: AfQipcrtrSocket;
  readonly b: AfQipcrtrSocket;
}

function pair(maxReadsPerWakeup?: number): Pair {
  const a = new AfQipcrtrSocket().open();
  a.bind(0);
  const b = new AfQipcrtrSocket({ maxReadsPerWakeup }).open();
  b.bind(0);
  return { a, b };
}

const window = new Array<Uint8Array>(WINDOW).fill(new Uint8Array(SIZE).fill(0x5a));

/** Datagrams/s through batches$ for `seconds` (the bench's addon-batch throughput). */
async function batched({ a, b }: Pair, forward: boolean, seconds: number): Promise<number> {
  return (await throughputBatched(a, b, seconds, !forward)).datagramsPerSecond;
}

/** The same exchange from a plain loop; `fromRx`: each burst after the first sent from the rx area. */
function plain({ a, b }: Pair, fds: { a: number; b: number }, fromRx: boolean, seconds: number): number {
  const native = loadNativeBinding();
  const port = b.address?.port ?? 0;
  const node = b.address?.node ?? 1;
  let received = 0;
  let last = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  while (performance.now() < end) {
    if (fromRx && last === WINDOW) {
      if (txBatcher.sendReceived(native, fds.a, node, port, 0, WINDOW, 0) !== WINDOW) throw new Error('sendBatchRx short');
    } else {
      a.trySendLocal(port, window, WINDOW);
    }
    for (let got = 0; got < WINDOW; ) {
      const n = native.recvBatch(fds.b, WINDOW);
      if (n < 0) throw new Error(`recvBatch: ${n}`);
      for (let i = 0; i < n; i++) if (RX_META[i * 5] !== SIZE) throw new Error(`received ${RX_META[i * 5]} bytes`);
      got += n;
      last = n;
    }
    received += WINDOW;
  }
  return received / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const pairs = Number(process.argv[2] ?? 16);
  const seconds = Number(process.argv[3] ?? 0.5);
  const cProgram = process.argv[4];
  const forward = pair();
  const deep = pair(4096);
  const copy = pair();
  const loop = pair();
  // The plain loops use the fds directly (b has no subscriber, so it is never polled).
  const fdOf = (s: AfQipcrtrSocket): number => (s as unknown as { fd: number }).fd;
  const loopFds = { a: fdOf(loop.a), b: fdOf(loop.b) };
  const c = cProgram ? spawn(cProgram, ['--throughput-only'], { stdio: ['pipe', 'pipe', 'inherit'] }) : undefined;
  const cLines = c ? createInterface({ input: c.stdout })[Symbol.asyncIterator]() : undefined;
  const cResult = async (prefix: string): Promise<string> => {
    for (;;) {
      const next = await (cLines as AsyncIterator<string>).next();
      if (next.done) throw new Error(`the C program exited before printing ${prefix}`);
      if (next.value.startsWith(prefix)) return next.value.slice(prefix.length).trim();
    }
  };
  if (c) await cResult('QRTRD-BENCH-READY');
  const runC = async (): Promise<number> => {
    (c as NonNullable<typeof c>).stdin.write(`${seconds}\n`);
    return (JSON.parse(await cResult('QRTRD-BENCH')) as { datagramsPerSecond: number }).datagramsPerSecond;
  };
  // QRTRD_STREAM_AB_ONLY=forward,plainRx runs only those (e.g. under node --cpu-prof).
  const only = process.env.QRTRD_STREAM_AB_ONLY?.split(',');
  const names = ['c', 'forward', 'deep', 'copy', 'plain', 'plainRx'].filter((n) => (n !== 'c' || c) && (!only || only.includes(n))) as Array<
    'c' | 'forward' | 'deep' | 'copy' | 'plain' | 'plainRx'
  >;
  const run = (name: (typeof names)[number]): Promise<number> | number =>
    name === 'c'
      ? runC()
      : name === 'forward'
        ? batched(forward, true, seconds)
        : name === 'deep'
          ? batched(deep, true, seconds)
          : name === 'copy' ? batched(copy, false, seconds) : plain(loop, loopFds, name === 'plainRx', seconds);
  // Warm-up: V8 optimizes these paths on a helper thread (seconds under TCG).
  for (let i = 0; i < 8; i++) for (const name of names) if (name !== 'c') await run(name);
  for (let p = 0; p < pairs; p++) {
    const rates: Record<string, number> = {};
    for (let j = 0; j < names.length; j++) {
      const name = names[(p + j) % names.length];
      rates[name] = Math.round(await run(name));
    }
    console.log(`QRTRD-AB ${JSON.stringify({ pair: p, ...rates })}`);
  }
  c?.stdin.end();
  for (const { a, b } of [forward, deep, copy, loop]) {
    a.close();
    b.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
