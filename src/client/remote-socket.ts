import type { Observable } from 'rxjs';
import { DatagramInbox } from '../router/datagram-inbox';
import { QrtrBadDestinationError, QrtrSocketClosedError } from '../router/errors';
import { NO_ENDPOINT_ID, type QrtrAddress, type QrtrMessage, type QrtrSocket, type SendOptions } from '../router/socket';
import type { QrtrdError } from '../common/errors';

/** What a RemoteQrtrSocket needs from its connection. */
export interface RemoteSocketHost {
  socketSend(handle: number, to: QrtrAddress, data: Uint8Array, options: SendOptions | undefined): Promise<void>;
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

  constructor(
    private readonly host: RemoteSocketHost,
    readonly handle: number,
    readonly address: QrtrAddress,
    private readonly window: number,
  ) {
    // The server never sends more than the window, so the queue needs no lower bound of its own.
    this.inbox = new DatagramInbox<RemoteMessage>(() => this.didConsume(), Infinity, address.port);
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

  send(to: QrtrAddress, data: Uint8Array, options?: SendOptions): Promise<void> {
    if (this.closed) return Promise.reject(new QrtrSocketClosedError(this.address.port));
    return this.host.socketSend(this.handle, to, data, options);
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

  /** Ends the socket without telling the server (it closed it, or the connection is gone). */
  terminate(): void {
    this.inbox.close();
  }

  /** Hands window back in batches of half the window, so credits cost one frame per many datagrams. */
  private didConsume(): void {
    if (++this.consumed >= this.window >> 1 && !this.closed) {
      this.host.socketCredit(this.handle, this.consumed);
      this.consumed = 0;
    }
  }
}
