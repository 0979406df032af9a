import { Subject, type Observable } from 'rxjs';
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

/** Why the registry dropped a claim by itself (see {@link ReserveOptions}). */
export type ReservationLossReason =
  /** The device detached and did not come back within the owner's grace period. */
  | 'grace-expired'
  /** The key can never return (a closed socket connection). */
  | 'key-retired';

/** How long a claim outlives its device, and how its owner hears that it is gone. */
export interface ReserveOptions {
  /**
   * Milliseconds the claim survives the device detaching: reattaching within it keeps
   * the ID; otherwise the claim is released. Absent: held until the owner releases it
   * (or stops). A key that can never return drops its claims at once, grace or not.
   */
  readonly detachGraceMs?: number;
  /** Told once when the registry itself dropped the claim; release() is then a no-op. */
  readonly onLost?: (reason: ReservationLossReason) => void;
}

/** Lifetime counters of the registry (for `qrtr endpoints --json` and soak tests). */
export interface EndpointIdStats {
  /** IDs alive now (attached, reserved or pinned) and those of them attached. */
  readonly live: number;
  readonly attached: number;
  /** Claims held now. */
  readonly reservations: number;
  readonly allocated: number;
  readonly reclaimed: number;
  readonly reserved: number;
  /** Claims released by their owner (release(), releaseOwner()). */
  readonly released: number;
  /** Claims dropped because the device stayed away past the grace period. */
  readonly expired: number;
  /** Claims dropped because their key can never return. */
  readonly retired: number;
  /** Detached keys that can never return. */
  readonly keysRetired: number;
  /** reserve() refusals: owner over its quota, table full. */
  readonly refusedQuota: number;
  readonly refusedExhausted: number;
}

/** A claim of {@link EndpointIdRegistry.freed$}: an owner may retry a refused reservation. */
export interface ReservationFreed {
  readonly owner: string;
  readonly key: BackendKey;
}

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

interface Claim {
  readonly owner: string;
  readonly graceMs: number | undefined;
  readonly onLost: ((reason: ReservationLossReason) => void) | undefined;
  timer: NodeJS.Timeout | undefined;
  dropped: boolean;
}

interface Entry {
  id: number;
  key: BackendKey;
  attached: boolean;
  /** Assigned explicitly (assign/getOrAssign): kept until released with {@link EndpointIdRegistry.unassign}. */
  pinned: boolean;
  claims: Set<Claim>;
}

type Counter = Exclude<keyof EndpointIdStats, 'live' | 'attached' | 'reservations'>;

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
 * - A claim ends when its owner releases it or stops (releaseOwner), when the
 *   device stays detached past the owner's grace period, or at once when the
 *   key can never return (a closed socket connection); see docs/reliability.md.
 */
export class EndpointIdRegistry {
  private readonly byKey = new Map<string, Entry>();
  private readonly byId = new Map<number, Entry>();
  private readonly perOwner = new Map<string, number>();
  private nextId = FIRST_REMOTE_ENDPOINT_ID;
  private claimCount = 0;
  private attachedCount = 0;
  private readonly counters: Record<Counter, number> = {
    allocated: 0,
    reclaimed: 0,
    reserved: 0,
    released: 0,
    expired: 0,
    retired: 0,
    keysRetired: 0,
    refusedQuota: 0,
    refusedExhausted: 0,
  };
  private readonly freedSubject = new Subject<ReservationFreed>();
  /** A claim ended (any reason): owners refused for quota or exhaustion may retry. */
  readonly freed$: Observable<ReservationFreed> = this.freedSubject.asObservable();

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
  reserve(key: BackendKey, owner: string, options: ReserveOptions = {}): EndpointReservation {
    if (!owner) throw new InvalidArgumentError('owner', 'a non-empty owner name', owner);
    const grace = options.detachGraceMs;
    if (grace !== undefined && !(Number.isFinite(grace) && grace >= 0)) {
      throw new InvalidArgumentError('detachGraceMs', 'a number of milliseconds >= 0', grace);
    }
    const held = this.perOwner.get(owner) ?? 0;
    if (held >= this.limits.reservationsPerOwner) {
      this.counters.refusedQuota++;
      throw new EndpointQuotaExceededError(owner, this.limits.reservationsPerOwner, key);
    }
    let entry = this.byKey.get(formatBackendKey(key));
    if (!entry) {
      try {
        entry = this.allocate(key);
      } catch (err) {
        if (err instanceof EndpointIdExhaustedError) this.counters.refusedExhausted++;
        throw err;
      }
    }
    const claim: Claim = { owner, graceMs: grace, onLost: options.onLost, timer: undefined, dropped: false };
    entry.claims.add(claim);
    this.claimCount++;
    this.counters.reserved++;
    this.perOwner.set(owner, held + 1);
    // Reserved while the device is away (before it ever appeared, or between visits): the grace runs now.
    if (!entry.attached) this.armGrace(entry, claim);
    const target = entry;
    return {
      id: entry.id,
      key: entry.key,
      owner,
      release: () => {
        if (claim.dropped) return;
        this.counters.released++;
        this.dropClaim(target, claim);
      },
    };
  }

