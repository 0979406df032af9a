import type { NsAdmissionPolicy } from './admission-policy';
import { ExactTable } from './exact-table';
import type { LookupFilter, ServerInfo } from './types';

/** A standing lookup: a wire NEW_LOOKUP of a local socket or an in-process subscription. */
export interface Lookup {
  readonly service: number;
  readonly version: number | undefined;
  readonly instance: number | undefined;
  /** 0 = any endpoint. */
  readonly endpoint: number;
  /** Absent = any node. */
  readonly node?: number;
  /** Local port that owns a wire lookup; 0 for in-process subscriptions. */
  readonly ownerPort: number;
  /**
   * Who the lookup is counted against (a local user, a client): the same origin is
   * bounded together whatever path its lookups came by. Absent: the daemon's own
   * in-process lookups, bounded only by the table.
   */
  readonly origin?: string;
  notify(kind: 'add' | 'remove', server: ServerInfo): void;
}

/** A registered server and where it sits in its service's list (for O(1) removal). */
interface Slot {
  readonly server: ServerInfo;
  position: number;
}

interface NodeRecord {
  readonly servers: Map<number, Slot>;
}

interface EndpointRecord {
  readonly nodes: Map<number, NodeRecord>;
  servers: number;
}

export function matches(lookup: LookupFilter | Lookup, server: ServerInfo): boolean {
  return (
    (lookup.service === 0 || lookup.service === server.service) &&
    (lookup.version === undefined || lookup.version === server.version) &&
    (lookup.instance === undefined || lookup.instance === server.instance) &&
    (!lookup.endpoint || lookup.endpoint === server.endpoint) &&
    (lookup.node === undefined || lookup.node === server.node)
  );
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

function removeFrom<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  const set = map.get(key);
  if (!set) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}

/** True when (service, version | instance << 8) encodes the triple one-to-one (see ServerRegistry.nonCanonical). */
function isCanonical(service: number, version: number, instance: number): boolean {
  return service >>> 0 === service && (version & 0xff) === version && version >= 0 && instance >>> 0 === instance && instance <= 0xffffff;
}

function wordOf(server: ServerInfo): number {
  return (server.version | (server.instance << 8)) >>> 0;
}

/**
 * Servers keyed by (endpoint, node, port). Lookups go through a flat index: an
 * exact (service, instance word) lookup is one probe of a packed multimap whose
 * slot (key, value count) is four words of a typed array, with the key's first
 * server at the same index of an array beside it (src/ns/exact-table.ts); other
 * lookups scan the service's one array. No Set per key, no generator and
 * no Map chain on the lookup path, so a lookup stays near one cache miss however
 * many servers are registered (bench/ns.bench.ts). Standing lookups are indexed
 * by service so an announcement reaches only those that care.
 */
export class ServerRegistry {
  private readonly endpoints = new Map<number, EndpointRecord>();
  /** Every server of a service, in one array (wildcard and instance-only lookups scan it). */
  private readonly services = new Map<number, Slot[]>();
  /** Exact (service, instance word) → the servers holding it, in registration order. */
  private readonly exact = new ExactTable<ServerInfo>();
  private readonly lookupsByService = new Map<number, Set<Lookup>>();
  private readonly lookupsByPort = new Map<number, number>();
  private readonly lookupsByOrigin = new Map<string, number>();
  /**
   * Indexed servers whose (service, version, instance) the exact key does not encode
   * one-to-one (version over 8 bits, instance over 24, service not a u32): while there
   * are none, an exact key hit is a match and a plain lookup need not read the server.
   */
  private nonCanonical = 0;
  private nodeCount = 0;
  private serverCount = 0;
  private lookupCount = 0;

  /**
   * @param onNotifyError told when a lookup's notify threw: that lookup's failure is
   *   reported and the others are still told (one broken subscriber never stops the NS).
   */
  constructor(
    private readonly policy: NsAdmissionPolicy,
    private readonly onNotifyError: (lookup: Lookup, err: unknown) => void = () => undefined,
  ) {}

  get servers(): number {
    return this.serverCount;
  }

  get nodes(): number {
    return this.nodeCount;
  }

  get lookups(): number {
    return this.lookupCount;
  }

