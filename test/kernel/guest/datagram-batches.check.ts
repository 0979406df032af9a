import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import type { AfQipcrtrSocket, KernelDatagramBatch } from '../../../src/kernel';
import type { GuestCheck } from '../harness/check-api';
import { collect, openBound, sleep } from '../harness/guest-helpers';

/** Copies out what a lent batch holds (the batch is only valid during the callback). */
function copyBatch(batch: KernelDatagramBatch): Array<{ data: Buffer; node: number; port: number; endpoint: number; offset: number }> {
  const out = [];
  for (let i = 0; i < batch.count; i++) {
    const view = batch.datagram(i);
    assert.equal(view.length, batch.length(i));
    assert.equal(view.byteOffset - batch.bytes.byteOffset, batch.offset(i));
    out.push({ data: Buffer.from(view), node: batch.node(i), port: batch.port(i), endpoint: batch.endpoint(i), offset: batch.offset(i) });
  }
  return out;
}

/**
 * Subscribes to batches$ until `total` datagrams came, copying each out; resolves with the
 * copies and the batch sizes, and rejects after 10 s naming `what`.
 */
function collectBatches(
  socket: AfQipcrtrSocket,
  total: number,
  what: string,
): Promise<{ received: ReturnType<typeof copyBatch>; sizes: number[] }> {
  const received: ReturnType<typeof copyBatch> = [];
  const sizes: number[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${received.length} of ${total} datagrams (${what})`)), 10_000);
    const sub = socket.batches$.subscribe((batch) => {
      sizes.push(batch.count);
      received.push(...copyBatch(batch));
      if (received.length >= total) {
        clearTimeout(timer);
        sub.unsubscribe();
        resolve({ received, sizes });
      }
    });
  });
}

export const check: GuestCheck = {
  title: 'should lend received datagrams in recvmmsg batches through batches$: byte-exact, in order, with sources, beside messages$',
  async run(ctx) {
    const a = openBound();
    const b = openBound();
    try {
      const bPort = b.address!.port;
      const aPort = a.address!.port;
      const burst = Array.from({ length: 100 }, (_, i) => new Uint8Array(randomBytes(1 + ((i * 53) % 700))));
      const done = collectBatches(b, burst.length, 'a burst of 100');
      // Queued before the socket is read: the drain takes them in batches of up to 32.
      assert.equal(a.trySendLocal(bPort, burst), burst.length);
      const { received, sizes } = await done;
      ctx.log(`batch sizes ${sizes.join(',')}`);
      assert.ok(sizes.some((n) => n > 1), 'at least one batch holds several datagrams');
      assert.ok(sizes.every((n) => n >= 1 && n <= 32));
      received.forEach((m, i) => {
        assert.deepEqual(m.data, Buffer.from(burst[i]), `datagram ${i}`);
        assert.deepEqual([m.node, m.port, m.endpoint], [1, aPort, 0]);
      });

      // Sizes on both sides of the addon's dense receive slot (1 KiB per datagram; the rest
      // of a 64 KiB slot spills into a side buffer): the packing assembles heads and tails
      // whether the first large datagram of a batch comes first, in the middle or last.
      for (const sizes of [
        [1, 1023, 1024, 1025, 64, 4096, 7, 65535, 8, 2000, 1024, 3],
        [65535, ...Array.from({ length: 20 }, (_, i) => 1 + i * 37)],
        [...Array.from({ length: 20 }, (_, i) => 1000 + i), 1500, 1, 2, 3],
        [...Array.from({ length: 31 }, () => 9), 30_000],
      ]) {
        const mixed = sizes.map((n) => new Uint8Array(randomBytes(n)));
        const all = collectBatches(b, mixed.length, `sizes ${sizes.join(',')}`);
        assert.equal(a.trySendLocal(bPort, mixed), mixed.length);
        const { received: arrived, sizes: counts } = await all;
        const got = arrived.map((m) => m.data);
        ctx.log(`sizes ${sizes.length}: batch sizes ${counts.join(',')}`);
        got.forEach((data, i) => assert.ok(data.equals(Buffer.from(mixed[i])), `datagram ${i} of ${sizes[i]} bytes (sizes ${sizes.join(',')})`));
      }

      // Both kinds of subscriber at once: each gets every datagram, messages$ as copies
      // that stay valid after the batch is gone.
      const lent: Buffer[] = [];
      const sub = b.batches$.subscribe((batch) => lent.push(...copyBatch(batch).map((m) => m.data)));
      const copies = collect(b.messages$, 10, 10_000, 'ten datagrams through messages$');
      const ten = Array.from({ length: 10 }, (_, i) => Uint8Array.of(i, i, i));
      assert.equal(a.trySendLocal(bPort, ten), 10);
      const messages = await copies;
      await sleep(10);
      sub.unsubscribe();
      assert.deepEqual(lent, ten.map((d) => Buffer.from(d)));
      assert.deepEqual(messages.map((m) => [...m.data]), ten.map((d) => [...d]));

      // Closing completes batches$ subscribers.
      let completed = false;
      b.batches$.subscribe({ complete: () => (completed = true) });
      b.close();
      assert.equal(completed, true);
    } finally {
      a.close();
      b.close();
    }
  },
};
