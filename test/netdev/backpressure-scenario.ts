/**
 * Runs INSIDE a private network namespace (netns-dataplane.spec.ts): a real TUN, the
 * real NetdevBridge and BAM-DMUX, and a modem that stops consuming its TX ring. A burst
 * from a UDP socket must stop the bridge's reading (the ring is full), hold at most one
 * batch, and, once the modem consumes again, come back complete. Prints one JSON line.
 */
import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { NetTunDevice, parseIpv4 } from '../../src/kernel/net-tun';
import { NetdevBridge } from '../../plugins/bam-dmux';
import { SimulatedNetwork, createSimulatedModem } from '../../plugins/bam-dmux/sim';

const BURST = 200;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function main(): Promise<void> {
  spawnSync('ip', ['link', 'set', 'lo', 'up']);
  const result: Record<string, unknown> = {};
  const network = new SimulatedNetwork();
  const sim = createSimulatedModem({ channels: [0], network });
  await sim.ready;
  const device = NetTunDevice.open('bp%d');
  const bridge = new NetdevBridge(device, sim.dmux.channel(0)!);
  try {
    device.setMtu(1500);
    device.setIpv4({ address: parseIpv4('10.80.0.2'), prefixLength: 24, peer: parseIpv4('10.80.0.1') });
    device.setUp(true);
    network.startCall(0, { address: parseIpv4('10.80.0.2'), gateway: parseIpv4('10.80.0.1'), prefixLength: 24 });
    await sleep(200); // let IPv6 autoconfiguration chatter pass
    sim.modem.autoConsumeTx = false;
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.bind(0, '10.80.0.2', () => r()));
    let received = 0;
    socket.on('message', () => received++);
    const payload = Buffer.alloc(1000, 0x33);
    for (let i = 0; i < BURST; i++) socket.send(payload, 7, '10.80.0.1');
    await sleep(100);
    // While the ring stays full the process must sit idle, not spin on the TUN's readiness.
    const cpu = process.cpuUsage();
    await sleep(300);
    const used = process.cpuUsage(cpu);
    result.whileStalled = { ...bridge.stats(), txInFlight: sim.dmux.stats().txInFlight, received, cpuMs: (used.user + used.system) / 1000 };
    sim.modem.autoConsumeTx = true;
    // Consume until the bridge has forwarded the whole burst (each consumption frees ring slots).
    for (let i = 0; i < 200 && received < BURST; i++) {
      sim.modem.consumeTx();
      await sleep(10);
    }
    result.after = { ...bridge.stats(), received };
    socket.close();
  } catch (err) {
    result.error = String((err as Error).stack ?? err);
  } finally {
    bridge.dispose();
    sim.dispose();
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

void main();
