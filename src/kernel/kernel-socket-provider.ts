import { Observable, type Subscriber, type Subscription } from 'rxjs';
import { constants as osConstants } from 'node:os';
import { InvalidArgumentError } from '../common/errors';
import { QrtrAbortedError, QrtrNetworkResetError, QrtrSocketClosedError } from '../router/errors';
import {
  LOCAL_ENDPOINT_ID,
  NO_ENDPOINT_ID,
  type OpenSocketOptions,
  type QrtrAddress,
  type QrtrMessage,
  type QrtrSocket,
  type QrtrSocketProvider,
  type SendOptions,
} from '../router/socket';
import { AfQipcrtrSocket, type AfQipcrtrSocketOptions, type KernelQrtrMessage } from './af-qipcrtr-socket';
import { KernelOptionUnsupportedError, KernelSocketError } from './errors';
import type { NativeQrtrBinding } from './native-loader';

const { ENETRESET, EOPNOTSUPP } = osConstants.errno;

/** Datagrams a kernel socket holds in userspace once read (the rest stay in the kernel's queue). */
export const KERNEL_SOCKET_QUEUE_LIMIT = 256;

export interface KernelSocketProviderOptions {
  /** The addon; default the process-wide one from the loader. */
  readonly binding?: NativeQrtrBinding;
  /** Datagrams kept after a batch read when every consumer left mid-batch (default 256). */
  readonly queueLimit?: number;
}

/** A kernel datagram as a QrtrMessage; the address object is built on first use. */
class KernelDatagram implements QrtrMessage {
  private address: QrtrAddress | undefined;
  constructor(private readonly source: KernelQrtrMessage) {}
  get from(): QrtrAddress {
    return (this.address ??= { node: this.source.node, port: this.source.port });
  }
  /**
   * The kernel's QRTR_ENDPOINT report on patched kernels; mainline does not say which
   * link a datagram came over, so 0 ("unknown") — consumers then skip endpoint checks.
   */
  get endpoint(): number {
    return this.source.endpoint;
  }
  get data(): Uint8Array {
    return this.source.data;
  }
}

interface PendingReceive {
  resolve(message: QrtrMessage): void;
  reject(err: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * A QrtrSocket over a kernel AF_QIPCRTR socket. The kernel socket is read only while
 * someone subscribes to messages$ or waits in receive(): otherwise datagrams stay in
 * the kernel's receive queue (the contract's bounded queue), so the kernel's flow
 * control towards remote senders works as QRTR intends (RESUME_TX on dequeue).
 */
export class KernelQrtrSocket implements QrtrSocket {
  readonly messages$: Observable<QrtrMessage>;
  /** Datagrams dropped because the userspace queue was full. */
  dropped = 0;
  private subscribers: Subscriber<QrtrMessage>[] = [];
  private readonly receivers: PendingReceive[] = [];
  private readonly queue: QrtrMessage[] = [];
  private upstream: Subscription | null = null;
  private isClosed = false;

  constructor(
    private readonly socket: AfQipcrtrSocket,
    readonly address: QrtrAddress,
    private readonly queueLimit: number,
  ) {
    this.messages$ = new Observable<QrtrMessage>((subscriber) => {
      if (this.isClosed) {
        subscriber.complete();
        return undefined;
      }
      while (this.queue.length > 0 && !subscriber.closed) subscriber.next(this.queue.shift() as QrtrMessage);
      if (subscriber.closed) return undefined;
      this.subscribers = [...this.subscribers, subscriber];
      this.updateUpstream();
      return () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
        this.updateUpstream();
      };
    });
  }

