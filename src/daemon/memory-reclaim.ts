import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Observable, Subscription } from 'rxjs';
import type { Logger } from 'pino';
import type { EndpointEvent } from '../router';
import { nativeLowMemoryNotification } from '../kernel/native-loader';

/*
 * Why the daemon collects garbage itself after cards go away (docs/performance.md, "Memory
 * per simulated card", round 4): a card's state lives long enough to be promoted to V8's old
 * space, and once the card detaches it stays there until the next mark-compact, which V8
 * starts only when old space reaches a multiple of what the last one left alive. A daemon
 * whose cards reset or are replaced then holds the dead cards' bytes beside the new ones,
 * and its peak RSS climbs with every cycle though nothing is retained. Nothing idle collects
 * it either (V8's memory reducer acts only after allocation-triggered collections). A full
 * collection once the endpoints have been quiet for a moment returns those pages at a time
 * when no card is being brought up: about 10-30 ms of main-thread time per reclaim, against
 * bring-ups that take seconds on real cards.
 */

/** A full, synchronous garbage collection. */
export type FullCollection = () => void;

/** How the daemon reclaims, and with what ('low-memory-notification' or 'gc'). */
export interface Reclaim {
  readonly kind: 'low-memory-notification' | 'gc';
  readonly run: FullCollection;
}

/**
 * V8's `gc` function: the global one when node runs with --expose-gc, otherwise one taken from
 * a fresh context created while the flag is set (the same V8 extension; the flag is cleared
 * again so no later context gets it).
 */
export function fullCollection(): FullCollection {
  const exposed = (globalThis as { gc?: FullCollection }).gc;
  if (typeof exposed === 'function') return exposed;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as FullCollection;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/**
 * The best reclaim this process has: V8's low-memory notification through the native addon
 * (collections until nothing more frees, then pooled pages and grown semi-spaces released),
 * else a full collection, which frees the dead objects but keeps the pages V8 pooled (measured
 * side by side in docs/performance.md).
 */
export function bestReclaim(): Reclaim {
  const notification = nativeLowMemoryNotification();
  if ('run' in notification) return { kind: 'low-memory-notification', run: notification.run };
  return { kind: 'gc', run: fullCollection() };
}

export interface MemoryReclaimOptions {
  /** Quiet time after the last endpoint event that followed a detach, before collecting; 0 never collects. */
  readonly afterDetachMs: number;
  /** The collection (default {@link bestReclaim}'s); injectable for tests. */
  readonly collect?: FullCollection;
  readonly logger?: Logger;
}

/**
 * Collects garbage once endpoints have stopped coming and going after a detach. Every endpoint
 * event restarts the wait, so a fleet that is detaching or coming back up is not interrupted:
 * the collection runs in the quiet after it. The timer never keeps the process alive, and a
 * collection that throws is logged and counted, never passed on.
 */
export class MemoryReclaimer {
  private readonly subscription: Subscription;
  private readonly collect: FullCollection | undefined;
  /** What runs: the injected collection ('injected'), or {@link bestReclaim}'s kind; 'off' with afterDetachMs 0. */
  readonly kind: Reclaim['kind'] | 'injected' | 'off';
  private timer: NodeJS.Timeout | undefined;
  private settledWaiters: (() => void)[] = [];
  private closed = false;
  /** Collections run. */
  reclaims = 0;
  /** Collections that threw (logged with their code). */
  failures = 0;
  /** Time spent in the last collection, ms. */
  lastMs = 0;

  constructor(
    events$: Observable<EndpointEvent>,
    private readonly options: MemoryReclaimOptions,
  ) {
    if (options.afterDetachMs <= 0) {
      this.kind = 'off';
    } else if (options.collect) {
      this.collect = options.collect;
      this.kind = 'injected';
    } else {
      const best = bestReclaim();
      this.collect = best.run;
      this.kind = best.kind;
    }
    this.subscription = events$.subscribe((event) => this.onEndpointEvent(event));
  }

  /** True while a collection is scheduled. */
  get pending(): boolean {
    return this.timer !== undefined;
  }

  /** Resolves when no collection is scheduled (at once if none is). */
  settled(): Promise<void> {
    if (!this.timer) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.unsubscribe();
    this.cancel();
  }

  private onEndpointEvent(event: EndpointEvent): void {
    if (!this.collect || this.closed) return;
    // An attach only postpones a collection a detach asked for; it never asks for one.
    if (event.type === 'detached' || this.timer) this.arm();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), this.options.afterDetachMs);
    this.timer.unref();
  }

  private run(): void {
    this.timer = undefined;
    const started = performance.now();
    try {
      this.collect!();
      this.reclaims++;
      this.lastMs = performance.now() - started;
      this.options.logger?.debug({ kind: this.kind, ms: Math.round(this.lastMs * 10) / 10, rss: process.memoryUsage.rss() }, 'memory reclaimed after endpoints detached');
    } catch (err) {
      this.failures++;
      this.options.logger?.warn({ code: (err as { code?: string }).code ?? 'GC_FAILED', error: (err as Error).message }, 'memory reclaim failed');
    }
    this.wake();
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.wake();
  }

  private wake(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const w of waiters) w();
  }
}