  /**
   * Adds or replaces the server on (endpoint, node, port). Returns the replaced
   * server, if any (replacement is silent on the wire, reference §7.2 #26).
   * @throws whatever the admission policy refuses with (NsNodeLimitError, NsServerLimitError, ...)
   */
  add(server: ServerInfo): ServerInfo | undefined {
    let owner = this.endpoints.get(server.endpoint);
    let record = owner?.nodes.get(server.node);
    const replaced = record?.servers.get(server.port);
    if (!replaced) {
      this.policy.admitServer(server, {
        ofNode: record?.servers.size ?? 0,
        ofEndpoint: owner?.servers ?? 0,
        nodeKnown: record !== undefined,
        nodes: this.nodeCount,
        nodesOfEndpoint: owner?.nodes.size ?? 0,
        servers: this.serverCount,
      });
    }
    if (!owner) {
      owner = { nodes: new Map(), servers: 0 };
      this.endpoints.set(server.endpoint, owner);
    }
    if (!record) {
      record = { servers: new Map() };
      owner.nodes.set(server.node, record);
      this.nodeCount++;
    }
    if (replaced) this.unindex(replaced);
    else {
      owner.servers++;
      this.serverCount++;
    }
    const slot: Slot = { server, position: 0 };
    record.servers.set(server.port, slot);
    this.index(slot);
    return replaced?.server;
  }

  get(endpoint: number, node: number, port: number): ServerInfo | undefined {
    return this.endpoints.get(endpoint)?.nodes.get(node)?.servers.get(port)?.server;
  }

  /** Removes and returns the server on (endpoint, node, port). */
  remove(endpoint: number, node: number, port: number): ServerInfo | undefined {
    const owner = this.endpoints.get(endpoint);
    const record = owner?.nodes.get(node);
    const slot = record?.servers.get(port);
    if (!owner || !record || !slot) return undefined;
    record.servers.delete(port);
    owner.servers--;
    this.serverCount--;
    this.unindex(slot);
    return slot.server;
  }

  /** Removes a node record with all its servers (BYE); returns the servers removed. */
  removeNode(endpoint: number, node: number): ServerInfo[] {
    const owner = this.endpoints.get(endpoint);
    const record = owner?.nodes.get(node);
    if (!owner || !record) return [];
    const removed: ServerInfo[] = [];
    for (const slot of record.servers.values()) {
      this.unindex(slot);
      removed.push(slot.server);
    }
    owner.servers -= removed.length;
    this.serverCount -= removed.length;
    owner.nodes.delete(node);
    if (owner.nodes.size === 0) this.endpoints.delete(endpoint);
    this.nodeCount--;
    return removed;
  }

  /** Removes every node record of an endpoint (the link is gone); returns the servers removed. */
  removeEndpoint(endpoint: number): ServerInfo[] {
    const removed: ServerInfo[] = [];
    for (const node of this.nodesOf(endpoint)) for (const server of this.removeNode(endpoint, node)) removed.push(server);
    return removed;
  }

  hasNode(endpoint: number, node: number): boolean {
    return this.endpoints.get(endpoint)?.nodes.has(node) ?? false;
  }

  nodesOf(endpoint: number): number[] {
    return [...(this.endpoints.get(endpoint)?.nodes.keys() ?? [])];
  }

  /** Endpoints holding at least one node record. */
  endpointIds(): number[] {
    return [...this.endpoints.keys()];
  }

  /** Servers of one endpoint (e.g. the local servers a HELLO is answered with). */
  serversOf(endpoint: number): ServerInfo[] {
    const out: ServerInfo[] = [];
    const owner = this.endpoints.get(endpoint);
    if (!owner) return out;
    for (const record of owner.nodes.values()) for (const slot of record.servers.values()) out.push(slot.server);
    return out;
  }

  /** Servers matching a filter, using the narrowest index available. */
  find(filter: LookupFilter | Lookup): ServerInfo[] {
    const service = filter.service;
    const { version, instance } = filter;
    if (service !== 0 && version !== undefined && instance !== undefined) return this.findExact(filter, service, version, instance);
    const out: ServerInfo[] = [];
    if (service === 0) {
      for (const slots of this.services.values()) collect(slots, filter, out);
      return out;
    }
    const slots = this.services.get(service);
    if (slots) collect(slots, filter, out);
    return out;
  }

