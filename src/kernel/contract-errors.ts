import { constants as osConstants } from 'node:os';
import { QrtrNoRouteError, QrtrNoSuchPortError } from '../router/errors';
import type { KernelSocketError } from './errors';

const { ENODEV, ECONNRESET, ENXIO, EPIPE } = osConstants.errno;

/**
 * A failed send as the socket contract reports it, so a QrtrSocket on the kernel fails like one
 * on the router for the same cause (the kernel's errno error stays as `cause`): ENODEV from
 * net/qrtr/af_qrtr.c qrtr_local_enqueue (no socket on the local port) is QrtrNoSuchPortError;
 * ECONNRESET (qrtr_sendmsg: no such node), ENXIO and EPIPE are QrtrNoRouteError. Other errnos
 * keep the kernel's class.
 */
export function contractSendError(error: KernelSocketError, localNode: number, node: number, port: number, endpoint: number): Error {
  const errno = error.errnoNumber;
  if (errno === ENODEV && node === localNode) return Object.assign(new QrtrNoSuchPortError(node, port), { cause: error, errno: error.details.errno });
  if (errno === ECONNRESET || errno === ENXIO || errno === EPIPE) return Object.assign(new QrtrNoRouteError(node, endpoint), { cause: error });
  return error;
}
