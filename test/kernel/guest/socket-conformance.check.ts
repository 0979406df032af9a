import { KernelSocketProvider } from '../../../src/kernel';
import { SOCKET_CONFORMANCE_CASES } from '../../../src/testing/socket-conformance';
import type { GuestCheck } from '../harness/check-api';

/** The socket contract's conformance kit (src/testing/socket-conformance.ts) on the real kernel's AF_QIPCRTR. */
export const check: GuestCheck = {
  title: 'should pass the socket contract conformance kit on AF_QIPCRTR (KernelSocketProvider), case by case as on every other provider',
  timeoutMs: 60_000,
  async run(ctx) {
    const provider = KernelSocketProvider.open();
    for (const c of SOCKET_CONFORMANCE_CASES) {
      const started = Date.now();
      try {
        await c.run({ provider, fixedPort: 0x5a5a });
      } catch (err) {
        throw new Error(`${c.title}: ${(err as Error).message}`);
      }
      ctx.log(`ok ${Date.now() - started} ms: ${c.title}`);
    }
  },
};
