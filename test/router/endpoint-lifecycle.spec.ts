import { expect } from 'chai';
import fc from 'fast-check';
import { EndpointIdRegistry, Router, createMemoryLink, type Endpoint, type ReservationLossReason } from './imports';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A memory link whose key, like a socket connection's, can never return. */
function connectionLink(key: string): Endpoint {
  const [near] = createMemoryLink({ kind: 'socket', key });
  return Object.assign(Object.create(Object.getPrototypeOf(near) as object) as Endpoint, near, { keyReturns: false });
}

describe('Endpoint-ID lifecycle', () => {
  const mhi = { kind: 'mhi', key: '0000:01:00.0' };

  it('should keep a claim (and the ID) across a detach shorter than its grace period', async () => {
    const router = new Router();
    const lost: ReservationLossReason[] = [];
    const reservation = router.reserveEndpoint(mhi, 'ath11k', { detachGraceMs: 80, onLost: (r) => lost.push(r) });
    const first = router.attach(createMemoryLink(mhi)[0]);
    first.detach();
    await sleep(20);
    const again = router.attach(createMemoryLink(mhi)[0]);
    await sleep(120);
    expect(again.id).to.equal(reservation.id);
    expect(lost).to.deep.equal([]);
    expect(router.endpointIds.reservationsHeldBy('ath11k')).to.equal(1);
    router.shutdown();
  });

  it('should release a claim whose device stays away past the grace period, tell the owner once, and reclaim the ID', async () => {
    const router = new Router();
    const lost: ReservationLossReason[] = [];
    const reservation = router.reserveEndpoint(mhi, 'ath11k', { detachGraceMs: 30, onLost: (r) => lost.push(r) });
    router.attach(createMemoryLink(mhi)[0]).detach();
    await sleep(80);
    expect(lost).to.deep.equal(['grace-expired']);
    expect(router.endpointIds.reservationsHeldBy('ath11k')).to.equal(0);
    expect(router.endpointIds.get(mhi)).to.equal(0);
    reservation.release(); // a no-op now
    const stats = router.endpointIds.stats();
    expect(stats).to.include({ live: 0, reservations: 0, expired: 1, released: 0, reclaimed: 1 });
    router.shutdown();
  });

  it('should drop every claim at once when a key that cannot return detaches, grace or not', () => {
    const router = new Router();
    const lost: string[] = [];
    const link = connectionLink('4242');
    const attached = router.attach(link);
    router.reserveEndpoint(link.backendKey, 'ath11k', { detachGraceMs: 60_000, onLost: (r) => lost.push(`ath11k ${r}`) });
    router.reserveEndpoint(link.backendKey, 'client:1', { onLost: (r) => lost.push(`client ${r}`) });
    attached.detach();
    expect(lost).to.deep.equal(['ath11k key-retired', 'client key-retired']);
    expect(router.endpointIds.stats()).to.include({ live: 0, reservations: 0, retired: 2, keysRetired: 1 });
    router.shutdown();
  });

  it('should hold a claim without a grace period until its owner releases it or stops', () => {
    const ids = new EndpointIdRegistry();
    ids.reserve(mhi, 'ath11k');
    ids.reserve({ kind: 'mhi', key: 'b' }, 'ath11k');
    ids.markDetached(ids.markAttached(mhi));
    expect(ids.reservationsHeldBy('ath11k')).to.equal(2);
    expect(ids.releaseOwner('ath11k')).to.equal(2);
    expect(ids.stats()).to.include({ live: 0, reservations: 0, released: 2 });
  });

  it('should count quota and exhaustion refusals and announce every freed claim', () => {
    const ids = new EndpointIdRegistry({ maxEndpoints: 2, reservationsPerOwner: 1 });
    const freed: string[] = [];
    ids.freed$.subscribe((f) => freed.push(`${f.owner} ${f.key.key}`));
    const a = ids.reserve({ kind: 'mhi', key: 'a' }, 'ath11k');
    expect(() => ids.reserve({ kind: 'mhi', key: 'b' }, 'ath11k')).to.throw().with.property('code', 'QRTR_ENDPOINT_QUOTA_EXCEEDED');
    ids.reserve({ kind: 'mhi', key: 'b' }, 'other');
    expect(() => ids.reserve({ kind: 'mhi', key: 'c' }, 'third')).to.throw().with.property('code', 'QRTR_ENDPOINT_IDS_EXHAUSTED');
    a.release();
    expect(freed).to.deep.equal(['ath11k a']);
    expect(ids.stats()).to.include({ refusedQuota: 1, refusedExhausted: 1, reserved: 2, released: 1 });
  });

  it('should refuse a negative or non-finite grace period with a typed error', () => {
    const ids = new EndpointIdRegistry();
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => ids.reserve(mhi, 'x', { detachGraceMs: bad })).to.throw().with.property('code', 'QRTRD_INVALID_ARGUMENT');
    }
    expect(ids.stats().reservations).to.equal(0);
  });

  it('should end every random sequence of reserve/release/attach/detach/retire with counters that add up and nothing left', () => {
    type Op = { op: 'reserve' | 'release' | 'attach' | 'detach' | 'retire' | 'stop'; key: number; owner: number };
    const op = fc.record({
      op: fc.constantFrom<Op['op']>('reserve', 'release', 'attach', 'detach', 'retire', 'stop'),
      key: fc.integer({ min: 0, max: 5 }),
      owner: fc.integer({ min: 0, max: 2 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const ids = new EndpointIdRegistry({ maxEndpoints: 4, reservationsPerOwner: 3 });
        const held: { release(): void }[] = [];
        const attached = new Map<number, number>();
        for (const { op: kind, key: k, owner: o } of ops) {
          const key = { kind: 'mhi', key: String(k) };
          try {
            if (kind === 'reserve') held.push(ids.reserve(key, `o${o}`, { detachGraceMs: 0 }));
            else if (kind === 'release') held.splice(k % Math.max(held.length, 1), 1)[0]?.release();
            else if (kind === 'attach' && !attached.has(k)) attached.set(k, ids.markAttached(key));
            else if ((kind === 'detach' || kind === 'retire') && attached.has(k)) {
              ids.markDetached(attached.get(k)!, { keyReturns: kind === 'detach' });
              attached.delete(k);
            } else if (kind === 'stop') ids.releaseOwner(`o${o}`);
          } catch (err) {
            const code = (err as { code?: string }).code;
            if (code !== 'QRTR_ENDPOINT_QUOTA_EXCEEDED' && code !== 'QRTR_ENDPOINT_IDS_EXHAUSTED') throw err;
          }
        }
        for (const id of attached.values()) ids.markDetached(id, { keyReturns: false });
        for (const r of held) r.release();
        for (let o = 0; o < 3; o++) ids.releaseOwner(`o${o}`);
        const s = ids.stats();
        expect(s.live, 'live IDs').to.equal(0);
        expect(s.reservations, 'claims').to.equal(0);
        expect(s.reserved).to.equal(s.released + s.expired + s.retired);
        expect(s.allocated).to.equal(s.reclaimed);
      }),
      { numRuns: 300 },
    );
  });
});
