import { Observable, Subscriber } from 'rxjs';
import type { BackendKey, Endpoint } from './endpoint';
import { QrtrRouterError } from './errors';

/** transmit() on a memory endpoint whose link was closed. */
export class MemoryLinkClosedError extends QrtrRouterError {
  constructor(key: BackendKey) {
    super('QRTR_LINK_CLOSED', `Memory link ${key.kind}:${key.key} is closed`, { key: `${key.kind}:${key.key}` });
  }
}

/**
 * One side of an in-memory link. Packets transmitted on one side arrive on the
 * other side's packets$ on a later microtask, in order and in batches, like an
 * interrupt-driven driver: the receiver never re-enters the sender's call stack.
 */
export class MemoryEndpoint implements Endpoint {
  peer!: MemoryEndpoint;
  readonly packets$: Observable<Uint8Array>;
  private subscriber: Subscriber<Uint8Array> | null = null;
  /** Packets that arrived before anyone subscribed, or not yet flushed. */
  private inbox: Uint8Array[] = [];
  private flushScheduled = false;
  private isClosed = false;
  /** Packets transmitted by this side. */
  transmitted = 0;

  constructor(readonly backendKey: BackendKey) {
    this.packets$ = new Observable<Uint8Array>((subscriber) => {
      if (this.isClosed) {
        subscriber.complete();
        return undefined;
      }
      this.subscriber = subscriber;
      this.scheduleFlush();
      return () => {
        if (this.subscriber === subscriber) this.subscriber = null;
      };
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  transmit(packet: Uint8Array): void {
    if (this.isClosed) throw new MemoryLinkClosedError(this.backendKey);
    this.transmitted++;
    this.peer.enqueue(packet);
  }

  /** Closes both sides: each side's packets$ completes after delivering what was in flight. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.scheduleFlush();
    this.peer.close();
  }

  private enqueue(packet: Uint8Array): void {
    this.inbox.push(packet);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.flush);
  }

  private readonly flush = (): void => {
    this.flushScheduled = false;
    const subscriber = this.subscriber;
    if (!subscriber) return;
    const batch = this.inbox;
    if (batch.length > 0) {
      this.inbox = [];
      for (let i = 0; i < batch.length; i++) subscriber.next(batch[i]);
    }
    if (this.isClosed && this.inbox.length === 0) {
      this.subscriber = null;
      subscriber.complete();
    }
  };
}

/**
 * A connected pair of in-memory endpoints: attach one side to a router and the
 * other to another router (a simulated device) or drive it by hand in tests.
 */
export function createMemoryLink(keyA: BackendKey, keyB: BackendKey = { kind: 'memory', key: `peer-of-${keyA.kind}:${keyA.key}` }): [MemoryEndpoint, MemoryEndpoint] {
  const a = new MemoryEndpoint(keyA);
  const b = new MemoryEndpoint(keyB);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
