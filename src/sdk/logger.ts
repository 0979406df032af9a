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

/** A logger that drops everything. */
export function silentLogger(): PluginLogger {
  const noop = (): void => undefined;
  const logger: PluginLogger = { child: () => logger, error: noop, warn: noop, info: noop, debug: noop };
  return logger;
}

/** A logger that keeps every call in `records` (shared with its children), for tests and status views. */
export function recordingLogger(records: LogRecord[] = [], bindings: Record<string, unknown> = {}): PluginLogger & { readonly records: LogRecord[] } {
  const at =
    (level: LogRecord['level']) =>
    (obj: unknown, msg?: string): void => {
      records.push({ level, bindings, obj, msg });
    };
  return {
    records,
    child: (more) => recordingLogger(records, { ...bindings, ...more }),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
  };
}
