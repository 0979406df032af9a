import type { interfaces } from 'inversify';

/** Partial<RouterOptions> for the router (optional binding). */
export const ROUTER_OPTIONS: interfaces.ServiceIdentifier<unknown> = Symbol.for('qrtrd.RouterOptions');
/** The QrtrSocketProvider that QMI handles and plugins open sockets from. */
export const QRTR_SOCKET_PROVIDER: interfaces.ServiceIdentifier<unknown> = Symbol.for('qrtrd.QrtrSocketProvider');
/** Backends contributed by modules: every binding is started by the daemon. */
export const BACKEND_CONTRIBUTION: interfaces.ServiceIdentifier<unknown> = Symbol.for('qrtrd.BackendContribution');
