import { Observable, Subscriber, Subscription, config, type Observer } from 'rxjs';

/**
 * An error thrown by a subscriber's own callback goes where rxjs sends it
 * (`config.onUnhandledError`, else a later throw), never back into the producer: the
 * router keeps delivering to every other subscriber and to the other sockets.
 */
export function reportSubscriberError(err: unknown): void {
  const handler = config.onUnhandledError;
  if (handler) {
    handler(err);
    return;
  }
  setTimeout(() => {
    throw err;
  });
}

const noop = (): void => undefined;

/** As rxjs's own isSubscriber: an instance, or anything that is both an Observer and a Subscription. */
function isSubscriber<T>(value: unknown): value is Subscriber<T> {
  if (value instanceof Subscriber) return true;
  const v = value as Partial<Subscriber<T>> | null | undefined;
  return (
    !!v &&
    typeof v.next === 'function' &&
    typeof v.error === 'function' &&
    typeof v.complete === 'function' &&
    typeof v.add === 'function' &&
    typeof v.unsubscribe === 'function' &&
    typeof v.closed === 'boolean'
  );
}

/** One subscriber as the producer sees it: the observer whose `next` is called, once per value. */
class Sink<T> {
  closed = false;
  constructor(
    /** Has `next` always: functions and next-less observers are wrapped at subscribe time, not per value. */
    readonly target: Observer<T>,
    /** Set for rxjs Subscribers (operators, firstValueFrom...): they stop and unsubscribe themselves. */
    readonly subscriber: Subscriber<T> | null,
    readonly subscription: Subscription,
  ) {}
}

function toTarget<T>(
  observerOrNext: Partial<Observer<T>> | ((value: T) => void) | null | undefined,
): Observer<T> {
  if (typeof observerOrNext === 'function') return { next: observerOrNext, error: undefined as never, complete: noop };
  const partial = observerOrNext ?? {};
  if (typeof partial.next === 'function' && typeof partial.error === 'function' && typeof partial.complete === 'function') {
    return partial as Observer<T>;
  }
  // Keeps `this` of each callback the observer itself, as rxjs does.
  return {
    next: partial.next ? (value) => partial.next!(value) : noop,
    error: partial.error ? (err) => partial.error!(err) : (undefined as never),
    complete: partial.complete ? () => partial.complete!() : noop,
  };
}

/**
 * The subscribers of a hot stream, without rxjs's Subject: a value costs one call per
 * subscriber (`observer.next(value)`), not a Subscriber chain, and no closure or
 * iterator per emission (rxjs's CommonJS build of Subject.next allocates both).
 *
 * `observable` is a real rxjs Observable (pipe, operators, firstValueFrom work): its
 * `subscribe` registers the observer here. Subscribing or unsubscribing replaces the
 * array, so an emission in progress iterates a stable list; a subscriber that
 * unsubscribes during an emission gets nothing more.
 */
export class SinkList<T> {
  private sinks: Sink<T>[] = [];
  private stopped = false;
  /**
   * The observer of the one current subscriber, or null with none or several: a
   * producer with one listener (a socket and its handle) calls it directly, one call
   * per value (see DatagramInbox.deliver). Replaced with `sinks`, never mutated.
   */
  sole: Observer<T> | null = null;
  readonly observable: Observable<T>;

  constructor(
    private readonly hooks: {
      /** After a subscriber is added (the inbox drains its queue to it). */
      readonly added?: () => void;
      /** After a subscriber leaves (unsubscribed, errored or completed). */
      readonly removed?: () => void;
    } = {},
  ) {
    this.observable = new SinkObservable(this);
  }

  /** Number of current subscribers. */
  get size(): number {
    return this.sinks.length;
  }

  get observed(): boolean {
    return this.sinks.length > 0;
  }

  /** Whether complete() ran: later subscribers complete at once. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** @internal called by the Observable's subscribe. */
  add(observerOrNext: Partial<Observer<T>> | ((value: T) => void) | null | undefined): Subscription {
    const subscriber = isSubscriber(observerOrNext) ? observerOrNext : null;
    const subscription = subscriber ?? new Subscription();
    const sink = new Sink<T>(subscriber ?? toTarget(observerOrNext), subscriber, subscription);
    if (this.stopped) {
      sink.closed = true; // never listed: no `removed` hook
      this.finish(sink, undefined, false);
      return subscription;
    }
    this.setSinks([...this.sinks, sink]);
    subscription.add(() => this.remove(sink));
    this.hooks.added?.();
    return subscription;
  }

  emit(value: T): void {
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i++) {
      const sink = sinks[i];
      if (sink.closed) continue;
      try {
        sink.target.next(value);
      } catch (err) {
        reportSubscriberError(err);
      }
    }
  }

  /**
   * Errors every current subscriber; the list stays open for new ones. Not terminal,
   * unlike an rxjs Subject's error: a socket's messages$ errors with
   * QrtrNetworkResetError when the name service restarts, and its users (QmiService.listen,
   * QmiClient.onSocketError, the local-client connection's listener) subscribe again to
   * the same messages$ from their error handler; a terminal error would complete or
   * error that new subscription at once and lose every later datagram.
   */
  error(err: unknown): void {
    const sinks = this.sinks;
    this.setSinks([]);
    for (const sink of sinks) this.finish(sink, err, true);
  }

  /** Completes every current and future subscriber. Idempotent. */
  complete(): void {
    if (this.stopped) return;
    this.stopped = true;
    const sinks = this.sinks;
    this.setSinks([]);
    for (const sink of sinks) this.finish(sink, undefined, false);
  }

  private remove(sink: Sink<T>): void {
    if (sink.closed) return;
    sink.closed = true;
    this.setSinks(this.sinks.filter((s) => s !== sink));
    this.hooks.removed?.();
  }

  private setSinks(sinks: Sink<T>[]): void {
    this.sinks = sinks;
    this.sole = sinks.length === 1 ? sinks[0].target : null;
  }

  private finish(sink: Sink<T>, err: unknown, isError: boolean): void {
    const wasListed = !sink.closed;
    sink.closed = true;
    const target = sink.target;
    try {
      if (!isError) target.complete();
      else if (typeof target.error === 'function') target.error(err);
      else reportSubscriberError(err);
    } catch (thrown) {
      reportSubscriberError(thrown);
    }
    // A Subscriber unsubscribes itself on error/complete; a plain observer's subscription is closed here.
    if (!sink.subscriber) sink.subscription.unsubscribe();
    if (wasListed) this.hooks.removed?.();
  }
}

class SinkObservable<T> extends Observable<T> {
  constructor(private readonly list: SinkList<T>) {
    super();
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
    // Accepted for rxjs's deprecated (next, error, complete) signature.
    error?: ((err: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    if (error || complete) {
      return this.list.add({ next: (typeof observerOrNext === 'function' ? observerOrNext : undefined) ?? undefined, error: error ?? undefined, complete: complete ?? undefined });
    }
    return this.list.add(observerOrNext);
  }
}
