import 'reflect-metadata';
import { ContainerModule } from 'inversify';
import type { BackendContribution } from '../../router/backend-contribution';
import type { AttachedEndpoint, Router } from '../../router/router';
import { BACKEND_CONTRIBUTION } from '../../router/tokens';
import { BackendNotStartedError } from '../errors';
import { SILENT_LOGGER, errorFields, type BackendLogger } from '../logger';
import { backendLoggerFrom } from '../tokens';
import type { MhiController } from './mhi-controller';
import { MhiQrtrEndpoint } from './mhi-qrtr-endpoint';

export interface MhiBackendOptions {
  /** Controllers present at start; more can be added with {@link MhiBackend.add}. */
  readonly controllers?: () => Iterable<MhiController>;
  readonly logger?: BackendLogger;
}

/** Probes the QRTR endpoint of every MHI controller it is given; hot-plug with add/remove. */
export class MhiBackend implements BackendContribution {
  readonly kind = 'mhi';
  private router: Router | null = null;
  private readonly probed = new Map<string, AttachedEndpoint>();
  private readonly logger: BackendLogger;

  constructor(private readonly options: MhiBackendOptions = {}) {
    this.logger = options.logger ?? SILENT_LOGGER;
  }

  start(router: Router): void {
    this.router = router;
    for (const controller of this.options.controllers?.() ?? []) {
      try {
        this.add(controller);
      } catch (err) {
        this.logger.warn({ pciAddress: controller.pciAddress, error: errorFields(err) }, 'MHI QRTR probe failed');
      }
    }
  }

  /** Probes one controller (a device that appeared). */
  add(controller: MhiController): AttachedEndpoint {
    if (!this.router) throw new BackendNotStartedError('mhi', 'add()');
    const { attached } = MhiQrtrEndpoint.probe(this.router, controller);
    this.probed.set(controller.pciAddress, attached);
    this.logger.info({ pciAddress: controller.pciAddress, endpoint: attached.id }, 'MHI QRTR endpoint attached');
    return attached;
  }

  /** Detaches one device's endpoint (driver unbind). */
  remove(pciAddress: string): void {
    this.probed.get(pciAddress)?.detach();
    this.probed.delete(pciAddress);
  }

  stop(): void {
    for (const address of [...this.probed.keys()]) this.remove(address);
    this.router = null;
  }
}

export function mhiBackendModule(options: MhiBackendOptions = {}): ContainerModule {
  return new ContainerModule((bind) => {
    bind(BACKEND_CONTRIBUTION)
      .toDynamicValue((ctx) => new MhiBackend({ logger: backendLoggerFrom(ctx.container), ...options }))
      .inSingletonScope();
  });
}
