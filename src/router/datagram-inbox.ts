import { Observable, type Observer, type Subscriber } from 'rxjs';
import { QrtrAbortedError, QrtrSocketClosedError } from './errors';
import { SinkList } from './sink-list';
import type { QrtrMessage } from './socket';

/** Why {@link DatagramInbox.deliver} refused a datagram. */
export type InboxRefusal = 'closed' | 'queueFull' | 'queueBytesFull';

/** What the inbox needs of its subscriber list; {@link SinkList} or the rxjs-Subscriber one below. */
interface InboxSubscribers {
  readonly size: number;
  readonly observable: Observable<QrtrMessage>;
  emit(message: QrtrMessage): void;
  error(err: unknown): void;
  complete(): void;
}

/**
 * The inbox's original subscriber list (rxjs Subscribers, as before issue #20), kept for
 * the kernel and remote-socket providers, whose listener hooks drive reading from
 * their upstream; the in-process router's sockets use the direct {@link SinkList}.
 */
class SubscriberList implements InboxSubscribers {
  private subscribers: Subscriber<QrtrMessage>[] = [];
  private stopped = false;
  readonly observable: Observable<QrtrMessage>;

  constructor(hooks: { readonly added: () => void; readonly removed: () => void }) {
    this.observable = new Observable<QrtrMessage>((subscriber) => {
      if (this.stopped) {
        subscriber.complete();
        return undefined;
      }
      this.subscribers = [...this.subscribers, subscriber];
      hooks.added();
      return () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
        hooks.removed();
      };
    });
  }

  get size(): number {
    return this.subscribers.length;
  }

  emit(message: QrtrMessage): void {
    // Subscribing or unsubscribing replaces the array, so iterating this one is safe.
    const subscribers = this.subscribers;
    for (let i = 0; i < subscribers.length; i++) subscribers[i].next(message);
  }

  error(err: unknown): void {
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.error(err);
  }

  complete(): void {
    this.stopped = true;
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
  }
}

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
 *
 * The queue is bounded in datagrams (`limit`) and in payload bytes (`byteLimit`): a
 * datagram is queued only if both bounds hold after it, except that an empty queue
 * always takes one (so a bound below the largest payload cannot wedge the socket).
 * A subscriber costs one call per datagram (see {@link SinkList}).
 */
export class DatagramInbox<M extends QrtrMessage> {
  readonly messages$: Observable<QrtrMessage>;
  private readonly subscribers: InboxSubscribers;
  /** The direct sink list, when messages$ is served by one (null for the rxjs-Subscriber list). */
  private readonly sinkList: SinkList<QrtrMessage> | null;
  /**
   * The one subscriber's observer while it is the only listener (no other subscriber,
   * no pending receive(), nothing queued, not closed), else null. Its owner may then call
   * it directly instead of {@link deliver} (RouterSocket.deliver: one check and one call
   * per datagram), catching what it throws (reportSubscriberError) and running its
   * consumed hook itself. Recomputed whenever one of those conditions changes.
   */
  get direct(): Observer<QrtrMessage> | null {
    return this.directListener;
  }

  private directListener: Observer<QrtrMessage> | null = null;
  private queue: M[] = [];
  private head = 0;
  private bytes = 0;
  private readonly receivers: PendingReceive[] = [];
  private isClosed = false;
  /** Why the last refused datagram was refused (read right after deliver() returned false). */
  lastRefusal: InboxRefusal = 'closed';

