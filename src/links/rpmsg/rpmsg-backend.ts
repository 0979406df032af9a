import 'reflect-metadata';
import { ContainerModule } from 'inversify';
import type { BackendContribution } from '../../router/backend-contribution';
import type { AttachedEndpoint, Router } from '../../router/router';
import { BACKEND_CONTRIBUTION } from '../../router/tokens';
import { SILENT_LOGGER, errorFields, type BackendLogger } from '../logger';
import { backendLoggerFrom } from '../tokens';
import { createRpmsgEndpointDevice, type RpmsgCtrlOptions, type RpmsgEndpointDevice } from './rpmsg-ctrl';
import { RpmsgEndpoint, type RpmsgEndpointOptions } from './rpmsg-endpoint';

export interface RpmsgDeviceConfig {
  /** Device node, e.g. /dev/rpmsg0 (an rpmsg_char endpoint on the IPCRTR channel). */
  readonly path?: string;
  /** Or an open descriptor of the same kind (inherited; the endpoint takes ownership). */
  readonly fd?: number;
  /** Or an rpmsg_ctrl device (`/dev/rpmsg_ctrl0`) to create the endpoint device on `channel` with. */
  readonly ctrl?: { readonly path: string; readonly channel: string; readonly options?: RpmsgCtrlOptions };
  /** Stable name for the backend key; defaults to the path's basename. Use the remoteproc + channel, e.g. 'adsp:IPCRTR'. */
  readonly name?: string;
}

export interface RpmsgBackendOptions extends Omit<RpmsgEndpointOptions, 'logger'> {
  readonly devices: readonly RpmsgDeviceConfig[];
  /** Attach the devices that opened even if others failed (default true); failures are logged. */
  readonly tolerateMissing?: boolean;
  readonly logger?: BackendLogger;
}

/** Opens the configured rpmsg devices and attaches each as an endpoint. */
export class RpmsgBackend implements BackendContribution {
  readonly kind: string;
  private readonly attached: AttachedEndpoint[] = [];
  /** Endpoint devices this backend created through rpmsg_ctrl, destroyed at stop. */
  private readonly created: RpmsgEndpointDevice[] = [];

  constructor(private readonly options: RpmsgBackendOptions) {
    this.kind = options.kind ?? 'rpmsg';
  }

  async start(router: Router): Promise<void> {
    const logger = this.options.logger ?? SILENT_LOGGER;
    for (const device of this.options.devices) {
      let endpoint: RpmsgEndpoint;
      try {
        let path = device.path;
        if (device.ctrl) {
          const made = await createRpmsgEndpointDevice(device.ctrl.path, device.ctrl.channel, device.ctrl.options);
          this.created.push(made);
          path = made.path;
        }
        endpoint =
          path !== undefined
            ? await RpmsgEndpoint.open(path, device.name, { ...this.options, logger })
            : new RpmsgEndpoint(device.fd!, device.name ?? `fd${device.fd}`, { ...this.options, logger });
      } catch (err) {
        logger.warn({ path: device.path, error: errorFields(err) }, `${this.kind} device not attached`);
        if (this.options.tolerateMissing === false) throw err;
        continue;
      }
      this.attached.push(router.attach(endpoint));
      logger.info({ path: device.path, key: endpoint.label }, `${this.kind} device attached`);
    }
  }

  async stop(): Promise<void> {
    for (const a of this.attached.splice(0)) a.detach();
    for (const device of this.created.splice(0)) await device.destroy();
  }
}

export function rpmsgBackendModule(options: RpmsgBackendOptions): ContainerModule {
  return new ContainerModule((bind) => {
    bind(BACKEND_CONTRIBUTION)
      .toDynamicValue((ctx) => new RpmsgBackend({ logger: backendLoggerFrom(ctx.container), ...options }))
      .inSingletonScope();
  });
}
