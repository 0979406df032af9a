import { expect } from 'chai';
import fc from 'fast-check';
import { ExactTable } from '../../src/ns/exact-table';

/** Every key's values through the slot interface (find / countAt / firstAt / secondIdAt / nextId / overflowValue). */
function walk<V>(table: ExactTable<V>, a: number, b: number): V[] {
  const slot = table.find(a, b);
  if (slot < 0) return [];
  const out: V[] = [];
  out.push(table.firstAt(slot));
  for (let id = table.secondIdAt(slot); id >= 0; id = table.nextId(id)) out.push(table.overflowValue(id));
  expect(table.countAt(slot), `count of ${a}:${b}`).to.equal(out.length);
  return out;
}

/**
 * Keys that all hash to one home slot of a 64-slot table, found by search (the hash is
 * private); every other one has a service word over 13 bits.
 */
function collidingKeys(n: number): [number, number][] {
  const byHome = new Map<number, [number, number][]>();
  for (let b = 0; ; b++) {
    const a = b % 2 ? 0x2000 : 0;
    const table = new ExactTable<number>(64);
    table.add(a, b, 1);
    const home = table.find(a, b);
    const list = byHome.get(home) ?? [];
    list.push([a, b]);
    byHome.set(home, list);
    if (list.length === n) return list;
  }
}

