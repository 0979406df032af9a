import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { KernelSendAbortedError, KernelSocketClosedError, type AfQipcrtrSocket } from '../../../src/kernel';
import { decodeControl, encodeControl, QrtrType, QRTR_TX_FLOW_HIGH, QRTR_TX_FLOW_LOW, type QrtrPacket } from '../../../src/wire';
import type { GuestCheck, GuestCheckContext } from '../harness/check-api';
import { collect, openBound, QrtrTun, rejectsWith, sleep, spawnPython, waitFor } from '../harness/guest-helpers';

const NODE = 7;
const STALL_MS = 600;

const PYTHON_SENDER = `
import socket, sys
node, port, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_QIPCRTR, socket.SOCK_DGRAM)
for i in range(count):
    s.sendto(bytes([i]) * 8, (node, port))
    print(i + 1, flush=True)
`;

function resumeTx(tun: QrtrTun, remotePort: number, sender: { node: number; port: number }): void {
  tun.write(
    { type: QrtrType.RESUME_TX, srcNode: NODE, srcPort: remotePort, dstNode: sender.node, dstPort: sender.port },
    encodeControl({ type: QrtrType.RESUME_TX, node: NODE, port: remotePort }),
  );
}

/**
 * Plays the remote receiver of `count` DATA packets to (NODE, remotePort), checking the
 * kernel's sender-side flow control: confirm_rx on the 5th unconfirmed packet, nothing
 * beyond 10 unconfirmed, the sender held (no packet for STALL_MS) until RESUME_TX.
 */
async function receiveWithFlowControl(
  ctx: GuestCheckContext,
  tun: QrtrTun,
  remotePort: number,
  count: number,
  whileHeld: (received: number) => Promise<void>,
): Promise<QrtrPacket[]> {
  const received: QrtrPacket[] = [];
  let unconfirmed = 0;
  while (received.length < count) {
    const packet = await tun.readUntil((p) => p.type === QrtrType.DATA && p.dstPort === remotePort, 10_000, `DATA #${received.length + 1}`);
    received.push(packet);
    unconfirmed++;
    assert.ok(unconfirmed <= QRTR_TX_FLOW_HIGH, `more than ${QRTR_TX_FLOW_HIGH} unconfirmed packets`);
    assert.equal(packet.confirmRx, unconfirmed === QRTR_TX_FLOW_LOW, `confirm_rx on packet ${received.length} (${unconfirmed} unconfirmed)`);
    if (unconfirmed === QRTR_TX_FLOW_HIGH && received.length < count) {
      const leaked = (await tun.drainFor(STALL_MS)).filter((p) => p.type === QrtrType.DATA);
      assert.equal(leaked.length, 0, `the sender must wait at ${QRTR_TX_FLOW_HIGH} unconfirmed packets`);
      await whileHeld(received.length);
      ctx.log(`held at ${received.length}; sending RESUME_TX`);
      resumeTx(tun, remotePort, { node: packet.srcNode, port: packet.srcPort });
      unconfirmed = 0;
    }
  }
  return received;
}

