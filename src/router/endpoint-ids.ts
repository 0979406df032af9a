import { InvalidArgumentError } from '../common/errors';
import { formatBackendKey, type BackendKey } from './endpoint';
import {
  EndpointIdAlreadyAssignedError,
  EndpointIdExhaustedError,
  EndpointQuotaExceededError,
  EndpointReservationError,
} from './errors';

/** First ID for remote endpoints; 1 is the local router, 0 means none. */
export const FIRST_REMOTE_ENDPOINT_ID = 2;
/** Largest endpoint ID (INT_MAX, as xa_alloc_cyclic in the kernel patch set). */
export const MAX_ENDPOINT_ID = 0x7fffffff;

export interface EndpointIdLimits {
  /** Most IDs alive at once (attached or reserved). */
  readonly maxEndpoints: number;
  /** Most reservations one owner may hold at once. */
  readonly reservationsPerOwner: number;
}

export const DEFAULT_ENDPOINT_ID_LIMITS: EndpointIdLimits = { maxEndpoints: 4096, reservationsPerOwner: 64 };

/** A reference-counted claim on the endpoint ID of a backend key. */
export interface EndpointReservation {
  readonly id: number;
  readonly key: BackendKey;
  readonly owner: string;
  /** Drops this claim; the ID is reclaimed once unclaimed and not attached. Idempotent. */
  release(): void;
}

/** A row of {@link EndpointIdRegistry.entries}. */
export interface EndpointIdEntry {
  readonly id: number;
  readonly key: BackendKey;
  readonly attached: boolean;
  /** Outstanding reservations, by owner. */
  readonly reservations: ReadonlyMap<string, number>;
}

interface Entry {
  id: number;
  key: BackendKey;
  attached: boolean;
  /** Assigned explicitly (assign/getOrAssign): kept until released with {@link EndpointIdRegistry.unassign}. */
  pinned: boolean;
  reservations: Map<string, number>;
}

/**
 * Endpoint IDs keyed by backend key, with a lifecycle the kernel patch set lacks:
 *
 * - IDs are allocated cyclically in 2..2^31-1, so a freed ID is not handed to a
 *   new device while stale references to the old one may still exist.
 * - `reserve(key, owner)` claims the ID of a backend before its device appears;
 *   the endpoint that later attaches with that key gets exactly that ID, so a
 *   client can bind to it first and never race the device.
 * - Claims are reference counted per owner; an ID is reclaimed when it is neither
 *   attached, reserved nor pinned.
 * - A global limit and a per-owner quota turn exhaustion into typed errors
 *   instead of a silently growing table.
 */
export class EndpointIdRegistry {
  private readonly byKey = new Map<string, Entry>();
  private readonly byId = new Map<number, Entry>();
  private readonly perOwner = new Map<string, number>();
  private nextId = FIRST_REMOTE_ENDPOINT_ID;

  constructor(private readonly limits: EndpointIdLimits = DEFAULT_ENDPOINT_ID_LIMITS) {}

  /** The key's ID, or 0 if it has none. */
  get(key: BackendKey): number {
    return this.byKey.get(formatBackendKey(key))?.id ?? 0;
  }

  /** The key of an ID, if alive. */
  keyOf(id: number): BackendKey | undefined {
    return this.byId.get(id)?.key;
  }

  /** Allocates a new ID for a key that has none; it stays until {@link unassign}. */
  assign(key: BackendKey): number {
    const existing = this.byKey.get(formatBackendKey(key));
    if (existing) throw new EndpointIdAlreadyAssignedError(key, existing.id);
    const entry = this.allocate(key);
    entry.pinned = true;
    return entry.id;
  }

  /** The key's ID, allocating (and pinning) one if needed. */
  getOrAssign(key: BackendKey): number {
    const existing = this.byKey.get(formatBackendKey(key));
    if (existing) {
      existing.pinned = true;
      return existing.id;
    }
    return this.assign(key);
  }

  /** Drops the pin of assign/getOrAssign; the ID is reclaimed if nothing else holds it. */
  unassign(key: BackendKey): void {
    const entry = this.byKey.get(formatBackendKey(key));
    if (!entry) return;
    entry.pinned = false;
    this.reclaimIfUnused(entry);
  }

