import { expect } from 'chai';
import fc from 'fast-check';
import { PendingRequests } from '../../src/client/pending-requests';

describe('PendingRequests (the SDK\'s requests waiting for a reply)', () => {
  it('should behave like a Map from id to request for any order of replies, including requests that outlive their ring slot', () => {
    fc.assert(
      fc.property(
        // Ids are issued in sequence; each step issues a request or answers one that waits (by its position in the waiting list).
        fc.array(fc.oneof(fc.constant<'issue'>('issue'), fc.nat()), { maxLength: 4000 }),
        fc.integer({ min: 1, max: 0xffffffff - 5000 }),
        (steps, firstId) => {
          const pending = new PendingRequests<{ id: number }>();
          const model = new Map<number, { id: number }>();
          let next = firstId;
          for (const step of steps) {
            if (step === 'issue') {
              const request = { id: next };
              pending.set(next, request);
              model.set(next, request);
              next++;
            } else if (model.size > 0) {
              const id = [...model.keys()][step % model.size];
              expect(pending.take(id)).to.equal(model.get(id));
              model.delete(id);
            }
            expect(pending.size).to.equal(model.size);
          }
          expect(pending.take(next + 7)).to.equal(undefined);
          expect(pending.drain()).to.deep.equal([...model.values()].sort((x, y) => x.id - y.id));
          expect(pending.size).to.equal(0);
          expect(pending.take(firstId)).to.equal(undefined);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('should keep a request that is still waiting 5000 ids later (a SEND held by flow control)', () => {
    const pending = new PendingRequests<string>();
    pending.set(1, 'held');
    for (let id = 2; id < 5002; id++) {
      pending.set(id, `quick ${id}`);
      expect(pending.take(id)).to.equal(`quick ${id}`);
    }
    expect(pending.size).to.equal(1);
    expect(pending.take(1)).to.equal('held');
    expect(pending.size).to.equal(0);
  });
});
