import { QrtrdError } from '../../common/errors';

/** Base of local-client protocol failures (either side of the qrtrd --socket connection). */
export class LocalClientError extends QrtrdError {}

/** A frame that does not follow docs/local-client-protocol.md; the connection is closed. */
export class LocalClientMalformedFrameError extends LocalClientError {
  constructor(reason: string, details: Record<string, unknown> = {}) {
    super('QRTRD_CLIENT_MALFORMED_FRAME', `Malformed local-client frame: ${reason}`, details);
  }
}

/** A frame longer than the receiving side accepts; the connection is closed. */
export class LocalClientFrameTooLargeError extends LocalClientError {
  constructor(length: number, limit: number) {
    super('QRTRD_CLIENT_FRAME_TOO_LARGE', `Local-client frame of ${length} bytes exceeds the limit of ${limit}`, { length, limit });
  }
}

/** The peers speak different protocol versions. */
export class LocalClientVersionError extends LocalClientError {
  constructor(offered: unknown, supported: number) {
    super('QRTRD_CLIENT_PROTOCOL_VERSION', `Local-client protocol version ${String(offered)} is not supported (this side speaks ${supported})`, {
      offered,
      supported,
    });
  }
}

/** A request names a socket, lookup or reservation handle this connection does not hold. */
export class LocalClientUnknownHandleError extends LocalClientError {
  constructor(what: string, handle: number) {
    super('QRTRD_CLIENT_UNKNOWN_HANDLE', `No ${what} with handle ${handle} on this connection`, { what, handle });
  }
}

/** A per-connection limit (sockets, lookups, reservations) is reached. */
export class LocalClientLimitError extends LocalClientError {
  constructor(what: string, limit: number) {
    super('QRTRD_CLIENT_LIMIT', `This connection already holds ${limit} ${what} (its limit)`, { what, limit });
  }
}

/** The connection to qrtrd is gone; pending requests fail with this. */
export class LocalClientDisconnectedError extends LocalClientError {
  constructor(reason: string) {
    super('QRTRD_CLIENT_DISCONNECTED', `Connection to qrtrd closed: ${reason}`, { reason });
  }
}

/** Connecting to the qrtrd socket failed. */
export class LocalClientConnectError extends LocalClientError {
  constructor(path: string, cause: unknown) {
    const errno = cause as NodeJS.ErrnoException;
    super('QRTRD_CLIENT_CONNECT', `Cannot connect to qrtrd at ${path}: ${errno?.code ?? ''} ${errno?.message ?? String(cause)}`.trim(), { path, errno: errno?.code }, { cause });
  }
}

/** QUERY names a query the daemon does not serve. */
export class LocalClientUnknownQueryError extends LocalClientError {
  constructor(name: string, known: readonly string[]) {
    super('QRTRD_CLIENT_UNKNOWN_QUERY', `The daemon serves no query '${name}' (it serves: ${known.join(', ') || 'none'})`, { name, known });
  }
}
