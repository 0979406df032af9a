import {
  NsEndpointNodeLimitError,
  NsEndpointServerLimitError,
  NsLookupLimitError,
  NsLookupReserveError,
  NsNodeLimitError,
  NsNodeReserveError,
  NsOriginLookupLimitError,
  NsPortLookupLimitError,
  NsServerLimitError,
  NsServerReserveError,
  NsServerTableLimitError,
} from './errors';
import type { NameServiceLimits, ServerInfo } from './types';

/** What the registry holds now, for the (endpoint, node) or port asking for more. */
export interface NsServerUsage {
  /** Servers of the asking (endpoint, node); of its endpoint (every node behind one peer). */
  readonly ofNode: number;
  readonly ofEndpoint: number;
  /** Whether the (endpoint, node) record already exists; records held in the whole table. */
  readonly nodeKnown: boolean;
  readonly nodes: number;
  /** Node records of the asking endpoint; servers held in the whole table. */
  readonly nodesOfEndpoint: number;
  readonly servers: number;
}

export interface NsLookupUsage {
  /** Lookups the owning local port holds (0 = in-process subscriptions, never limited per port). */
  readonly ownerPort: number;
  readonly ofPort: number;
  readonly total: number;
  /** Who the lookup counts against (undefined: the daemon's own in-process lookups) and what it holds. */
  readonly origin: string | undefined;
  readonly ofOrigin: number;
}

/**
 * Who may add what to the name service's tables. The registry asks before every
 * new server and lookup and the policy throws the typed refusal. The default
 * ({@link PerNodeAdmissionPolicy}) enforces per-node, per-endpoint, per-port and
 * per-origin shares, the table-wide totals and each table's reserve; a policy with
 * more dimensions wraps or replaces it without touching the registry.
 */
export interface NsAdmissionPolicy {
  /** @throws a NameServiceError subclass naming the limit. */
  admitServer(server: ServerInfo, usage: NsServerUsage): void;
  /** @throws a NameServiceError subclass naming the limit. */
  admitLookup(usage: NsLookupUsage): void;
}

/** The limits of {@link NameServiceLimits}, each a typed refusal (documented in docs/reliability.md). */
export class PerNodeAdmissionPolicy implements NsAdmissionPolicy {
  constructor(readonly limits: NameServiceLimits) {}

  admitServer(server: ServerInfo, usage: NsServerUsage): void {
    const { limits } = this;
    // Local servers (endpoint 1) are the daemon's own and its clients'; shares and reserves are for peers.
    const remote = server.endpoint !== 1;
    if (!usage.nodeKnown) {
      if (usage.nodes >= limits.nodes) throw new NsNodeLimitError(server.endpoint, server.node, limits.nodes);
      if (remote) {
        if (usage.nodesOfEndpoint >= limits.nodesPerEndpoint) throw new NsEndpointNodeLimitError(server.endpoint, server.node, limits.nodesPerEndpoint);
        if (usage.nodes >= limits.nodes - limits.nodeReserve && usage.nodesOfEndpoint >= limits.nodeReserveShare) {
          throw new NsNodeReserveError(server.endpoint, server.node, limits.nodeReserve, limits.nodeReserveShare);
        }
      }
    }
    if (usage.servers >= limits.servers) throw new NsServerTableLimitError(server.endpoint, server.node, limits.servers);
    if (usage.ofNode >= limits.serversPerNode) throw new NsServerLimitError(server.endpoint, server.node, limits.serversPerNode);
    if (remote) {
      if (usage.ofEndpoint >= limits.serversPerEndpoint) throw new NsEndpointServerLimitError(server.endpoint, limits.serversPerEndpoint);
      if (usage.servers >= limits.servers - limits.serverReserve && usage.ofEndpoint >= limits.serverReserveShare) {
        throw new NsServerReserveError(server.endpoint, limits.serverReserve, limits.serverReserveShare);
      }
    }
  }

  admitLookup(usage: NsLookupUsage): void {
    const { limits } = this;
    if (usage.total >= limits.lookups) throw new NsLookupLimitError(limits.lookups);
    if (usage.ownerPort !== 0 && usage.ofPort >= limits.lookupsPerPort) throw new NsPortLookupLimitError(usage.ownerPort, limits.lookupsPerPort);
    const origin = usage.origin;
    if (origin === undefined) return;
    if (usage.ofOrigin >= limits.lookupsPerOrigin) throw new NsOriginLookupLimitError(origin, limits.lookupsPerOrigin);
    if (usage.total >= limits.lookups - limits.lookupReserve && usage.ofOrigin >= limits.lookupReserveShare) {
      throw new NsLookupReserveError(origin, limits.lookupReserve, limits.lookupReserveShare);
    }
  }
}
