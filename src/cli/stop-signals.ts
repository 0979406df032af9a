import type { Subscription } from 'rxjs';

/**
 * Ends a long-running command (`lookup --watch`, `trace`) on SIGINT or SIGTERM:
 * unsubscribes and calls `done`. Returns the cleanup that removes the signal
 * listeners again, for when the stream ends by itself first.
 */
export function stopOnSignals(subscription: Subscription, done: () => void): () => void {
  const stop = (): void => {
    cleanup();
    subscription.unsubscribe();
    done();
  };
  const cleanup = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return cleanup;
}
