import type { interfaces } from 'inversify';
import type { Router } from './router';

/**
 * A backend a container module contributes (MHI, rpmsg, TUN, a listening socket,
 * simulators). The composition root starts every contribution bound to
 * BACKEND_CONTRIBUTION; core code never names a backend.
 */
export interface BackendContribution {
  /** Backend family, as in BackendKey.kind. */
  readonly kind: string;
  /** Begins attaching endpoints to the router. */
  start(router: Router): Promise<void> | void;
  /** Detaches everything it attached and releases its resources. */
  stop(): Promise<void> | void;
}

/** All instances bound to a multi-binding token; [] when nothing is bound. */
export function getContributions<T>(container: interfaces.Container, token: interfaces.ServiceIdentifier<T>): T[] {
  return container.isBound(token) ? container.getAll<T>(token) : [];
}
