import { expect } from 'chai';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';
import { QrtrEndpointBindingError, type QrtrMessage, type QrtrSocket, type Router } from './imports';

/** Two identical cards (node 7, port 1) on endpoints A and B: only the endpoint tells them apart. */
async function twoCards(): Promise<{ router: Router; a: RawPeer; b: RawPeer }> {
  const { router } = createHost();
  const a = new RawPeer(router, { kind: 'mhi', key: 'card-a' }, 7);
  const b = new RawPeer(router, { kind: 'mhi', key: 'card-b' }, 7);
  a.hello();
  b.hello();
  await settle();
  return { router, a, b };
}

function collect(socket: QrtrSocket): QrtrMessage[] {
  const seen: QrtrMessage[] = [];
  socket.messages$.subscribe((m) => seen.push(m));
  return seen;
}

describe('Router: binding isolates (issue #18 item 3)', () => {
  it('should refuse a bound socket naming another endpoint per message with QrtrEndpointBindingError (QRTR_ENDPOINT_BINDING), and deliver nothing', async () => {
    const { router, a, b } = await twoCards();
    const socket = router.openSocketSync();
    socket.bindEndpoint(a.id);
    let refused: unknown;
    await socket.send({ node: 7, port: 1 }, new Uint8Array([1]), { endpoint: b.id }).catch((err) => (refused = err));
    expect(refused).to.be.instanceOf(QrtrEndpointBindingError);
    expect((refused as QrtrEndpointBindingError).code).to.equal('QRTR_ENDPOINT_BINDING');
    expect((refused as QrtrEndpointBindingError).details).to.include({ bound: a.id, named: b.id, port: socket.address.port });
    await settle();
    expect(b.data()).to.have.length(0);
    expect(a.data()).to.have.length(0);
    router.shutdown();
  });

  it('should refuse endpoint 0 from a bound socket: the legacy route may lead to another card', async () => {
    const { router, a, b } = await twoCards();
    const socket = router.openSocketSync();
    // B owns node 7's legacy route if it claimed it first; bind to the other one whichever it is.
    const legacy = router.legacyEndpointOf(7);
    const other = legacy === a.id ? b : a;
    socket.bindEndpoint(other.id);
    let refused: unknown;
    await socket.send({ node: 7, port: 1 }, new Uint8Array([1]), { endpoint: 0 }).catch((err) => (refused = err));
    expect(refused).to.be.instanceOf(QrtrEndpointBindingError);
    await settle();
    expect(a.data().length + b.data().length).to.equal(0);
    router.shutdown();
  });

  it('should send a bound socket on its own endpoint, named or not', async () => {
    const { router, a, b } = await twoCards();
    const socket = router.openSocketSync();
    socket.bindEndpoint(b.id);
    await socket.send({ node: 7, port: 1 }, new Uint8Array([1]));
    await socket.send({ node: 7, port: 1 }, new Uint8Array([2]), { endpoint: b.id });
    await settle();
    expect(b.data().map((p) => p.payload[0])).to.deep.equal([1, 2]);
    expect(a.data()).to.have.length(0);
    router.shutdown();
  });

  it('should let an unbound socket pick an endpoint per message', async () => {
    const { router, a, b } = await twoCards();
    const socket = router.openSocketSync();
    await socket.send({ node: 7, port: 1 }, new Uint8Array([1]), { endpoint: a.id });
    await socket.send({ node: 7, port: 1 }, new Uint8Array([2]), { endpoint: b.id });
    await settle();
    expect(a.data().map((p) => p.payload[0])).to.deep.equal([1]);
    expect(b.data().map((p) => p.payload[0])).to.deep.equal([2]);
    router.shutdown();
  });

  it('should let a socket opened with endpointOverride name another endpoint, while it still receives only from its own', async () => {
    const { router, a, b } = await twoCards();
    const socket = router.openSocketSync({ endpointOverride: true });
    socket.bindEndpoint(a.id);
    const seen = collect(socket);
    await socket.send({ node: 7, port: 1 }, new Uint8Array([9]), { endpoint: b.id });
    await settle();
    expect(b.data().map((p) => p.payload[0])).to.deep.equal([9]);
    // B answers; the socket is bound to A, so B's answer is filtered and counted on both sides.
    b.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([0xb]));
    a.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([0xa]));
    await settle();
    expect(seen.map((m) => [m.endpoint, m.data[0]])).to.deep.equal([[a.id, 0xa]]);
    expect(socket.stats().dropped.endpointFiltered).to.equal(1);
    expect(router.endpoints().find((e) => e.id === b.id)!.counters.dropped.endpointFiltered).to.equal(1);
    router.shutdown();
  });

  it('should never grant endpointOverride through the provider API openSocket()', async () => {
    const { router, a, b } = await twoCards();
    const socket = await router.openSocket({ endpointOverride: true } as never);
    socket.bindEndpoint(a.id);
    let refused: unknown;
    await socket.send({ node: 7, port: 1 }, new Uint8Array([1]), { endpoint: b.id }).catch((err) => (refused = err));
    expect(refused).to.be.instanceOf(QrtrEndpointBindingError);
    router.shutdown();
  });

  it('should drop, on rebinding, what was queued from another endpoint (counted, RESUME_TX still sent), and keep its own', async () => {
    const { router, a, b } = await twoCards();
    const socket = router.openSocketSync();
    // Unbound and nobody reading: both cards' datagrams queue.
    b.send({ srcPort: 1, dstPort: socket.address.port, confirmRx: true }, new Uint8Array([0xb, 1]));
    a.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([0xa]));
    b.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([0xb, 2]));
    await settle();
    expect(socket.stats().queued).to.equal(3);
    socket.bindEndpoint(a.id);
    const first = await socket.receive();
    expect([first.endpoint, first.data[0]]).to.deep.equal([a.id, 0xa]);
    expect(socket.stats()).to.deep.include({ queued: 0, queuedBytes: 0, droppedBytes: 4 });
    expect(socket.stats().dropped.endpointFiltered).to.equal(2);
    await settle();
    // B asked for confirmation of its first datagram: it is not left waiting on a datagram nobody will read.
    expect(b.controls().filter((c) => c.type === 7 /* RESUME_TX */)).to.have.length(1);
    router.shutdown();
  });

  it('should not deliver local traffic (endpoint 1) to a socket bound to a card, and count it there', async () => {
    const { router, a } = await twoCards();
    const bound = router.openSocketSync();
    bound.bindEndpoint(a.id);
    const seen = collect(bound);
    const local = await router.openSocket();
    await local.send(bound.address, new Uint8Array([1]));
    await settle();
    expect(seen).to.have.length(0);
    expect(bound.stats().dropped.endpointFiltered).to.equal(1);
    router.shutdown();
  });
});
