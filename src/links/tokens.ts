import type { interfaces } from 'inversify';
import { SILENT_LOGGER, type BackendLogger } from './logger';

/** Optional BackendLogger binding (the daemon binds a pino child logger); backends log nowhere without it. */
export const BACKEND_LOGGER: interfaces.ServiceIdentifier<BackendLogger> = Symbol.for('qrtrd.BackendLogger');

export function backendLoggerFrom(container: interfaces.Container): BackendLogger {
  return container.isBound(BACKEND_LOGGER) ? container.get(BACKEND_LOGGER) : SILENT_LOGGER;
}
