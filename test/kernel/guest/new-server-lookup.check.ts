import { strict as assert } from 'node:assert';
import { encodeControl, instanceWord, QRTR_PORT_CTRL, QrtrType } from '../../../src/wire';
import type { GuestCheck } from '../harness/check-api';
import { openBound, waitForLookup } from '../harness/guest-helpers';

const SERVICE = 15;

export const check: GuestCheck = {
  title: 'should register a NEW_SERVER (service 15, version 1, instance 0) that qrtr-lookup lists, and drop it on close',
  async run(ctx) {
    const server = openBound();
    const port = server.address?.port ?? 0;
    try {
      const packet = encodeControl({ type: QrtrType.NEW_SERVER, service: SERVICE, instance: instanceWord(1, 0), node: 1, port });
      assert.equal(packet.length, 20);
      await server.send(1, QRTR_PORT_CTRL, packet);
      const rows = await waitForLookup((r) => r.some((row) => row.service === SERVICE && row.port === port), `service ${SERVICE}`);
      const row = rows.find((r) => r.service === SERVICE && r.port === port);
      ctx.log(`qrtr-lookup: ${JSON.stringify(row)}`);
      assert.deepEqual(row, { service: SERVICE, version: 1, instance: 0, node: 1, port });
    } finally {
      server.close();
    }
    await waitForLookup((r) => !r.some((row) => row.service === SERVICE && row.port === port), `service ${SERVICE} gone after close`);
  },
};
