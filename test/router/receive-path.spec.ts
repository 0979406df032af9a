import { expect } from 'chai';
import { QRTR_PORT_CTRL, QrtrType, QrtrZeroSizeError, decodeControl, decodePacket, encodeControl, encodePacket, type QrtrPacket } from '../../src/wire';
import { createHost } from '../helpers/host';
import type { AttachedEndpoint, PacketTrace, Router } from './imports';

/**
 * The receive path's common case (a DATA packet from the endpoint's own node to a bound
 * port, the port in the router's one-entry cache, one subscriber) runs as one inlined
 * piece of code with the rare cases called out of line (Router.receiveFromLink). Each
 * test here feeds the fast path first, so its state (the learned node, the cached port,
 * the direct listener) is warm, then sends the packet the fast path must not take as
 * common: a wrong shortcut delivers it where it should not or loses what it owes.
 */
describe('Router: receive path (the common case and what must leave it)', () => {
  /** A pushed endpoint (post()), as the bench drives it: synchronous, every transmitted packet decoded. */
  function card(router: Router, key: string): AttachedEndpoint & { sent: QrtrPacket[] } {
    const sent: QrtrPacket[] = [];
    const attached = router.attach({ backendKey: { kind: 'test', key }, transmit: (p) => void sent.push(decodePacket(p)), close: () => undefined });
    return Object.assign(attached, { sent });
  }

  function data(srcNode: number, srcPort: number, dstPort: number, byte: number, options: { confirmRx?: boolean; dstNode?: number; type?: number } = {}): Uint8Array {
    return encodePacket(
      { type: options.type ?? QrtrType.DATA, srcNode, srcPort, dstNode: options.dstNode ?? 1, dstPort, confirmRx: options.confirmRx },
      new Uint8Array([byte, 0, 0, 0]),
    );
  }

  function resumes(to: { sent: QrtrPacket[] }): { dstNode: number; dstPort: number; port: number }[] {
    return to.sent
      .filter((p) => p.type === QrtrType.RESUME_TX)
      .map((p) => ({ dstNode: p.dstNode, dstPort: p.dstPort, port: decodeControl(p.payload).port! }));
  }

  function dropsOf(router: Router, id: number): Record<string, number> {
    return router.endpoints().find((e) => e.id === id)!.counters.dropped;
  }

  it('should send RESUME_TX for a confirm_rx packet on the warm path, once per packet, to the sender', () => {
    const { router } = createHost();
    const a = card(router, 'a');
    const socket = router.openSocketSync();
    const seen: number[] = [];
    socket.messages$.subscribe((m) => seen.push(m.data[0]));
    for (let i = 0; i < 5; i++) a.post(data(7, 3, socket.address.port, i));
    a.post(data(7, 3, socket.address.port, 5, { confirmRx: true }));
    a.post(data(7, 3, socket.address.port, 6));
    expect(seen).to.deep.equal([0, 1, 2, 3, 4, 5, 6]);
    expect(resumes(a)).to.deep.equal([{ dstNode: 7, dstPort: 3, port: socket.address.port }]);
    router.shutdown();
  });

  it('should answer a confirm_rx packet to an unbound port or a filtering socket with RESUME_TX and count the drop', () => {
    const { router } = createHost();
    const a = card(router, 'a');
    const b = card(router, 'b');
    const socket = router.openSocketSync();
    socket.bindEndpoint(a.id);
    const seen: number[] = [];
    socket.messages$.subscribe((m) => seen.push(m.data[0]));
    a.post(data(7, 3, socket.address.port, 1));
    b.post(data(8, 4, socket.address.port, 2, { confirmRx: true })); // the cache holds the port now: the binding must still apply
    a.post(data(7, 3, 0x7000, 3, { confirmRx: true })); // nobody on 0x7000
    expect(seen).to.deep.equal([1]);
    expect(resumes(b)).to.deep.equal([{ dstNode: 8, dstPort: 4, port: socket.address.port }]);
    expect(resumes(a)).to.deep.equal([{ dstNode: 7, dstPort: 3, port: 0x7000 }]);
    expect(dropsOf(router, b.id).endpointFiltered).to.equal(1);
    expect(dropsOf(router, a.id).noSuchPort).to.equal(1);
    expect(socket.stats().dropped.endpointFiltered).to.equal(1);
    router.shutdown();
  });

  it('should learn a node it has not seen, keep a bridged node apart from the primary, and drop a node another endpoint owns', () => {
    const { router } = createHost();
    const a = card(router, 'a');
    const b = card(router, 'b');
    const socket = router.openSocketSync();
    const seen: { node: number; endpoint: number; byte: number }[] = [];
    socket.messages$.subscribe((m) => seen.push({ node: m.from.node, endpoint: m.endpoint, byte: m.data[0] }));
    a.post(data(7, 3, socket.address.port, 1)); // learns 7 as a's own
    b.post(data(8, 3, socket.address.port, 2)); // learns 8 as b's own
    a.post(data(7, 3, socket.address.port, 3)); // warm: known node
    a.post(data(9, 3, socket.address.port, 4)); // a new node behind a (bridged): learned, delivered
    a.post(data(8, 3, socket.address.port, 5)); // b's node, claimed through a: spoofed, dropped
    a.post(data(1, 3, socket.address.port, 6)); // the local node: spoofed
    expect(seen).to.deep.equal([
      { node: 7, endpoint: a.id, byte: 1 },
      { node: 8, endpoint: b.id, byte: 2 },
      { node: 7, endpoint: a.id, byte: 3 },
      { node: 9, endpoint: a.id, byte: 4 },
    ]);
    const infoA = router.endpoints().find((e) => e.id === a.id)!;
    expect(infoA.primaryNode).to.equal(7);
    expect(infoA.nodes).to.deep.equal([7, 9]);
    expect(infoA.counters.dropped.spoofedNode).to.equal(2);
    expect(infoA.counters.rxPackets).to.equal(5);
    expect(router.legacyEndpointOf(8)).to.equal(b.id);
    router.shutdown();
  });

  it('should deliver to the socket now on a port, not the one the port cache held before it closed', async () => {
    const { router } = createHost();
    const a = card(router, 'a');
    const first = router.openSocketSync({ port: 0x5000 });
    const toFirst: number[] = [];
    first.messages$.subscribe((m) => toFirst.push(m.data[0]));
    a.post(data(7, 3, 0x5000, 1));
    a.post(data(7, 3, 0x5000, 2)); // from the cache
    first.close();
    a.post(data(7, 3, 0x5000, 3)); // nobody: dropped, not handed to the closed socket
    const second = await router.openSocket({ port: 0x5000 });
    const toSecond: number[] = [];
    second.messages$.subscribe((m) => toSecond.push(m.data[0]));
    a.post(data(7, 3, 0x5000, 4));
    expect(toFirst).to.deep.equal([1, 2]);
    expect(toSecond).to.deep.equal([4]);
    expect(dropsOf(router, a.id).noSuchPort).to.equal(1);
    router.shutdown();
  });

  it('should apply a binding made after the port was cached, and one removed after', () => {
    const { router } = createHost();
    const a = card(router, 'a');
    const b = card(router, 'b');
    const socket = router.openSocketSync();
    const seen: number[] = [];
    socket.messages$.subscribe((m) => seen.push(m.data[0]));
    const port = socket.address.port;
    a.post(data(7, 3, port, 1));
    b.post(data(8, 3, port, 2)); // unbound: both endpoints reach it
    socket.bindEndpoint(b.id);
    a.post(data(7, 3, port, 3)); // filtered
    b.post(data(8, 3, port, 4));
    socket.bindEndpoint(0);
    a.post(data(7, 3, port, 5));
    expect(seen).to.deep.equal([1, 2, 4, 5]);
    expect(socket.stats().dropped.endpointFiltered).to.equal(1);
    expect(dropsOf(router, a.id).endpointFiltered).to.equal(1);
    router.shutdown();
  });

  it('should take control packets and DATA to the control port off the fast path, with a warm cache', () => {
    const { router, ns } = createHost();
    const a = card(router, 'a');
    const socket = router.openSocketSync();
    const seen: number[] = [];
    socket.messages$.subscribe((m) => seen.push(m.data[0]));
    a.post(data(7, 3, socket.address.port, 1));
    // DATA to the control port is never a command, even right after a cached delivery.
    a.post(encodePacket({ type: QrtrType.DATA, srcNode: 7, srcPort: 3, dstNode: 1, dstPort: QRTR_PORT_CTRL }, new Uint8Array(20)));
    // A control packet to a bound DATA port is refused, not delivered as DATA.
    a.post(encodePacket({ type: QrtrType.BYE, srcNode: 7, srcPort: QRTR_PORT_CTRL, dstNode: 1, dstPort: socket.address.port }, encodeControl({ type: QrtrType.BYE })));
    expect(seen).to.deep.equal([1]);
    expect(dropsOf(router, a.id).dataToControlPort).to.equal(1);
    expect(dropsOf(router, a.id).controlNotToControlPort).to.equal(1);
    expect(ns.servers()).to.deep.equal([]);
    router.shutdown();
  });

  it('should count a misaddressed packet on the warm path and deliver it by port, or drop it with strictDestinationNode', () => {
    for (const strict of [false, true]) {
      const { router } = createHost({ strictDestinationNode: strict });
      const a = card(router, 'a');
      const socket = router.openSocketSync();
      const seen: number[] = [];
      socket.messages$.subscribe((m) => seen.push(m.data[0]));
      a.post(data(7, 3, socket.address.port, 1));
      a.post(data(7, 3, socket.address.port, 2, { dstNode: 99 }));
      a.post(data(7, 3, socket.address.port, 3, { dstNode: 0xffffffff })); // broadcast node: for everyone
      expect(seen, `strict ${strict}`).to.deep.equal(strict ? [1, 3] : [1, 2, 3]);
      expect(dropsOf(router, a.id).misaddressed).to.equal(1);
      router.shutdown();
    }
  });

  it('should count a malformed packet as malformed, but contain a wire error thrown after the header is read as internalError', () => {
    const { router } = createHost();
    const a = card(router, 'a');
    const b = card(router, 'b');
    const socket = router.openSocketSync();
    a.post(data(7, 3, socket.address.port, 1)); // queued: nobody listens
    a.post(new Uint8Array(33)); // unaligned: malformed, the link stays
    expect(dropsOf(router, a.id).malformed).to.equal(1);
    expect(router.endpoints().map((e) => e.id)).to.include(a.id);
    // The admit hook runs for a datagram about to be queued, after the header was decoded:
    // a QrtrWireError it throws is a bug in the router's process, not a malformed packet.
    socket.admit = () => {
      throw new QrtrZeroSizeError();
    };
    b.post(data(8, 3, socket.address.port, 2));
    expect(router.droppedTotals().malformed).to.equal(1);
    expect(router.droppedTotals().internalError).to.equal(1);
    expect(router.endpoints().map((e) => e.id)).to.deep.equal([a.id]);
    router.shutdown();
  });

  it('should ignore packets posted after detach: nothing delivered, nothing counted, no throw', () => {
    const { router } = createHost();
    const a = card(router, 'a');
    const socket = router.openSocketSync();
    const seen: number[] = [];
    socket.messages$.subscribe((m) => seen.push(m.data[0]));
    a.post(data(7, 3, socket.address.port, 1));
    a.detach();
    a.post(data(7, 3, socket.address.port, 2));
    expect(seen).to.deep.equal([1]);
    expect(socket.stats().received).to.equal(1);
    expect(router.droppedTotals().internalError).to.equal(0);
    router.shutdown();
  });

  it('should show packets$ subscribers every warm-path packet while they subscribe, and none after', () => {
    const { router } = createHost();
    const a = card(router, 'a');
    const socket = router.openSocketSync();
    socket.messages$.subscribe(() => undefined);
    a.post(data(7, 3, socket.address.port, 1));
    const traced: number[] = [];
    const tap = router.packets$.subscribe((t: PacketTrace) => {
      if (t.direction === 'rx') traced.push(decodePacket(t.packet).payload[0]);
    });
    a.post(data(7, 3, socket.address.port, 2));
    a.post(data(7, 3, socket.address.port, 3));
    tap.unsubscribe();
    a.post(data(7, 3, socket.address.port, 4));
    expect(traced).to.deep.equal([2, 3]);
    expect(socket.stats().received).to.equal(4);
    router.shutdown();
  });
});
