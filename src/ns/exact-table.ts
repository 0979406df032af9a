/**
 * An open-addressing multimap keyed by two u32 words (service, instance word), for the
 * name service's exact-match lookups.
 *
 * A key's slot is four words of one Uint32Array — the two key words, the number of values
 * and the id of its second value — and its first value sits at the same index of a JS
 * array beside it. A hit on a one-value key therefore reads the 16-byte slot (16-byte
 * aligned, so within one cache line) and `first[slot]`, whose address does not depend on the slot's
 * contents, so the two loads go out together: one cache-miss latency, not two in a row
 * (values numbered by an id stored in the slot made the second read wait for the first,
 * and the earlier layout read the value itself to tell a server from an array of them:
 * docs/performance.md, "Name service", round 3). Values after the first (the same service on several cards) are
 * numbered by small integer ids into one dense overflow array and chained in insertion
 * order through `next` (an Int32Array), so a key's values come back in the order they
 * were added, whatever was removed between.
 *
 * Linear probing with backward-shift deletion (no tombstones); the slot table doubles past
 * 1/2 load and halves below 1/8. Freed overflow ids go on a free list (threaded through
 * `next`); the overflow arrays double when full and, below 1/4 use, are compacted (ids
 * renumbered key by key) to half their size, so a table that empties gives its memory back.
 */
export class ExactTable<V> {
  /** [a, b, count, id of the second value (-1 as u32: none)] per slot; count 0 = empty slot. */
  private slots: Uint32Array;
  /** The first value of each slot's key; undefined on an empty slot. Kept packed (never holey). */
  private first: (V | undefined)[];
  private mask: number;
  private keyCount = 0;
  /** Values after their key's first, by id; undefined on a free id. */
  private values: (V | undefined)[];
  /** Next id of the same key (-1: last), or, on a free id, the next free id (-1: none). */
  private next: Int32Array;
  private freeHead = -1;
  /** Ids handed out since the last compaction: ids >= used are neither live nor free. */
  private used = 0;
  private valueCount = 0;

  /** Slots the table never shrinks below: a power of two >= 4; the overflow arrays start at a quarter of it. */
  private readonly minCapacity: number;

