import type { NsAdmissionPolicy } from './admission-policy';
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
  notify(kind: 'add' | 'remove', server: ServerInfo): void;
}

interface NodeRecord {
  readonly servers: Map<number, ServerInfo>;
}

interface ServiceIndex {
  readonly all: Set<ServerInfo>;
  /** By instance word (version | instance << 8): the exact match of wire lookups. */
  readonly byWord: Map<number, Set<ServerInfo>>;
  readonly byInstance: Map<number, Set<ServerInfo>>;
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

/**
 * Servers keyed by (endpoint, node, port), indexed by service and instance so a
 * lookup costs O(matches) however many servers are registered, and standing
 * lookups indexed by service so an announcement reaches only those that care.
 */
export class ServerRegistry {
  private readonly endpoints = new Map<number, Map<number, NodeRecord>>();
  private readonly services = new Map<number, ServiceIndex>();
  private readonly lookupsByService = new Map<number, Set<Lookup>>();
  private readonly serversByEndpoint = new Map<number, number>();
  private readonly lookupsByPort = new Map<number, number>();
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
    let nodes = this.endpoints.get(server.endpoint);
    let record = nodes?.get(server.node);
    const replaced = record?.servers.get(server.port);
    if (!replaced) {
      this.policy.admitServer(server, {
        ofNode: record?.servers.size ?? 0,
        ofEndpoint: this.serversByEndpoint.get(server.endpoint) ?? 0,
        nodeKnown: record !== undefined,
        nodes: this.nodeCount,
      });
    }
    if (!record) {
      if (!nodes) {
        nodes = new Map();
        this.endpoints.set(server.endpoint, nodes);
      }
      record = { servers: new Map() };
      nodes.set(server.node, record);
      this.nodeCount++;
    }
    if (replaced) this.unindex(replaced);
    else this.countServers(server.endpoint, 1);
    record.servers.set(server.port, server);
    this.index(server);
    return replaced;
  }

  get(endpoint: number, node: number, port: number): ServerInfo | undefined {
    return this.endpoints.get(endpoint)?.get(node)?.servers.get(port);
  }

  /** Removes and returns the server on (endpoint, node, port). */
  remove(endpoint: number, node: number, port: number): ServerInfo | undefined {
    const record = this.endpoints.get(endpoint)?.get(node);
    const server = record?.servers.get(port);
    if (!record || !server) return undefined;
    record.servers.delete(port);
    this.countServers(endpoint, -1);
    this.unindex(server);
    return server;
  }

  /** Removes a node record with all its servers (BYE); returns the servers removed. */
  removeNode(endpoint: number, node: number): ServerInfo[] {
    const nodes = this.endpoints.get(endpoint);
    const record = nodes?.get(node);
    if (!nodes || !record) return [];
    const removed = [...record.servers.values()];
    for (const server of removed) this.unindex(server);
    this.countServers(endpoint, -removed.length);
    nodes.delete(node);
    if (nodes.size === 0) this.endpoints.delete(endpoint);
    this.nodeCount--;
    return removed;
  }

  hasNode(endpoint: number, node: number): boolean {
    return this.endpoints.get(endpoint)?.has(node) ?? false;
  }

  nodesOf(endpoint: number): number[] {
    return [...(this.endpoints.get(endpoint)?.keys() ?? [])];
  }

  /** Servers of one endpoint (e.g. the local servers a HELLO is answered with). */
  serversOf(endpoint: number): ServerInfo[] {
    const out: ServerInfo[] = [];
    for (const record of this.endpoints.get(endpoint)?.values() ?? []) for (const s of record.servers.values()) out.push(s);
    return out;
  }

  /** Servers matching a filter, using the narrowest index available. */
  find(filter: LookupFilter | Lookup): ServerInfo[] {
    const out: ServerInfo[] = [];
    const candidates = this.candidates(filter);
    for (const server of candidates) if (matches(filter, server)) out.push(server);
    return out;
  }

  private *candidates(filter: LookupFilter | Lookup): Iterable<ServerInfo> {
    if (filter.service === 0) {
      for (const index of this.services.values()) yield* index.all;
      return;
    }
    const index = this.services.get(filter.service);
    if (!index) return;
    if (filter.version !== undefined && filter.instance !== undefined) {
      yield* index.byWord.get((filter.version | (filter.instance << 8)) >>> 0) ?? [];
    } else if (filter.instance !== undefined) {
      yield* index.byInstance.get(filter.instance) ?? [];
    } else {
      yield* index.all;
    }
  }

  /** @throws whatever the admission policy refuses with (NsLookupLimitError, NsPortLookupLimitError). */
  addLookup(lookup: Lookup): void {
    const ofPort = this.lookupsByPort.get(lookup.ownerPort) ?? 0;
    this.policy.admitLookup({ ownerPort: lookup.ownerPort, ofPort, total: this.lookupCount });
    addTo(this.lookupsByService, lookup.service, lookup);
    this.lookupCount++;
    this.lookupsByPort.set(lookup.ownerPort, ofPort + 1);
  }

  removeLookup(lookup: Lookup): boolean {
    const set = this.lookupsByService.get(lookup.service);
    if (!set?.has(lookup)) return false;
    removeFrom(this.lookupsByService, lookup.service, lookup);
    this.lookupCount--;
    const ofPort = (this.lookupsByPort.get(lookup.ownerPort) ?? 1) - 1;
    if (ofPort === 0) this.lookupsByPort.delete(lookup.ownerPort);
    else this.lookupsByPort.set(lookup.ownerPort, ofPort);
    return true;
  }

  private countServers(endpoint: number, delta: number): void {
    this.serverCount += delta;
    const n = (this.serversByEndpoint.get(endpoint) ?? 0) + delta;
    if (n === 0) this.serversByEndpoint.delete(endpoint);
    else this.serversByEndpoint.set(endpoint, n);
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

  private index(server: ServerInfo): void {
    let index = this.services.get(server.service);
    if (!index) {
      index = { all: new Set(), byWord: new Map(), byInstance: new Map() };
      this.services.set(server.service, index);
    }
    index.all.add(server);
    addTo(index.byWord, (server.version | (server.instance << 8)) >>> 0, server);
    addTo(index.byInstance, server.instance, server);
  }

  private unindex(server: ServerInfo): void {
    const index = this.services.get(server.service);
    if (!index) return;
    index.all.delete(server);
    removeFrom(index.byWord, (server.version | (server.instance << 8)) >>> 0, server);
    removeFrom(index.byInstance, server.instance, server);
    if (index.all.size === 0) this.services.delete(server.service);
  }
}
