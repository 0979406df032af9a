import { config as rxjsConfig } from 'rxjs';
import type { Logger } from 'pino';
import { errorCodeOf } from '../common/containment';
import type { IncidentLog } from './incident-log';

/** Errors that got past every component boundary, by how they surfaced. */
export interface LastResortCounters {
  /** Thrown by an RxJS subscriber (reportUnhandledError). */
  subscriber: number;
  unhandledRejection: number;
  uncaughtException: number;
}

/**
 * The daemon's outermost boundary: an error no component caught (a throwing RxJS
 * subscriber outside the guarded streams, a promise nobody awaited, a throw in an
 * event handler) is logged with its code and counted, rate-limited per code, and
 * the daemon keeps serving. Only the daemon process installs this; libraries and
 * tests keep Node's default of failing loudly. Returns the counters and an uninstall.
 */
export function installLastResort(logger: Logger, incidents: IncidentLog): { counters: LastResortCounters; uninstall(): void } {
  const counters: LastResortCounters = { subscriber: 0, unhandledRejection: 0, uncaughtException: 0 };
  const log = logger.child({ component: 'last-resort' });
  const report = (how: keyof LastResortCounters, err: unknown): void => {
    counters[how]++;
    const code = errorCodeOf(err);
    incidents.report(`${how}:${code}`, ({ count, summary }) =>
      log.error(
        { how, code, count, err: summary ? undefined : err },
        summary ? `${count} more ${how} errors (${code}) in the last interval; still serving` : `${how} (${code}) reached the daemon; contained, still serving`,
      ),
    );
  };
  const previous = rxjsConfig.onUnhandledError;
  rxjsConfig.onUnhandledError = (err) => report('subscriber', err);
  const onRejection = (err: unknown): void => report('unhandledRejection', err);
  const onException = (err: unknown): void => report('uncaughtException', err);
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  return {
    counters,
    uninstall: () => {
      rxjsConfig.onUnhandledError = previous;
      process.off('unhandledRejection', onRejection);
      process.off('uncaughtException', onException);
    },
  };
}
