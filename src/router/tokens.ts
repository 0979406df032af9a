import type { interfaces } from 'inversify';
import type { BackendContribution } from './backend-contribution';
import type { RouterOptions } from './options';

/** Partial<RouterOptions> for the router (optional binding). */
export const ROUTER_OPTIONS: interfaces.ServiceIdentifier<Partial<RouterOptions>> = Symbol.for('qrtrd.RouterOptions');
/** Backends contributed by modules: every binding is started by the daemon. */
export const BACKEND_CONTRIBUTION: interfaces.ServiceIdentifier<BackendContribution> = Symbol.for('qrtrd.BackendContribution');
