import { NsEndpointServerLimitError, NsLookupLimitError, NsNodeLimitError, NsPortLookupLimitError, NsServerLimitError } from './errors';
import type { NameServiceLimits, ServerInfo } from './types';

/** What the registry holds now, for the (endpoint, node) or port asking for more. */
export interface NsServerUsage {
  /** Servers of the asking (endpoint, node); of its endpoint (every node behind one peer). */
  readonly ofNode: number;
  readonly ofEndpoint: number;
  /** Whether the (endpoint, node) record already exists; records held in the whole table. */
  readonly nodeKnown: boolean;
  readonly nodes: number;
}

export interface NsLookupUsage {
  /** Lookups the owning local port holds (0 = in-process subscriptions, never limited per port). */
  readonly ownerPort: number;
  readonly ofPort: number;
  readonly total: number;
}

/**
 * Who may add what to the name service's tables. The registry asks before every
 * new server and lookup and the policy throws the typed refusal. The default
 * ({@link PerNodeAdmissionPolicy}) enforces per-node, per-endpoint and per-port
 * limits plus the table-wide ones; a policy with more dimensions (per uid, per
 * link share) wraps or replaces it without touching the registry.
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
    if (!usage.nodeKnown && usage.nodes >= limits.nodes) throw new NsNodeLimitError(server.endpoint, server.node, limits.nodes);
    if (usage.ofNode >= limits.serversPerNode) throw new NsServerLimitError(server.endpoint, server.node, limits.serversPerNode);
    // Local servers (endpoint 1) are the daemon's own and its clients'; per-endpoint shares are for peers.
    if (server.endpoint !== 1 && usage.ofEndpoint >= limits.serversPerEndpoint) {
      throw new NsEndpointServerLimitError(server.endpoint, limits.serversPerEndpoint);
    }
  }

  admitLookup(usage: NsLookupUsage): void {
    const { limits } = this;
    if (usage.total >= limits.lookups) throw new NsLookupLimitError(limits.lookups);
    if (usage.ownerPort !== 0 && usage.ofPort >= limits.lookupsPerPort) throw new NsPortLookupLimitError(usage.ownerPort, limits.lookupsPerPort);
  }
}
