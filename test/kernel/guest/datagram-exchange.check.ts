import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../../../src/common/errors';
import { AfQipcrtrSocket, KernelAddressInUseError, KernelPortUnreachableError } from '../../../src/kernel';
import { QRTR_EPHEMERAL_PORT_MAX, QRTR_EPHEMERAL_PORT_MIN } from '../../../src/wire';
import type { GuestCheck } from '../harness/check-api';
import { collect, openBound, rejectsWith, throwsWith } from '../harness/guest-helpers';

const FIXED_PORT = 0x5a5a;
const PRIVILEGED_PORT = 0x123;
const SIZES = [1, 3, 4, 5, 17, 1000, 4096, 65535];

export const check: GuestCheck = {
  title: 'should bind (ephemeral, fixed, privileged), report getsockname and exchange datagrams byte-exact through the kernel router',
  async run(ctx) {
    const sockets: AfQipcrtrSocket[] = [];
    try {
      const a = openBound();
      sockets.push(a);
      assert.equal(a.localNode, 1, 'mainline local node id');
      assert.equal(a.address?.node, 1);
      const ephemeral = a.address?.port ?? -1;
      assert.ok(ephemeral >= QRTR_EPHEMERAL_PORT_MIN && ephemeral <= QRTR_EPHEMERAL_PORT_MAX, `ephemeral port 0x${ephemeral.toString(16)}`);
      ctx.log(`ephemeral port 0x${ephemeral.toString(16)}`);

      const b = openBound(FIXED_PORT);
      sockets.push(b);
      assert.deepEqual(b.address, { node: 1, port: FIXED_PORT });
      const privileged = openBound(PRIVILEGED_PORT);
      sockets.push(privileged);
      assert.deepEqual(privileged.address, { node: 1, port: PRIVILEGED_PORT });

      const clash = new AfQipcrtrSocket().open();
      sockets.push(clash);
      const inUse = throwsWith(() => clash.bind(FIXED_PORT), KernelAddressInUseError, 'bind to a taken port');
      assert.equal(inUse.errno, 'EADDRINUSE');
      assert.equal(inUse.operation, `bind(node=1, port=${FIXED_PORT})`);
      assert.equal(inUse.code, 'KERNEL_ADDRESS_IN_USE');
      throwsWith(() => clash.bind(-1), InvalidArgumentError, 'bind(-1)');

      const payloads = SIZES.map((n) => new Uint8Array(randomBytes(n)));
      const atB = collect(b.messages$, payloads.length, 10_000, 'datagrams at B');
      for (const payload of payloads) await a.send(1, FIXED_PORT, payload);
      const received = await atB;
      received.forEach((m, i) => {
        assert.deepEqual(Buffer.from(m.data), Buffer.from(payloads[i]), `payload ${i} (${payloads[i].length} bytes)`);
        assert.equal(m.node, 1);
        assert.equal(m.port, ephemeral, 'source port is the sender');
        assert.equal(m.endpoint, 0, 'no endpoint without QRTR_REPORT_ENDPOINT');
      });

      const atA = collect(a.messages$, 1, 5000, 'the reply at A');
      await b.send(1, ephemeral, Uint8Array.of(0xde, 0xad));
      const [reply] = await atA;
      assert.deepEqual([...reply.data], [0xde, 0xad]);
      assert.deepEqual({ node: reply.node, port: reply.port }, { node: 1, port: FIXED_PORT });

      // trySendLocal: the synchronous burst path, byte-exact and in order, with the
      // kernel's errors typed (the burst is larger than one 64-datagram native call).
      const burst = Array.from({ length: 100 }, (_, i) => new Uint8Array(randomBytes(1 + ((i * 37) % 300))));
      const burstAtB = collect(b.messages$, burst.length, 10_000, 'the trySendLocal burst at B');
      assert.equal(a.trySendLocal(FIXED_PORT, burst), burst.length, 'the kernel takes the whole burst');
      (await burstAtB).forEach((m, i) => {
        assert.deepEqual(Buffer.from(m.data), Buffer.from(burst[i]), `burst datagram ${i}`);
        assert.equal(m.port, ephemeral);
      });
      const noPort = throwsWith(() => a.trySendLocal(0x7ffe, [Uint8Array.of(1)]), KernelPortUnreachableError, 'trySendLocal to an unbound port');
      assert.equal(noPort.operation, 'sendto(node=1, port=0x7ffe)');

      // An unbound socket is bound on first send, like the kernel's autobind.
      const auto = new AfQipcrtrSocket().open();
      sockets.push(auto);
      const fromAuto = collect(b.messages$, 1, 5000, 'a datagram from an autobound socket');
      await auto.send(1, FIXED_PORT, Uint8Array.of(7));
      const [autoMessage] = await fromAuto;
      assert.equal(autoMessage.port, auto.address?.port);

      const unreachable = await rejectsWith(a.send(1, 0x7ffe, Uint8Array.of(1)), KernelPortUnreachableError, 'send to an unbound port');
      assert.equal(unreachable.errno, 'ENODEV');

      let completed = false;
      b.messages$.subscribe({ complete: () => { completed = true; } });
      b.close();
      assert.ok(completed, 'messages$ completes on close');
      assert.equal(b.closed, true);
    } finally {
      for (const socket of sockets) socket.close();
    }
  },
};
