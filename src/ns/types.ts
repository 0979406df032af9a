/** A registered server, as every notification describes it. */
export interface ServerInfo {
  readonly service: number;
  /** Low byte of the wire instance word. */
  readonly version: number;
  /** Upper 24 bits of the wire instance word. */
  readonly instance: number;
  readonly node: number;
  readonly port: number;
  /** Endpoint the server lives behind (1 = local). */
  readonly endpoint: number;
}

/**
 * What a lookup matches. `service` 0 matches any service; an absent version or
 * instance matches any; `endpoint` restricts the lookup to one endpoint, `node`
 * to one node id. Where there are no endpoint IDs (a mainline kernel), the node
 * is what tells two cards apart, if they have distinct ones.
 */
export interface LookupFilter {
  readonly service: number;
  readonly version?: number;
  readonly instance?: number;
  readonly endpoint?: number;
  readonly node?: number;
}

export type LookupEvent =
  | { readonly type: 'snapshot'; readonly servers: readonly ServerInfo[] }
  | { readonly type: 'add'; readonly server: ServerInfo }
  | { readonly type: 'remove'; readonly server: ServerInfo };

/**
 * Limits of the default admission policy (src/ns/admission-policy.ts, docs/reliability.md).
 *
 * Each table (nodes, servers, lookups) has a total, a share per holder (a remote
 * endpoint, a lookup origin) and a reserve: the last `...Reserve` entries of the table
 * go only to holders that hold fewer than `...ReserveShare`, so holders that filled the
 * rest between them cannot keep a newcomer (an honest card, a client's first lookups) out.
 * The local endpoint (1) and the daemon's own in-process lookups have no share and no
 * reserve rule: only the totals bound them.
 */
export interface NameServiceLimits {
  /** Servers one (endpoint, node) may register; replacing an existing port is always allowed. */
  readonly serversPerNode: number;
  /** Servers one remote endpoint may register over all the nodes it presents. */
  readonly serversPerEndpoint: number;
  /** Servers held at once, every endpoint together. */
  readonly servers: number;
  /** Server slots kept for remote endpoints holding fewer than `serverReserveShare` servers. */
  readonly serverReserve: number;
  readonly serverReserveShare: number;
  /** Lookups held at once (wire lookups and in-process subscriptions). */
  readonly lookups: number;
  /** Wire lookups one local socket may hold. */
  readonly lookupsPerPort: number;
  /** Lookups one origin may hold over every path (wire lookups of its ports, in-process lookup$). */
  readonly lookupsPerOrigin: number;
  /** Lookup slots kept for origins holding fewer than `lookupReserveShare` lookups. */
  readonly lookupReserve: number;
  readonly lookupReserveShare: number;
  /** (endpoint, node) records held at once. */
  readonly nodes: number;
  /** Node records one remote endpoint may hold (a bridge presents many node ids on one link). */
  readonly nodesPerEndpoint: number;
  /** Node records kept for remote endpoints holding fewer than `nodeReserveShare` nodes. */
  readonly nodeReserve: number;
  readonly nodeReserveShare: number;
}

export const DEFAULT_NS_LIMITS: NameServiceLimits = {
  serversPerNode: 256,
  serversPerEndpoint: 1024,
  servers: 65536,
  serverReserve: 1024,
  serverReserveShare: 64,
  lookups: 4096,
  lookupsPerPort: 256,
  lookupsPerOrigin: 256,
  lookupReserve: 512,
  lookupReserveShare: 16,
  nodes: 4096,
  nodesPerEndpoint: 256,
  nodeReserve: 256,
  nodeReserveShare: 4,
};

export function describeFilter(filter: LookupFilter): string {
  const parts = [`service ${filter.service}`];
  if (filter.version !== undefined) parts.push(`version ${filter.version}`);
  if (filter.instance !== undefined) parts.push(`instance ${filter.instance}`);
  if (filter.endpoint !== undefined) parts.push(`endpoint ${filter.endpoint}`);
  if (filter.node !== undefined) parts.push(`node ${filter.node}`);
  return parts.join(', ');
}
