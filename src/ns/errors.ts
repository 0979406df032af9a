import { QrtrdError } from '../common/errors';

export class NameServiceError extends QrtrdError {}

/** A node already has the maximum number of servers (QRTR_NS_MAX_SERVERS, CVE-2026-43491). */
export class NsServerLimitError extends NameServiceError {
  constructor(endpoint: number, node: number, limit: number) {
    super('NS_SERVER_LIMIT', `Node ${node} on endpoint ${endpoint} already has ${limit} servers`, { endpoint, node, limit });
  }
}

/** Too many lookups (QRTR_NS_MAX_LOOKUPS, CVE-2026-46026). */
export class NsLookupLimitError extends NameServiceError {
  constructor(limit: number) {
    super('NS_LOOKUP_LIMIT', `The name service already holds ${limit} lookups`, { limit });
  }
}

/** Too many nodes (QRTR_NS_MAX_NODES, CVE-2026-46003). */
export class NsNodeLimitError extends NameServiceError {
  constructor(endpoint: number, node: number, limit: number) {
    super('NS_NODE_LIMIT', `Cannot track node ${node} on endpoint ${endpoint}: ${limit} nodes already known`, {
      endpoint,
      node,
      limit,
    });
  }
}

/** One endpoint (a peer and every node behind it) already has its share of servers. */
export class NsEndpointServerLimitError extends NameServiceError {
  constructor(endpoint: number, limit: number) {
    super('NS_ENDPOINT_SERVER_LIMIT', `Endpoint ${endpoint} already has ${limit} servers (its share of the table)`, { endpoint, limit });
  }
}

/** One local socket already holds its share of lookups. */
export class NsPortLookupLimitError extends NameServiceError {
  constructor(port: number, limit: number) {
    super('NS_PORT_LOOKUP_LIMIT', `Local port ${port} already holds ${limit} lookups`, { port, limit });
  }
}

/** DEL_SERVER for a server that is not registered (ns.c answers -ENOENT): refused, counted, nothing changes. */
export class NsNoSuchServerError extends NameServiceError {
  constructor(endpoint: number, node: number, port: number) {
    super('NS_NO_SUCH_SERVER', `No server on node ${node} port ${port} of endpoint ${endpoint} to delete`, { endpoint, node, port });
  }
}

/** One remote endpoint already holds its share of the node table (a bridge presenting many node ids). */
export class NsEndpointNodeLimitError extends NameServiceError {
  constructor(endpoint: number, node: number, limit: number) {
    super('NS_ENDPOINT_NODE_LIMIT', `Cannot track node ${node}: endpoint ${endpoint} already has ${limit} nodes (its share of the table)`, { endpoint, node, limit });
  }
}

/** The node table is down to its reserve, kept for endpoints with few nodes; this one has its share. */
export class NsNodeReserveError extends NameServiceError {
  constructor(endpoint: number, node: number, reserve: number, share: number) {
    super('NS_NODE_RESERVE', `Cannot track node ${node} on endpoint ${endpoint}: the node table is down to its reserve of ${reserve}, kept for endpoints with fewer than ${share} nodes`, { endpoint, node, reserve, share });
  }
}

/** The server table is full, every endpoint together. */
export class NsServerTableLimitError extends NameServiceError {
  constructor(endpoint: number, node: number, limit: number) {
    super('NS_SERVER_TABLE_LIMIT', `Cannot register a server of node ${node} on endpoint ${endpoint}: ${limit} servers already registered`, { endpoint, node, limit });
  }
}

/** The server table is down to its reserve, kept for endpoints with few servers; this one has its share. */
export class NsServerReserveError extends NameServiceError {
  constructor(endpoint: number, reserve: number, share: number) {
    super('NS_SERVER_RESERVE', `Endpoint ${endpoint} may not register more servers: the table is down to its reserve of ${reserve}, kept for endpoints with fewer than ${share}`, { endpoint, reserve, share });
  }
}

/** One origin (a local user or client) already holds its share of lookups over every path. */
export class NsOriginLookupLimitError extends NameServiceError {
  constructor(origin: string, limit: number) {
    super('NS_ORIGIN_LOOKUP_LIMIT', `${origin} already holds ${limit} lookups (its share, wire and in-process together)`, { origin, limit });
  }
}

/** The lookup table is down to its reserve, kept for origins with few lookups; this one has its share. */
export class NsLookupReserveError extends NameServiceError {
  constructor(origin: string, reserve: number, share: number) {
    super('NS_LOOKUP_RESERVE', `${origin} may not add lookups: the table is down to its reserve of ${reserve}, kept for origins with fewer than ${share}`, { origin, reserve, share });
  }
}

/**
 * A remote peer speaking as node `fromNode` announced a server on node 0: the router never
 * learns node 0 from such a packet, so no BYE would remove the row. (A peer that is node 0
 * itself, e.g. a modem at node 0, announces its own servers there and is accepted.)
 */
export class NsNodeZeroError extends NameServiceError {
  constructor(endpoint: number, fromNode: number, service: number, port: number) {
    super('NS_NODE_ZERO', `Endpoint ${endpoint} (node ${fromNode}) announced service ${service} on node 0 port ${port}: only node 0 itself may`, {
      endpoint,
      fromNode,
      service,
      port,
    });
  }
}

/** waitForService gave up. */
export class NsServiceTimeoutError extends NameServiceError {
  constructor(description: string, timeoutMs: number) {
    super('NS_SERVICE_TIMEOUT', `No server for ${description} appeared within ${timeoutMs} ms`, { description, timeoutMs });
  }
}

/** A control command the name service refuses (spoofed origin, remote lookup, ...). */
export class NsRejectedCommandError extends NameServiceError {
  constructor(command: string, reason: string, details: Record<string, unknown>) {
    super('NS_REJECTED_COMMAND', `Name service rejected ${command}: ${reason}`, details);
  }
}

/** A subscriber of the name service threw while being told about a server; it is reported and the others are told. */
export class NsSubscriberError extends NameServiceError {
  constructor(service: number, cause: unknown) {
    super('NS_SUBSCRIBER_FAILED', `A lookup subscriber of service ${service} threw: ${cause instanceof Error ? cause.message : String(cause)}`, { service }, { cause });
  }
}
