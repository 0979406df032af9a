import { Subject, type Observable } from 'rxjs';
import { DatagramInbox } from '../router/datagram-inbox';
import { QrtrBadDestinationError, QrtrSocketClosedError } from '../router/errors';
import { NO_ENDPOINT_ID, type QrtrAddress, type QrtrMessage, type QrtrSocket, type SendOptions } from '../router/socket';
import type { QrtrdError } from '../common/errors';

/**
 * SendOptions of a socket served by qrtrd, plus `quiet`: resolve as soon as the
 * datagram is queued to the daemon, like a datagram sendto(), with no reply frame on
 * success (docs/local-client-protocol.md, "Quiet sends"). A failure is reported
 * later as a RemoteSendFailure: on the socket's sendFailures$, or, while nothing
 * subscribes to it, by rejecting the socket's next send. Honoured only when the
 * daemon offers the `quiet-send` capability and the send has no `signal`;
 * otherwise the send is awaited as usual.
 */
export interface RemoteSendOptions extends SendOptions {
  readonly quiet?: boolean;
}

/** A quiet send the daemon could not complete: the same typed error an awaited send() rejects with. */
export interface RemoteSendFailure {
  /** The send's request id: the socket's `lastSendId` right after that send() returned. */
  readonly sendId: number;
  /** The destination the send named. */
  readonly to: QrtrAddress;
  /** Same class, `code`, message and details as an awaited send()'s rejection. */
  readonly error: QrtrdError;
}

/**
 * The RemoteSendFailure an error came with, when a socket's send() rejected because
 * an earlier quiet send had failed (undefined for the send's own failures).
 */
export function sendFailureOf(error: unknown): RemoteSendFailure | undefined {
  return typeof error === 'object' && error !== null ? HELD_FAILURES.get(error) : undefined;
}

/** Rejections that report an earlier quiet send's failure, with that failure (see sendFailureOf). */
const HELD_FAILURES = new WeakMap<object, RemoteSendFailure>();

/** What a RemoteQrtrSocket needs from its connection. */
export interface RemoteSocketHost {
  socketSend(handle: number, to: QrtrAddress, data: Uint8Array, options: RemoteSendOptions | undefined, quietByDefault: boolean): Promise<void>;
  /** The request id of the latest socketSend. */
  readonly lastRequestId: number;
  socketBind(handle: number, endpointId: number): void;
  socketCredit(handle: number, count: number): void;
  socketClose(handle: number): void;
}

/** A received datagram; the source address object is built on first use (most consumers read only data). */
class RemoteMessage implements QrtrMessage {
  private address: QrtrAddress | undefined;

  constructor(
    private readonly srcNode: number,
    private readonly srcPort: number,
    readonly endpoint: number,
    readonly data: Uint8Array,
  ) {}

  get from(): QrtrAddress {
    return (this.address ??= { node: this.srcNode, port: this.srcPort });
  }

  toJSON(): QrtrMessage {
    return { from: this.from, endpoint: this.endpoint, data: this.data };
  }
}

/**
 * A router socket served by qrtrd over the local-client protocol. Same contract
 * and delivery rules as the in-process RouterSocket: datagrams go to a pending
 * receive() first, then to messages$ subscribers, else wait in the queue. The
 * queue is bounded by the receive window the socket grants the server; window
 * is handed back (CREDIT) as datagrams are consumed.
 */
export class RemoteQrtrSocket implements QrtrSocket {
  readonly messages$: Observable<QrtrMessage>;
  private binding = NO_ENDPOINT_ID;
  private readonly inbox: DatagramInbox<RemoteMessage>;
  private consumed = 0;
  private readonly failures = new Subject<RemoteSendFailure>();
  /**
   * Failures of quiet sends that arrived while nothing subscribed to sendFailures$,
   * oldest first; each rejects one later send (which is then not made). It holds at
   * most one entry per quiet send that was actually made and failed, so it cannot
   * outgrow the sends in flight when the failures came.
   */
  private readonly held: RemoteSendFailure[] = [];
  /**
   * Failures of this socket's quiet sends (RemoteSendOptions.quiet), typed as an
   * awaited send() would reject; completes when the socket closes. Failures that
   * arrive while nobody subscribes reject the next send() instead.
   */
  readonly sendFailures$: Observable<RemoteSendFailure> = this.failures.asObservable();
  /** Request id of the latest send() on this socket (what a RemoteSendFailure's sendId refers to). */
  lastSendId = 0;

