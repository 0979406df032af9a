/**
 * An open-addressing multimap keyed by two u32 words (service, instance word), for the
 * name service's exact-match lookups.
 *
 * A key's slot is four words of one Uint32Array — the two key words, the number of values
 * and the id of its first value — so a probe reads one 16-byte slot, never a line-crossing
 * one, and never a per-key JS object (an earlier layout read a key array, a value array and
 * then the value itself to learn whether it was one value or an array of them:
 * docs/perf-ns.md). Values are numbered by small integer ids into one dense array; a key
 * with several values chains them in insertion order through `next` (an Int32Array), so
 * the values of a key come back in the order they were added, whatever was removed between.
 * A lookup that only needs to know "one value, which" reads the slot and one array element.
 *
 * Linear probing with backward-shift deletion (no tombstones); the slot table doubles past
 * 1/2 load and halves below 1/8. Freed value ids go on a free list (threaded through
 * `next`); the value arrays double when full and, below 1/4 use, are compacted (ids
 * renumbered key by key) to half their size, so a table that empties gives its memory back.
 */
export class ExactTable<V> {
  /** [a, b, count, first value id] per slot; count 0 = empty slot. */
  private slots: Uint32Array;
  private mask: number;
  private keyCount = 0;
  /** values[id]; undefined on a free id. Kept packed (never holey) for the fast elements path. */
  private values: (V | undefined)[];
  /** Next id of the same key (-1: last), or, on a free id, the next free id (-1: none). */
  private next: Int32Array;
  private freeHead = -1;
  /** Ids ever handed out since the last compaction: ids >= used are neither live nor free. */
  private used = 0;
  private valueCount = 0;

  /** @param minCapacity slots (a power of two); the value arrays start at half of it. */
  constructor(private readonly minCapacity = 64) {
    if (minCapacity < 2 || (minCapacity & (minCapacity - 1)) !== 0) throw new RangeError(`ExactTable capacity ${minCapacity} is not a power of two >= 2`);
    this.slots = new Uint32Array(minCapacity * 4);
    this.mask = minCapacity - 1;
    this.values = emptySlots<V>(minCapacity / 2);
    this.next = new Int32Array(minCapacity / 2);
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

  /** Ids the value arrays can hold without growing (for tests of growth and shrinking). */
  get valueCapacity(): number {
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

  /** Id of the first value of the key in `slot`; walk on with nextOf. */
  firstIdAt(slot: number): number {
    return this.slots[(slot << 2) + 3];
  }

  /** The id after `id` among its key's values, or -1. */
  nextOf(id: number): number {
    return this.next[id];
  }

  valueOf(id: number): V {
    return this.values[id] as V;
  }

  /** The first value of the key in `slot`: one read beyond the slot. */
  firstAt(slot: number): V {
    return this.values[this.slots[(slot << 2) + 3]] as V;
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
    for (let id = this.firstIdAt(slot); id >= 0; id = this.next[id]) out.push(this.values[id] as V);
    return out;
  }

  /** Appends `value` to the values of (a, b); `value` must not be undefined. */
  add(a: number, b: number, value: V): void {
    a >>>= 0;
    b >>>= 0;
    const id = this.allocate(value);
    const { slots, mask } = this;
    let i = hash(a, b) & mask;
    for (;;) {
      const at = i << 2;
      if (slots[at + 2] === 0) break;
      if (slots[at] === a && slots[at + 1] === b) {
        let last = slots[at + 3];
        for (let n = this.next[last]; n >= 0; n = this.next[n]) last = n;
        this.next[last] = id;
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
    slots[at + 3] = id;
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
    let previous = -1;
    let id = slots[at + 3];
    while (id >= 0 && values[id] !== value) {
      previous = id;
      id = next[id];
    }
    if (id < 0) return false;
    if (previous < 0) slots[at + 3] = next[id] < 0 ? 0 : next[id];
    else next[previous] = next[id];
    this.release(id);
    this.valueCount--;
    if (--slots[at + 2] === 0) this.deleteSlot(slot);
    if (this.next.length > this.minCapacity / 2 && this.valueCount * 4 < this.next.length) this.compact(this.next.length / 2);
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
    const { slots, mask } = this;
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
        hole = j;
      }
    }
    slots.fill(0, hole << 2, (hole << 2) + 4);
    this.keyCount--;
    if (this.mask + 1 > this.minCapacity && this.keyCount * 8 < this.mask + 1) this.resizeSlots((this.mask + 1) / 2);
  }

  private resizeSlots(capacity: number): void {
    const old = this.slots;
    const slots = new Uint32Array(capacity * 4);
    const mask = capacity - 1;
    for (let from = 0; from < old.length; from += 4) {
      if (old[from + 2] === 0) continue;
      let i = hash(old[from], old[from + 1]) & mask;
      while (slots[(i << 2) + 2] !== 0) i = (i + 1) & mask;
      slots.set(old.subarray(from, from + 4), i << 2);
    }
    this.slots = slots;
    this.mask = mask;
  }

  /**
   * Moves the live values into arrays of `capacity` ids, renumbered key by key (a key's
   * values end up side by side), and empties the free list. O(size + slots), done only
   * when the arrays double or fall below 1/4 use, so amortized O(1) per add or remove.
   */
  private compact(capacity: number): void {
    const { slots, values, next } = this;
    const newValues = emptySlots<V>(capacity);
    const newNext = new Int32Array(capacity);
    let id = 0;
    for (let at = 0; at < slots.length; at += 4) {
      if (slots[at + 2] === 0) continue;
      let old = slots[at + 3];
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
