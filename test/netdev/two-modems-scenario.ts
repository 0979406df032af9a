/**
 * Runs INSIDE a private network namespace (started by netns-dataplane.spec.ts under
 * `unshare -n`): two simulated modems on the same router at the same node id (0), each
 * with its own BAM-DMUX data plane and its own interface. Each modem's call is brought up
 * through WDS on that modem's endpoint only; traffic through each interface must reach
 * only its own modem. Prints one JSON line.
 */
import { execFile, spawnSync } from 'node:child_process';
import pino from 'pino';
import { Router } from '../../src/router';
import { NameService } from '../../src/ns';
import { QmiClient, wds } from '../../src/qmi';
import { NetInterfaceConfigurator, formatIpv4 } from '../../src/kernel/net-tun';
import { SimulatedModemDevice } from '../../plugins/bam-dmux/sim';

async function main(): Promise<void> {
  spawnSync('ip', ['link', 'set', 'lo', 'up']);
  const router = new Router({ localNode: 1 });
  new NameService(router);
  const logger = pino({ level: 'silent' });
  const result: Record<string, unknown> = {};
  const modems: SimulatedModemDevice[] = [];
  const clients: QmiClient[] = [];
  try {
    const specs = [
      { device: 'modem-a', name: 'wwana%d', subnet: 0x0a400000, latencyMs: 0 },
      { device: 'modem-b', name: 'wwanb%d', subnet: 0x0a420000, latencyMs: 25 },
    ];
    for (const spec of specs) {
      modems.push(
        await SimulatedModemDevice.start(router, { rpmsgDevice: spec.device, node: 0, muxIds: [], trafficPps: 0, latencyMs: spec.latencyMs }, { mode: 'raw-ip', name: spec.name, mtu: 1500 }, logger, spec.subnet),
      );
    }
    for (let i = 0; i < 50 && modems.some((m) => m.status().netdevs.length === 0); i++) await new Promise((r) => setTimeout(r, 50));
    const configurator = new NetInterfaceConfigurator();
    const calls = [];
    for (const modem of modems) {
      // Bound to this modem's endpoint: the other modem presents the same node id and service.
      const client = await QmiClient.open(router, { service: wds.WDS_SERVICE_ID, endpoint: modem.endpoint, name: `WDS of ${modem.status().key}` });
      clients.push(client);
      await client.request(wds.wds_start_network_req, wds.wds_start_network_resp, { apn: 'internet', enable_autoconnect: 1 });
      const s = await client.request(wds.wds_get_current_settings_req, wds.wds_get_current_settings_resp, { requested_settings: 0xffff });
      const name = modem.status().netdevs[0]!.interface;
      configurator.setMtu(name, s.mtu!);
      configurator.setIpv4(name, { address: s.ipv4_address!, prefixLength: 24, peer: s.ipv4_gateway_address! });
      configurator.setUp(name, true);
      calls.push({ key: modem.status().key, endpoint: modem.endpoint, node: modem.config.node, interface: name, address: formatIpv4(s.ipv4_address!), gateway: formatIpv4(s.ipv4_gateway_address!) });
    }
    result.calls = calls;
    // Asynchronously: this process runs both data planes, so it must not block while ping waits.
    result.pings = await Promise.all(
      calls.map(
        (c) =>
          new Promise<{ received: number; avgRttMs: number }>((resolve) => {
            execFile('ping', ['-c', '10', '-i', '0.05', '-W', '2', c.gateway], { encoding: 'utf8', timeout: 30_000 }, (_error, stdout) => {
              const rtt = /= [\d.]+\/([\d.]+)\//.exec(stdout)?.[1];
              resolve({ received: Number(/(\d+) received/.exec(stdout)?.[1] ?? -1), avgRttMs: Number(rtt ?? -1) });
            });
          }),
      ),
    );
    await new Promise((r) => setTimeout(r, 50));
    result.echoed = modems.map((m) => m.status().network.icmpEchoes);
  } catch (err) {
    result.error = String((err as Error).stack ?? err);
  } finally {
    for (const c of clients) c.close();
    for (const m of modems) await m.stop();
    router.shutdown();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main();
