/**
 * An open-addressing hash table keyed by two u32 words (service, instance word), for the
 * name service's exact-match lookups. Keys live side by side in one Uint32Array and values
 * in one array, so a hit costs a probe of the key array, the value slot and the value:
 * no Map entry, no per-key object. Linear probing with backward-shift deletion (no
 * tombstones); the table doubles past 1/2 load (3/4 saved 2 MB at 100k servers but
 * lengthens the probe runs the p99 sits on: docs/performance.md) and halves below 1/8, so a registry that
 * empties gives its memory back.
 */
export class ExactTable<V> {
  private keys: Uint32Array;
  private values: (V | undefined)[];
  private mask: number;
  private count = 0;

  constructor(private readonly minCapacity = 64) {
    this.keys = new Uint32Array(minCapacity * 2);
    this.values = emptySlots<V>(minCapacity);
    this.mask = minCapacity - 1;
  }

  get size(): number {
    return this.count;
  }

  get(a: number, b: number): V | undefined {
    const { keys, values, mask } = this;
    let i = hash(a, b) & mask;
    for (;;) {
      const value = values[i];
      if (value === undefined) return undefined;
      if (keys[2 * i] === a && keys[2 * i + 1] === b) return value;
      i = (i + 1) & mask;
    }
  }

  /** Sets the value of (a, b); `value` must not be undefined. */
  set(a: number, b: number, value: V): void {
    a >>>= 0;
    b >>>= 0;
    const { keys, values, mask } = this;
    let i = hash(a, b) & mask;
    for (;;) {
      const current = values[i];
      if (current === undefined) break;
      if (keys[2 * i] === a && keys[2 * i + 1] === b) {
        values[i] = value;
        return;
      }
      i = (i + 1) & mask;
    }
    keys[2 * i] = a;
    keys[2 * i + 1] = b;
    values[i] = value;
    this.count++;
    if (this.count * 2 > values.length) this.resize(values.length * 2);
  }

  delete(a: number, b: number): boolean {
    a >>>= 0;
    b >>>= 0;
    const { keys, values, mask } = this;
    let i = hash(a, b) & mask;
    for (;;) {
      if (values[i] === undefined) return false;
      if (keys[2 * i] === a && keys[2 * i + 1] === b) break;
      i = (i + 1) & mask;
    }
    // Backward shift: pull later entries of the probe run into the hole so no lookup stops early.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (values[j] === undefined) break;
      const home = hash(keys[2 * j], keys[2 * j + 1]) & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        keys[2 * hole] = keys[2 * j];
        keys[2 * hole + 1] = keys[2 * j + 1];
        values[hole] = values[j];
        hole = j;
      }
    }
    values[hole] = undefined;
    this.count--;
    if (values.length > this.minCapacity && this.count * 8 < values.length) this.resize(values.length / 2);
    return true;
  }

  private resize(capacity: number): void {
    const oldKeys = this.keys;
    const oldValues = this.values;
    this.keys = new Uint32Array(capacity * 2);
    this.values = emptySlots<V>(capacity);
    this.mask = capacity - 1;
    this.count = 0;
    for (let i = 0; i < oldValues.length; i++) {
      const value = oldValues[i];
      if (value !== undefined) this.set(oldKeys[2 * i], oldKeys[2 * i + 1], value);
    }
  }
}

/** A packed (not holey) array of undefined, so reads stay on the fast elements path. */
function emptySlots<V>(n: number): (V | undefined)[] {
  const out: (V | undefined)[] = [];
  for (let i = 0; i < n; i++) out.push(undefined);
  return out;
}

function hash(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 13)) >>> 0;
}
