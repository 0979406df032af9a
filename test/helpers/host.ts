import 'reflect-metadata';
import { Router, type RouterOptions } from '../../src/router';
import { NameService } from '../../src/ns';
import { QrtrType, encodeControl, instanceWord, QRTR_PORT_CTRL } from '../../src/wire';
import type { QrtrSocket } from '../../src/router';

export interface Host {
  router: Router;
  ns: NameService;
}

export function createHost(options: Partial<RouterOptions> = {}): Host {
  const router = new Router(options);
  const ns = new NameService(router);
  return { router, ns };
}

/** Registers a server for `socket` the way libqrtr does: NEW_SERVER to (local, CTRL). */
export function publish(socket: QrtrSocket, service: number, version: number, instance: number): Promise<void> {
  return socket.send(
    { node: socket.address.node, port: QRTR_PORT_CTRL },
    encodeControl({ type: QrtrType.NEW_SERVER, service, instance: instanceWord(version, instance) }),
  );
}
