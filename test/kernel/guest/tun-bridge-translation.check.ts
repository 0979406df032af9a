import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Router, createMemoryLink, type AttachedEndpoint } from '../../../src/router';
import { NameService, sendNewServer } from '../../../src/ns';
import { TunBridge, openTunDevice } from '../../../src/links/tun';
import type { AfQipcrtrSocket } from '../../../src/kernel';
import { QRTR_PORT_CTRL } from '../../../src/wire';
import type { GuestCheck } from '../harness/check-api';
import { collect, openBound, waitForLookup } from '../harness/guest-helpers';

const SERVICE = 0x4242;
const DEVICE_NODE = 7;
const SERVICE_PORT = 0x21;

/** A device behind the router at node 7 with an echo service that prefixes its tag. */
function attachEchoDevice(host: Router, name: string, tag: number): { attached: AttachedEndpoint; device: Router } {
  const device = new Router({ localNode: DEVICE_NODE });
  new NameService(device);
  const [near, far] = createMemoryLink({ kind: 'mhi', key: name }, { kind: 'memory', key: `${name}-device` });
  const attached = host.attach(near);
  device.attach(far);
  const service = device.openSocketSync({ port: SERVICE_PORT, trusted: true });
  service.messages$.subscribe((m) => {
    if (m.from.port === QRTR_PORT_CTRL) return;
    const reply = new Uint8Array(m.data.length + 1);
    reply[0] = tag;
    reply.set(m.data.subarray(0, Math.min(m.data.length, 65534)), 1);
    void service.send(m.from, reply.subarray(0, Math.min(reply.length, 65535)));
  });
  void sendNewServer(service, SERVICE, 1, 0);
  return { attached, device };
}

export const check: GuestCheck = {
  title:
    'should bridge two devices presenting node 7 into the kernel as two translated nodes: kernel clients reach each one, 40 datagrams pass the flow-control window, and a detached device leaves the lookup (in process)',
  timeoutMs: 45_000,
  async run(ctx) {
    const host = new Router({ localNode: 1 });
    const ns = new NameService(host);
    const devices = [attachEchoDevice(host, 'card-a', 0xa), attachEchoDevice(host, 'card-b', 0xb)];
    const { device, backendKey } = await openTunDevice('/dev/qrtr-tun');
    const bridge = new TunBridge({ router: host, nameService: ns, device, backendKey, bridgeNode: 98, nodeRange: { first: 120, last: 129 } });
    let client: AfQipcrtrSocket | undefined;
    try {
      bridge.start();
      const rows = await waitForLookup((r) => r.filter((row) => row.service === SERVICE).length === 2, `service ${SERVICE} twice`);
      const servers = rows.filter((r) => r.service === SERVICE).sort((a, b) => a.node - b.node);
      ctx.log(`lookup: ${JSON.stringify(servers)}; key ${backendKey.kind}:${backendKey.key}`);
      assert.deepEqual(
        servers.map((s) => s.port),
        [SERVICE_PORT, SERVICE_PORT],
      );
      assert.notEqual(servers[0].node, servers[1].node);
      for (const s of servers) assert.ok(s.node >= 120 && s.node <= 129, `node ${s.node} in the configured range`);

      client = openBound();
      const tags = new Map(bridge.stats().translations.map((t) => [t.kernelNode, devices.findIndex((d) => d.attached.id === t.endpoint) === 0 ? 0xa : 0xb]));
      for (const s of servers) {
        const payload = randomBytes(1000);
        const reply = collect(client.messages$, 1, 5000, `the echo from node ${s.node}`, (m) => m.node === s.node);
        await client.send(s.node, s.port, payload);
        const [m] = await reply;
        assert.deepEqual([m.node, m.port], [s.node, SERVICE_PORT], 'replies carry the translated source');
        assert.equal(m.data[0], tags.get(s.node), 'the datagram reached the device behind that node');
        assert.ok(Buffer.from(m.data.subarray(1)).equals(payload), 'payload byte-exact both ways');
      }

      // Past the kernel's window of 10 unconfirmed packets: only the bridge's RESUME_TX lets these go.
      const target = servers[0];
      const echoes = collect(client.messages$, 40, 15_000, '40 echoes', (m) => m.node === target.node);
      for (let i = 0; i < 40; i++) await client.send(target.node, target.port, Uint8Array.of(i));
      assert.deepEqual(
        (await echoes).map((m) => m.data[1]),
        Array.from({ length: 40 }, (_, i) => i),
        'in order, none lost',
      );
      ctx.log(`bridge stats: ${JSON.stringify(bridge.stats())}`);

      // A device that detaches: BYE from its translated node, the kernel forgets its server.
      const gone = bridge.stats().translations.find((t) => t.kernelNode === servers[1].node)!;
      devices.find((d) => d.attached.id === gone.endpoint)!.attached.detach();
      await waitForLookup(
        (r) => !r.some((row) => row.node === servers[1].node) && r.some((row) => row.node === servers[0].node),
        `node ${servers[1].node} gone, node ${servers[0].node} kept`,
      );
    } finally {
      client?.close();
      await bridge.stop();
      for (const d of devices) d.device.shutdown();
      host.shutdown();
    }
    await waitForLookup((r) => !r.some((row) => row.service === SERVICE), 'the bridged services gone after stop');
  },
};
