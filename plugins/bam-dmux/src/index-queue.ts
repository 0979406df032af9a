/**
 * A fixed-capacity FIFO of small integers (ring slot numbers). Capacity is the
 * ring size, so a queue of slots can never grow past the buffers that exist.
 */
export class IndexQueue {
  private readonly items: Int32Array;
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Int32Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  /** Appends; returns false (and changes nothing) when full. */
  push(value: number): boolean {
    if (this.count === this.capacity) return false;
    let tail = this.head + this.count;
    if (tail >= this.capacity) tail -= this.capacity;
    this.items[tail] = value;
    this.count++;
    return true;
  }

  /** Removes and returns the oldest value, or -1 when empty. */
  shift(): number {
    if (this.count === 0) return -1;
    const value = this.items[this.head];
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.count--;
    return value;
  }

  /** The oldest value without removing it, or -1 when empty. */
  peek(): number {
    return this.count === 0 ? -1 : this.items[this.head];
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
