/**
 * The baseline of bench/netdev.bench.ts: a bare TUN echo. It answers on the same TUN
 * device with the same responder the simulated modem uses (SimulatedNetwork), so the
 * only difference from the qrtrd path is qrtrd's data plane (bridge, BAM-DMUX, modem).
 * Runs inside the bench's private network namespace: `node tun-echo.js NAME ADDRESS GATEWAY`.
 */
import { NetTunDevice, parseIpv4 } from '../src/kernel/net-tun';
import { SimulatedNetwork } from '../plugins/bam-dmux/sim/simulated-network';

const [name, address, gateway] = process.argv.slice(2) as [string, string, string];
const device = NetTunDevice.open(name);
device.setMtu(1500);
device.setIpv4({ address: parseIpv4(address), prefixLength: 24, peer: parseIpv4(gateway) });
device.setUp(true);
const network = new SimulatedNetwork();
network.startCall(0, { address: parseIpv4(address), gateway: parseIpv4(gateway), prefixLength: 24 });
device.watch(() => {
  device.read(32, (area, offset, length) => {
    const n = network.answer(0, area, offset, length, area, offset);
    if (n > 0) device.write(area, offset, n);
  });
});
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  device.close();
  process.exit(0);
});
