import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SIMULATED_MODEM_IDENTITY } from '../../../plugins/bam-dmux/sim';
import { DEFAULT_TUN_BRIDGE_NODE, DEFAULT_TUN_NODE_RANGE } from '../../../src/links/tun';
import type { GuestCheck, GuestCheckContext } from '../harness/check-api';
import { sleep, waitForLookup, type LookupRow } from '../harness/guest-helpers';

const DMS = 2;
const WLFW = 69;
const { first, last } = DEFAULT_TUN_NODE_RANGE;
const translated = (row: LookupRow): boolean => row.node >= first && row.node <= last;

/** qmicli's answer lines for the simulated modem's identity (libqmi prints values in single quotes). */
const EXPECTED: ReadonlyArray<[string, RegExp[]]> = [
  ['--dms-get-manufacturer', [new RegExp(`^\\s*Manufacturer: '${SIMULATED_MODEM_IDENTITY.manufacturer}'$`, 'm')]],
  ['--dms-get-model', [new RegExp(`^\\s*Model: '${SIMULATED_MODEM_IDENTITY.model}'$`, 'm')]],
  ['--dms-get-revision', [new RegExp(`^\\s*Revision: '${SIMULATED_MODEM_IDENTITY.revision.replace(/\./g, '\\.')}'$`, 'm')]],
  [
    '--dms-get-ids',
    [
      new RegExp(`^\\s*ESN: '${SIMULATED_MODEM_IDENTITY.esn}'$`, 'm'),
      new RegExp(`^\\s*IMEI: '${SIMULATED_MODEM_IDENTITY.imei}'$`, 'm'),
      new RegExp(`^\\s*MEID: '${SIMULATED_MODEM_IDENTITY.meid}'$`, 'm'),
    ],
  ],
];

function run(command: string, args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: timeoutMs, encoding: 'utf8' }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as NodeJS.ErrnoException).code === 'number' ? Number((error as NodeJS.ErrnoException).code) : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

async function qmicli(ctx: GuestCheckContext, node: number, actions: ReadonlyArray<[string, RegExp[]]>): Promise<void> {
  for (const [action, patterns] of actions) {
    const result = await run('qmicli', ['-d', `qrtr://${node}`, action], 30_000);
    ctx.log(`qmicli -d qrtr://${node} ${action} → ${result.code}: ${result.stdout.trim().replace(/\n/g, ' | ')}`);
    assert.equal(result.code, 0, `qmicli -d qrtr://${node} ${action} failed: ${result.stderr}`);
    for (const pattern of patterns) assert.match(result.stdout, pattern, `qmicli -d qrtr://${node} ${action}`);
  }
}

/** What qrtrd in kernel mode with the bridge must show in the kernel's qrtr-lookup. */
function complete(rows: LookupRow[]): boolean {
  const cards = rows.filter((r) => r.service === WLFW && translated(r));
  return rows.some((r) => r.service === DMS && r.node === 1) && rows.some((r) => r.service === DMS && translated(r)) && new Set(cards.map((r) => r.node)).size === 2;
}