  /** An exact (service, version, instance) lookup: one probe of the packed table. */
  private findExact(filter: LookupFilter | Lookup, service: number, version: number, instance: number): ServerInfo[] {
    const exact = this.exact;
    const slot = exact.find(service, version | (instance << 8));
    if (slot < 0) return [];
    const server = exact.firstAt(slot);
    // The key says everything asked (no endpoint or node filter, and the key encodes this
    // triple one-to-one): every server under it matches, and none is read — a server read
    // is a cache miss at 100k, and keys of two servers (one in 20 lookups in the bench) sat
    // in the p99 for reading both. Only the slot, the first server's array element (loads
    // that go out together) and, past one server, the overflow elements are read.
    if (!filter.endpoint && filter.node === undefined && this.nonCanonical === 0 && isCanonical(service, version, instance)) {
      const all = [server];
      for (let id = exact.secondIdAt(slot); id >= 0; id = exact.nextId(id)) all.push(exact.overflowValue(id));
      return all;
    }
    const out: ServerInfo[] = [];
    if (matches(filter, server)) out.push(server);
    for (let id = exact.secondIdAt(slot); id >= 0; id = exact.nextId(id)) {
      const other = exact.overflowValue(id);
      if (matches(filter, other)) out.push(other);
    }
    return out;
  }

  /** @throws whatever the admission policy refuses with (NsLookupLimitError, NsPortLookupLimitError, ...). */
  addLookup(lookup: Lookup): void {
    const ofPort = this.lookupsByPort.get(lookup.ownerPort) ?? 0;
    const origin = lookup.origin;
    const ofOrigin = origin === undefined ? 0 : (this.lookupsByOrigin.get(origin) ?? 0);
    this.policy.admitLookup({ ownerPort: lookup.ownerPort, ofPort, total: this.lookupCount, origin, ofOrigin });
    addTo(this.lookupsByService, lookup.service, lookup);
    this.lookupCount++;
    this.lookupsByPort.set(lookup.ownerPort, ofPort + 1);
    if (origin !== undefined) this.lookupsByOrigin.set(origin, ofOrigin + 1);
  }

  removeLookup(lookup: Lookup): boolean {
    const set = this.lookupsByService.get(lookup.service);
    if (!set?.has(lookup)) return false;
    removeFrom(this.lookupsByService, lookup.service, lookup);
    this.lookupCount--;
    decrement(this.lookupsByPort, lookup.ownerPort);
    if (lookup.origin !== undefined) decrement(this.lookupsByOrigin, lookup.origin);
    return true;
  }

  /** Lookups held by an origin (all paths it came by). */
  lookupsOfOrigin(origin: string): number {
    return this.lookupsByOrigin.get(origin) ?? 0;
  }

  /** Wire lookups owned by a local port, optionally narrowed by a predicate. */
  lookupsOwnedBy(port: number, predicate: (lookup: Lookup) => boolean = () => true): Lookup[] {
    const out: Lookup[] = [];
    for (const set of this.lookupsByService.values()) for (const l of set) if (l.ownerPort === port && predicate(l)) out.push(l);
    return out;
  }

  /** Tells every standing lookup that matches `server`. */
  notify(kind: 'add' | 'remove', server: ServerInfo): void {
    const specific = this.lookupsByService.get(server.service);
    const wildcard = this.lookupsByService.get(0);
    // Snapshot: a lookup's callback may add or remove lookups.
    const targets: Lookup[] = [];
    if (specific) for (const l of specific) if (matches(l, server)) targets.push(l);
    if (wildcard) for (const l of wildcard) if (matches(l, server)) targets.push(l);
    for (const l of targets) {
      try {
        l.notify(kind, server);
      } catch (err) {
        this.onNotifyError(l, err);
      }
    }
  }

  private index(slot: Slot): void {
    const server = slot.server;
    let slots = this.services.get(server.service);
    if (!slots) {
      slots = [];
      this.services.set(server.service, slots);
    }
    slot.position = slots.length;
    slots.push(slot);
    if (!isCanonical(server.service, server.version, server.instance)) this.nonCanonical++;
    this.exact.add(server.service, wordOf(server), server);
  }

  private unindex(slot: Slot): void {
    const server = slot.server;
    const slots = this.services.get(server.service);
    if (slots) {
      // Swap-remove: the last slot takes this one's place.
      const last = slots.pop()!;
      if (last !== slot) {
        slots[slot.position] = last;
        last.position = slot.position;
      }
      if (slots.length === 0) this.services.delete(server.service);
    }
    if (!isCanonical(server.service, server.version, server.instance)) this.nonCanonical--;
    this.exact.remove(server.service, wordOf(server), server);
  }
}

function collect(slots: readonly Slot[], filter: LookupFilter | Lookup, out: ServerInfo[]): void {
  for (let i = 0; i < slots.length; i++) {
    const server = slots[i].server;
    if (matches(filter, server)) out.push(server);
  }
}

function decrement<K>(map: Map<K, number>, key: K): void {
  const n = (map.get(key) ?? 1) - 1;
  if (n === 0) map.delete(key);
  else map.set(key, n);
}
