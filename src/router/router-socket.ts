import type { Observable } from 'rxjs';
import { DatagramInbox } from './datagram-inbox';
import { reportSubscriberError } from './sink-list';
import { QrtrNetworkResetError, QrtrSocketClosedError } from './errors';
import { NO_ENDPOINT_ID, type QrtrAddress, type QrtrMessage, type QrtrSocket, type SendOptions } from './socket';

/**
 * A received datagram as queued on a socket; `confirmRx` asks for a RESUME_TX once
 * consumed. The source address object is built on first use, so consumers that
 * only read the payload cost one allocation per packet, not two.
 */
export class Datagram implements QrtrMessage {
  // `declare` + assignments: one store per field on the receive path, not a class-field
  // definition (ES2022 [[Define]]) followed by the parameter-property store.
  declare readonly srcNode: number;
  declare readonly srcPort: number;
  declare readonly endpoint: number;
  declare readonly data: Uint8Array;
  declare readonly confirmRx: boolean;
  declare private address: QrtrAddress | undefined;

  constructor(srcNode: number, srcPort: number, endpoint: number, data: Uint8Array, confirmRx: boolean) {
    this.srcNode = srcNode;
    this.srcPort = srcPort;
    this.endpoint = endpoint;
    this.data = data;
    this.confirmRx = confirmRx;
    this.address = undefined;
  }

  get from(): QrtrAddress {
    return (this.address ??= { node: this.srcNode, port: this.srcPort });
  }

  toJSON(): QrtrMessage {
    return { from: this.from, endpoint: this.endpoint, data: this.data };
  }
}

/** Why a socket dropped a datagram addressed to it; each has a counter in {@link SocketStats}. */
export type SocketDropReason =
  /** The queue held its bound in datagrams (limits.socketQueueLength). */
  | 'queueFull'
  /** The queue held its bound in payload bytes (limits.socketQueueBytes). */
  | 'queueBytesFull'
  /** It arrived on (or was queued from) an endpoint other than the socket's binding. */
  | 'endpointFiltered';

/** Counters of one socket, as {@link RouterSocket.stats} and `Router.sockets()` report them. */
export interface SocketStats {
  readonly port: number;
  readonly endpointBinding: number;
  /** Datagrams handed to the application or queued for it. */
  readonly received: number;
  readonly receivedBytes: number;
  /** Datagrams and payload bytes waiting for a consumer now. */
  readonly queued: number;
  readonly queuedBytes: number;
  readonly dropped: Readonly<Record<SocketDropReason, number>>;
  readonly droppedBytes: number;
}

/** What a socket needs from the router that owns it. */
export interface SocketHost {
  socketSend(socket: RouterSocket, to: QrtrAddress, data: Uint8Array, options: SendOptions | undefined): Promise<void>;
  socketBindEndpoint(socket: RouterSocket, endpointId: number): void;
  socketClose(socket: RouterSocket): void;
  /** A datagram reached the application: time to send RESUME_TX if it asked for one. */
  datagramConsumed(socket: RouterSocket, datagram: Datagram): void;
}

/** Per-socket settings the router fixes at open time. */
export interface RouterSocketSettings {
  /** Owners inside the router process may bind reserved ports and the control port. */
  readonly trusted: boolean;
  /** May name an endpoint other than its binding per message (see OpenSocketSyncOptions.endpointOverride). */
  readonly endpointOverride: boolean;
  readonly queueLength: number;
  readonly queueBytes: number;
}

/**
 * A socket of the in-process router. Delivery is synchronous when someone
 * listens (a subscriber of messages$ or a pending receive()); otherwise the
 * datagram waits in a queue bounded in datagrams and in bytes. A full queue drops
 * and counts, on this socket and on the sending endpoint, like a full kernel
 * receive buffer (ENOSPC for local senders).
 */
export class RouterSocket implements QrtrSocket {
  private binding = NO_ENDPOINT_ID;
  private readonly inbox: DatagramInbox<Datagram>;
  readonly messages$: Observable<QrtrMessage>;
  /**
   * Optional owner hook consulted before a datagram is queued (never for one handed
   * straight to a listener): false drops it, counted as `queueBytesFull`. The local-client service
   * bounds each client's queued bytes per socket and per uid with it.
   */
  admit: ((datagram: Datagram) => boolean) | null = null;
  readonly trusted: boolean;
  readonly endpointOverride: boolean;
  private received = 0;
  private receivedBytes = 0;
  private droppedBytes = 0;
  private readonly drops: Record<SocketDropReason, number> = { queueFull: 0, queueBytesFull: 0, endpointFiltered: 0 };

