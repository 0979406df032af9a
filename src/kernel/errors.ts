import { constants as osConstants } from 'node:os';
import { QrtrdError } from '../common/errors';

/** One attempt the loader made to find the native addon, and why it failed. */
export interface NativeLoadAttempt {
  readonly path: string;
  readonly error: string;
}

/**
 * The kernel backend cannot be used: the AF_QIPCRTR addon is missing, failed to load,
 * or the platform is not Linux. Thrown only when the kernel backend is actually used;
 * everything else in qrtrd works without the addon.
 */
export class KernelBackendUnavailableError extends QrtrdError {
  constructor(reason: string, tried: readonly NativeLoadAttempt[], remedies: readonly string[]) {
    const lines = [
      `The kernel (AF_QIPCRTR) backend is unavailable: ${reason}.`,
      ...(tried.length > 0 ? ['Tried:', ...tried.map((t) => `  - ${t.path}: ${t.error}`)] : []),
      ...(remedies.length > 0 ? ['What to do:', ...remedies.map((r) => `  - ${r}`)] : []),
    ];
    super('KERNEL_BACKEND_UNAVAILABLE', lines.join('\n'), { reason, tried, remedies, platform: process.platform });
  }
}

const ERRNO_NAMES = new Map<number, string>();
// Where two names share a number, the one the kernel sources use wins.
for (const name of ['EAGAIN', 'EOPNOTSUPP', 'EDEADLK']) {
  const value = (osConstants.errno as Record<string, number | undefined>)[name];
  if (value !== undefined) ERRNO_NAMES.set(value, name);
}
for (const [name, value] of Object.entries(osConstants.errno)) {
  if (!ERRNO_NAMES.has(value)) ERRNO_NAMES.set(value, name);
}

/** Symbolic name of an errno value (`EADDRINUSE`), or `E<number>` when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

/** errno value of a symbolic name on this platform (undefined if the platform lacks it). */
export function errnoValue(name: string): number | undefined {
  return (osConstants.errno as Record<string, number | undefined>)[name];
}

/**
 * A syscall on an AF_QIPCRTR socket failed. `errno` is the symbolic name, `operation`
 * what was being done (`bind(node=1, port=16384)`). Subclasses name the failure modes
 * callers handle differently; anything else is a plain KernelSocketError.
 */
export class KernelSocketError extends QrtrdError {
  readonly errno: string;
  readonly errnoNumber: number;
  readonly operation: string;

  constructor(errno: number, operation: string, hint?: string, code = 'KERNEL_SOCKET_ERROR') {
    const name = errnoName(errno);
    super(code, `${operation} failed: ${name}${hint ? ` (${hint})` : ''}`, { errno: name, errnoNumber: errno, operation });
    this.errno = name;
    this.errnoNumber = errno;
    this.operation = operation;
  }
}

/** EAFNOSUPPORT from socket(): the running kernel has no QRTR support. */
export class KernelQrtrUnsupportedError extends KernelSocketError {
  constructor(errno: number, operation: string) {
    super(errno, operation, 'the running kernel has no AF_QIPCRTR: load it with `modprobe qrtr` (CONFIG_QRTR)', 'KERNEL_QRTR_UNSUPPORTED');
  }
}

/** EADDRINUSE from bind(): another socket holds the port. */
export class KernelAddressInUseError extends KernelSocketError {
  constructor(errno: number, operation: string) {
    super(errno, operation, 'another socket is bound to this port', 'KERNEL_ADDRESS_IN_USE');
  }
}

/** EPERM/EACCES: ports below 0x4000 (and the control port) need CAP_NET_ADMIN. */
export class KernelPermissionError extends KernelSocketError {
  constructor(errno: number, operation: string) {
    super(errno, operation, 'ports below 0x4000 need CAP_NET_ADMIN', 'KERNEL_PERMISSION_DENIED');
  }
}

/**
 * ENOPROTOOPT/EOPNOTSUPP on a SOL_QRTR option, or an endpoint requested from a kernel
 * without them: the kernel lacks the multi-endpoint patch set (mainline up to at least
 * 6.18 has no SOL_QRTR options at all; its socket has no setsockopt, hence EOPNOTSUPP).
 */
