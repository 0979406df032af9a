import { expect } from 'chai';
import fc from 'fast-check';
import { Subject } from 'rxjs';
import { Router, createMemoryLink, type AttachedEndpoint, type QrtrSocket } from '../../../src/router';
import { NameService, sendNewServer } from '../../../src/ns';
import { QRTR_PORT_CTRL, QrtrType, decodeControl, decodePacket, encodeControl, encodePacket, type QrtrPacket } from '../../../src/wire';
import { TunBridge, TunBridgeConfigError, type TunPacketDevice } from '../../../src/links/tun';

/** An in-memory /dev/qrtr-tun: what the kernel writes is pushed in, what the bridge writes is recorded. */
class FakeTun implements TunPacketDevice {
  readonly kernel = new Subject<Uint8Array>();
  readonly packets$ = this.kernel.asObservable();
  readonly written: QrtrPacket[] = [];
  closed = false;
  transmit(packet: Uint8Array): Promise<void> {
    // The kernel rejects anything but a whole, well-formed packet: decode as it would.
    this.written.push(decodePacket(packet));
    return Promise.resolve();
  }
  close(): void {
    this.closed = true;
    this.kernel.complete();
  }
  /** The kernel writes one packet into the tun. */
  fromKernel(fields: { type: number; srcNode: number; srcPort: number; dstNode: number; dstPort: number; confirmRx?: boolean }, payload: Uint8Array): void {
    this.kernel.next(encodePacket({ version: 1, ...fields }, payload));
  }
  take(type: number): QrtrPacket[] {
    return this.written.filter((p) => p.type === type);
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

/** A device behind qrtrd: its own router at `node` with an echo service 69 tagged by `tag`. */
function attachDevice(host: Router, name: string, node: number, tag: number): { attached: AttachedEndpoint; device: Router; service: QrtrSocket } {
  const device = new Router({ localNode: node });
  new NameService(device);
  const [near, far] = createMemoryLink({ kind: 'mhi', key: name }, { kind: 'memory', key: `${name}-device` });
  const attached = host.attach(near);
  device.attach(far);
  const service = device.openSocketSync({ port: 0x20, trusted: true });
  service.messages$.subscribe((m) => void service.send(m.from, Uint8Array.of(tag, ...m.data)));
  void sendNewServer(service, 69, 1, 0);
  return { attached, device, service };
}

describe('TunBridge', () => {
  let host: Router;
  let ns: NameService;
  let tun: FakeTun;
  let bridge: TunBridge;
  let cards: ReturnType<typeof attachDevice>[];

  beforeEach(async () => {
    host = new Router({ localNode: 1 });
    ns = new NameService(host);
    cards = [attachDevice(host, 'card-a', 7, 0xa), attachDevice(host, 'card-b', 7, 0xb)];
    await settle();
    tun = new FakeTun();
    // The fake kernel does not answer stop()'s HELLO: do not wait the default second for it.
    bridge = new TunBridge({ router: host, nameService: ns, device: tun, backendKey: { kind: 'tun', key: '1234' }, closeTimeoutMs: 5 });
    bridge.start();
    await settle();
  });

  afterEach(async () => {
    await bridge.stop();
    for (const c of cards) c.device.shutdown();
    host.shutdown();
  });

  function announced(): Array<{ service: number; node: number; port: number; src: number }> {
    return tun.take(QrtrType.NEW_SERVER).map((p) => {
      const c = decodeControl(p.payload);
      return { service: c.service, node: c.node, port: c.port, src: p.srcNode };
    });
  }

  it('should say HELLO first as its own node, to the kernel name service', () => {
    const first = tun.written[0];
    expect(first.type).to.equal(QrtrType.HELLO);
    expect([first.srcNode, first.srcPort, first.dstNode, first.dstPort]).to.deep.equal([99, QRTR_PORT_CTRL, 1, QRTR_PORT_CTRL]);
    expect(tun.written.every((p) => p.version === 1)).to.equal(true);
  });

  it('should announce two cards presenting the same node as two translated nodes', () => {
    const servers = announced().filter((s) => s.service === 69);
    expect(servers).to.have.length(2);
    expect(servers[0].node).to.not.equal(servers[1].node);
    for (const s of servers) {
      expect(s.node).to.be.within(100, 199);
      expect(s.src).to.equal(s.node);
      expect(s.port).to.equal(0x20);
    }
    const table = bridge.stats().translations;
    expect(table.map((t) => [t.endpoint, t.node])).to.deep.include.members([
      [cards[0].attached.id, 7],
      [cards[1].attached.id, 7],
    ]);
  });

  it('should carry a kernel client to the right card and back with the translated source', async () => {
    const [a, b] = announced().filter((s) => s.service === 69);
    tun.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4000, dstNode: a.node, dstPort: 0x20 }, Uint8Array.of(1, 2, 3));
    tun.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4000, dstNode: b.node, dstPort: 0x20 }, Uint8Array.of(4));
    await settle();
    const data = tun.take(QrtrType.DATA);
    expect(data.map((p) => [p.srcNode, p.srcPort, p.dstNode, p.dstPort, [...p.payload]])).to.deep.equal([
      [a.node, 0x20, 1, 0x4000, [0xa, 1, 2, 3]],
      [b.node, 0x20, 1, 0x4000, [0xb, 4]],
    ]);
    expect(bridge.stats().proxies).to.equal(1);
  });

  it('should answer confirm_rx with RESUME_TX from the translated (node, port) once sent', async () => {
    const [a] = announced().filter((s) => s.service === 69);
    tun.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4001, dstNode: a.node, dstPort: 0x20, confirmRx: true }, Uint8Array.of(9));
    await settle();
    const [resume] = tun.take(QrtrType.RESUME_TX);
    expect([resume.srcNode, resume.srcPort, resume.dstNode, resume.dstPort]).to.deep.equal([a.node, 0x20, 1, 0x4001]);
    const c = decodeControl(resume.payload);
    expect([c.node, c.port]).to.deep.equal([a.node, 0x20]);
  });

  it('should close a proxy on DEL_CLIENT and all of a node on BYE', async () => {
    const [a] = announced().filter((s) => s.service === 69);
    for (const port of [0x4000, 0x4001, 0x4002]) {
      tun.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: port, dstNode: a.node, dstPort: 0x20 }, Uint8Array.of(0));
    }
    await settle();
    expect(bridge.stats().proxies).to.equal(3);
    tun.fromKernel({ type: QrtrType.DEL_CLIENT, srcNode: 1, srcPort: QRTR_PORT_CTRL, dstNode: 99, dstPort: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.DEL_CLIENT, node: 1, port: 0x4001 }));
    expect(bridge.stats().proxies).to.equal(2);
    tun.fromKernel({ type: QrtrType.BYE, srcNode: 1, srcPort: QRTR_PORT_CTRL, dstNode: 99, dstPort: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.BYE }));
    expect(bridge.stats().proxies).to.equal(0);
  });

  it('should release a detached endpoint with BYE from its translated node, and keep the other', async () => {
    const [a, b] = announced().filter((s) => s.service === 69);
    const gone = bridge.stats().translations.find((t) => t.kernelNode === a.node)!;
    const card = cards.find((c) => c.attached.id === gone.endpoint)!;
    card.attached.detach();
    await settle();
    const bye = tun.take(QrtrType.BYE);
    expect(bye.map((p) => p.srcNode)).to.deep.equal([a.node]);
    expect(bridge.stats().translations.map((t) => t.kernelNode)).to.not.include(a.node);
    tun.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4000, dstNode: a.node, dstPort: 0x20 }, Uint8Array.of(1));
    tun.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4000, dstNode: b.node, dstPort: 0x20 }, Uint8Array.of(2));
    await settle();
    expect(tun.take(QrtrType.DATA).map((p) => p.srcNode)).to.deep.equal([b.node]);
    expect(bridge.stats().drops['unknown-node']).to.equal(1);
  });

  it('should withdraw a server with DEL_SERVER on its translated node', async () => {
    const [a] = announced().filter((s) => s.service === 69);
    const translation = bridge.stats().translations.find((t) => t.kernelNode === a.node)!;
    cards.find((c) => c.attached.id === translation.endpoint)!.service.close();
    await settle();
    const [del] = tun.take(QrtrType.DEL_SERVER);
    const c = decodeControl(del.payload);
    expect([del.srcNode, c.service, c.node, c.port]).to.deep.equal([a.node, 69, a.node, 0x20]);
  });

  it('should count and drop malformed or hostile input and keep working', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 200 }), async (bytes) => {
        tun.kernel.next(bytes);
      }),
      { numRuns: 300 },
    );
    // Valid but hostile: garbage to the bridge's own node, an unknown node, a short DEL_CLIENT.
    tun.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4000, dstNode: 99, dstPort: 1 }, Uint8Array.of(0xff));
    tun.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4000, dstNode: 150, dstPort: 1 }, Uint8Array.of(0xff));
    tun.fromKernel({ type: QrtrType.DEL_CLIENT, srcNode: 1, srcPort: QRTR_PORT_CTRL, dstNode: 99, dstPort: QRTR_PORT_CTRL }, Uint8Array.of(6, 0, 0, 0));
    const stats = bridge.stats();
    expect(stats.drops.malformed).to.be.greaterThan(0);
    expect(stats.drops['to-bridge-node']).to.equal(1);
    expect(stats.drops['unknown-node']).to.be.greaterThan(0);
    const [a] = announced().filter((s) => s.service === 69);
    const before = tun.take(QrtrType.DATA).length;
    tun.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4005, dstNode: a.node, dstPort: 0x20 }, Uint8Array.of(7));
    await settle();
    expect(tun.take(QrtrType.DATA).length).to.equal(before + 1);
  });

  it('should survive any well-formed packet sequence from the kernel (types, nodes, ports, payloads) and keep serving', async () => {
    const nodes = bridge.stats().translations.map((t) => t.kernelNode);
    const packetArb = fc.record({
      type: fc.integer({ min: 0, max: 15 }),
      srcNode: fc.constantFrom(1, 7, 42, ...nodes),
      srcPort: fc.oneof(fc.constantFrom(QRTR_PORT_CTRL, 0x4000, 0x20), fc.integer({ min: 0, max: 0xffffffff })),
      dstNode: fc.oneof(fc.constantFrom(99, 1, 150, ...nodes), fc.integer({ min: 0, max: 0xffffffff })),
      dstPort: fc.oneof(fc.constantFrom(QRTR_PORT_CTRL, 0x20, 0x4000), fc.integer({ min: 0, max: 0xffffffff })),
      confirmRx: fc.boolean(),
      payload: fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc
          .record({ type: fc.integer({ min: 0, max: 15 }), node: fc.constantFrom(1, 42, ...nodes), port: fc.integer({ min: 0, max: 0xffffffff }) })
          .map((c) => encodeControl(c)),
      ),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(packetArb, { maxLength: 20 }), async (packets) => {
        for (const { payload, ...fields } of packets) tun.fromKernel(fields, payload);
        await settle();
      }),
      { numRuns: 60 },
    );
    const [a] = announced().filter((s) => s.service === 69);
    const before = tun.take(QrtrType.DATA).filter((p) => p.dstPort === 0x4abc).length;
    tun.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4abc, dstNode: a.node, dstPort: 0x20 }, Uint8Array.of(5));
    await settle();
    expect(tun.take(QrtrType.DATA).filter((p) => p.dstPort === 0x4abc && p.srcNode === a.node)).to.have.length(before + 1);
  });

  it('should announce every server again when the kernel name service says HELLO a second time (it restarted)', () => {
    const hello = () =>
      tun.fromKernel({ type: QrtrType.HELLO, srcNode: 1, srcPort: QRTR_PORT_CTRL, dstNode: 99, dstPort: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.HELLO }));
    const before = announced().length;
    hello();
    expect(announced().length).to.equal(before);
    expect(bridge.stats().helloReceived).to.equal(true);
    hello();
    const again = announced().slice(before);
    expect(again.map((s) => `${s.service}@${s.node}:${s.port}`).sort()).to.deep.equal(
      announced()
        .slice(0, before)
        .map((s) => `${s.service}@${s.node}:${s.port}`)
        .sort(),
    );
  });

  it('should close its proxies, then the device once the kernel answers its HELLO (the blocked read has returned)', async () => {
    const device = new FakeTun();
    const patient = new TunBridge({ router: host, nameService: ns, device, backendKey: { kind: 'tun', key: '3' }, bridgeNode: 97, closeTimeoutMs: 60_000 });
    patient.start();
    await settle();
    const [a] = device.take(QrtrType.NEW_SERVER).map((p) => decodeControl(p.payload)).filter((c) => c.service === 69);
    device.fromKernel({ type: QrtrType.DATA, srcNode: 1, srcPort: 0x4000, dstNode: a.node, dstPort: 0x20 }, Uint8Array.of(0));
    await settle();
    expect(patient.stats().proxies).to.equal(1);
    const stopped = patient.stop();
    expect(patient.stats().proxies).to.equal(0);
    await settle();
    expect(device.take(QrtrType.HELLO)).to.have.length(2);
    expect(device.closed).to.equal(false);
    device.fromKernel({ type: QrtrType.HELLO, srcNode: 1, srcPort: QRTR_PORT_CTRL, dstNode: 97, dstPort: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.HELLO }));
    expect(device.closed).to.equal(true);
    await stopped;
  });

  it('should close the device after closeTimeoutMs when the kernel does not answer', async () => {
    const quiet = new FakeTun();
    const other = new TunBridge({ router: host, nameService: ns, device: quiet, backendKey: { kind: 'tun', key: '2' }, bridgeNode: 98, closeTimeoutMs: 20 });
    other.start();
    await other.stop();
    expect(quiet.closed).to.equal(true);
  });

  it('should refuse a bridge node that is the kernel node or inside the translated range', () => {
    const make = (bridgeNode: number) => () => new TunBridge({ router: host, nameService: ns, device: new FakeTun(), backendKey: { kind: 'tun', key: '1' }, bridgeNode });
    expect(make(1)).to.throw(TunBridgeConfigError);
    expect(make(150)).to.throw(TunBridgeConfigError);
  });
});
