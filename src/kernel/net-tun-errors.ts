import { QrtrdError } from '../common/errors';
import { KernelSocketError, errnoValue } from './errors';

/**
 * A syscall on an IP TUN interface ("net-tun", /dev/net/tun) failed: a kernel syscall
 * error like KernelSocketError (errno name, operation), with codes of its own. Distinct
 * from the QRTR TUN link (/dev/qrtr-tun, src/links/tun), which carries QRTR, not IP.
 */
export class NetTunError extends KernelSocketError {
  constructor(errno: number, operation: string, hint?: string, code = 'NET_TUN_ERROR') {
    super(errno, operation, hint, code);
  }
}

/** EPERM/EACCES: creating or configuring a network interface needs CAP_NET_ADMIN. */
export class NetTunPermissionError extends NetTunError {
  constructor(errno: number, operation: string) {
    super(errno, operation, 'creating and configuring network interfaces needs CAP_NET_ADMIN: run as root or grant the capability', 'NET_TUN_PERMISSION_DENIED');
  }
}

/** ENOENT/ENODEV/ENXIO opening /dev/net/tun: the kernel has no TUN driver (CONFIG_TUN) or the node is missing. */
export class NetTunUnavailableError extends NetTunError {
  constructor(errno: number, operation: string) {
    super(errno, operation, 'no /dev/net/tun: load the tun module (CONFIG_TUN) or create the node with `mknod /dev/net/tun c 10 200`', 'NET_TUN_UNAVAILABLE');
  }
}

/** EBUSY from TUNSETIFF: another device (or another process's TUN) holds that interface name. */
export class NetTunNameInUseError extends NetTunError {
  constructor(errno: number, operation: string) {
    super(errno, operation, 'another interface has this name', 'NET_TUN_NAME_IN_USE');
  }
}

/** An MTU outside what the data plane below the interface can carry (checked before any syscall). */
export class NetTunMtuRangeError extends QrtrdError {
  constructor(name: string, mtu: number, min: number, max: number) {
    super('NET_TUN_MTU_RANGE', `${name}: MTU ${mtu} is outside ${min}..${max}`, { name, mtu, min, max });
  }
}

/** The device was used after close(). */
export class NetTunClosedError extends QrtrdError {
  constructor(name: string, operation: string) {
    super('NET_TUN_CLOSED', `${operation}: ${name} is closed`, { name, operation });
  }
}

const PERMISSION = new Set(['EPERM', 'EACCES'].map(errnoValue));
const UNAVAILABLE = new Set(['ENOENT', 'ENODEV', 'ENXIO'].map(errnoValue));
const BUSY = errnoValue('EBUSY');

/** Maps a (positive) errno from a net-tun operation to its typed error. */
export function netTunError(errno: number, operation: string, opening = false): NetTunError {
  if (PERMISSION.has(errno)) return new NetTunPermissionError(errno, operation);
  if (opening && UNAVAILABLE.has(errno)) return new NetTunUnavailableError(errno, operation);
  if (errno === BUSY) return new NetTunNameInUseError(errno, operation);
  return new NetTunError(errno, operation);
}
