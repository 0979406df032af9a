import 'reflect-metadata';
import { ContainerModule, type interfaces } from 'inversify';
import { Router } from '../router/router';
import { NameService } from './name-service';
import type { NameServiceLimits } from './types';

/** Partial<NameServiceLimits> for the name service (optional binding). */
export const NAME_SERVICE_LIMITS: interfaces.ServiceIdentifier<Partial<NameServiceLimits>> = Symbol.for('qrtrd.NameServiceLimits');

/** Binds the name service as a singleton on the router's control port. */
export const nameServiceModule = new ContainerModule((bind) => {
  bind(NameService)
    .toDynamicValue((ctx) => {
      const limits = ctx.container.isBound(NAME_SERVICE_LIMITS) ? ctx.container.get<Partial<NameServiceLimits>>(NAME_SERVICE_LIMITS) : {};
      return new NameService(ctx.container.get(Router), limits);
    })
    .inSingletonScope();
});
