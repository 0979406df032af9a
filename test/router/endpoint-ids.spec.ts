import { expect } from 'chai';
import fc from 'fast-check';
import { EndpointIdRegistry, createMemoryLink, type QrtrdErrorLike } from './imports';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as QrtrdErrorLike).code;
  }
  return undefined;
}

describe('EndpointIdRegistry', () => {
  const mhi = (addr: string) => ({ kind: 'mhi', key: addr });

  it('should give remote endpoints IDs from 2 upward and 0 for unknown keys', () => {
    const ids = new EndpointIdRegistry();
    expect(ids.get(mhi('0000:01:00.0'))).to.equal(0);
    expect(ids.assign(mhi('0000:01:00.0'))).to.equal(2);
    expect(ids.assign(mhi('0000:02:00.0'))).to.equal(3);
    expect(ids.get(mhi('0000:01:00.0'))).to.equal(2);
  });

  it('should refuse to assign a key twice and getOrAssign should return the same ID', () => {
    const ids = new EndpointIdRegistry();
    const id = ids.getOrAssign(mhi('a'));
    expect(ids.getOrAssign(mhi('a'))).to.equal(id);
    expect(code(() => ids.assign(mhi('a')))).to.equal('QRTR_ENDPOINT_ID_ASSIGNED');
  });

  it('should allocate cyclically, not reuse a freed ID at once', () => {
    const ids = new EndpointIdRegistry();
    const first = ids.assign(mhi('a'));
    ids.unassign(mhi('a'));
    expect(ids.get(mhi('a'))).to.equal(0);
    expect(ids.assign(mhi('b'))).to.equal(first + 1);
  });

  it('should reference-count reservations and reclaim the ID when the last is released', () => {
    const ids = new EndpointIdRegistry();
    const r1 = ids.reserve(mhi('a'), 'ath11k');
    const r2 = ids.reserve(mhi('a'), 'cli');
    expect(r2.id).to.equal(r1.id);
    r1.release();
    r1.release(); // idempotent
    expect(ids.get(mhi('a'))).to.equal(r1.id);
    r2.release();
    expect(ids.get(mhi('a'))).to.equal(0);
    expect(ids.size).to.equal(0);
  });

  it('should keep a reserved ID across detach and reclaim it after release', () => {
    const ids = new EndpointIdRegistry();
    const r = ids.reserve(mhi('a'), 'owner');
    expect(ids.markAttached(mhi('a'))).to.equal(r.id);
    ids.markDetached(r.id);
    expect(ids.get(mhi('a'))).to.equal(r.id);
    r.release();
    expect(ids.size).to.equal(0);
  });

  it('should enforce the per-owner quota with a typed error', () => {
    const ids = new EndpointIdRegistry({ maxEndpoints: 100, reservationsPerOwner: 2 });
    ids.reserve(mhi('a'), 'greedy');
    ids.reserve(mhi('b'), 'greedy');
    expect(code(() => ids.reserve(mhi('c'), 'greedy'))).to.equal('QRTR_ENDPOINT_QUOTA_EXCEEDED');
    expect(ids.reserve(mhi('c'), 'other').id).to.be.greaterThan(1);
    expect(ids.releaseOwner('greedy')).to.equal(2);
    expect(ids.reserve(mhi('d'), 'greedy').id).to.be.greaterThan(1);
  });

  it('should enforce the global limit with a typed error, never silently', () => {
    const ids = new EndpointIdRegistry({ maxEndpoints: 3, reservationsPerOwner: 10 });
    ids.reserve(mhi('a'), 'o');
    ids.markAttached(mhi('b'));
    ids.assign(mhi('c'));
    expect(code(() => ids.reserve(mhi('d'), 'o'))).to.equal('QRTR_ENDPOINT_IDS_EXHAUSTED');
    expect(code(() => ids.markAttached(mhi('e')))).to.equal('QRTR_ENDPOINT_IDS_EXHAUSTED');
  });

  it('should never hand out two live IDs for one key or one ID for two keys (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('reserve', 'release', 'attach', 'detach'), fc.integer({ min: 0, max: 5 })), { maxLength: 80 }),
        (ops) => {
          const ids = new EndpointIdRegistry({ maxEndpoints: 1000, reservationsPerOwner: 1000 });
          const held: { release(): void; key: string }[] = [];
          const attached = new Set<string>();
          for (const [op, k] of ops) {
            const key = mhi(`k${k}`);
            if (op === 'reserve') held.push({ ...ids.reserve(key, 'o'), key: key.key });
            else if (op === 'release') held.find((h) => h.key === key.key)?.release();
            else if (op === 'attach' && !attached.has(key.key)) {
              ids.markAttached(key);
              attached.add(key.key);
            } else if (op === 'detach' && attached.has(key.key)) {
              ids.markDetached(ids.get(key));
              attached.delete(key.key);
            }
            const entries = ids.entries();
            expect(new Set(entries.map((e) => e.id)).size).to.equal(entries.length);
            expect(new Set(entries.map((e) => e.key.key)).size).to.equal(entries.length);
            for (const a of attached) expect(ids.get(mhi(a))).to.be.greaterThan(1);
          }
        },
      ),
    );
  });
});

describe('Router: reservation before attach', () => {
  it('should give the attaching device the reserved ID whatever the attach order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([0, 1, 2, 3, 4, 5], { minLength: 6, maxLength: 6 }), fc.boolean(), async (order, reserveFirst) => {
        const { router } = createHost();
        const keys = order.map((i) => ({ kind: 'mhi', key: `0000:0${i}:00.0` }));
        const reservations = reserveFirst ? keys.map((k) => router.reserveEndpoint(k, 'test')) : [];
        const peers: RawPeer[] = [];
        for (const i of order) peers.push(new RawPeer(router, { kind: 'mhi', key: `0000:0${i}:00.0` }, 7));
        if (!reserveFirst) for (const k of keys) reservations.push(router.reserveEndpoint(k, 'test'));
        for (let j = 0; j < keys.length; j++) {
          const peer = peers.find((p) => p.key.key === keys[j].key)!;
          expect(peer.id).to.equal(reservations[j].id);
        }
        await settle();
        router.shutdown();
      }),
      { numRuns: 30 },
    );
  });

  it('should route a socket bound to a reserved ID to the device that attaches later', async () => {
    const { router } = createHost();
    const reservation = router.reserveEndpoint({ kind: 'mhi', key: '0000:02:00.0' }, 'ath11k');
    const socket = await router.openSocket();
    socket.bindEndpoint(reservation.id);
    const seen: number[] = [];
    socket.messages$.subscribe((m) => seen.push(m.endpoint));
    const decoy = new RawPeer(router, { kind: 'mhi', key: '0000:01:00.0' }, 7);
    const card = new RawPeer(router, { kind: 'mhi', key: '0000:02:00.0' }, 7);
    decoy.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([1]));
    card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([2]));
    await settle();
    expect(seen).to.deep.equal([reservation.id]);
    expect(card.id).to.equal(reservation.id);
    router.shutdown();
  });

  it('should refuse a second live endpoint with the same backend key', () => {
    const { router } = createHost();
    const [a] = createMemoryLink({ kind: 'tun', key: 'inode-5' });
    const [b] = createMemoryLink({ kind: 'tun', key: 'inode-5' });
    router.attach(a);
    expect(code(() => router.attach(b))).to.equal('QRTR_ENDPOINT_KEY_IN_USE');
    router.shutdown();
  });
});
