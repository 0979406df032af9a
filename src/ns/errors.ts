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
