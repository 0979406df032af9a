import { QrtrdError } from '../common/errors';
import { AfQipcrtrSocket } from './af-qipcrtr-socket';
import type { NativeQrtrBinding } from './native-loader';

/** Result of {@link probeKernelQrtr}. */
export type KernelQrtrProbe =
  | { readonly available: true; readonly localNode: number; readonly endpointOptions: boolean }
  | { readonly available: false; readonly code: string; readonly reason: string };

/**
 * Whether the kernel backend can be used here: the addon loads and the kernel
 * creates AF_QIPCRTR sockets. Never throws for those two conditions.
 */
export function probeKernelQrtr(binding?: NativeQrtrBinding): KernelQrtrProbe {
  const socket = new AfQipcrtrSocket({ binding });
  try {
    socket.open();
    return { available: true, localNode: socket.localNode, endpointOptions: socket.endpointOptionsSupported };
  } catch (error) {
    if (error instanceof QrtrdError) return { available: false, code: error.code, reason: error.message };
    throw error;
  } finally {
    socket.close();
  }
}
