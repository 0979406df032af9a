/**
 * The logging surface backends write to. It is the subset of pino's Logger that
 * backends use (`logger.warn({ key, reason }, 'message')`), so the daemon passes
 * its pino instance (or a child of it) unchanged and tests pass a recorder.
 */
export interface BackendLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** Discards everything; the default when no logger is injected. */
export const SILENT_LOGGER: BackendLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/** Structured error fields for a log line (QrtrdError has toJSON; others keep name and message). */
export function errorFields(err: unknown): Record<string, unknown> {
  if (err && typeof err === 'object' && typeof (err as { toJSON?: unknown }).toJSON === 'function') {
    return (err as { toJSON(): Record<string, unknown> }).toJSON();
  }
  if (err instanceof Error) return { name: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code };
  return { message: String(err) };
}
