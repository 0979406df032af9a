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

/** Limits of the default admission policy (src/ns/admission-policy.ts, docs/reliability.md). */
export interface NameServiceLimits {
  /** Servers one (endpoint, node) may register; replacing an existing port is always allowed. */
  readonly serversPerNode: number;
  /** Servers one remote endpoint may register over all the nodes it presents. */
  readonly serversPerEndpoint: number;
  /** Lookups held at once (wire lookups and in-process subscriptions). */
  readonly lookups: number;
  /** Wire lookups one local socket may hold. */
  readonly lookupsPerPort: number;
  /** (endpoint, node) records held at once. */
  readonly nodes: number;
}

export const DEFAULT_NS_LIMITS: NameServiceLimits = { serversPerNode: 256, serversPerEndpoint: 1024, lookups: 4096, lookupsPerPort: 256, nodes: 4096 };

export function describeFilter(filter: LookupFilter): string {
  const parts = [`service ${filter.service}`];
  if (filter.version !== undefined) parts.push(`version ${filter.version}`);
  if (filter.instance !== undefined) parts.push(`instance ${filter.instance}`);
  if (filter.endpoint !== undefined) parts.push(`endpoint ${filter.endpoint}`);
  if (filter.node !== undefined) parts.push(`node ${filter.node}`);
  return parts.join(', ');
}