export const check: GuestCheck = {
  title:
    'should show qrtrd kernel-mode and tun-bridged services in qrtr-lookup (two identical cards on two translated nodes), serve DMS to qmicli and `qrtr qmi --kernel` on node 1 and on the modem’s translated node, and survive a hostile peer',
  timeoutMs: 240_000,
  async run(ctx) {
    if (!existsSync('/usr/bin/qmicli')) ctx.skip('qmicli is not installed (apt-get install libqmi-utils)');
    // The default plugins load too: in kernel mode the ath11k loader finds the cards through the
    // kernel's lookup. Mainline has no endpoint IDs, so it tells them apart by their (translated)
    // node ids and talks WLFW to each through the kernel and the bridge.
    const config = join(ctx.scratchDir, 'qrtrd.json');
    writeFileSync(
      config,
      JSON.stringify({
        simulation: {
          cards: [
            { family: 'ath11k', chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 161 },
            { family: 'ath11k', chip: 'QCN9074', pciAddress: '0000:02:00.0', boardId: 162 },
          ],
          modem: { rpmsgDevice: 'IPCRTR-modem', node: 0, muxIds: [1, 2], trafficPps: 0 },
        },
        // Behind the bridge the cards are bare nodes; instance 7 is QCN9074 or QCN9274, so the loaders
        // need the PCI ids the kernel would have from the bus (ath12k declines, ath11k takes them).
        cardIdentities: [{ instance: 7, vendor: '0x17cb', device: '0x1104' }],
      }),
    );
    const qrtrd = join(ctx.buildRoot, 'src', 'cli', 'qrtrd.js');
    let daemon: ChildProcess | undefined;
    let output = '';
    try {
      const started = Date.now();
      daemon = spawn(process.execPath, [qrtrd, '--kernel', '--tun', '/dev/qrtr-tun', '--config', config, '--quiet', '--log-level', 'warn'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      daemon.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      daemon.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => daemon!.once('exit', (code) => resolve(code)));
      const deadline = Date.now() + 90_000;
      while (!output.includes('qrtrd ready')) {
        if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`qrtrd did not start: ${output}`);
        await sleep(50);
      }
      ctx.log(`qrtrd ready after ${Date.now() - started} ms`);

      const rows = await waitForLookup(complete, 'DMS on node 1, DMS on a translated node and service 69 on two translated nodes', 20_000);
      const cards = rows.filter((r) => r.service === WLFW && translated(r));
      const bridgedDms = rows.find((r) => r.service === DMS && translated(r))!;
      ctx.log(`lookup: ${JSON.stringify(rows)}`);
      assert.notEqual(cards[0].node, cards[1].node, 'two identical cards are two nodes to the kernel');
      assert.ok(!cards.map((c) => c.node).includes(bridgedDms.node), 'the modem has a node of its own');
      for (const card of cards) assert.deepEqual([card.version, card.instance], [cards[0].version, cards[0].instance]);

      await qmicli(ctx, 1, EXPECTED);
      await qmicli(ctx, bridgedDms.node, EXPECTED);
      // qrtrd's own QMI tool reaches both through the kernel as well (`qrtr qmi --kernel`).
      for (const node of [1, bridgedDms.node]) {
        const args = ['qmi', '--kernel', '--service', String(DMS), '--node', String(node), '--qmi', join(ctx.repoRoot, 'src', 'qmi', 'schemas', 'dms.qmi'), '--message', 'dms_get_model_req', '--json'];
        const answer = await run(process.execPath, [join(ctx.buildRoot, 'src', 'cli', 'qrtr.js'), ...args], 30_000);
        assert.equal(answer.code, 0, `qrtr ${args.join(' ')}: ${answer.stderr}`);
        const reply = JSON.parse(answer.stdout) as { server: { node: number }; response: { decoded: { model: string } } };
        assert.deepEqual([reply.server.node, reply.response.decoded.model], [node, SIMULATED_MODEM_IDENTITY.model]);
      }

      // Both cards get their own WLFW client: each, keyed node:<its node>, is driven up to the
      // memory step, where it stops typed: a kernel-mode socket lends no host memory, and no
      // address is invented (docs/ath.md "Host memory").
      const cardNodes = cards.map((c) => c.node).sort((x, y) => x - y);
      const driven = (): number[] => {
        const seen = new Set<number>();
        for (const match of output.matchAll(/"card":"node:(\d+)"[^\n]*"code":"DEVICE_MEMORY_UNAVAILABLE"/g)) seen.add(Number(match[1]));
        return [...seen].sort((x, y) => x - y);
      };
      const drivenDeadline = Date.now() + 30_000;
      while (driven().length < 2 && Date.now() < drivenDeadline) await sleep(200);
      assert.deepEqual(driven(), cardNodes, `the loader drives both cards by node: ${output.slice(-3000)}`);

      const targets = [...cards, bridgedDms].map((r) => `${r.node}:${r.port}`).join(',');
      const peer = await run('/usr/bin/python3', [join(ctx.repoRoot, 'test/kernel/guest/qrtrd-hostile-peer.py'), targets, String(DEFAULT_TUN_BRIDGE_NODE), String(last)], 90_000);
      ctx.log(`hostile peer → ${peer.code}: ${peer.stdout.trim()} ${peer.stderr.trim()}`);
      assert.equal(peer.code, 0, `hostile peer: ${peer.stdout}${peer.stderr}`);
      assert.equal(daemon.exitCode, null, `qrtrd exited under hostile input: ${output}`);

      const after = await waitForLookup(complete, 'the same services after the hostile peer', 20_000);
      // The services the hostile peer aimed at (the cards' WLFW and the DMS). The modem's WDS,
      // WDA and NAS are left out: `complete` does not wait for them, so either lookup may lack them.
      const targeted = (r: (typeof rows)[number]): boolean => (translated(r) && r.service === WLFW) || r.service === DMS;
      assert.deepEqual(
        after.filter(targeted).sort((a, b) => a.node - b.node || a.port - b.port),
        rows.filter(targeted).sort((a, b) => a.node - b.node || a.port - b.port),
      );
      await qmicli(ctx, bridgedDms.node, EXPECTED.slice(0, 1));
      await qmicli(ctx, 1, EXPECTED.slice(0, 1));

      daemon.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
      assert.equal(code, 0, `qrtrd stops cleanly on SIGTERM: ${output}`);
      await waitForLookup((r) => !r.some((row) => translated(row) || (row.service === DMS && row.node === 1)), 'qrtrd’s services gone after it stopped');
    } finally {
      if (daemon && daemon.exitCode === null) daemon.kill('SIGKILL');
      if (output.trim()) ctx.log(`qrtrd output: ${output.trim().slice(-2000)}`);
    }
  },
};
