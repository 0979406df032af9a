import { Observable, type Subscriber } from 'rxjs';
import { QrtrAbortedError, QrtrNetworkResetError, QrtrSocketClosedError } from './errors';
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

interface PendingReceive {
  resolve(message: QrtrMessage): void;
  reject(err: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * A socket of the in-process router. Delivery is synchronous when someone
 * listens (a subscriber of messages$ or a pending receive()); otherwise the
 * datagram waits in a bounded queue. A full queue drops and counts, like a full
 * kernel receive buffer (ENOSPC for local senders).
 */
export class RouterSocket implements QrtrSocket {
  private binding = NO_ENDPOINT_ID;
  private isClosed = false;
  /** An array, not a Set: delivery iterates it per packet without an iterator object. */
  private subscribers: Subscriber<QrtrMessage>[] = [];
  private queue: Datagram[] = [];
  private queueHead = 0;
  private readonly receivers: PendingReceive[] = [];
  readonly messages$: Observable<QrtrMessage>;
  /** Datagrams dropped because the queue was full. */
  dropped = 0;

  constructor(
    private readonly host: SocketHost,
    readonly address: QrtrAddress,
    /** Owners inside the router process may bind reserved ports and the control port. */
    readonly trusted: boolean,
    private readonly queueLimit: number,
  ) {
    this.messages$ = new Observable<QrtrMessage>((subscriber) => {
      if (this.isClosed) {
        subscriber.complete();
        return undefined;
      }
      this.subscribers = [...this.subscribers, subscriber];
      this.drainQueue();
      return () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
      };
    });
  }

  get endpointBinding(): number {
    return this.binding;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Datagrams waiting for a consumer. */
  get queued(): number {
    return this.queue.length - this.queueHead;
  }

  bindEndpoint(endpointId: number): void {
    if (this.isClosed) throw new QrtrSocketClosedError(this.address.port);
    this.host.socketBindEndpoint(this, endpointId);
    this.binding = endpointId;
  }

  send(to: QrtrAddress, data: Uint8Array, options?: SendOptions): Promise<void> {
    if (this.isClosed) return Promise.reject(new QrtrSocketClosedError(this.address.port));
    return this.host.socketSend(this, to, data, options);
  }

  receive(options?: { signal?: AbortSignal }): Promise<QrtrMessage> {
    if (this.isClosed) return Promise.reject(new QrtrSocketClosedError(this.address.port));
    if (this.queued > 0) {
      const datagram = this.shift();
      this.host.datagramConsumed(this, datagram);
      return Promise.resolve(datagram);
    }
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new QrtrAbortedError('receive'));
    return new Promise<QrtrMessage>((resolve, reject) => {
      const pending: PendingReceive = { resolve, reject, signal };
      if (signal) {
        pending.onAbort = () => {
          const i = this.receivers.indexOf(pending);
          if (i >= 0) this.receivers.splice(i, 1);
          reject(new QrtrAbortedError('receive'));
        };
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.receivers.push(pending);
    });
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.host.socketClose(this);
    this.queue = [];
    this.queueHead = 0;
    for (const receiver of this.receivers.splice(0)) {
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.reject(new QrtrSocketClosedError(this.address.port));
    }
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
  }

  /** True if this socket accepts traffic tagged with `endpoint` (reference §6.1 patch 7). */
  accepts(endpoint: number): boolean {
    return this.binding === NO_ENDPOINT_ID || endpoint === NO_ENDPOINT_ID || endpoint === this.binding;
  }

  /** Hands a datagram to the application or queues it; false if the queue is full. */
  deliver(datagram: Datagram): boolean {
    if (this.receivers.length > 0) {
      const receiver = this.receivers.shift()!;
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.resolve(datagram);
      this.host.datagramConsumed(this, datagram);
      return true;
    }
    if (this.subscribers.length > 0 && this.queueHead === this.queue.length) {
      this.emit(datagram);
      return true;
    }
    if (this.queued >= this.queueLimit) {
      this.dropped++;
      return false;
    }
    this.queue.push(datagram);
    return true;
  }

  /** The name service restarted: listeners must re-register (ENETRESET). */
  networkReset(): void {
    const err = new QrtrNetworkResetError();
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.error(err);
    for (const receiver of this.receivers.splice(0)) {
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.reject(err);
    }
  }

  private emit(datagram: Datagram): void {
    // Subscribing or unsubscribing replaces the array, so iterating this one is safe.
    const subscribers = this.subscribers;
    for (let i = 0; i < subscribers.length; i++) subscribers[i].next(datagram);
    if (datagram.confirmRx) this.host.datagramConsumed(this, datagram);
  }

  private drainQueue(): void {
    while (this.queued > 0 && this.subscribers.length > 0 && !this.isClosed) this.emit(this.shift());
  }

  private shift(): Datagram {
    const datagram = this.queue[this.queueHead];
    this.queue[this.queueHead++] = undefined as unknown as Datagram;
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    } else if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
    return datagram;
  }
}
