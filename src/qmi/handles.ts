import 'reflect-metadata';
import { ContainerModule, inject, injectable } from 'inversify';
import { QRTR_SOCKET_PROVIDER } from '../router/tokens';
import type { QrtrSocketProvider } from '../router/socket';
import { QmiClient, type QmiClientOptions } from './client';
import { QmiService, type QmiServiceOptions } from './service';

/**
 * Opens QMI client and service handles on whatever socket provider the container
 * binds (the in-process router, the kernel, or a qrtrd daemon), so plugins are
 * written once for every deployment.
 */
@injectable()
export class QmiHandles {
  constructor(@inject(QRTR_SOCKET_PROVIDER) readonly provider: QrtrSocketProvider) {}

  openClient(options: QmiClientOptions): Promise<QmiClient> {
    return QmiClient.open(this.provider, options);
  }

  startService(options: QmiServiceOptions, setup?: (service: QmiService) => void): Promise<QmiService> {
    return QmiService.start(this.provider, options, setup);
  }
}

export const qmiModule = new ContainerModule((bind) => {
  bind(QmiHandles).toSelf().inSingletonScope();
});
