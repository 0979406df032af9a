import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../../../src/common/errors';
import { KernelBatchNotLentError, type KernelDatagramBatch, type KernelQrtrMessage } from '../../../src/kernel';
import type { GuestCheck } from '../harness/check-api';
import { collect, openBound, throwsWith, waitFor } from '../harness/guest-helpers';

export const check: GuestCheck = {
  title: 'should forward lent batches with trySendFrom straight from the receive area: byte-exact, in order, across reused batches, with typed errors',
  async run(ctx) {
    // a -> b (batches$) -> c.trySendFrom -> d (messages$): a relay through the real kernel.
    const a = openBound();
    const b = openBound();
    const c = openBound();
    const d = openBound();
    try {
      const bPort = b.address!.port;
      const dPort = d.address!.port;
      // 300 distinct datagrams of varied sizes: about ten recvmmsg batches, each one
      // overwriting the receive area the previous one was forwarded from. A forward sent
      // after the next read would carry that read's bytes.
      const burst = Array.from({ length: 300 }, (_, i) => new Uint8Array(randomBytes(1 + ((i * 97) % 600))));
      const sizes: number[] = [];
      let kept: KernelDatagramBatch | undefined;
      const relay = b.batches$.subscribe((batch) => {
        sizes.push(batch.count);
        kept = batch;
        // Forward in two calls (first half, rest) to exercise first/count.
        const half = batch.count >> 1;
        assert.equal(c.trySendFrom(batch, dPort, 0, half), half);
        assert.equal(c.trySendFrom(batch, dPort, half), batch.count - half);
      });
      const messages: KernelQrtrMessage[] = [];
      const sink = d.messages$.subscribe((m) => messages.push(m));
      // In sends of 75 (batches 32, 32, 11: full and short ones), each forwarded before the
      // next, so that no receive queue overflows (local delivery has no flow control).
      for (let at = 0; at < burst.length; at += 75) {
        assert.equal(a.trySendLocal(bPort, burst.slice(at, at + 75)), 75);
        await waitFor(() => messages.length >= at + 75, 10_000, `forwarded datagrams ${at}..${at + 74}`);
      }
      sink.unsubscribe();
      relay.unsubscribe();
      ctx.log(`batch sizes ${sizes.join(',')}`);
      assert.ok(sizes.length > 1 && sizes.some((n) => n > 1), 'several batches, some of several datagrams');
      messages.forEach((m, i) => {
        assert.deepEqual(Buffer.from(m.data), Buffer.from(burst[i]), `forwarded datagram ${i}`);
        assert.deepEqual([m.node, m.port], [1, c.address!.port]);
      });

      // Outside its callback the batch is no longer lent; bad ranges are refused inside it.
      throwsWith(() => c.trySendFrom(kept!, dPort), KernelBatchNotLentError, 'a batch kept past its callback');
      const errors: unknown[] = [];
      const echoed = collect(a.messages$, 1, 10_000, 'the echo');
      const echo = b.batches$.subscribe((batch) => {
        for (const [first, count] of [[batch.count + 1, 0], [0, batch.count + 1], [-1, 1]]) {
          try {
            c.trySendFrom(batch, dPort, first, count);
          } catch (error) {
            errors.push(error);
          }
        }
        // An echo from the receiving socket itself, from where it was received.
        assert.equal(b.trySendFrom(batch, a.address!.port), batch.count);
      });
      assert.equal(a.trySendLocal(bPort, [Uint8Array.of(1, 2, 3)]), 1);
      const [back] = await echoed;
      echo.unsubscribe();
      assert.deepEqual([...back.data], [1, 2, 3]);
      assert.equal(back.port, bPort);
      assert.equal(errors.length, 3);
      for (const error of errors) assert.ok(error instanceof InvalidArgumentError, String(error));
    } finally {
      for (const socket of [a, b, c, d]) socket.close();
    }
  },
};
