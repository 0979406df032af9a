import { Observable, type Subscriber } from 'rxjs';
import { QrtrAbortedError, QrtrBadDestinationError, QrtrSocketClosedError } from '../router/errors';
import { NO_ENDPOINT_ID, type QrtrAddress, type QrtrMessage, type QrtrSocket, type SendOptions } from '../router/socket';
import type { QrtrdError } from '../common/errors';

/** What a RemoteQrtrSocket needs from its connection. */
export interface RemoteSocketHost {
  socketSend(handle: number, to: QrtrAddress, data: Uint8Array, options: SendOptions | undefined): Promise<void>;
  socketBind(handle: number, endpointId: number): void;
  socketCredit(handle: number, count: number): void;
  socketClose(handle: number): void;
}

interface PendingReceive {
  resolve(message: QrtrMessage): void;
  reject(err: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

class RemoteMessage implements QrtrMessage {
  constructor(
    readonly from: QrtrAddress,
    readonly endpoint: number,
    readonly data: Uint8Array,
  ) {}
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
  private isClosed = false;
  private readonly subscribers = new Set<Subscriber<QrtrMessage>>();
  private queue: QrtrMessage[] = [];
  private queueHead = 0;
  private readonly receivers: PendingReceive[] = [];
  private consumed = 0;

  constructor(
    private readonly host: RemoteSocketHost,
    readonly handle: number,
    readonly address: QrtrAddress,
    private readonly window: number,
  ) {
    this.messages$ = new Observable<QrtrMessage>((subscriber) => {
      if (this.isClosed) {
        subscriber.complete();
        return undefined;
      }
      this.subscribers.add(subscriber);
      while (this.queueHead < this.queue.length && this.subscribers.size > 0 && !this.isClosed) this.emit(this.shift());
      return () => {
        this.subscribers.delete(subscriber);
      };
    });
  }

  get endpointBinding(): number {
    return this.binding;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  bindEndpoint(endpointId: number): void {
    if (this.isClosed) throw new QrtrSocketClosedError(this.address.port);
    if (!Number.isInteger(endpointId) || endpointId < 0 || endpointId > 0x7fffffff) {
      throw new QrtrBadDestinationError(this.address.node, this.address.port, `endpoint ${endpointId} is not an endpoint ID`);
    }
    this.host.socketBind(this.handle, endpointId);
    this.binding = endpointId;
  }

  send(to: QrtrAddress, data: Uint8Array, options?: SendOptions): Promise<void> {
    if (this.isClosed) return Promise.reject(new QrtrSocketClosedError(this.address.port));
    return this.host.socketSend(this.handle, to, data, options);
  }

  receive(options?: { signal?: AbortSignal }): Promise<QrtrMessage> {
    if (this.isClosed) return Promise.reject(new QrtrSocketClosedError(this.address.port));
    if (this.queueHead < this.queue.length) {
      const message = this.shift();
      this.didConsume();
      return Promise.resolve(message);
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
    this.host.socketClose(this.handle);
    this.terminate();
  }

  /** A MESSAGE frame arrived (called by the connection). */
  deliver(node: number, port: number, endpoint: number, data: Uint8Array): void {
    if (this.isClosed) return;
    const message = new RemoteMessage({ node, port }, endpoint, data);
    if (this.receivers.length > 0) {
      const receiver = this.receivers.shift()!;
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.resolve(message);
      this.didConsume();
    } else if (this.subscribers.size > 0 && this.queueHead === this.queue.length) {
      this.emit(message);
    } else {
      this.queue.push(message);
    }
  }

  /** The server reported a socket error such as QrtrNetworkResetError: listeners must re-register. */
  fail(err: QrtrdError): void {
    for (const subscriber of [...this.subscribers]) subscriber.error(err);
    this.subscribers.clear();
    for (const receiver of this.receivers.splice(0)) {
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.reject(err);
    }
  }

  /** Ends the socket without telling the server (it closed it, or the connection is gone). */
  terminate(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.queue = [];
    this.queueHead = 0;
    for (const receiver of this.receivers.splice(0)) {
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.reject(new QrtrSocketClosedError(this.address.port));
    }
    for (const subscriber of [...this.subscribers]) subscriber.complete();
    this.subscribers.clear();
  }

  private emit(message: QrtrMessage): void {
    for (const subscriber of this.subscribers) subscriber.next(message);
    this.didConsume();
  }

  /** Hands window back in batches of half the window, so credits cost one frame per many datagrams. */
  private didConsume(): void {
    if (++this.consumed >= this.window >> 1 && !this.isClosed) {
      this.host.socketCredit(this.handle, this.consumed);
      this.consumed = 0;
    }
  }

  private shift(): QrtrMessage {
    const message = this.queue[this.queueHead];
    this.queue[this.queueHead++] = undefined as unknown as QrtrMessage;
    if (this.queueHead === this.queue.length) {
      this.queue = [];
      this.queueHead = 0;
    }
    return message;
  }
}
