import { expect } from 'chai';
import fc from 'fast-check';
import { DEFAULT_NS_LIMITS, PerNodeAdmissionPolicy, ServerRegistry, type LookupFilter, type ServerInfo } from '../../src/ns';
import { ExactTable } from '../../src/ns/exact-table';

/** The naive model: every registered server in one list, each lookup a scan of it. */
function naiveMatch(filter: LookupFilter, s: ServerInfo): boolean {
  if (filter.service !== 0 && filter.service !== s.service) return false;
  if (filter.version !== undefined && filter.version !== s.version) return false;
  if (filter.instance !== undefined && filter.instance !== s.instance) return false;
  if (filter.endpoint !== undefined && filter.endpoint !== 0 && filter.endpoint !== s.endpoint) return false;
  if (filter.node !== undefined && filter.node !== s.node) return false;
  return true;
}

const key = (s: { endpoint: number; node: number; port: number }) => `${s.endpoint}/${s.node}/${s.port}`;
const sorted = (list: ServerInfo[]) => list.map((s) => JSON.stringify(s)).sort();

// Small domains so keys collide: shared (service, instance word) buckets, replacements, wildcards.
// Versions over 8 bits and instances over 24 are in-process values the wire word cannot
// carry: their exact key equals another triple's (version 0x101, instance 1 gives the word
// 0x101 | 1 << 8 = 0x101, the key of version 1, instance 1; instance 0x1000001 shifts to
// instance 1's), so a lookup must not trust a key hit alone while such a server is
// registered (ServerRegistry.nonCanonical).
const endpoint = fc.integer({ min: 1, max: 3 });
const node = fc.integer({ min: 1, max: 3 });
const port = fc.integer({ min: 1, max: 4 });
const server = fc.record({
  service: fc.integer({ min: 1, max: 4 }),
  version: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 2 }) }, { weight: 1, arbitrary: fc.constant(0x101) }),
  instance: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constant(0xffffff) }, { weight: 1, arbitrary: fc.constant(0x1000001) }),
  endpoint,
  node,
  port,
});
const filter: fc.Arbitrary<LookupFilter> = fc.record(
  {
    service: fc.integer({ min: 0, max: 5 }), // 0 = any service, 5 = none registered
    version: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constant(0x101) }),
    instance: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.constant(0xffffff) }, { weight: 1, arbitrary: fc.constant(0x1000001) }),
    endpoint: fc.integer({ min: 0, max: 4 }),
    node: fc.integer({ min: 1, max: 4 }),
  },
  { requiredKeys: ['service'] },
);
const op = fc.oneof(
  { weight: 5, arbitrary: server.map((s) => ({ kind: 'add' as const, s })) },
  { weight: 2, arbitrary: fc.record({ endpoint, node, port }).map((a) => ({ kind: 'remove' as const, a })) },
  { weight: 1, arbitrary: fc.record({ endpoint, node }).map((a) => ({ kind: 'removeNode' as const, a })) },
  { weight: 1, arbitrary: endpoint.map((e) => ({ kind: 'removeEndpoint' as const, e })) },
  { weight: 4, arbitrary: filter.map((f) => ({ kind: 'lookup' as const, f })) },
);

describe('NS flat index', () => {
  it('should answer every lookup exactly as a naive scan does under random add/remove/lookup sequences', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120, size: 'max' }), fc.array(filter, { minLength: 8, maxLength: 8 }), (ops, probes) => {
        const registry = new ServerRegistry(new PerNodeAdmissionPolicy(DEFAULT_NS_LIMITS));
        const model = new Map<string, ServerInfo>();
        // A node record lives from its first server to its BYE (removeNode) or its link's end.
        const nodes = new Set<string>();
        const check = (f: LookupFilter) => expect(sorted(registry.find(f)), JSON.stringify(f)).to.deep.equal(sorted([...model.values()].filter((s) => naiveMatch(f, s))));
        for (const o of ops) {
          switch (o.kind) {
            case 'add': {
              const replaced = registry.add(o.s);
              expect(replaced).to.deep.equal(model.get(key(o.s)));
              model.set(key(o.s), o.s);
              nodes.add(`${o.s.endpoint}/${o.s.node}`);
              break;
            }
            case 'remove':
              expect(registry.remove(o.a.endpoint, o.a.node, o.a.port)).to.deep.equal(model.get(key(o.a)));
              model.delete(key(o.a));
              break;
            case 'removeNode': {
              const gone = [...model.values()].filter((s) => s.endpoint === o.a.endpoint && s.node === o.a.node);
              expect(sorted(registry.removeNode(o.a.endpoint, o.a.node))).to.deep.equal(sorted(gone));
              for (const s of gone) model.delete(key(s));
              nodes.delete(`${o.a.endpoint}/${o.a.node}`);
              break;
            }
            case 'removeEndpoint': {
              const gone = [...model.values()].filter((s) => s.endpoint === o.e);
              expect(sorted(registry.removeEndpoint(o.e))).to.deep.equal(sorted(gone));
              for (const s of gone) model.delete(key(s));
              for (const n of [...nodes]) if (n.startsWith(`${o.e}/`)) nodes.delete(n);
              break;
            }
            case 'lookup':
              check(o.f);
              break;
          }
          expect(registry.servers).to.equal(model.size);
          expect(registry.nodes).to.equal(nodes.size);
        }
        for (const f of probes) check(f);
        // Every exact key the model holds is found, and only those.
        for (const s of model.values()) check({ service: s.service, version: s.version, instance: s.instance });
      }),
      { numRuns: 300 },
    );
  });

  it('should keep the packed exact table equal to a Map through growth, backward-shift deletion and shrinking', () => {
    const word = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
    const tableOp = fc.oneof(
      fc.record({ set: fc.constant(true), a: word, b: word, v: fc.integer() }),
      fc.record({ set: fc.constant(false), a: word, b: word, v: fc.constant(0) }),
    );
    fc.assert(
      fc.property(fc.array(tableOp, { maxLength: 400 }), (ops) => {
        const table = new ExactTable<number>(4);
        const model = new Map<string, number>();
        for (const o of ops) {
          const k = `${o.a}:${o.b}`;
          if (o.set) {
            table.set(o.a, o.b, o.v);
            model.set(k, o.v);
          } else {
            expect(table.delete(o.a, o.b)).to.equal(model.delete(k));
          }
          expect(table.size).to.equal(model.size);
        }
        for (const o of ops) expect(table.get(o.a, o.b)).to.equal(model.get(`${o.a}:${o.b}`));
      }),
      { numRuns: 300 },
    );
  });
});
