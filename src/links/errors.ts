import { QrtrdError } from '../common/errors';

/** Base of backend (link) failures. */
export class QrtrBackendError extends QrtrdError {}

/** A link's outgoing queue passed its hard limit: the peer is not reading. */
export class LinkWriteQueueFullError extends QrtrBackendError {
  constructor(link: string, queuedBytes: number, limit: number) {
    super('QRTR_LINK_WRITE_QUEUE_FULL', `Link ${link} has ${queuedBytes} bytes queued for writing, over its limit of ${limit}; the peer is not reading`, {
      link,
      queuedBytes,
      limit,
    });
  }
}

/** transmit() on a link that is closed or closing. */
export class LinkClosedError extends QrtrBackendError {
  constructor(link: string) {
    super('QRTR_LINK_CLOSED', `Link ${link} is closed`, { link });
  }
}

/** An operating-system call on a link failed (open, read, write, listen). */
export class LinkIoError extends QrtrBackendError {
  constructor(link: string, operation: string, cause: unknown) {
    const errno = cause as NodeJS.ErrnoException;
    super(
      'QRTR_LINK_IO',
      `Link ${link}: ${operation} failed: ${errno?.code ?? ''} ${errno?.message ?? String(cause)}`.replace(/\s+/g, ' ').trim(),
      { link, operation, errno: errno?.code, syscall: errno?.syscall },
      { cause },
    );
  }
}

/** A packet larger than a link can carry in one transfer (MHI buffer, rpmsg buffer). */
export class LinkPacketTooLargeError extends QrtrBackendError {
  constructor(link: string, length: number, limit: number) {
    super('QRTR_LINK_PACKET_TOO_LARGE', `Link ${link}: a ${length}-byte packet exceeds the ${limit}-byte transfer limit`, { link, length, limit });
  }
}

/** Listening on a socket path failed (in use by a live server, permission, ...). */
export class ListenError extends QrtrBackendError {
  constructor(path: string, reason: string, cause?: unknown) {
    super('QRTR_LISTEN_FAILED', `Cannot listen on ${path}: ${reason}`, { path }, { cause });
  }
}

/** A backend method that needs the router was called before start(). */
export class BackendNotStartedError extends QrtrBackendError {
  constructor(kind: string, operation: string) {
    super('QRTR_BACKEND_NOT_STARTED', `The ${kind} backend is not started; ${operation} needs the router`, { kind, operation });
  }
}

/** A `links[i]` entry of the configuration a link factory cannot use (unknown kind, bad path). */
export class LinkConfigError extends QrtrBackendError {
  constructor(key: string, expected: string, actual: unknown) {
    super('QRTR_LINK_CONFIG_INVALID', `links: '${key}' must be ${expected}, got ${JSON.stringify(actual)}`, { key, expected });
  }
}
