import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { encodeControl, instanceWord, QRTR_PORT_CTRL, QrtrType } from '../../../src/wire';
import type { GuestCheck } from '../harness/check-api';
import { openBound, waitForLookup } from '../harness/guest-helpers';

const SERVICE = 15;

export const check: GuestCheck = {
  title:
    'should register a NEW_SERVER (service 15, version 1, instance 0) that qrtr-lookup and `qrtr lookup --kernel` list (`--format qrtr-lookup` byte for byte as qrtr-lookup), and drop it on close',
  // Three Node processes (qrtr) start under TCG, seconds each.
  timeoutMs: 90_000,
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

      // qrtrd's own lookup tool, straight from the kernel's name service (no daemon).
      const qrtr = (...args: string[]): unknown[] => {
        const result = spawnSync(process.execPath, [join(ctx.buildRoot, 'src', 'cli', 'qrtr.js'), 'lookup', ...args, '--kernel', '--json'], { encoding: 'utf8', timeout: 20_000 });
        assert.equal(result.status, 0, `qrtr lookup ${args.join(' ')} --kernel: ${result.stderr}`);
        return JSON.parse(result.stdout) as unknown[];
      };
      const expected = { service: SERVICE, version: 1, instance: 0, node: 1, port, endpoint: 0, key: '-' };
      const listed = qrtr(String(SERVICE));
      ctx.log(`qrtr lookup ${SERVICE} --kernel: ${JSON.stringify(listed)}`);
      const mine = (listed as Array<Record<string, unknown>>).find((r) => r.port === port);
      assert.ok(mine, JSON.stringify(listed));
      const { name, ...fields } = mine;
      assert.deepEqual(fields, expected);
      assert.equal(typeof name, 'string');
      assert.deepEqual(qrtr(String(SERVICE), '--node', '2'), [], 'no server of service 15 on node 2');

      // `--format qrtr-lookup` prints what the real qrtr-lookup prints, byte for byte (scripts parse it).
      const real = spawnSync('qrtr-lookup', [String(SERVICE)], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(real.status, 0, `qrtr-lookup ${SERVICE}: ${real.stderr}`);
      const classic = spawnSync(process.execPath, [join(ctx.buildRoot, 'src', 'cli', 'qrtr.js'), 'lookup', String(SERVICE), '--kernel', '--format', 'qrtr-lookup'], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(classic.status, 0, `qrtr lookup --format qrtr-lookup: ${classic.stderr}`);
      ctx.log(`qrtr-lookup ${SERVICE}: ${JSON.stringify(real.stdout)}; qrtr lookup --format qrtr-lookup: ${JSON.stringify(classic.stdout)}`);
      const lines = (text: string): string[] => text.trimEnd().split('\n');
      assert.equal(lines(classic.stdout)[0], lines(real.stdout)[0], 'the header');
      assert.deepEqual(lines(classic.stdout).slice(1).sort(), lines(real.stdout).slice(1).sort(), 'the rows');
    } finally {
      server.close();
    }
    await waitForLookup((r) => !r.some((row) => row.service === SERVICE && row.port === port), `service ${SERVICE} gone after close`);
  },
};
