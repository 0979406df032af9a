import { strict as assert } from 'node:assert';
import type { AfQipcrtrSocket, KernelQrtrMessage } from '../../../src/kernel';
import { decodeControl, encodeControl, instanceWord, isLookupSentinel, QRTR_PORT_CTRL, QrtrType } from '../../../src/wire';
import type { GuestCheck } from '../harness/check-api';
import { collect, openBound, waitForLookup } from '../harness/guest-helpers';

const SERVICE = 0x4242;

function fromNameService(m: KernelQrtrMessage): boolean {
  return m.node === 1 && m.port === QRTR_PORT_CTRL;
}

export const check: GuestCheck = {
  title: 'should answer NEW_LOOKUP with every matching server, then the all-zero sentinel, then live NEW_SERVER/DEL_SERVER',
  async run(ctx) {
    const sockets: AfQipcrtrSocket[] = [];
    try {
      const servers = [1, 2].map(() => openBound());
      sockets.push(...servers);
      for (const [i, s] of servers.entries()) {
        const port = s.address?.port ?? 0;
        await s.send(1, QRTR_PORT_CTRL, encodeControl({ type: QrtrType.NEW_SERVER, service: SERVICE, instance: instanceWord(1, i + 1), node: 1, port }));
      }
      const client = openBound();
      sockets.push(client);
      // The name service registers asynchronously (a kernel worker): wait until it lists both.
      await waitForLookup((rows) => rows.filter((r) => r.service === SERVICE).length === 2, `two servers of 0x${SERVICE.toString(16)}`);
      const answer = collect(client.messages$, 3, 5000, 'two servers and the sentinel', fromNameService);
      await client.send(1, QRTR_PORT_CTRL, encodeControl({ type: QrtrType.NEW_LOOKUP, service: SERVICE, instance: 0 }));
      const listing = await answer;
      assert.equal(listing.length, 3, 'two servers and the sentinel');
      const decoded = listing.map((m) => decodeControl(m.data));
      ctx.log(JSON.stringify(decoded));
      assert.ok(isLookupSentinel(decoded[2]), 'the listing ends with the all-zero sentinel');
      const found = decoded.slice(0, 2).map((p) => ({ type: p.type, service: p.service, instance: p.instance, node: p.node, port: p.port }));
      const expected = servers.map((s, i) => ({ type: QrtrType.NEW_SERVER, service: SERVICE, instance: instanceWord(1, i + 1), node: 1, port: s.address?.port ?? 0 }));
      assert.deepEqual(found.sort((x, y) => x.port - y.port), expected.sort((x, y) => x.port - y.port));

      // The lookup stays subscribed: a new server is announced, a closed one withdrawn.
      const third = openBound();
      sockets.push(third);
      const announced = collect(client.messages$, 1, 5000, 'NEW_SERVER notification', fromNameService);
      await third.send(1, QRTR_PORT_CTRL, encodeControl({ type: QrtrType.NEW_SERVER, service: SERVICE, instance: instanceWord(1, 3), node: 1, port: third.address?.port ?? 0 }));
      const [notification] = await announced;
      assert.deepEqual(decodeControl(notification.data), { type: QrtrType.NEW_SERVER, service: SERVICE, instance: instanceWord(1, 3), node: 1, port: third.address?.port });
      const withdrawn = collect(client.messages$, 1, 5000, 'DEL_SERVER notification', (m) => fromNameService(m) && decodeControl(m.data).type === QrtrType.DEL_SERVER);
      const thirdPort = third.address?.port;
      third.close();
      const [deleted] = await withdrawn;
      assert.equal(decodeControl(deleted.data).port, thirdPort);
    } finally {
      for (const socket of sockets) socket.close();
    }
  },
};
