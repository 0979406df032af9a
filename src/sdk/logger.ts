/**
 * The logging interface plugins receive: the part of pino's Logger that plugins
 * need, so a pino instance can be passed as is and tests can pass a recorder.
 * Call as pino does: `log.info({ card: key }, 'message')` or `log.info('message')`.
 */
export interface PluginLogger {
  child(bindings: Record<string, unknown>): PluginLogger;
  error(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  debug(obj: unknown, msg?: string): void;
}

/** One recorded log call. */
export interface LogRecord {
  readonly level: 'error' | 'warn' | 'info' | 'debug';
  readonly bindings: Readonly<Record<string, unknown>>;
  readonly obj: unknown;
  readonly msg: string | undefined;
}
