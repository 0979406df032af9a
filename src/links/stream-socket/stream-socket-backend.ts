import 'reflect-metadata';
import { ContainerModule } from 'inversify';
import type { BackendContribution } from '../../router/backend-contribution';
import type { Router } from '../../router/router';
import { BACKEND_CONTRIBUTION } from '../../router/tokens';
import { backendLoggerFrom } from '../tokens';
import { StreamSocketListener, type StreamSocketListenerOptions } from './stream-socket-listener';

/** The remote-socket listener as a backend the daemon starts and stops. */
export class StreamSocketBackend implements BackendContribution {
  readonly kind = 'socket';
  private listener: StreamSocketListener | null = null;

  constructor(private readonly options: StreamSocketListenerOptions) {}

  /** The running listener (after start). */
  get current(): StreamSocketListener | null {
    return this.listener;
  }

  async start(router: Router): Promise<void> {
    if (this.listener) return;
    const listener = new StreamSocketListener(router, this.options);
    await listener.listen();
    this.listener = listener;
  }

  async stop(): Promise<void> {
    const listener = this.listener;
    this.listener = null;
    await listener?.close();
  }
}

/** Binds a StreamSocketBackend to BACKEND_CONTRIBUTION (logger from BACKEND_LOGGER unless given). */
export function streamSocketBackendModule(options: StreamSocketListenerOptions): ContainerModule {
  return new ContainerModule((bind) => {
    bind(BACKEND_CONTRIBUTION)
      .toDynamicValue((ctx) => new StreamSocketBackend({ logger: backendLoggerFrom(ctx.container), ...options }))
      .inSingletonScope();
  });
}
