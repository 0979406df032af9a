import { QrtrdError } from '../common/errors';
import { formatBackendKey, type BackendKey } from './endpoint';

/** Base of router failures reported to callers. */
export class QrtrRouterError extends QrtrdError {}

/** The global endpoint-ID limit is reached (reserved + attached IDs). */
export class EndpointIdExhaustedError extends QrtrRouterError {
  constructor(limit: number, key: BackendKey) {
    super(
      'QRTR_ENDPOINT_IDS_EXHAUSTED',
      `No endpoint ID left for ${formatBackendKey(key)}: all ${limit} IDs are in use; release reservations or raise maxEndpoints`,
      { limit, key: formatBackendKey(key) },
    );
  }
}

/** An owner asked for more reservations than its quota. */
export class EndpointQuotaExceededError extends QrtrRouterError {
  constructor(owner: string, quota: number, key: BackendKey) {
    super(
      'QRTR_ENDPOINT_QUOTA_EXCEEDED',
      `Owner '${owner}' already holds ${quota} endpoint reservations (its quota); cannot reserve ${formatBackendKey(key)}`,
      { owner, quota, key: formatBackendKey(key) },
    );
  }
}

/** assign() on a key that already has an ID. */
export class EndpointIdAlreadyAssignedError extends QrtrRouterError {
  constructor(key: BackendKey, id: number) {
    super('QRTR_ENDPOINT_ID_ASSIGNED', `Backend ${formatBackendKey(key)} already has endpoint ID ${id}`, {
      key: formatBackendKey(key),
      id,
    });
  }
}

/** A second endpoint attached with the key of one already attached. */
export class EndpointKeyInUseError extends QrtrRouterError {
  constructor(key: BackendKey, id: number) {
    super(
      'QRTR_ENDPOINT_KEY_IN_USE',
      `An endpoint with backend key ${formatBackendKey(key)} is already attached as endpoint ${id}; backend keys must be unique per live link`,
      { key: formatBackendKey(key), id },
    );
  }
}

/** A reservation was released twice, or the ID it names is unknown. */
export class EndpointReservationError extends QrtrRouterError {
  constructor(message: string, details: Record<string, unknown>) {
    super('QRTR_ENDPOINT_RESERVATION', message, details);
  }
}

/** bind() to a port that another socket holds (EADDRINUSE). */
export class QrtrAddressInUseError extends QrtrRouterError {
  constructor(port: number) {
    super('QRTR_ADDRESS_IN_USE', `QRTR port ${port} is already bound`, { port });
  }
}

/** Ports below 0x4000 and the control port need a trusted in-process owner (CAP_NET_ADMIN in the kernel). */
export class QrtrPortPermissionError extends QrtrRouterError {
  constructor(port: number) {
    super(
      'QRTR_PORT_PERMISSION',
      `QRTR port ${port} is reserved: ports below 0x4000 and the control port need a trusted owner`,
      { port },
    );
  }
}

/** All 16384 ephemeral ports are taken. */
export class QrtrPortsExhaustedError extends QrtrRouterError {
  constructor() {
    super('QRTR_PORTS_EXHAUSTED', 'No free ephemeral QRTR port in 0x4000-0x7fff', {});
  }
}

/** No route to the destination node (ECONNRESET, or ENXIO with an endpoint). */
export class QrtrNoRouteError extends QrtrRouterError {
  constructor(node: number, endpoint: number) {
    super(
      'QRTR_NO_ROUTE',
      endpoint
        ? `No node ${node} on endpoint ${endpoint} (the endpoint is not attached or has not announced that node)`
        : `No endpoint has announced node ${node}`,
      { node, endpoint },
    );
  }
}

/** Local destination port does not exist (ENODEV). */
export class QrtrNoSuchPortError extends QrtrRouterError {
  constructor(node: number, port: number) {
    super('QRTR_NO_SUCH_PORT', `No socket is bound to local port ${port} on node ${node}`, { node, port });
  }
}

/** The endpoint went away while a send was pending or in progress (EPIPE). */
export class QrtrEndpointGoneError extends QrtrRouterError {
  constructor(endpoint: number) {
    super('QRTR_ENDPOINT_GONE', `Endpoint ${endpoint} detached`, { endpoint });
  }
}

/** The remote port disappeared (DEL_CLIENT) while a send waited for flow control. */
export class QrtrRemotePortGoneError extends QrtrRouterError {
  constructor(endpoint: number, node: number, port: number) {
    super('QRTR_REMOTE_PORT_GONE', `Remote port ${node}:${port} on endpoint ${endpoint} went away`, { endpoint, node, port });
  }
}

/** Non-blocking send while the remote has 10 unconfirmed packets, or the wait queue is full (EAGAIN). */
export class QrtrWouldBlockError extends QrtrRouterError {
  constructor(endpoint: number, node: number, port: number, reason: string) {
    super('QRTR_WOULD_BLOCK', `Send to ${node}:${port} on endpoint ${endpoint} would block: ${reason}`, {
      endpoint,
      node,
      port,
    });
  }
}

/** Operation on a closed socket. */
export class QrtrSocketClosedError extends QrtrRouterError {
  constructor(port: number) {
    super('QRTR_SOCKET_CLOSED', `QRTR socket on port ${port} is closed`, { port });
  }
}

/** A wait was aborted by the caller's signal. */
export class QrtrAbortedError extends QrtrRouterError {
  constructor(what: string) {
    super('QRTR_ABORTED', `${what} was aborted`, {});
  }
}

/** The name service restarted (ENETRESET): re-register lookups and servers. */
export class QrtrNetworkResetError extends QrtrRouterError {
  constructor() {
    super('QRTR_NETWORK_RESET', 'The QRTR name service restarted; re-register lookups and servers', {});
  }
}

/** Invalid destination for send (e.g. broadcast to a port other than CTRL). */
export class QrtrBadDestinationError extends QrtrRouterError {
  constructor(node: number, port: number, reason: string) {
    super('QRTR_BAD_DESTINATION', `Cannot send to ${node}:${port}: ${reason}`, { node, port });
  }
}

/** Payload over 65535 bytes, or a control packet too short from the CTRL socket. */
export class QrtrMessageSizeError extends QrtrRouterError {
  constructor(size: number, reason: string) {
    super('QRTR_MESSAGE_SIZE', `Message of ${size} bytes rejected: ${reason}`, { size });
  }
}

/**
 * A socket bound to one endpoint named another for one message (SendOptions.endpoint)
 * without the right to (binding isolates: issue #18). Owners grant the right with
 * `openSocketSync({ endpointOverride: true })`.
 */
export class QrtrEndpointBindingError extends QrtrRouterError {
  constructor(port: number, bound: number, named: number) {
    super(
      'QRTR_ENDPOINT_BINDING',
      `Socket ${port} is bound to endpoint ${bound} and may not send on endpoint ${named}; send unbound, rebind, or open the socket with endpointOverride`,
      { port, bound, named },
    );
  }
}
