/**
 * Runs INSIDE a private network namespace (netns-dataplane.spec.ts): the IP TUN device's
 * typed errors and configuration calls against the real kernel. Prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import { NetTunDevice, parseIpv4 } from '../../src/kernel/net-tun';
import type { QrtrdError } from '../../src/common/errors';

function code(fn: () => unknown): string {
  try {
    fn();
    return 'none';
  } catch (err) {
    return (err as QrtrdError).code ?? String(err);
  }
}

const result: Record<string, unknown> = {};
if (process.argv[2] === 'unprivileged') {
  result.open = code(() => NetTunDevice.open('qtest%d'));
} else {
  const device = NetTunDevice.open('qtest%d', { maxMtu: 2040 });
  result.name = device.name;
  result.nameInUse = code(() => NetTunDevice.open(device.name));
  result.mtuAbove = code(() => device.setMtu(2041));
  device.setMtu(2040);
  result.mtu = device.mtu;
  device.setIpv4({ address: parseIpv4('10.70.0.2'), prefixLength: 24, peer: parseIpv4('10.70.0.1') });
  device.setUp(true);
  device.addIpv6(Uint8Array.from([0xfd, 0, 0, 0x64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]), 64);
  result.addresses = (JSON.parse(spawnSync('ip', ['-j', 'addr', 'show', 'dev', device.name], { encoding: 'utf8' }).stdout) as { addr_info: { local: string; prefixlen: number }[] }[])[0].addr_info
    .filter((a) => !a.local.startsWith('fe80'))
    .map((a) => `${a.local}/${a.prefixlen}`);
  device.close();
  result.afterClose = code(() => device.setUp(true));
  result.goneAfterClose = spawnSync('ip', ['link', 'show', device.name]).status !== 0;
}
process.stdout.write(`${JSON.stringify(result)}\n`);
