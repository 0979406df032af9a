import type { LogRecord, PluginLogger } from '../sdk/logger';

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