  /** @param minCapacity slots, rounded up to a power of two >= 4 (the probe wraps with a mask). */
  constructor(minCapacity = 64) {
    const capacity = Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, minCapacity))));
    this.minCapacity = capacity;
    this.slots = new Uint32Array(capacity * 4);
    this.first = emptySlots<V>(capacity);
    this.mask = capacity - 1;
    this.values = emptySlots<V>(capacity / 4);
    this.next = new Int32Array(capacity / 4);
  }

  /** Values held, every key together. */
  get size(): number {
    return this.valueCount;
  }

  /** Keys holding at least one value. */
  get keys(): number {
    return this.keyCount;
  }

  /** Slots of the key table (for tests of growth and shrinking). */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Ids the overflow arrays (values after a key's first) hold without growing (for tests). */
  get overflowCapacity(): number {
    return this.next.length;
  }

  /** The slot of (a, b), or -1 when the key holds no value. A slot is valid until the next add or remove. */
  find(a: number, b: number): number {
    a >>>= 0;
    b >>>= 0;
    const { slots, mask } = this;
    let i = hash(a, b) & mask;
    for (;;) {
      const at = i << 2;
      if (slots[at + 2] === 0) return -1;
      if (slots[at] === a && slots[at + 1] === b) return i;
      i = (i + 1) & mask;
    }
  }

  /** Number of values of the key in `slot` (from find). */
  countAt(slot: number): number {
    return this.slots[(slot << 2) + 2];
  }

  /** The first value of the key in `slot` (from find). */
  firstAt(slot: number): V {
    return this.first[slot] as V;
  }

  /** Id of the second value of the key in `slot`, or -1; walk on with nextId, read with overflowValue. */
  secondIdAt(slot: number): number {
    return this.slots[(slot << 2) + 3] | 0;
  }

  /** The id after `id` among its key's values, or -1. */
  nextId(id: number): number {
    return this.next[id];
  }

  /** The value numbered `id` (from secondIdAt / nextId). */
  overflowValue(id: number): V {
    return this.values[id] as V;
  }

  /** The first value of (a, b), or undefined (the map view: one value per key). */
  get(a: number, b: number): V | undefined {
    const slot = this.find(a, b);
    return slot < 0 ? undefined : this.firstAt(slot);
  }

  /** Makes `value` the one value of (a, b) (the map view); `value` must not be undefined. */
  set(a: number, b: number, value: V): void {
    this.delete(a, b);
    this.add(a, b, value);
  }

  /** Removes every value of (a, b); false when it held none. */
  delete(a: number, b: number): boolean {
    let slot = this.find(a, b);
    if (slot < 0) return false;
    for (; slot >= 0; slot = this.find(a, b)) this.remove(a, b, this.firstAt(slot));
    return true;
  }

  /** The values of (a, b) in insertion order (a new array; empty when none). */
  getAll(a: number, b: number): V[] {
    const out: V[] = [];
    const slot = this.find(a, b);
    if (slot < 0) return out;
    out.push(this.firstAt(slot));
    for (let id = this.secondIdAt(slot); id >= 0; id = this.next[id]) out.push(this.values[id] as V);
    return out;
  }

  /** Appends `value` to the values of (a, b); `value` must not be undefined. */
  add(a: number, b: number, value: V): void {
    a >>>= 0;
    b >>>= 0;
    const { slots, mask } = this;
    let i = hash(a, b) & mask;
    for (;;) {
      const at = i << 2;
      if (slots[at + 2] === 0) break;
      if (slots[at] === a && slots[at + 1] === b) {
        const id = this.allocate(value);
        const second = slots[at + 3] | 0;
        if (second < 0) slots[at + 3] = id;
        else {
          let last = second;
          for (let n = this.next[last]; n >= 0; n = this.next[n]) last = n;
          this.next[last] = id;
        }
        slots[at + 2]++;
        this.valueCount++;
        return;
      }
      i = (i + 1) & mask;
    }
    const at = i << 2;
    slots[at] = a;
    slots[at + 1] = b;
    slots[at + 2] = 1;
    slots[at + 3] = -1;
    this.first[i] = value;
    this.valueCount++;
    this.keyCount++;
    if (this.keyCount * 2 > this.mask + 1) this.resizeSlots((this.mask + 1) * 2);
  }

  /** Removes `value` (the first one `===` it) from the values of (a, b); false when it was not there. */
  remove(a: number, b: number, value: V): boolean {
    const slot = this.find(a, b);
    if (slot < 0) return false;
    const { slots, next, values } = this;
    const at = slot << 2;
    const second = slots[at + 3] | 0;
    if (this.first[slot] === value) {
      if (second < 0) {
        this.valueCount--;
        this.deleteSlot(slot);
        return true;
      }
      // The second value becomes the first.
      this.first[slot] = values[second];
      slots[at + 3] = next[second];
      this.release(second);
    } else {
      let previous = -1;
      let id = second;
      while (id >= 0 && values[id] !== value) {
        previous = id;
        id = next[id];
      }
      if (id < 0) return false;
      if (previous < 0) slots[at + 3] = next[id];
      else next[previous] = next[id];
      this.release(id);
    }
    slots[at + 2]--;
    this.valueCount--;
    if (this.next.length > this.minCapacity / 4 && (this.valueCount - this.keyCount) * 4 < this.next.length) this.compact(this.next.length / 2);
    return true;
  }

  private allocate(value: V): number {
    let id = this.freeHead;
    if (id >= 0) this.freeHead = this.next[id];
    else {
      if (this.used === this.next.length) this.compact(this.next.length * 2);
      id = this.used++;
    }
    this.values[id] = value;
    this.next[id] = -1;
    return id;
  }

  private release(id: number): void {
    this.values[id] = undefined;
    this.next[id] = this.freeHead;
    this.freeHead = id;
  }

  /** Empties `slot`, pulling later entries of its probe run back so no lookup stops early. */
  private deleteSlot(slot: number): void {
    const { slots, first, mask } = this;
    let hole = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & mask;
      const from = j << 2;
      if (slots[from + 2] === 0) break;
      const home = hash(slots[from], slots[from + 1]) & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        slots.copyWithin(hole << 2, from, from + 4);
        first[hole] = first[j];
        hole = j;
      }
    }
    slots.fill(0, hole << 2, (hole << 2) + 4);
    first[hole] = undefined;
    this.keyCount--;
    if (this.mask + 1 > this.minCapacity && this.keyCount * 8 < this.mask + 1) this.resizeSlots((this.mask + 1) / 2);
  }

  private resizeSlots(capacity: number): void {
    const old = this.slots;
    const oldFirst = this.first;
    const slots = new Uint32Array(capacity * 4);
    const first = emptySlots<V>(capacity);
    const mask = capacity - 1;
    for (let from = 0, j = 0; from < old.length; from += 4, j++) {
      if (old[from + 2] === 0) continue;
      let i = hash(old[from], old[from + 1]) & mask;
      while (slots[(i << 2) + 2] !== 0) i = (i + 1) & mask;
      slots.set(old.subarray(from, from + 4), i << 2);
      first[i] = oldFirst[j];
    }
    this.slots = slots;
    this.first = first;
    this.mask = mask;
  }

  /**
   * Moves the live overflow values into arrays of `capacity` ids, renumbered key by key (a
   * key's values end up side by side), and empties the free list. O(overflow + slots), done
   * only when the arrays double or fall below 1/4 use, so amortized O(1) per add or remove.
   */
  private compact(capacity: number): void {
    const { slots, values, next } = this;
    const newValues = emptySlots<V>(capacity);
    const newNext = new Int32Array(capacity);
    let id = 0;
    for (let at = 0; at < slots.length; at += 4) {
      let old = slots[at + 3] | 0;
      if (slots[at + 2] === 0 || old < 0) continue;
      slots[at + 3] = id;
      for (;;) {
        newValues[id] = values[old];
        old = next[old];
        newNext[id] = old < 0 ? -1 : id + 1;
        id++;
        if (old < 0) break;
      }
    }
    this.values = newValues;
    this.next = newNext;
    this.used = id;
    this.freeHead = -1;
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
