import * as net from 'node:net';
import type { BackendKey } from '../../router/endpoint';
import { LinkIoError } from '../errors';
import { StreamSocketEndpoint, type StreamLinkOptions } from './stream-socket-endpoint';

export interface ConnectRemoteEndpointOptions extends StreamLinkOptions {
  /** Key of the link as seen by the connecting side's router; defaults to `{ kind: 'socket', key: <path> }`. */
  readonly backendKey?: BackendKey;
}

/**
 * The device side of the remote-socket protocol: connects to a qrtrd listening
 * socket and returns the link as an Endpoint, so a second Router (a simulated
 * card, a device emulator) can `attach()` it and appear to the daemon as a
 * remote node.
 */
export function connectRemoteEndpoint(path: string, options: ConnectRemoteEndpointOptions = {}): Promise<StreamSocketEndpoint> {
  return new Promise<StreamSocketEndpoint>((resolve, reject) => {
    const socket = net.createConnection(path);
    const key = options.backendKey ?? { kind: 'socket', key: path };
    const onError = (err: Error): void => {
      socket.destroy();
      reject(new LinkIoError(`socket:${path}`, 'connect', err));
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      socket.off('error', onError);
      resolve(new StreamSocketEndpoint(socket, key, options));
    });
  });
}
