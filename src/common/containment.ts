import { Observable, type Observer, type Subscription } from 'rxjs';
import { QrtrdError } from './errors';

/**
 * Code of whatever a contained unit threw: the QrtrdError's own, else
 * `UNCAUGHT_<Name>` (a programming error in that unit, e.g. UNCAUGHT_TypeError).
 */
export function errorCodeOf(err: unknown): string {
  if (err instanceof QrtrdError) return err.code;
  const name = err instanceof Error ? err.name : typeof err;
  return `UNCAUGHT_${name}`;
}

/** A unit that threw, isolated at a containment boundary. */
export class ContainedFailureError extends QrtrdError {
  constructor(component: string, unit: string, cause: unknown) {
    super('QRTRD_CONTAINED_FAILURE', `${component} ${unit} threw ${errorCodeOf(cause)}: ${cause instanceof Error ? cause.message : String(cause)}`, {
      component,
      unit,
      cause: errorCodeOf(cause),
    }, { cause });
  }
}

type Next<T> = ((value: T) => void) | null | undefined;

/**
 * The same stream, but whatever a direct subscriber's callbacks throw goes to
 * `onError` instead of RxJS's unhandled-error path (which rethrows it on a timer
 * and ends the process). This is the boundary between a component that emits
 * (the name service, the router) and one unit that listens (a plugin): the unit's
 * bug is reported with its name and the emitter and the other listeners go on.
 * Subscriptions through `pipe()` are guarded up to the last operator only; the
 * daemon's last-resort handler catches the rest.
 */
export function containSubscribers<T>(source: Observable<T>, onError: (err: unknown) => void): Observable<T> {
  const guarded = new Observable<T>((subscriber) => source.subscribe(subscriber));
  const subscribe = guarded.subscribe.bind(guarded) as (observer: Partial<Observer<T>>) => Subscription;
  const guard =
    <A extends unknown[]>(fn: ((...args: A) => void) | undefined) =>
    (...args: A): void => {
      if (!fn) return;
      try {
        fn(...args);
      } catch (err) {
        onError(err);
      }
    };
  (guarded as { subscribe: unknown }).subscribe = (observerOrNext?: Partial<Observer<T>> | Next<T>): Subscription => {
    const observer: Partial<Observer<T>> =
      typeof observerOrNext === 'function' ? { next: observerOrNext } : observerOrNext ?? {};
    return subscribe({
      next: guard(observer.next?.bind(observer)),
      // An error notification nobody handles would take the same unhandled-error path.
      error: observer.error ? guard(observer.error.bind(observer)) : onError,
      complete: guard(observer.complete?.bind(observer)),
    });
  };
  return guarded;
}
