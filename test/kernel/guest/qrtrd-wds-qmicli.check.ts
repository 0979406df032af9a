import { strict as assert } from 'node:assert';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_TUN_NODE_RANGE } from '../../../src/links/tun';
import { SIMULATED_MODEM_MTU, SIMULATED_MODEM_SUBNET } from '../../../plugins/bam-dmux/sim';
import { formatIpv4 } from '../../../src/kernel/net-tun';
import type { GuestCheck, GuestCheckContext } from '../harness/check-api';
import { sleep, waitForLookup } from '../harness/guest-helpers';

const WDS = 1;
const NAS = 3;
const WDA = 0x1a;
const { first, last } = DEFAULT_TUN_NODE_RANGE;

/** What the simulated modem's first call is given: qrtrd's own constants, so both sides must agree. */
const ADDRESS = formatIpv4(SIMULATED_MODEM_SUBNET + 2);
const GATEWAY = formatIpv4(SIMULATED_MODEM_SUBNET + 1);

function qmicli(ctx: GuestCheckContext, node: number, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('qmicli', ['-d', `qrtr://${node}`, ...args], { timeout: 60_000, encoding: 'utf8' }, (error, stdout, stderr) => {
      ctx.log(`qmicli ${args.join(' ')} → ${error ? 'failed' : 0}: ${stdout.trim().replace(/\n/g, ' | ')} ${stderr.trim()}`);
      if (error) reject(new Error(`qmicli -d qrtr://${node} ${args.join(' ')}: ${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}

export const check: GuestCheck = {
  title:
    "should let qmicli drive the simulated modem's WDA and WDS over qrtr:// (data format, start/follow/stop network, current settings) and decode the values qrtrd hands out; a call ends with its qmicli unless autoconnected",
  timeoutMs: 300_000,
  async run(ctx) {
    const config = join(ctx.scratchDir, 'qrtrd-wds.json');
    writeFileSync(config, JSON.stringify({ plugins: ['plugins/bam-dmux'], simulation: { cards: [], modem: { rpmsgDevice: 'IPCRTR-modem', node: 0, muxIds: [1, 2], trafficPps: 0 } } }));
    let daemon: ChildProcess | undefined;
    let follower: ChildProcess | undefined;
    let output = '';
    try {
      daemon = spawn(process.execPath, [join(ctx.buildRoot, 'src', 'cli', 'qrtrd.js'), '--tun', '/dev/qrtr-tun', '--config', config, '--quiet', '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
      daemon.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      daemon.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      const deadline = Date.now() + 90_000;
      while (!output.includes('qrtrd ready')) {
        if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`qrtrd did not start: ${output}`);
        await sleep(50);
      }
      const bridged = (service: number) => (r: { service: number; node: number }) => r.service === service && r.node >= first && r.node <= last;
      const rows = await waitForLookup((r) => [WDS, WDA, NAS].every((s) => r.some(bridged(s))), 'WDS, WDA and NAS on the modem’s translated node', 30_000);
      const node = rows.find(bridged(WDS))!.node;
      assert.equal(rows.find(bridged(WDA))!.node, node, 'WDA and WDS on the same node');

      const got = await qmicli(ctx, node, ['--wda-get-data-format']);
      assert.match(got, /Link layer protocol: 'raw-ip'/);
      assert.match(got, /Downlink data aggregation protocol: 'qmap'/);
      const set = await qmicli(ctx, node, ['--wda-set-data-format=link-layer-protocol=raw-ip,ul-protocol=qmap,dl-protocol=qmap,dl-max-datagrams=32,dl-datagram-max-size=32768,ep-type=bam-dmux,ep-iface-number=0']);
      assert.match(set, /Successfully set data format/);
      assert.match(set, /Downlink data aggregation max size: '2040'/, 'the answer caps DL aggregates at a BAM-DMUX buffer');

      // A call held by a following qmicli: its settings are visible to other clients (the default port).
      follower = spawn('qmicli', ['-d', `qrtr://${node}`, '--wds-start-network=apn=internet,ip-type=4', '--wds-follow-network'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let followed = '';
      follower.stdout?.on('data', (d: Buffer) => (followed += d.toString()));
      follower.stderr?.on('data', (d: Buffer) => (followed += d.toString()));
      const startDeadline = Date.now() + 60_000;
      while (!/Network started/.test(followed)) {
        if (follower.exitCode !== null || Date.now() > startDeadline) throw new Error(`qmicli --wds-start-network did not start: ${followed}`);
        await sleep(100);
      }
      assert.match(followed, /Packet data handle: '\d+'/);
      const settings = await qmicli(ctx, node, ['--wds-get-current-settings']);
      assert.match(settings, new RegExp(`IPv4 address: ${ADDRESS.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(settings, new RegExp(`IPv4 gateway address: ${GATEWAY.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(settings, /IPv4 subnet mask: 255\.255\.255\.0$/m);
      assert.match(settings, new RegExp(`IPv4 primary DNS: ${GATEWAY.replace(/\./g, '\\.')}$`, 'm'));
      assert.match(settings, new RegExp(`MTU: ${SIMULATED_MODEM_MTU}$`, 'm'));
      assert.match(await qmicli(ctx, node, ['--wds-get-packet-service-status']), /Connection status: 'connected'/);
      const stopped = new Promise<void>((resolve) => follower!.once('exit', () => resolve()));
      follower.kill('SIGINT');
      await stopped;
      // qmicli 1.32.2 issues its STOP_NETWORK with the operation's already-cancelled cancellable
      // ("Operation was cancelled"); the call ends anyway when its socket closes (DEL_CLIENT).
      assert.match(followed, /Network cancelled/, `the follower gives up its call on Ctrl-C: ${followed}`);
      await sleep(500);
      assert.match(await qmicli(ctx, node, ['--wds-get-packet-service-status']), /Connection status: 'disconnected'/, 'the call ended with its follower');

      // Without --wds-follow-network the call ends with that qmicli's socket, unless autoconnected.
      await qmicli(ctx, node, ['--wds-start-network=apn=internet,ip-type=4']);
      await sleep(500);
      assert.match(await qmicli(ctx, node, ['--wds-get-packet-service-status']), /Connection status: 'disconnected'/, 'DEL_CLIENT ended the call');
      await qmicli(ctx, node, ['--wds-start-network=apn=internet,ip-type=4,autoconnect=yes']);
      assert.match(await qmicli(ctx, node, ['--wds-get-packet-service-status']), /Connection status: 'connected'/, 'the autoconnected call persists');
      assert.match(await qmicli(ctx, node, ['--wds-stop-network=disable-autoconnect']), /Network stopped/);
      assert.match(await qmicli(ctx, node, ['--wds-get-packet-service-status']), /Connection status: 'disconnected'/);
      assert.equal(daemon.exitCode, null, `qrtrd stayed up: ${output}`);
    } finally {
      follower?.kill('SIGKILL');
      daemon?.kill('SIGTERM');
    }
  },
};
