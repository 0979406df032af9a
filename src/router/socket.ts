import type { Observable } from 'rxjs';

/** A QRTR address: node id and port. */
export interface QrtrAddress {
  readonly node: number;
  readonly port: number;
}

/** Endpoint ID of the local router; local traffic carries it. */
export const LOCAL_ENDPOINT_ID = 1;
/** "No endpoint": packets such as the name service's end-of-listing sentinel. */
export const NO_ENDPOINT_ID = 0;

/** One received datagram. */
export interface QrtrMessage {
  /** Source address. Control traffic comes from (local node, QRTR_PORT_CTRL). */
  readonly from: QrtrAddress;
  /**
   * Endpoint the datagram arrived on: 1 for local traffic, 0 for "none" (the
   * lookup sentinel), 2.. for remote endpoints. For name-service notifications,
   * the endpoint whose server or node the notification is about.
   */
  readonly endpoint: number;
  /** Payload; a view that stays valid as long as the consumer holds it. */
  readonly data: Uint8Array;
}

export interface SendOptions {
  /**
   * Endpoint to route a remote destination through. Defaults to the socket's
   * endpoint binding; without either, the node's first (legacy) endpoint is used.
   * A socket bound to an endpoint may name only that one (binding isolates): naming
   * another, or 0, is refused with QrtrEndpointBindingError unless its owner opened
   * it with the router's `endpointOverride` right.
   */
  readonly endpoint?: number;
  /** Abort waiting for flow control. */
  readonly signal?: AbortSignal;
  /** Fail with QrtrWouldBlockError instead of waiting when the remote is not keeping up. */
  readonly nonBlocking?: boolean;
}

/**
 * A QRTR datagram socket. The same contract is implemented by the in-process
 * router, by native AF_QIPCRTR sockets (kernel mode) and by the local-client
 * protocol (another process), so QMI handles and plugins run unchanged on any of them.
 */
export interface QrtrSocket {
  /** The bound address (local node, port). */
  readonly address: QrtrAddress;
  /** Endpoint this socket is bound to, 0 if none. */
  readonly endpointBinding: number;
  /**
   * Received datagrams. Datagrams that arrive while nobody subscribes or waits in
   * {@link receive} are queued (bounded); subscribing drains the queue. Errors
   * with QrtrNetworkResetError when the name service restarts (re-register
   * lookups and servers, then subscribe again); completes on close.
   */
  readonly messages$: Observable<QrtrMessage>;
  /**
   * Receive only from this endpoint (plus endpoint-0 traffic such as the lookup
   * sentinel) and send to it by default. 0 removes the binding. The endpoint need
   * not exist yet: bind to a reserved ID before its device attaches.
   */
  bindEndpoint(endpointId: number): void;
  /**
   * Sends one datagram. Resolves once handed to the link; waits while the remote
   * port has 10 unconfirmed packets (QRTR flow control).
   */
  send(to: QrtrAddress, data: Uint8Array, options?: SendOptions): Promise<void>;
  /** Pull-style receive: the next datagram, in order with messages$. */
  receive(options?: { signal?: AbortSignal }): Promise<QrtrMessage>;
  /** Unbinds; peers learn through DEL_CLIENT. Idempotent. */
  close(): void;
  readonly closed: boolean;
}

export interface OpenSocketOptions {
  /** Port to bind; 0 or absent picks the lowest free ephemeral port (0x4000-0x7fff). */
  readonly port?: number;
}

/**
 * The promise a router returns for a send it completed synchronously: callers may
 * compare by identity to answer at once instead of waiting for a continuation
 * (the local-client service answers RESULT in the same turn). Settled, so sharing it is safe.
 */
export const SEND_COMPLETED: Promise<void> = Promise.resolve();

/** Where sockets come from: the in-process router, the kernel, or a qrtrd daemon. */
export interface QrtrSocketProvider {
  /** The node id local sockets are bound on. */
  readonly localNode: number;
  openSocket(options?: OpenSocketOptions): Promise<QrtrSocket>;
}