  /**
   * Claims the key's ID for `owner`, allocating one if the key has none yet.
   * @throws EndpointQuotaExceededError when the owner holds its quota of reservations.
   * @throws EndpointIdExhaustedError when no ID can be allocated.
   */
  reserve(key: BackendKey, owner: string): EndpointReservation {
    if (!owner) throw new InvalidArgumentError('owner', 'a non-empty owner name', owner);
    const held = this.perOwner.get(owner) ?? 0;
    if (held >= this.limits.reservationsPerOwner) throw new EndpointQuotaExceededError(owner, this.limits.reservationsPerOwner, key);
    const entry = this.byKey.get(formatBackendKey(key)) ?? this.allocate(key);
    entry.reservations.set(owner, (entry.reservations.get(owner) ?? 0) + 1);
    this.perOwner.set(owner, held + 1);
    let released = false;
    return {
      id: entry.id,
      key: entry.key,
      owner,
      release: () => {
        if (released) return;
        released = true;
        this.releaseClaim(entry, owner);
      },
    };
  }

  /** Releases every reservation an owner holds (e.g. a local client that disconnected). */
  releaseOwner(owner: string): number {
    let count = 0;
    for (const entry of [...this.byId.values()]) {
      const n = entry.reservations.get(owner) ?? 0;
      for (let i = 0; i < n; i++) {
        this.releaseClaim(entry, owner);
        count++;
      }
    }
    return count;
  }

  /** Called by the router when an endpoint with this key attaches: the key's ID, allocated if needed. */
  markAttached(key: BackendKey): number {
    const entry = this.byKey.get(formatBackendKey(key)) ?? this.allocate(key);
    entry.attached = true;
    return entry.id;
  }

  /** Called by the router when the endpoint detaches; the ID survives if reserved or pinned. */
  markDetached(id: number): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    entry.attached = false;
    this.reclaimIfUnused(entry);
  }

  isAttached(id: number): boolean {
    return this.byId.get(id)?.attached ?? false;
  }

  /** Live IDs (attached, reserved or pinned). */
  get size(): number {
    return this.byId.size;
  }

  reservationsHeldBy(owner: string): number {
    return this.perOwner.get(owner) ?? 0;
  }

  entries(): EndpointIdEntry[] {
    return [...this.byId.values()]
      .sort((a, b) => a.id - b.id)
      .map((e) => ({ id: e.id, key: e.key, attached: e.attached, reservations: new Map(e.reservations) }));
  }

  private releaseClaim(entry: Entry, owner: string): void {
    const n = entry.reservations.get(owner);
    if (!n) {
      throw new EndpointReservationError(`Owner '${owner}' holds no reservation of endpoint ${entry.id}`, {
        owner,
        id: entry.id,
      });
    }
    if (n === 1) entry.reservations.delete(owner);
    else entry.reservations.set(owner, n - 1);
    const held = (this.perOwner.get(owner) ?? 1) - 1;
    if (held === 0) this.perOwner.delete(owner);
    else this.perOwner.set(owner, held);
    this.reclaimIfUnused(entry);
  }

  private reclaimIfUnused(entry: Entry): void {
    if (entry.attached || entry.pinned || entry.reservations.size > 0) return;
    if (this.byId.get(entry.id) !== entry) return;
    this.byId.delete(entry.id);
    this.byKey.delete(formatBackendKey(entry.key));
  }

  private allocate(key: BackendKey): Entry {
    if (this.byId.size >= this.limits.maxEndpoints) throw new EndpointIdExhaustedError(this.limits.maxEndpoints, key);
    // Cyclic search from the last allocation; the global limit keeps this short.
    let id = this.nextId;
    while (this.byId.has(id)) id = id >= MAX_ENDPOINT_ID ? FIRST_REMOTE_ENDPOINT_ID : id + 1;
    this.nextId = id >= MAX_ENDPOINT_ID ? FIRST_REMOTE_ENDPOINT_ID : id + 1;
    const entry: Entry = { id, key: { kind: key.kind, key: key.key }, attached: false, pinned: false, reservations: new Map() };
    this.byId.set(id, entry);
    this.byKey.set(formatBackendKey(key), entry);
    return entry;
  }
}
