import { Observable, type Subscriber } from 'rxjs';
import { QrtrAbortedError, QrtrSocketClosedError } from './errors';
import type { QrtrMessage } from './socket';

interface PendingReceive {
  resolve(message: QrtrMessage): void;
  reject(err: Error): void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * The receive side of the QrtrSocket contract, shared by every implementation
 * (in-process, kernel, local-client): a datagram goes to the oldest pending
 * receive(), else to the messages$ subscribers, else into a bounded queue that
 * the next subscriber or receive() drains in order. `onConsumed` runs once per
 * datagram handed to the application (RESUME_TX, credit).
 */
export class DatagramInbox<M extends QrtrMessage> {
  readonly messages$: Observable<QrtrMessage>;
  /** An array, not a Set: delivery iterates it per datagram without an iterator object. */
  private subscribers: Subscriber<QrtrMessage>[] = [];
  private queue: M[] = [];
  private head = 0;
  private readonly receivers: PendingReceive[] = [];
  private isClosed = false;

  constructor(
    private readonly onConsumed: (message: M) => void,
    private readonly limit: number,
    /** The socket's port, for QrtrSocketClosedError. */
    private readonly port: number,
    /** Called whenever a listener (subscriber or pending receive) comes or goes; see {@link listening}. */
    private readonly onListenersChanged?: () => void,
  ) {
    this.messages$ = new Observable<QrtrMessage>((subscriber) => {
      if (this.isClosed) {
        subscriber.complete();
        return undefined;
      }
      this.subscribers = [...this.subscribers, subscriber];
      while (this.queued > 0 && this.subscribers.length > 0 && !this.isClosed) this.emit(this.shift());
      this.onListenersChanged?.();
      return () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
        this.onListenersChanged?.();
      };
    });
  }

  /** Datagrams waiting for a consumer. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get listening(): boolean {
    return this.subscribers.length > 0 || this.receivers.length > 0;
  }

  /** Hands a datagram to the application or queues it; false (dropped) if the queue is full. */
  deliver(message: M): boolean {
    if (this.isClosed) return false;
    if (this.receivers.length > 0) {
      const receiver = this.receivers.shift()!;
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.resolve(message);
      this.onConsumed(message);
      if (this.receivers.length === 0) this.onListenersChanged?.();
      return true;
    }
    if (this.subscribers.length > 0 && this.head === this.queue.length) {
      this.emit(message);
      return true;
    }
    if (this.queued >= this.limit) return false;
    this.queue.push(message);
    return true;
  }

  /** The oldest queued datagram, consumed, or undefined when none waits (no promise: the local-client pull loop). */
  tryReceive(): QrtrMessage | undefined {
    if (this.isClosed || this.queued === 0) return undefined;
    const message = this.shift();
    this.onConsumed(message);
    return message;
  }

  receive(signal?: AbortSignal): Promise<QrtrMessage> {
    if (this.isClosed) return Promise.reject(new QrtrSocketClosedError(this.port));
    if (this.queued > 0) {
      const message = this.shift();
      this.onConsumed(message);
      return Promise.resolve(message);
    }
    if (signal?.aborted) return Promise.reject(new QrtrAbortedError('receive'));
    return new Promise<QrtrMessage>((resolve, reject) => {
      const pending: PendingReceive = { resolve, reject, signal };
      if (signal) {
        pending.onAbort = () => {
          const i = this.receivers.indexOf(pending);
          if (i >= 0) this.receivers.splice(i, 1);
          this.onListenersChanged?.();
          reject(new QrtrAbortedError('receive'));
        };
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.receivers.push(pending);
      this.onListenersChanged?.();
    });
  }

  /** Errors every current listener (e.g. QrtrNetworkResetError); the queue is kept for the next one. */
  fail(err: Error): void {
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.error(err);
    this.rejectReceivers(err);
  }

  /** Drops the queue, completes subscribers and rejects pending receives. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.queue = [];
    this.head = 0;
    this.rejectReceivers(new QrtrSocketClosedError(this.port));
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
  }

  private rejectReceivers(err: Error): void {
    for (const receiver of this.receivers.splice(0)) {
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.reject(err);
    }
  }

  private emit(message: M): void {
    // Subscribing or unsubscribing replaces the array, so iterating this one is safe.
    const subscribers = this.subscribers;
    for (let i = 0; i < subscribers.length; i++) subscribers[i].next(message);
    this.onConsumed(message);
  }

  private shift(): M {
    const message = this.queue[this.head];
    this.queue[this.head++] = undefined as unknown as M;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return message;
  }
}
