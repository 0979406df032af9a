/** Ring slots: requests answered within this many later ids never touch the Map. */
const RING_SLOTS = 1024;
const RING_MASK = RING_SLOTS - 1;

/**
 * Requests waiting for their reply, by request id. Ids are allocated in sequence and
 * almost every reply (RESULT of a SEND) comes back soon, so a request sits in the ring
 * slot of its id (id mod 1024); one still waiting when its slot comes round again (a
 * SEND held by flow control, a long request) moves to a Map. A profile of the SDK at
 * 32 sends in flight showed the Map's insert/delete churn as 7% of its allocated bytes;
 * the ring allocates nothing per request.
 */
export class PendingRequests<T> {
  private readonly ids = new Float64Array(RING_SLOTS);
  private readonly slots: (T | undefined)[] = new Array<T | undefined>(RING_SLOTS).fill(undefined);
  private readonly overflow = new Map<number, T>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  set(id: number, value: T): void {
    const i = id & RING_MASK;
    const previous = this.slots[i];
    if (previous !== undefined) {
      if (this.ids[i] === id) {
        this.slots[i] = value;
        return;
      }
      this.overflow.set(this.ids[i], previous);
    }
    this.ids[i] = id;
    this.slots[i] = value;
    this.count++;
  }

  /** The request with this id, removed; undefined when none waits. */
  take(id: number): T | undefined {
    const i = id & RING_MASK;
    const value = this.slots[i];
    if (value !== undefined && this.ids[i] === id) {
      this.slots[i] = undefined;
      this.count--;
      return value;
    }
    const moved = this.overflow.get(id);
    if (moved !== undefined) {
      this.overflow.delete(id);
      this.count--;
    }
    return moved;
  }

  /** Every waiting request, oldest id first, removed. */
  drain(): T[] {
    const all: [number, T][] = [...this.overflow];
    for (let i = 0; i < RING_SLOTS; i++) {
      const value = this.slots[i];
      if (value === undefined) continue;
      all.push([this.ids[i], value]);
      this.slots[i] = undefined;
    }
    this.overflow.clear();
    this.count = 0;
    return all.sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  }
}
