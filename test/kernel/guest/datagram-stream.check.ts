import { strict as assert } from 'node:assert';
import { AfQipcrtrSocket } from '../../../src/kernel';
import type { GuestCheck } from '../harness/check-api';
import { sleep } from '../harness/guest-helpers';

const BURST = 32;
/** Small slices, so that a short stream spans many drain continuations (continueStreams). */
const SLICE = 64;

function openBound(): AfQipcrtrSocket {
  const socket = new AfQipcrtrSocket({ maxReadsPerWakeup: SLICE }).open();
  socket.bind(0);
  return socket;
}

/** Datagram `seq`: its number in the first 4 bytes, then a pattern derived from it. */
function datagram(seq: number): Uint8Array {
  const data = new Uint8Array(8 + (seq % 57));
  new DataView(data.buffer).setUint32(0, seq, true);
  for (let i = 4; i < data.length; i++) data[i] = (seq + i) & 0xff;
  return data;
}

export const check: GuestCheck = {
  title: 'should deliver a stream longer than a wake-up\'s share in order and complete, run timers between slices, read on while the loop is idle, stop at close, and cost nothing idle',
  async run(ctx) {
    const a = openBound();
    const b = openBound();
    try {
      const bPort = b.address!.port;
      // The stream: each burst is sent from the subscriber as the previous one is read
      // (the bench's throughput pattern), so the socket never runs dry and the drain goes
      // from slice to slice until TOTAL datagrams.
      const TOTAL = 6400;
      let next = 0;
      const burst = (): void => {
        const datagrams = Array.from({ length: Math.min(BURST, TOTAL - next) }, () => datagram(next++));
        assert.equal(a.trySendLocal(bPort, datagrams), datagrams.length);
      };
      let expected = 0;
      let ticks = 0;
      let slicesWithTicks = 0;
      let ticksAtLastBatch = 0;
      const timer = setInterval(() => ticks++, 1);
      const started = Date.now();
      await new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`timed out at datagram ${expected} of ${TOTAL}`)), 60_000);
        const sub = b.batches$.subscribe({
          next: (batch) => {
            if (ticks !== ticksAtLastBatch) slicesWithTicks++;
            ticksAtLastBatch = ticks;
            try {
              for (let i = 0; i < batch.count; i++) {
                const view = batch.datagram(i);
                const seq = new DataView(view.buffer, view.byteOffset, view.byteLength).getUint32(0, true);
                assert.equal(seq, expected, 'in order, none lost');
                assert.deepEqual(view, datagram(seq), `datagram ${seq} byte-exact`);
                expected++;
              }
            } catch (error) {
              clearTimeout(guard);
              sub.unsubscribe();
              reject(error as Error);
              return;
            }
            if (expected === TOTAL) {
              clearTimeout(guard);
              sub.unsubscribe();
              resolve();
            } else if (expected === next) {
              burst();
            }
          },
          error: reject,
        });
        burst();
      });
      clearInterval(timer);
      ctx.log(`${TOTAL} datagrams in ${Date.now() - started} ms; the 1 ms timer ran ${ticks} times, between ${slicesWithTicks} batches`);
      assert.ok(slicesWithTicks >= 2, 'the stream let the timer run between its slices');

      // With no I/O or timer waiting, the stream reads on past its slices (loopHasWork)
      // and yields only every IDLE_READS_PER_WAKEUP (4096) datagrams: an immediate chain,
      // which does not count as waiting work, advances once per yield, far less often than
      // once per 64-datagram slice; and it still advances, so immediates are not starved.
      next = 0;
      let iterations = 0;
      let chaining = true;
      const chain = (): void => {
        iterations++;
        if (chaining) setImmediate(chain);
      };
      setImmediate(chain);
      let streamed = 0;
      let iterationsAtHalf = -1;
      await new Promise<void>((resolve, reject) => {
        const guard = setTimeout(() => reject(new Error(`timed out at datagram ${streamed} of ${TOTAL} (idle stream)`)), 60_000);
        const sub = b.batches$.subscribe({
          next: (batch) => {
            streamed += batch.count;
            if (streamed >= 4096 + 2 * BURST && iterationsAtHalf < 0) iterationsAtHalf = iterations;
            if (streamed === TOTAL) {
              clearTimeout(guard);
              sub.unsubscribe();
              resolve();
            } else if (streamed === next) {
              burst();
            }
          },
          error: reject,
        });
        burst();
      });
      chaining = false;
      ctx.log(`idle loop: ${TOTAL} datagrams in slices of ${SLICE}, ${iterations} event-loop iterations ran (${iterationsAtHalf} by datagram ${4096 + 2 * BURST})`);
      assert.ok(iterations < TOTAL / SLICE / 4, `${iterations} iterations for ${TOTAL / SLICE} slices: the idle stream should read on past its slices`);
      assert.ok(iterationsAtHalf >= 1, 'the stream yielded to the loop after 4096 datagrams');

      // Close from an immediate queued during a slice: it runs before the slice's
      // continuation, which must then read nothing and touch no closed poller.
      let delivered = 0;
      let afterClose = 0;
      let completed = false;
      next = 0;
      const stopAt = SLICE + BURST;
      const closing = new Promise<void>((resolve, reject) => {
        b.batches$.subscribe({
          next: (batch) => {
            if (b.closed) afterClose += batch.count;
            delivered += batch.count;
            if (delivered === stopAt) setImmediate(() => b.close());
            if (delivered === next) burst();
          },
          error: reject,
          complete: () => {
            completed = true;
            resolve();
          },
        });
        burst();
      });
      await closing;
      await sleep(50);
      assert.equal(completed, true);
      assert.equal(afterClose, 0, 'nothing delivered after close');
      assert.ok(delivered >= stopAt, `read on until the close (${delivered} datagrams)`);

      // An idle subscribed socket waits in the poll set: no spinning.
      const idle = openBound();
      const sub = idle.batches$.subscribe(() => {});
      await sleep(50);
      const before = process.cpuUsage();
      await sleep(500);
      const used = process.cpuUsage(before);
      sub.unsubscribe();
      idle.close();
      const ms = (used.user + used.system) / 1000;
      ctx.log(`idle subscribed socket: ${ms.toFixed(1)} ms CPU in 500 ms`);
      assert.ok(ms < 100, `an idle socket used ${ms.toFixed(1)} ms of CPU in 500 ms`);
    } finally {
      a.close();
      b.close();
    }
  },
};