  constructor(
    private readonly onConsumed: (message: M) => void,
    private readonly limit: number,
    /** The socket's port, for QrtrSocketClosedError. */
    private readonly port: number,
    /** Called whenever a listener (subscriber or pending receive) comes or goes; see {@link listening}. */
    private readonly onListenersChanged?: () => void,
    /** Payload bytes the queue may hold. */
    private readonly byteLimit = Infinity,
    /** Serve messages$ through a {@link SinkList} (one call per datagram per subscriber). */
    directSinks = false,
  ) {
    const hooks = {
      added: () => {
        while (this.queued > 0 && this.subscribers.size > 0 && !this.isClosed) this.emit(this.shift());
        this.refreshDirect();
        this.onListenersChanged?.();
      },
      removed: () => {
        this.refreshDirect();
        this.onListenersChanged?.();
      },
    };
    this.sinkList = directSinks ? new SinkList<QrtrMessage>(hooks) : null;
    this.subscribers = this.sinkList ?? new SubscriberList(hooks);
    this.messages$ = this.subscribers.observable;
  }

  /** Payload bytes of the queued datagrams. */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Datagrams waiting for a consumer. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  get listening(): boolean {
    return this.subscribers.size > 0 || this.receivers.length > 0;
  }

  /** Hands a datagram to the application or queues it; false (dropped, see {@link lastRefusal}) if the queue is full. */
  deliver(message: M): boolean {
    if (this.isClosed) {
      this.lastRefusal = 'closed';
      return false;
    }
    if (this.receivers.length > 0) {
      const receiver = this.receivers.shift()!;
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.resolve(message);
      this.onConsumed(message);
      if (this.receivers.length === 0) {
        this.refreshDirect();
        this.onListenersChanged?.();
      }
      return true;
    }
    if (this.head === this.queue.length && this.subscribers.size > 0) {
      this.emit(message);
      return true;
    }
    const queued = this.queued;
    if (queued >= this.limit) {
      this.lastRefusal = 'queueFull';
      return false;
    }
    const size = message.data.length;
    if (queued > 0 && this.bytes + size > this.byteLimit) {
      this.lastRefusal = 'queueBytesFull';
      return false;
    }
    this.bytes += size;
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
          this.refreshDirect();
          this.onListenersChanged?.();
          reject(new QrtrAbortedError('receive'));
        };
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      this.receivers.push(pending);
      this.directListener = null;
      this.onListenersChanged?.();
    });
  }

  /** Errors every current listener (e.g. QrtrNetworkResetError); the queue is kept for the next one. */
  fail(err: Error): void {
    this.subscribers.error(err);
    this.rejectReceivers(err);
    this.refreshDirect();
  }

  /**
   * Removes the queued datagrams `keep` refuses (a socket rebound to another endpoint
   * must not read what arrived on the old one); returns them, in order, for accounting.
   */
  purge(keep: (message: M) => boolean): M[] {
    const removed: M[] = [];
    const kept: M[] = [];
    for (let i = this.head; i < this.queue.length; i++) {
      const message = this.queue[i];
      if (keep(message)) kept.push(message);
      else {
        removed.push(message);
        this.bytes -= message.data.length;
      }
    }
    if (removed.length > 0) {
      this.queue = kept;
      this.head = 0;
      this.refreshDirect();
    }
    return removed;
  }

  /** Drops the queue, completes subscribers and rejects pending receives. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.directListener = null;
    this.queue = [];
    this.head = 0;
    this.bytes = 0;
    this.rejectReceivers(new QrtrSocketClosedError(this.port));
    this.subscribers.complete();
  }

  private rejectReceivers(err: Error): void {
    for (const receiver of this.receivers.splice(0)) {
      if (receiver.onAbort) receiver.signal!.removeEventListener('abort', receiver.onAbort);
      receiver.reject(err);
    }
  }

  private refreshDirect(): void {
    const list = this.sinkList;
    this.directListener = list !== null && !this.isClosed && this.receivers.length === 0 && this.head === this.queue.length ? list.sole : null;
  }

  private emit(message: M): void {
    this.subscribers.emit(message);
    this.onConsumed(message);
  }

  private shift(): M {
    const message = this.queue[this.head];
    this.bytes -= message.data.length;
    this.queue[this.head++] = undefined as unknown as M;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
      this.refreshDirect();
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return message;
  }
}