export const check: GuestCheck = {
  title: 'should apply QRTR flow control: confirm_rx on the 5th packet, senders held at 10 unconfirmed until RESUME_TX (or abort/close), RESUME_TX after a paused reader reads',
  timeoutMs: 60_000,
  async run(ctx) {
    const tun = new QrtrTun();
    const sockets: AfQipcrtrSocket[] = [];
    let python: ChildProcess | undefined;
    try {
      await tun.hello(NODE);

      // 1. Python's AF_QIPCRTR socket sends 25 datagrams to remote node 7.
      let pythonSent = 0;
      let pythonErr = '';
      python = spawnPython(PYTHON_SENDER, [String(NODE), String(0x55), '25']);
      python.stdout?.on('data', (chunk: Buffer) => {
        pythonSent = Number(chunk.toString().trim().split('\n').pop());
      });
      python.stderr?.on('data', (chunk: Buffer) => { pythonErr += chunk.toString(); });
      const fromPython = await receiveWithFlowControl(ctx, tun, 0x55, 25, async (received) => {
        // Its progress lines arrive through a pipe: wait for the count to catch up, then
        // check it stops there (the next sendto is the one held in the kernel).
        await waitFor(() => pythonSent >= received, 5000, `python to report ${received} sends`);
        await sleep(100);
        assert.equal(pythonSent, received, `python returned from ${pythonSent} sendto calls while held (stderr: ${pythonErr})`);
      });
      fromPython.forEach((p, i) => assert.deepEqual([...p.payload], new Array(8).fill(i), `python payload ${i}`));
      const pythonExit = await new Promise<number | null>((resolve) => python?.on('close', resolve));
      assert.equal(pythonExit, 0, `python sender exit (stderr: ${pythonErr})`);

      // 2. The addon: a held send waits on the thread pool, never on the event loop.
      const sender = openBound();
      sockets.push(sender);
      let resolved = 0;
      const sends = Array.from({ length: 12 }, (_, i) => sender.send(NODE, 0x56, Uint8Array.of(i, i)).then(() => { resolved++; }));
      const fromAddon = await receiveWithFlowControl(ctx, tun, 0x56, 12, async (received) => {
        // Timers firing at all here shows the event loop runs while the kernel holds a send.
        await waitFor(() => resolved >= received, 5000, `${received} addon sends to resolve`);
        await sleep(100);
        assert.equal(resolved, QRTR_TX_FLOW_HIGH, 'exactly 10 sends resolved while held');
      });
      await Promise.all(sends);
      fromAddon.forEach((p, i) => assert.deepEqual([...p.payload], [i, i], `addon payload ${i}`));

      // 3. Receiver side: node 7 sends to an addon socket that is not reading. The kernel
      // sends RESUME_TX only when the application has dequeued the confirm_rx packet.
      const receiver = openBound();
      sockets.push(receiver);
      const port = receiver.address?.port ?? 0;
      for (let i = 1; i <= 7; i++) {
        tun.write({ type: QrtrType.DATA, srcNode: NODE, srcPort: 0x57, dstNode: 1, dstPort: port, confirmRx: i === QRTR_TX_FLOW_LOW }, Uint8Array.of(i));
      }
      const early = (await tun.drainFor(STALL_MS)).filter((p) => p.type === QrtrType.RESUME_TX);
      assert.equal(early.length, 0, 'no RESUME_TX while the reader is paused');
      const got = await collect(receiver.messages$, 7, 5000, 'the 7 queued datagrams');
      assert.deepEqual(got.map((m) => m.data[0]), [1, 2, 3, 4, 5, 6, 7]);
      const resume = await tun.readUntil((p) => p.type === QrtrType.RESUME_TX, 5000, 'RESUME_TX after reading');
      assert.deepEqual([resume.srcNode, resume.srcPort, resume.dstNode, resume.dstPort], [1, port, NODE, 0x57]);
      const client = decodeControl(resume.payload);
      assert.deepEqual([client.node, client.port], [1, port]);
      const extra = (await tun.drainFor(300)).filter((p) => p.type === QrtrType.RESUME_TX);
      assert.equal(extra.length, 0, 'exactly one RESUME_TX for one confirm_rx');

      // 4. An AbortSignal, and close(), interrupt a send the kernel holds (no RESUME_TX ever comes).
      const held = openBound();
      sockets.push(held);
      const heldPort = held.address?.port ?? 0;
      await Promise.all(Array.from({ length: QRTR_TX_FLOW_HIGH }, (_, i) => held.send(NODE, 0x58, Uint8Array.of(i))));
      for (let i = 0; i < QRTR_TX_FLOW_HIGH; i++) await tun.readUntil((p) => p.type === QrtrType.DATA && p.dstPort === 0x58, 5000, `held DATA #${i + 1}`);
      const controller = new AbortController();
      const aborted = held.send(NODE, 0x58, Uint8Array.of(0xaa), { signal: controller.signal });
      await sleep(300);
      const abortAt = Date.now();
      controller.abort(new Error('test abort'));
      const abortError = await rejectsWith(aborted, KernelSendAbortedError, 'aborted held send');
      ctx.log(`abort: ${abortError.message} after ${Date.now() - abortAt} ms`);
      assert.ok(Date.now() - abortAt < 2000, 'the abort interrupts the kernel wait promptly');
      const closing = held.send(NODE, 0x58, Uint8Array.of(0xbb));
      await sleep(300);
      held.close();
      await rejectsWith(closing, KernelSocketClosedError, 'held send at close');
      const isGone = (p: QrtrPacket): boolean => p.type === QrtrType.DEL_CLIENT && decodeControl(p.payload).port === heldPort;
      const after = await tun.drainFor(200);
      assert.equal(after.filter((p) => p.type === QrtrType.DATA && p.dstPort === 0x58).length, 0, 'interrupted sends never reach the wire');
      // The fd really closed: the kernel tells node 7 the port is gone.
      const gone = after.find(isGone) ?? (await tun.readUntil(isGone, 5000, `DEL_CLIENT for 0x${heldPort.toString(16)}`));
      assert.equal(decodeControl(gone.payload).node, 1);
    } finally {
      if (python && python.exitCode === null) python.kill('SIGKILL');
      for (const socket of sockets) socket.close();
      tun.close();
    }
  },
};