  get endpointBinding(): number {
    return this.socket.endpointBinding;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Throws KernelOptionUnsupportedError on kernels without the multi-endpoint options (mainline). */
  bindEndpoint(endpointId: number): void {
    if (this.isClosed) throw new QrtrSocketClosedError(this.address.port);
    // Removing a binding that does not exist needs no kernel support.
    if (endpointId === NO_ENDPOINT_ID && this.socket.endpointBinding === NO_ENDPOINT_ID) return;
    this.socket.bindEndpoint(endpointId);
  }

  /**
   * Endpoints 0 and 1 (none, local) need no kernel support and are not passed down;
   * an explicit remote endpoint is refused with KernelOptionUnsupportedError on
   * mainline. `nonBlocking` is honoured for the local node (local delivery never
   * waits); mainline blocks remote sends in flow control even with MSG_DONTWAIT, so
   * a non-blocking remote send is refused with KernelOptionUnsupportedError.
   */
  send(to: QrtrAddress, data: Uint8Array, options?: SendOptions): Promise<void> {
    if (this.isClosed) return Promise.reject(new QrtrSocketClosedError(this.address.port));
    if (typeof to !== 'object' || to === null) return Promise.reject(new InvalidArgumentError('to', 'a QRTR address', to));
    const endpoint = options?.endpoint ?? this.socket.endpointBinding;
    if (options?.nonBlocking && to.node !== this.address.node) {
      return Promise.reject(
        new KernelOptionUnsupportedError(EOPNOTSUPP, `send(node=${to.node}, port=0x${(to.port >>> 0).toString(16)}, nonBlocking) — the kernel holds remote sends in flow control`),
      );
    }
    if (endpoint > LOCAL_ENDPOINT_ID) return this.socket.send(to.node, to.port, data, { endpoint, signal: options?.signal });
    return this.socket.send(to.node, to.port, data, options?.signal ? { signal: options.signal } : undefined);
  }

  receive(options?: { signal?: AbortSignal }): Promise<QrtrMessage> {
    if (this.isClosed) return Promise.reject(new QrtrSocketClosedError(this.address.port));
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift() as QrtrMessage);
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(new QrtrAbortedError('receive'));
    return new Promise<QrtrMessage>((resolve, reject) => {
      const pending: PendingReceive = { resolve, reject, signal };
      if (signal) {
        pending.onAbort = () => {
          const i = this.receivers.indexOf(pending);
          if (i >= 0) this.receivers.splice(i, 1);
          this.updateUpstream();
          reject(new QrtrAbortedError('receive'));
        };
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.receivers.push(pending);
      this.updateUpstream();
    });
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.upstream?.unsubscribe();
    this.upstream = null;
    this.socket.close();
    this.queue.length = 0;
    this.failReceivers(() => new QrtrSocketClosedError(this.address.port));
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
  }

  private updateUpstream(): void {
    const wanted = !this.isClosed && (this.subscribers.length > 0 || this.receivers.length > 0);
    if (wanted && !this.upstream) {
      this.upstream = this.socket.messages$.subscribe({
        next: (m) => this.deliver(new KernelDatagram(m)),
        error: (err: unknown) => this.fail(err),
        complete: () => this.close(),
      });
    } else if (!wanted && this.upstream) {
      // The kernel keeps what is not read yet (and the addon the rest of a batch).
      const upstream = this.upstream;
      this.upstream = null;
      upstream.unsubscribe();
    }
  }

  private deliver(message: QrtrMessage): void {
    const receiver = this.receivers.shift();
    if (receiver) {
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.resolve(message);
      if (this.subscribers.length === 0) this.updateUpstream();
      return;
    }
    const subscribers = this.subscribers;
    if (subscribers.length > 0) {
      for (let i = 0; i < subscribers.length; i++) subscribers[i].next(message);
      return;
    }
    if (this.queue.length >= this.queueLimit) {
      this.dropped++;
      return;
    }
    this.queue.push(message);
  }

  private fail(err: unknown): void {
    // The kernel reports a name-service restart as ENETRESET on every bound socket.
    const error = err instanceof KernelSocketError && err.errnoNumber === ENETRESET ? new QrtrNetworkResetError() : (err as Error);
    this.upstream = null;
    this.failReceivers(() => error);
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.error(error);
    this.close();
  }

  private failReceivers(makeError: () => Error): void {
    for (const receiver of this.receivers.splice(0)) {
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.reject(makeError());
    }
  }
}

/**
 * Sockets of the running kernel's QRTR router, behind the same contract as the
 * in-process router: QMI handles, name-service lookups and plugins run unchanged on
 * the kernel (kernel mode, `qrtrd --kernel`).
 */
export class KernelSocketProvider implements QrtrSocketProvider {
  private node: number | undefined;

  constructor(private readonly options: KernelSocketProviderOptions = {}) {}

  /**
   * Opens one socket to learn the kernel's node id. Throws KernelBackendUnavailableError
   * (no addon) or KernelQrtrUnsupportedError (no AF_QIPCRTR in this kernel), each saying
   * what to do.
   */
  static open(options: KernelSocketProviderOptions = {}): KernelSocketProvider {
    const provider = new KernelSocketProvider(options);
    const probe = new AfQipcrtrSocket(provider.socketOptions()).open();
    try {
      provider.node = probe.localNode;
    } finally {
      probe.close();
    }
    return provider;
  }

  /** The kernel's local node id (1 on mainline); known after the first socket opened. */
  get localNode(): number {
    if (this.node === undefined) {
      const probe = new AfQipcrtrSocket(this.socketOptions()).open();
      this.node = probe.localNode;
      probe.close();
    }
    return this.node;
  }

  async openSocket(options?: OpenSocketOptions): Promise<QrtrSocket> {
    const socket = new AfQipcrtrSocket(this.socketOptions()).open();
    try {
      this.node = socket.localNode;
      const address = socket.bind(options?.port ?? 0);
      return new KernelQrtrSocket(socket, address, this.options.queueLimit ?? KERNEL_SOCKET_QUEUE_LIMIT);
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  private socketOptions(): AfQipcrtrSocketOptions {
    return this.options.binding ? { binding: this.options.binding } : {};
  }
}