  /** Failures of quiet sends that arrived with nobody subscribed to sendFailures$, each to reject one later send(). */
  get heldSendFailures(): number {
    return this.held.length;
  }

  constructor(
    private readonly host: RemoteSocketHost,
    readonly handle: number,
    readonly address: QrtrAddress,
    private readonly window: number,
    /** Sends are quiet unless a send's options say `quiet: false` (RemoteOpenSocketOptions.quietSends). */
    private readonly quietByDefault = false,
  ) {
    // The server never sends more than the window, so the queue needs no lower bound of its own.
    // Direct sinks, as the in-process router's sockets: one call per datagram per subscriber, no rxjs Subscriber chain.
    this.inbox = new DatagramInbox<RemoteMessage>(() => this.didConsume(), Infinity, address.port, undefined, Infinity, true);
    this.messages$ = this.inbox.messages$;
  }

  get endpointBinding(): number {
    return this.binding;
  }

  get closed(): boolean {
    return this.inbox.closed;
  }

  bindEndpoint(endpointId: number): void {
    if (this.closed) throw new QrtrSocketClosedError(this.address.port);
    if (!Number.isInteger(endpointId) || endpointId < 0 || endpointId > 0x7fffffff) {
      throw new QrtrBadDestinationError(this.address.node, this.address.port, `endpoint ${endpointId} is not an endpoint ID`);
    }
    this.host.socketBind(this.handle, endpointId);
    this.binding = endpointId;
  }

  send(to: QrtrAddress, data: Uint8Array, options?: RemoteSendOptions): Promise<void> {
    if (this.closed) return Promise.reject(new QrtrSocketClosedError(this.address.port));
    if (this.held.length > 0) {
      // Like a pending socket error on a datagram socket: reported by the next send, which is not made.
      const failure = this.held.shift()!;
      HELD_FAILURES.set(failure.error, failure);
      return Promise.reject(failure.error);
    }
    const sent = this.host.socketSend(this.handle, to, data, options, this.quietByDefault);
    this.lastSendId = this.host.lastRequestId;
    return sent;
  }

  receive(options?: { signal?: AbortSignal }): Promise<QrtrMessage> {
    return this.inbox.receive(options?.signal);
  }

  close(): void {
    if (this.closed) return;
    this.host.socketClose(this.handle);
    this.terminate();
  }

  /** A MESSAGE frame arrived (called by the connection). */
  deliver(node: number, port: number, endpoint: number, data: Uint8Array): void {
    this.inbox.deliver(new RemoteMessage(node, port, endpoint, data));
  }

  /** The server reported a socket error such as QrtrNetworkResetError: listeners must re-register. */
  fail(err: QrtrdError): void {
    this.inbox.fail(err);
  }

  /** A quiet send failed (called by the connection): to sendFailures$ subscribers, else held for the next send(). */
  sendFailed(failure: RemoteSendFailure): void {
    if (this.closed) return; // closed meanwhile: like a datagram socket's pending error, it goes with the socket
    if (this.failures.observed) this.failures.next(failure);
    else this.held.push(failure);
  }

  /** Ends the socket without telling the server (it closed it, or the connection is gone). */
  terminate(): void {
    this.inbox.close();
    this.held.length = 0;
    this.failures.complete();
  }

  /** Hands window back in batches of half the window, so credits cost one frame per many datagrams. */
  private didConsume(): void {
    if (++this.consumed >= this.window >> 1 && !this.closed) {
      this.host.socketCredit(this.handle, this.consumed);
      this.consumed = 0;
    }
  }
}