  /** Releases every reservation an owner holds (e.g. a local client that disconnected). */
  releaseOwner(owner: string): number {
    let count = 0;
    for (const entry of [...this.byId.values()]) {
      for (const claim of [...entry.claims]) {
        if (claim.owner !== owner) continue;
        this.counters.released++;
        this.dropClaim(entry, claim);
        count++;
      }
    }
    return count;
  }

  /** Called by the router when an endpoint with this key attaches: the key's ID, allocated if needed. */
  markAttached(key: BackendKey): number {
    const entry = this.byKey.get(formatBackendKey(key)) ?? this.allocate(key);
    if (!entry.attached) this.attachedCount++;
    entry.attached = true;
    for (const claim of entry.claims) this.disarmGrace(claim);
    return entry.id;
  }

  /**
   * Called by the router when the endpoint detaches; the ID survives while reserved
   * or pinned. `keyReturns: false` (a closed socket connection) drops every claim
   * on it at once, telling each owner; otherwise claims with a grace period start it.
   */
  markDetached(id: number, how: { readonly keyReturns?: boolean } = {}): void {
    const entry = this.byId.get(id);
    if (!entry) return;
    if (entry.attached) this.attachedCount--;
    entry.attached = false;
    if (how.keyReturns === false) {
      this.counters.keysRetired++;
      for (const claim of [...entry.claims]) this.lose(entry, claim, 'key-retired');
    } else {
      for (const claim of entry.claims) this.armGrace(entry, claim);
    }
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

  stats(): EndpointIdStats {
    return { live: this.byId.size, attached: this.attachedCount, reservations: this.claimCount, ...this.counters };
  }

  entries(): EndpointIdEntry[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id).map((e) => ({ id: e.id, key: e.key, attached: e.attached, reservations: ownersOf(e) }));
  }

  private armGrace(entry: Entry, claim: Claim): void {
    if (claim.graceMs === undefined || claim.timer || claim.dropped) return;
    claim.timer = setTimeout(() => {
      claim.timer = undefined;
      if (!entry.attached) this.lose(entry, claim, 'grace-expired');
    }, claim.graceMs);
    // A pending grace period must not keep a process alive that has nothing else to do.
    claim.timer.unref();
  }

  private disarmGrace(claim: Claim): void {
    if (claim.timer) clearTimeout(claim.timer);
    claim.timer = undefined;
  }

  private lose(entry: Entry, claim: Claim, reason: ReservationLossReason): void {
    if (claim.dropped) return;
    this.counters[reason === 'grace-expired' ? 'expired' : 'retired']++;
    this.dropClaim(entry, claim);
    try {
      claim.onLost?.(reason);
    } catch {
      // The owner's handler failing must not keep other claims (or the router) from being released.
    }
  }

  private dropClaim(entry: Entry, claim: Claim): void {
    if (claim.dropped) return;
    if (!entry.claims.has(claim)) {
      throw new EndpointReservationError(`Owner '${claim.owner}' holds no reservation of endpoint ${entry.id}`, { owner: claim.owner, id: entry.id });
    }
    claim.dropped = true;
    this.disarmGrace(claim);
    entry.claims.delete(claim);
    this.claimCount--;
    const held = (this.perOwner.get(claim.owner) ?? 1) - 1;
    if (held === 0) this.perOwner.delete(claim.owner);
    else this.perOwner.set(claim.owner, held);
    this.reclaimIfUnused(entry);
    if (this.freedSubject.observed) this.freedSubject.next({ owner: claim.owner, key: entry.key });
  }

  private reclaimIfUnused(entry: Entry): void {
    if (entry.attached || entry.pinned || entry.claims.size > 0) return;
    if (this.byId.get(entry.id) !== entry) return;
    this.byId.delete(entry.id);
    this.byKey.delete(formatBackendKey(entry.key));
    this.counters.reclaimed++;
  }

  private allocate(key: BackendKey): Entry {
    if (this.byId.size >= this.limits.maxEndpoints) throw new EndpointIdExhaustedError(this.limits.maxEndpoints, key);
    // Cyclic search from the last allocation; the global limit keeps this short.
    let id = this.nextId;
    while (this.byId.has(id)) id = id >= MAX_ENDPOINT_ID ? FIRST_REMOTE_ENDPOINT_ID : id + 1;
    this.nextId = id >= MAX_ENDPOINT_ID ? FIRST_REMOTE_ENDPOINT_ID : id + 1;
    const entry: Entry = { id, key: { kind: key.kind, key: key.key }, attached: false, pinned: false, claims: new Set() };
    this.byId.set(id, entry);
    this.byKey.set(formatBackendKey(key), entry);
    this.counters.allocated++;
    return entry;
  }
}

function ownersOf(entry: Entry): Map<string, number> {
  const owners = new Map<string, number>();
  for (const claim of entry.claims) owners.set(claim.owner, (owners.get(claim.owner) ?? 0) + 1);
  return owners;
}
