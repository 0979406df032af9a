import { expect } from 'chai';
import fc from 'fast-check';
import { NodeTranslationTable, TunBridgeConfigError, TunNodeRangeExhaustedError } from '../../../src/links/tun';

describe('NodeTranslationTable', () => {
  it('should give each (endpoint, node) one stable id, distinct from every other pair', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 4 })), { maxLength: 40 }), (pairs) => {
        const table = new NodeTranslationTable(100, 199);
        const seen = new Map<string, number>();
        for (const [endpoint, node] of pairs) {
          const t = table.acquire(endpoint, node);
          const key = `${endpoint}:${node}`;
          if (seen.has(key)) expect(t.kernelNode).to.equal(seen.get(key));
          seen.set(key, t.kernelNode);
          expect(table.resolve(t.kernelNode)).to.deep.equal({ endpoint, node, kernelNode: t.kernelNode });
        }
        expect(new Set(seen.values()).size).to.equal(seen.size);
      }),
    );
  });

  it('should release an endpoint’s ids and not hand them out again at once', () => {
    const table = new NodeTranslationTable(10, 12);
    expect(table.acquire(2, 7).kernelNode).to.equal(10);
    expect(table.acquire(3, 7).kernelNode).to.equal(11);
    expect(table.releaseEndpoint(2).map((t) => t.kernelNode)).to.deep.equal([10]);
    expect(table.resolve(10)).to.equal(undefined);
    expect(table.acquire(4, 7).kernelNode).to.equal(12);
    expect(table.acquire(5, 7).kernelNode).to.equal(10);
  });

  it('should fail with a typed error when the range is exhausted', () => {
    const table = new NodeTranslationTable(10, 11);
    table.acquire(2, 1);
    table.acquire(2, 2);
    expect(() => table.acquire(2, 3)).to.throw(TunNodeRangeExhaustedError).with.property('code', 'TUN_NODE_RANGE_EXHAUSTED');
  });

  it('should refuse a range that is empty or holds node 0, 1 or the control port', () => {
    expect(() => new NodeTranslationTable(1, 5)).to.throw(TunBridgeConfigError);
    expect(() => new NodeTranslationTable(9, 8)).to.throw(TunBridgeConfigError);
    expect(() => new NodeTranslationTable(2, 0xfffffffe)).to.throw(TunBridgeConfigError);
  });
});
