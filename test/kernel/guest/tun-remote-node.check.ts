import { strict as assert } from 'node:assert';
import type { AfQipcrtrSocket } from '../../../src/kernel';
import { instanceWord, QRTR_PORT_CTRL, QrtrType } from '../../../src/wire';
import type { GuestCheck } from '../harness/check-api';
import { collect, openBound, QrtrTun, waitForLookup } from '../harness/guest-helpers';

const NODE = 7;
const SERVICE = 69;
const REMOTE_PORT = 0x20;

function u32le(...words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  const view = new DataView(out.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w >>> 0, true));
  return out;
}

export const check: GuestCheck = {
  title: 'should let a /dev/qrtr-tun process act as remote node 7 (HELLO, NEW_SERVER in qrtr-lookup, DATA) and reject malformed packets with EINVAL',
  async run(ctx) {
    const tun = new QrtrTun();
    let local: AfQipcrtrSocket | undefined;
    try {
      await tun.hello(NODE);
      tun.writeControl(NODE, { type: QrtrType.NEW_SERVER, service: SERVICE, instance: instanceWord(1, 0), node: NODE, port: REMOTE_PORT });
      const rows = await waitForLookup((r) => r.some((row) => row.service === SERVICE && row.node === NODE), `service ${SERVICE} on node ${NODE}`);
      assert.deepEqual(rows.find((r) => r.service === SERVICE), { service: SERVICE, version: 1, instance: 0, node: NODE, port: REMOTE_PORT });

      const malformed: Array<[string, Uint8Array]> = [
        ['empty write', new Uint8Array(0)],
        ['3 bytes', Uint8Array.of(1, 0, 0)],
        ['length not a multiple of 4', new Uint8Array(33)],
        ['truncated v1 header', u32le(1, QrtrType.DATA, NODE, REMOTE_PORT)],
        ['unknown version 9', u32le(9, QrtrType.DATA, NODE, REMOTE_PORT, 0, 4, 1, 0x4000, 0)],
        ['size beyond the buffer', u32le(1, QrtrType.DATA, NODE, REMOTE_PORT, 0, 100, 1, 0x4000, 0)],
        ['zero size', u32le(1, QrtrType.DATA, NODE, REMOTE_PORT, 0, 0, 1, 0x4000)],
        ['v2 header with options past the end', Uint8Array.of(3, 1, 0, 0xff, 4, 0, 0, 0, NODE, 0, REMOTE_PORT, 0, 1, 0, 0, 0x40, 0, 0, 0, 0)],
      ];
      for (const [what, bytes] of malformed) {
        const code = tun.writeRaw(bytes);
        ctx.log(`${what}: ${code ?? 'accepted'}`);
        assert.equal(code, 'EINVAL', `${what} must be rejected with EINVAL`);
      }

      // After the rejects the link still works: node 7 reaches a local socket.
      local = openBound();
      const port = local.address?.port ?? 0;
      const got = collect(local.messages$, 1, 5000, 'DATA from node 7');
      tun.write({ type: QrtrType.DATA, srcNode: NODE, srcPort: REMOTE_PORT, dstNode: 1, dstPort: port }, Uint8Array.of(1, 2, 3, 4, 5));
      const [message] = await got;
      assert.deepEqual([...message.data], [1, 2, 3, 4, 5]);
      assert.deepEqual({ node: message.node, port: message.port }, { node: NODE, port: REMOTE_PORT });

      // And a local socket reaches node 7 through the tun.
      await local.send(NODE, REMOTE_PORT, Uint8Array.of(9, 8, 7));
      const out = await tun.readUntil((p) => p.type === QrtrType.DATA, 5000, 'DATA to node 7');
      assert.deepEqual([...out.payload], [9, 8, 7]);
      assert.deepEqual([out.srcNode, out.srcPort, out.dstNode, out.dstPort], [1, port, NODE, REMOTE_PORT]);
      assert.notEqual(out.dstPort, QRTR_PORT_CTRL);
    } finally {
      local?.close();
      tun.close();
    }
    // Closing the tun unregisters the endpoint: the name service forgets node 7's servers.
    await waitForLookup((r) => !r.some((row) => row.node === NODE), `node ${NODE} gone after closing the tun`);
  },
};