  constructor(
    private readonly host: SocketHost,
    readonly address: QrtrAddress,
    settings: RouterSocketSettings,
  ) {
    this.trusted = settings.trusted;
    this.endpointOverride = settings.endpointOverride;
    this.inbox = new DatagramInbox<Datagram>(
      (datagram) => {
        if (datagram.confirmRx) host.datagramConsumed(this, datagram);
      },
      settings.queueLength,
      address.port,
      undefined,
      settings.queueBytes,
      true,
    );
    this.messages$ = this.inbox.messages$;
  }

  get endpointBinding(): number {
    return this.binding;
  }

  get closed(): boolean {
    return this.inbox.closed;
  }

  /** Datagrams waiting for a consumer. */
  get queued(): number {
    return this.inbox.queued;
  }

  /** Datagrams this socket dropped, all reasons. */
  get dropped(): number {
    return this.drops.queueFull + this.drops.queueBytesFull + this.drops.endpointFiltered;
  }

  stats(): SocketStats {
    return {
      port: this.address.port,
      endpointBinding: this.binding,
      received: this.received,
      receivedBytes: this.receivedBytes,
      queued: this.inbox.queued,
      queuedBytes: this.inbox.queuedBytes,
      dropped: { ...this.drops },
      droppedBytes: this.droppedBytes,
    };
  }

  /**
   * Binds (or with 0 unbinds) the socket to an endpoint. Datagrams already queued from
   * another endpoint are dropped (counted `endpointFiltered`; RESUME_TX still goes to
   * senders that asked for it), so a rebound socket never reads the old endpoint's traffic.
   */
  bindEndpoint(endpointId: number): void {
    if (this.closed) throw new QrtrSocketClosedError(this.address.port);
    this.host.socketBindEndpoint(this, endpointId);
    this.binding = endpointId;
    if (endpointId === NO_ENDPOINT_ID || this.inbox.queued === 0) return;
    for (const datagram of this.inbox.purge((d) => this.accepts(d.endpoint))) {
      this.countDrop('endpointFiltered', datagram.data.length);
      if (datagram.confirmRx) this.host.datagramConsumed(this, datagram);
    }
  }

  send(to: QrtrAddress, data: Uint8Array, options?: SendOptions): Promise<void> {
    if (this.closed) return Promise.reject(new QrtrSocketClosedError(this.address.port));
    return this.host.socketSend(this, to, data, options);
  }

  /** A queued datagram taken synchronously, or undefined; receive() waits for one. */
  tryReceive(): QrtrMessage | undefined {
    return this.inbox.tryReceive();
  }

  receive(options?: { signal?: AbortSignal }): Promise<QrtrMessage> {
    return this.inbox.receive(options?.signal);
  }

  close(): void {
    if (this.closed) return;
    this.inbox.close();
    this.host.socketClose(this);
  }

  /** True if this socket accepts traffic tagged with `endpoint` (reference §6.1 patch 7). */
  accepts(endpoint: number): boolean {
    return this.binding === NO_ENDPOINT_ID || endpoint === NO_ENDPOINT_ID || endpoint === this.binding;
  }

  /**
   * Hands a datagram to the application or queues it; false if refused (closed, or a
   * queue bound reached: counted here). The caller has checked {@link accepts}.
   */
  deliver(datagram: Datagram): boolean {
    const direct = this.inbox.direct;
    if (direct === null) return this.deliverToInbox(datagram);
    // One listener, nothing queued: straight to it, as the inbox would (the admit hook
    // is for queued datagrams only; a throwing subscriber is reported, as in SinkList.emit).
    try {
      direct.next(datagram);
    } catch (err) {
      reportSubscriberError(err);
    }
    if (datagram.confirmRx) this.host.datagramConsumed(this, datagram);
    this.received++;
    this.receivedBytes += datagram.data.length;
    return true;
  }

  private deliverToInbox(datagram: Datagram): boolean {
    if (this.admit !== null && !this.inbox.listening && !this.inbox.closed && !this.admit(datagram)) {
      this.countDrop('queueBytesFull', datagram.data.length);
      return false;
    }
    if (this.inbox.deliver(datagram)) {
      this.received++;
      this.receivedBytes += datagram.data.length;
      return true;
    }
    const refusal = this.inbox.lastRefusal;
    if (refusal !== 'closed') this.countDrop(refusal, datagram.data.length);
    return false;
  }

  /** Counts a datagram addressed to this socket that its endpoint binding filtered out. */
  filtered(bytes: number): void {
    this.countDrop('endpointFiltered', bytes);
  }

  /** The name service restarted: listeners must re-register (ENETRESET). */
  networkReset(): void {
    this.inbox.fail(new QrtrNetworkResetError());
  }

  private countDrop(reason: SocketDropReason, bytes: number): void {
    this.drops[reason]++;
    this.droppedBytes += bytes;
  }
}
