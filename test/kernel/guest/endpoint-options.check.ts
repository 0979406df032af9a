import { strict as assert } from 'node:assert';
import { KernelOptionUnsupportedError, type AfQipcrtrSocket } from '../../../src/kernel';
import type { GuestCheck } from '../harness/check-api';
import { collect, openBound, rejectsWith, throwsWith } from '../harness/guest-helpers';

export const check: GuestCheck = {
  title: 'should report the missing multi-endpoint options (QRTR_BIND_ENDPOINT, QRTR_REPORT_ENDPOINT, endpoint cmsg) as typed errors',
  async run(ctx) {
    const sockets: AfQipcrtrSocket[] = [];
    try {
      const a = openBound();
      const b = openBound();
      sockets.push(a, b);
      if (a.endpointOptionsSupported) {
        // A kernel with the multi-endpoint patch set: local traffic carries endpoint 1.
        b.setReportEndpoint(true);
        const got = collect(b.messages$, 1, 5000, 'a datagram with QRTR_ENDPOINT');
        await a.send(1, b.address?.port ?? 0, Uint8Array.of(1));
        assert.equal((await got)[0].endpoint, 1);
        a.bindEndpoint(1);
        assert.equal(a.endpointBinding, 1);
        ctx.log('kernel supports SOL_QRTR options');
        return;
      }
      const bind = throwsWith(() => a.bindEndpoint(2), KernelOptionUnsupportedError, 'bindEndpoint(2)');
      ctx.log(`bindEndpoint: ${bind.message}`);
      assert.equal(bind.code, 'KERNEL_OPTION_UNSUPPORTED');
      // Mainline's AF_QIPCRTR has no setsockopt at all, so the socket layer answers EOPNOTSUPP.
      assert.ok(['ENOPROTOOPT', 'EOPNOTSUPP'].includes(bind.errno), `errno ${bind.errno}`);
      assert.equal(bind.operation, 'setsockopt(SOL_QRTR, QRTR_BIND_ENDPOINT, 2)');
      assert.equal(a.endpointBinding, 0, 'a failed bind leaves no binding');
      const report = throwsWith(() => a.setReportEndpoint(true), KernelOptionUnsupportedError, 'setReportEndpoint(true)');
      assert.equal(report.operation, 'setsockopt(SOL_QRTR, QRTR_REPORT_ENDPOINT, 1)');
      // The kernel would silently ignore an endpoint cmsg: the wrapper refuses instead.
      const cmsg = await rejectsWith(a.send(1, b.address?.port ?? 0, Uint8Array.of(1), { endpoint: 2 }), KernelOptionUnsupportedError, 'send with endpoint');
      ctx.log(`send with endpoint: ${cmsg.message}`);
      // The socket still works after the refusals.
      const got = collect(b.messages$, 1, 5000, 'a datagram after the refused options');
      await a.send(1, b.address?.port ?? 0, Uint8Array.of(9));
      assert.deepEqual([...(await got)[0].data], [9]);
    } finally {
      for (const socket of sockets) socket.close();
    }
  },
};
