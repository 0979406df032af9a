// The batched throughput exchange shared by the guest bench programs (addon-pingpong.ts,
// the bench's addon-batch rows; stream-ab.ts, its in-process A/B): bursts of WINDOW
// 64-byte datagrams from a to b through batches$, the next burst sent from the subscriber
// when the last datagram of a burst is read, as the C baseline (qrtr-pingpong.c) does.
import type { AfQipcrtrSocket } from '../../../src/kernel';

export const WINDOW = 32;
export const SIZE = 64;

/** Sends datagrams[0..count) to the local port: trySendLocal, then send() for the rest. */
export function sendLocal(socket: AfQipcrtrSocket, port: number, datagrams: Uint8Array[], count: number, reject: (error: unknown) => void): void {
  try {
    for (let i = socket.trySendLocal(port, datagrams, count); i < count; i++) socket.send(1, port, datagrams[i]).catch(reject);
  } catch (error) {
    reject(error);
  }
}

/**
 * Datagrams/s for `seconds`. The next burst leaves from the area the last one was
 * received into (trySendFrom, no copy) when the batch that completed it holds all of it,
 * else, and always with `copy` (the A/B baseline), from an array through trySendLocal.
 */
export async function throughputBatched(a: AfQipcrtrSocket, b: AfQipcrtrSocket, seconds: number, copy: boolean): Promise<{ datagramsPerSecond: number; datagrams: number }> {
  const bPort = b.address?.port ?? 0;
  let received = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await new Promise<void>((resolve, reject) => {
    const window = new Array<Uint8Array>(WINDOW).fill(new Uint8Array(SIZE).fill(0x5a));
    const sink = b.batches$.subscribe({
      next: (batch) => {
        const count = batch.count;
        // Like the C baseline's recv() length check: the data is really looked at.
        for (let i = 0; i < count; i++) if (batch.length(i) !== SIZE) reject(new Error(`received ${batch.length(i)} bytes`));
        received += count;
        if (received % WINDOW !== 0) return;
        if (performance.now() >= end) {
          sink.unsubscribe();
          resolve();
          return;
        }
        try {
          if (count === WINDOW && !copy) {
            if (a.trySendFrom(batch, bPort) < WINDOW) reject(new Error('burst not taken'));
          } else {
            sendLocal(a, bPort, window, WINDOW, reject);
          }
        } catch (error) {
          reject(error);
        }
      },
      error: reject,
    });
    sendLocal(a, bPort, window, WINDOW, reject);
  });
  return { datagramsPerSecond: received / ((performance.now() - start) / 1000), datagrams: received };
}