describe('NS exact table (multimap)', () => {
  it('should keep several values per key in insertion order, whatever is removed between', () => {
    const table = new ExactTable<string>();
    for (const v of ['a', 'b', 'c', 'd']) table.add(7, 9, v);
    table.add(7, 10, 'other');
    expect(walk(table, 7, 9)).to.deep.equal(['a', 'b', 'c', 'd']);
    expect(table.remove(7, 9, 'b')).to.equal(true);
    expect(table.remove(7, 9, 'b')).to.equal(false);
    expect(table.remove(7, 9, 'zz')).to.equal(false);
    table.add(7, 9, 'e');
    expect(walk(table, 7, 9)).to.deep.equal(['a', 'c', 'd', 'e']);
    expect(table.remove(7, 9, 'a')).to.equal(true);
    expect(walk(table, 7, 9)).to.deep.equal(['c', 'd', 'e']);
    expect(table.remove(7, 9, 'e')).to.equal(true);
    expect(walk(table, 7, 9)).to.deep.equal(['c', 'd']);
    expect(walk(table, 7, 10)).to.deep.equal(['other']);
    expect(table.size).to.equal(3);
    expect(table.keys).to.equal(2);
  });

  it('should remove one of two identical values at a time', () => {
    const table = new ExactTable<string>();
    table.add(1, 1, 'x');
    table.add(1, 1, 'y');
    table.add(1, 1, 'x');
    expect(table.remove(1, 1, 'x')).to.equal(true);
    expect(walk(table, 1, 1)).to.deep.equal(['y', 'x']);
  });

  it('should treat the key words as u32 (a negative word is its unsigned twin)', () => {
    const table = new ExactTable<string>();
    table.add(-1, 0x80000000, 'v');
    expect(walk(table, 0xffffffff, -0x80000000)).to.deep.equal(['v']);
    expect(table.remove(0xffffffff, 0x80000000, 'v')).to.equal(true);
    expect(table.size).to.equal(0);
  });

  it('should keep wide and narrow key words apart, one value or several, through their transitions', () => {
    const table = new ExactTable<string>();
    // Words that differ only past 13 and 18 bits (where a packed 31-bit key would cut them).
    const keys: [number, number][] = [
      [0x1fff, 0x3ffff],
      [0x2000, 0x3ffff],
      [0x1fff, 0x40000],
      [0, 0],
      [0x2000, 0],
      [0, 0x40000],
    ];
    keys.forEach(([a, b], i) => table.add(a, b, `v${i}`));
    keys.forEach(([a, b], i) => expect(walk(table, a, b)).to.deep.equal([`v${i}`]));
    // One value -> several -> one again, on a narrow key and on a wide one.
    for (const [a, b] of [keys[0], keys[1]]) {
      table.add(a, b, 'second');
      table.add(a, b, 'third');
      expect(table.remove(a, b, table.get(a, b)!)).to.equal(true);
      expect(walk(table, a, b)).to.deep.equal(['second', 'third']);
      expect(table.remove(a, b, 'third')).to.equal(true);
      expect(walk(table, a, b)).to.deep.equal(['second']);
    }
    keys.slice(2).forEach(([a, b], i) => expect(walk(table, a, b)).to.deep.equal([`v${i + 2}`]));
    expect(table.size).to.equal(6);
    expect(table.keys).to.equal(6);
  });

  it('should find every key of one probe run after any of them is deleted (backward shift)', () => {
    const keys = collidingKeys(6);
    for (let victim = 0; victim < keys.length; victim++) {
      const table = new ExactTable<number>(64);
      // Keys 0 and 3 hold a second value (the several-values form).
      keys.forEach(([a, b], i) => table.add(a, b, i));
      table.add(keys[0][0], keys[0][1], 100);
      table.add(keys[3][0], keys[3][1], 103);
      const expected = (i: number) => (i === 0 || i === 3 ? [i, 100 + i] : [i]);
      // All six share one home slot: they sit in six consecutive slots.
      const slots = keys.map(([a, b]) => table.find(a, b));
      expect(new Set(slots.map((s) => (s - slots[0] + 64) & 63))).to.deep.equal(new Set([0, 1, 2, 3, 4, 5]));
      expect(table.delete(keys[victim][0], keys[victim][1])).to.equal(true);
      keys.forEach(([a, b], i) => expect(walk(table, a, b), `key ${i} after deleting ${victim}`).to.deep.equal(i === victim ? [] : expected(i)));
      expect(table.keys).to.equal(keys.length - 1);
    }
  });

  it('should grow past 1/2 load and shrink back to its minimum capacity when emptied', () => {
    const table = new ExactTable<number>(8);
    expect(table.capacity).to.equal(8);
    expect(table.overflowCapacity).to.equal(2);
    // 1000 keys, the first 300 with a second value (the overflow arrays grow too).
    for (let i = 0; i < 1000; i++) table.add(i, i * 31, i);
    for (let i = 0; i < 300; i++) table.add(i, i * 31, -i - 1);
    expect(table.capacity).to.equal(2048); // 1000 keys: the smallest power of two with load <= 1/2
    expect(table.overflowCapacity).to.be.at.least(300);
    for (let i = 0; i < 1000; i++) expect(walk(table, i, i * 31)).to.deep.equal(i < 300 ? [i, -i - 1] : [i]);
    // Drop every even key's first value: its second (if any) becomes the first.
    for (let i = 0; i < 1000; i += 2) expect(table.remove(i, i * 31, i)).to.equal(true);
    for (let i = 0; i < 1000; i++) expect(walk(table, i, i * 31)).to.deep.equal(i % 2 ? (i < 300 ? [i, -i - 1] : [i]) : i < 300 ? [-i - 1] : []);
    for (let i = 1; i < 1000; i += 2) expect(table.remove(i, i * 31, i)).to.equal(true);
    for (let i = 0; i < 300; i++) expect(table.remove(i, i * 31, -i - 1)).to.equal(true);
    expect(table.size).to.equal(0);
    expect(table.keys).to.equal(0);
    expect(table.capacity).to.equal(8);
    expect(table.overflowCapacity).to.equal(2);
  });

  it('should come back to size 0 and its minimum capacity after thousands of insert/delete cycles', () => {
    const table = new ExactTable<number>(16);
    let next = 0;
    const live: [number, number, number][] = [];
    for (let cycle = 0; cycle < 5000; cycle++) {
      // Bursts of up to 40 adds, then up to 38 removes anywhere in the live list.
      const adds = (cycle * 7) % 41;
      for (let k = 0; k < adds; k++) {
        // 62 keys: live values share keys, so chains grow, shrink and are compacted.
        const entry: [number, number, number] = [(next * 7) % 31, next % 2, next];
        table.add(entry[0], entry[1], entry[2]);
        live.push(entry);
        next++;
      }
      // Removes average one fewer than adds: the table grows to thousands, then empties below.
      const removes = Math.min(live.length, (cycle * 11) % 39);
      for (let k = 0; k < removes; k++) {
        const [entry] = live.splice((cycle * 17 + k * 5) % live.length, 1);
        expect(table.remove(entry[0], entry[1], entry[2])).to.equal(true);
      }
      expect(table.size).to.equal(live.length);
      if (cycle % 500 === 0) {
        const key = live[0] ?? [0, 0];
        expect(walk(table, key[0], key[1])).to.deep.equal(live.filter(([a, b]) => a === key[0] && b === key[1]).map(([, , v]) => v).sort((x, y) => x - y));
      }
    }
    expect(table.size).to.be.above(2000);
    for (const [a, b, v] of live.splice(0)) expect(table.remove(a, b, v)).to.equal(true);
    expect(table.size).to.equal(0);
    expect(table.keys).to.equal(0);
    expect(table.capacity).to.equal(16);
    expect(table.overflowCapacity).to.equal(4);
    for (let a = 0; a < 31; a++) for (let b = 0; b < 2; b++) expect(table.find(a, b)).to.equal(-1);
  });

  it('should round its minimum capacity up to a power of two of at least 4', () => {
    expect(new ExactTable<number>(48).capacity).to.equal(64);
    expect(new ExactTable<number>(1).capacity).to.equal(4);
    const table = new ExactTable<number>(5);
    expect(table.capacity).to.equal(8);
    for (let i = 0; i < 20; i++) table.add(i, 0, i);
    for (let i = 0; i < 20; i++) expect(table.remove(i, 0, i)).to.equal(true);
    expect(table.capacity).to.equal(8);
  });

  it('should answer as a Map<string, V[]> does under random add/remove sequences', () => {
    // Small key words so keys repeat (several values per key) and probe runs collide;
    // 0xffffffff and large words check the u32 handling.
    const word = fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 0, max: 12 }) },
      // Each side of 13 and 18 bits (the limits of a packed 31-bit key, docs/performance.md, "Name service", round 3).
      { weight: 1, arbitrary: fc.constantFrom(0x1fff, 0x2000, 0x3ffff, 0x40000) },
      { weight: 1, arbitrary: fc.constant(0xffffffff) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
    );
    const value = fc.integer({ min: 0, max: 6 });
    const op = fc.oneof(
      { weight: 3, arbitrary: fc.record({ add: fc.constant(true), a: word, b: word, v: value }) },
      { weight: 2, arbitrary: fc.record({ add: fc.constant(false), a: word, b: word, v: value }) },
    );
    fc.assert(
      // size 'max': fast-check would otherwise keep arrays near 10 ops, too few to grow the table.
      fc.property(fc.array(op, { maxLength: 500, size: 'max' }), (ops) => {
        const table = new ExactTable<number>(4);
        const model = new Map<string, number[]>();
        let size = 0;
        for (const o of ops) {
          const k = `${o.a}:${o.b}`;
          const list = model.get(k) ?? [];
          if (o.add) {
            table.add(o.a, o.b, o.v);
            list.push(o.v);
            model.set(k, list);
            size++;
          } else {
            const at = list.indexOf(o.v);
            expect(table.remove(o.a, o.b, o.v)).to.equal(at >= 0);
            if (at >= 0) {
              list.splice(at, 1);
              size--;
              if (list.length === 0) model.delete(k);
            }
          }
          // One plain comparison per op (chai per op made this test take seconds).
          if (table.size !== size || table.keys !== model.size || table.keys * 2 > table.capacity) {
            expect({ size: table.size, keys: table.keys, capacity: table.capacity }).to.deep.equal({ size, keys: model.size, capacity: `>= ${2 * model.size}` });
          }
        }
        for (const o of ops) {
          const expected = model.get(`${o.a}:${o.b}`) ?? [];
          expect(walk(table, o.a, o.b)).to.deep.equal(expected);
          expect(table.getAll(o.a, o.b)).to.deep.equal(expected);
          expect(table.get(o.a, o.b)).to.equal(expected[0]);
        }
      }),
      { numRuns: 200 },
    );
  });
});
