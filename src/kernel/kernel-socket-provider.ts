import type { Observable, Subscription } from 'rxjs';
import { constants as osConstants } from 'node:os';
import { InvalidArgumentError } from '../common/errors';
import { DatagramInbox } from '../router/datagram-inbox';
import { QrtrAddressInUseError, QrtrNetworkResetError, QrtrSocketClosedError } from '../router/errors';
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
import { KernelAddressInUseError, KernelOptionUnsupportedError, KernelSocketError } from './errors';
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
  private readonly inbox: DatagramInbox<QrtrMessage>;
  private upstream: Subscription | null = null;

  constructor(
    private readonly socket: AfQipcrtrSocket,
    readonly address: QrtrAddress,
    queueLimit: number,
  ) {
    // Nothing to do on consumption: the kernel sends RESUME_TX when the datagram is read.
    this.inbox = new DatagramInbox<QrtrMessage>(() => undefined, queueLimit, address.port, () => this.updateUpstream());
    this.messages$ = this.inbox.messages$;
  }

  get endpointBinding(): number {
    return this.socket.endpointBinding;
  }

  get closed(): boolean {
    return this.inbox.closed;
  }

  /** Throws KernelOptionUnsupportedError on kernels without the multi-endpoint options (mainline). */
  bindEndpoint(endpointId: number): void {
    if (this.closed) throw new QrtrSocketClosedError(this.address.port);
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
    if (this.closed) return Promise.reject(new QrtrSocketClosedError(this.address.port));
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
    return this.inbox.receive(options?.signal);
  }

  close(): void {
    if (this.closed) return;
    this.upstream?.unsubscribe();
    this.upstream = null;
    this.socket.close();
    this.inbox.close();
  }

  /**
   * Reads from the kernel only while someone listens: otherwise datagrams stay in
   * the kernel's queue (and the addon keeps the rest of a batch), so the kernel's
   * flow control towards remote senders sees a reader that stopped reading.
   */
  private updateUpstream(): void {
    const wanted = !this.inbox.closed && this.inbox.listening;
    if (wanted && !this.upstream) {
      this.upstream = this.socket.messages$.subscribe({
        next: (m) => {
          if (!this.inbox.deliver(new KernelDatagram(m))) this.dropped++;
        },
        error: (err: unknown) => this.fail(err),
        complete: () => this.close(),
      });
    } else if (!wanted && this.upstream) {
      const upstream = this.upstream;
      this.upstream = null;
      upstream.unsubscribe();
    }
  }

  private fail(err: unknown): void {
    // The kernel reports a name-service restart as ENETRESET on every bound socket.
    const error = err instanceof KernelSocketError && err.errnoNumber === ENETRESET ? new QrtrNetworkResetError() : (err as Error);
    this.upstream = null;
    this.inbox.fail(error);
    this.close();
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
      // The contract's class for the same failure the router reports (the errno stays as the cause).
      if (error instanceof KernelAddressInUseError) throw Object.assign(new QrtrAddressInUseError(options?.port ?? 0), { cause: error });
      throw error;
    }
  }

  private socketOptions(): AfQipcrtrSocketOptions {
    return { contractErrors: true, ...(this.options.binding ? { binding: this.options.binding } : {}) };
  }
}