export class KernelOptionUnsupportedError extends KernelSocketError {
  constructor(errno: number, operation: string) {
    super(errno, operation, 'this kernel lacks the QRTR multi-endpoint socket options', 'KERNEL_OPTION_UNSUPPORTED');
  }
}

/** ENODEV on send to the local node: no socket is bound to the destination port. */
export class KernelPortUnreachableError extends KernelSocketError {
  constructor(errno: number, operation: string) {
    super(errno, operation, 'no socket is bound to the destination port', 'KERNEL_PORT_UNREACHABLE');
  }
}

/** ECONNRESET/ENXIO/EPIPE on send: the destination node (or endpoint) is not reachable. */
export class KernelNodeUnreachableError extends KernelSocketError {
  constructor(errno: number, operation: string) {
    super(errno, operation, 'the destination node is not connected to the kernel router', 'KERNEL_NODE_UNREACHABLE');
  }
}

/** ENOSPC on send: the local receiver's queue is full (local delivery has no flow control). */
export class KernelQueueFullError extends KernelSocketError {
  constructor(errno: number, operation: string) {
    super(errno, operation, "the receiving socket's queue is full", 'KERNEL_QUEUE_FULL');
  }
}

/** EMSGSIZE: the datagram exceeds what the kernel accepts (65535 bytes). */
export class KernelMessageTooLargeError extends KernelSocketError {
  constructor(errno: number, operation: string) {
    super(errno, operation, 'QRTR datagrams carry at most 65535 bytes', 'KERNEL_MESSAGE_TOO_LARGE');
  }
}

/** The socket was used before open() or after close(). */
export class KernelSocketClosedError extends QrtrdError {
  constructor(operation: string, state: 'not open' | 'closed') {
    super('KERNEL_SOCKET_CLOSED', `${operation}: the socket is ${state}`, { operation, state });
  }
}

/**
 * trySendFrom() was given a batch that is no longer lent: its subscriber call has returned
 * (the receive area now holds, or will hold, other datagrams), or it is not a batch from
 * batches$ at all.
 */
export class KernelBatchNotLentError extends QrtrdError {
  constructor(operation: string) {
    super('KERNEL_BATCH_NOT_LENT', `${operation}: the batch is no longer lent (use it only inside its batches$ callback)`, { operation });
  }
}

/** A send waiting in the kernel's flow control was abandoned through its AbortSignal. */
export class KernelSendAbortedError extends QrtrdError {
  constructor(operation: string, reason: unknown) {
    super('KERNEL_SEND_ABORTED', `${operation}: aborted (${reason instanceof Error ? reason.message : String(reason)})`, { operation });
  }
}

type ErrorFactory = new (errno: number, operation: string) => KernelSocketError;

const BY_ERRNO: ReadonlyArray<[string, ErrorFactory]> = [
  ['EAFNOSUPPORT', KernelQrtrUnsupportedError],
  ['EADDRINUSE', KernelAddressInUseError],
  ['EPERM', KernelPermissionError],
  ['EACCES', KernelPermissionError],
  ['ENOPROTOOPT', KernelOptionUnsupportedError],
  ['EOPNOTSUPP', KernelOptionUnsupportedError],
  ['ENODEV', KernelPortUnreachableError],
  ['ECONNRESET', KernelNodeUnreachableError],
  ['ENXIO', KernelNodeUnreachableError],
  ['EPIPE', KernelNodeUnreachableError],
  ['ENOSPC', KernelQueueFullError],
  ['EMSGSIZE', KernelMessageTooLargeError],
];

const FACTORIES = new Map<number, ErrorFactory>();
for (const [name, factory] of BY_ERRNO) {
  const value = errnoValue(name);
  if (value !== undefined && !FACTORIES.has(value)) FACTORIES.set(value, factory);
}

/**
 * Maps a (positive) errno from a socket operation to its typed error. `operation`
 * describes the call with its arguments, e.g. `bind(node=1, port=16384)`.
 */
export function kernelSocketError(errno: number, operation: string): KernelSocketError {
  const Factory = FACTORIES.get(errno);
  return Factory ? new Factory(errno, operation) : new KernelSocketError(errno, operation);
}
