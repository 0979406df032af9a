/** Where a card stands in its group when HOST_CAP is released. */
export interface GroupRelease {
  readonly group: string;
  /** Index of the card in the group (sorted by key): HOST_CAP mlo_chip_id. */
  readonly index: number;
  /** Cards released together: HOST_CAP mlo_num_chips. */
  readonly size: number;
  /** True if the wait timed out and the card went ahead with the cards present. */
  readonly partial: boolean;
}

interface Waiter {
  readonly key: string;
  resolve(release: GroupRelease): void;
  timer: NodeJS.Timeout;
}

/**
 * ath12k's deferred HOST_CAP: a card of a hardware group waits until every member
 * of its group has registered, then all are released together, each with its
 * index and the group size. Members are the configured keys, or for the default
 * per-chip groups, every card of that chip the loader currently knows that has
 * not passed HOST_CAP yet.
 */
export class GroupBarrier {
  private readonly waiting = new Map<string, Waiter[]>();
  private readonly dynamicMembers = new Map<string, Set<string>>();

  constructor(
    private readonly configured: ReadonlyMap<string, readonly string[]>,
    private readonly waitMs: number,
  ) {}

  /** The configured group of a key, if any. */
  configuredGroupOf(key: string): string | undefined {
    for (const [id, keys] of this.configured) if (keys.includes(key)) return id;
    return undefined;
  }

  /** Declares a card as an expected member of a dynamic (per-chip) group before it arrives. */
  expect(group: string, key: string): void {
    if (this.configured.has(group)) return;
    let set = this.dynamicMembers.get(group);
    if (!set) this.dynamicMembers.set(group, (set = new Set()));
    set.add(key);
  }

  /** A card no longer expected (stopped, declined, gone past HOST_CAP by itself). */
  forget(group: string, key: string): void {
    this.dynamicMembers.get(group)?.delete(key);
    const list = this.waiting.get(group);
    if (list) {
      const i = list.findIndex((w) => w.key === key);
      if (i >= 0) {
        clearTimeout(list[i].timer);
        list.splice(i, 1);
      }
    }
    this.check(group);
  }

  /** Resolves when the whole group has arrived (or after the wait limit, with those present). */
  arrive(group: string, key: string, signal: AbortSignal): Promise<GroupRelease> {
    this.expect(group, key);
    return new Promise<GroupRelease>((resolve, reject) => {
      const list = this.waiting.get(group) ?? [];
      this.waiting.set(group, list);
      const waiter: Waiter = {
        key,
        resolve,
        timer: setTimeout(() => this.release(group, true), this.waitMs),
      };
      list.push(waiter);
      signal.addEventListener(
        'abort',
        () => {
          const l = this.waiting.get(group);
          const i = l?.indexOf(waiter) ?? -1;
          if (i >= 0) {
            clearTimeout(waiter.timer);
            l!.splice(i, 1);
          }
          reject(signal.reason);
        },
        { once: true },
      );
      this.check(group);
    });
  }

  /** Cancels every wait (loader stop). */
  clear(): void {
    for (const list of this.waiting.values()) for (const w of list) clearTimeout(w.timer);
    this.waiting.clear();
    this.dynamicMembers.clear();
  }

  private members(group: string): string[] {
    return [...(this.configured.get(group) ?? this.dynamicMembers.get(group) ?? [])];
  }

  private check(group: string): void {
    const list = this.waiting.get(group);
    if (!list || list.length === 0) return;
    const present = new Set(list.map((w) => w.key));
    if (this.members(group).every((k) => present.has(k))) this.release(group, false);
  }

  private release(group: string, partial: boolean): void {
    const list = this.waiting.get(group);
    if (!list || list.length === 0) return;
    this.waiting.delete(group);
    const sorted = [...list].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    sorted.forEach((w, index) => {
      clearTimeout(w.timer);
      // Released cards leave the dynamic group: a later (re)arrival forms a new round.
      this.dynamicMembers.get(group)?.delete(w.key);
      w.resolve({ group, index, size: sorted.length, partial });
    });
  }
}
