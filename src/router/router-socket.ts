import type { Observable } from 'rxjs';
import { DatagramInbox } from './datagram-inbox';
import { QrtrNetworkResetError, QrtrSocketClosedError } from './errors';
import { NO_ENDPOINT_ID, type QrtrAddress, type QrtrMessage, type QrtrSocket, type SendOptions } from './socket';

/**
 * A received datagram as queued on a socket; `confirmRx` asks for a RESUME_TX once
 * consumed. The source address object is built on first use, so consumers that
 * only read the payload cost one allocation per packet, not two.
 */
export class Datagram implements QrtrMessage {
  private address: QrtrAddress | undefined;

  constructor(
    readonly srcNode: number,
    readonly srcPort: number,
    readonly endpoint: number,
    readonly data: Uint8Array,
    readonly confirmRx: boolean,
  ) {}

  get from(): QrtrAddress {
    return (this.address ??= { node: this.srcNode, port: this.srcPort });
  }

  toJSON(): QrtrMessage {
    return { from: this.from, endpoint: this.endpoint, data: this.data };
  }
}

/** What a socket needs from the router that owns it. */
export interface SocketHost {
  socketSend(socket: RouterSocket, to: QrtrAddress, data: Uint8Array, options: SendOptions | undefined): Promise<void>;
  socketBindEndpoint(socket: RouterSocket, endpointId: number): void;
  socketClose(socket: RouterSocket): void;
  /** A datagram reached the application: time to send RESUME_TX if it asked for one. */
  datagramConsumed(socket: RouterSocket, datagram: Datagram): void;
}

/**
 * A socket of the in-process router. Delivery is synchronous when someone
 * listens (a subscriber of messages$ or a pending receive()); otherwise the
 * datagram waits in a bounded queue. A full queue drops and counts, like a full
 * kernel receive buffer (ENOSPC for local senders).
 */
export class RouterSocket implements QrtrSocket {
  private binding = NO_ENDPOINT_ID;
  private readonly inbox: DatagramInbox<Datagram>;
  readonly messages$: Observable<QrtrMessage>;
  /** Datagrams dropped because the queue was full (or `admit` refused them). */
  dropped = 0;
  /**
   * Optional owner hook consulted before a datagram is queued (never for one handed
   * straight to a listener): false drops it, counted here. The local-client service
   * bounds each client's queued bytes per socket and per uid with it.
   */
  admit: ((datagram: Datagram) => boolean) | null = null;

  constructor(
    private readonly host: SocketHost,
    readonly address: QrtrAddress,
    /** Owners inside the router process may bind reserved ports and the control port. */
    readonly trusted: boolean,
    queueLimit: number,
  ) {
    this.inbox = new DatagramInbox<Datagram>(
      (datagram) => {
        if (datagram.confirmRx) host.datagramConsumed(this, datagram);
      },
      queueLimit,
      address.port,
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

  bindEndpoint(endpointId: number): void {
    if (this.closed) throw new QrtrSocketClosedError(this.address.port);
    this.host.socketBindEndpoint(this, endpointId);
    this.binding = endpointId;
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

  /** Hands a datagram to the application or queues it; false if the queue is full. */
  deliver(datagram: Datagram): boolean {
    if (this.admit !== null && !this.inbox.listening && !this.inbox.closed && !this.admit(datagram)) {
      this.dropped++;
      return false;
    }
    if (this.inbox.deliver(datagram)) return true;
    this.dropped++;
    return false;
  }

  /** The name service restarted: listeners must re-register (ENETRESET). */
  networkReset(): void {
    this.inbox.fail(new QrtrNetworkResetError());
  }
}
