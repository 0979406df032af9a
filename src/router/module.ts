import 'reflect-metadata';
import { ContainerModule } from 'inversify';
import { Router } from './router';
import { ROUTER_OPTIONS } from './tokens';

/**
 * Binds the router as a singleton. Options come from
 * an optional ROUTER_OPTIONS binding; backends add themselves to
 * BACKEND_CONTRIBUTION from their own modules.
 */
export const routerModule = new ContainerModule((bind) => {
  bind(Router)
    .toDynamicValue((ctx) => {
      const options = ctx.container.isBound(ROUTER_OPTIONS) ? ctx.container.get(ROUTER_OPTIONS) : {};
      return new Router(options);
    })
    .inSingletonScope();
});
