import { QrtrdError } from '../common/errors';

/** A request got no response in time. */
export class QmiTimeoutError extends QrtrdError {
  constructor(message: string, txn: number, timeoutMs: number) {
    super('QMI_TIMEOUT', `${message} (txn ${txn}) got no response within ${timeoutMs} ms`, { message, txn, timeoutMs });
  }
}

/** A request was cancelled through its AbortSignal. */
export class QmiAbortedError extends QrtrdError {
  constructor(message: string) {
    super('QMI_ABORTED', `${message} was cancelled`, { message });
  }
}

/** The service went away (DEL_SERVER, BYE, endpoint detach) while a request was pending. */
export class QmiServiceLostError extends QrtrdError {
  constructor(service: number, node: number, port: number, endpoint: number) {
    super('QMI_SERVICE_LOST', `Service ${service} at ${node}:${port} on endpoint ${endpoint} went away`, { service, node, port, endpoint });
  }
}

/** No server for the client's service appeared in time. */
export class QmiServiceUnavailableError extends QrtrdError {
  constructor(description: string, timeoutMs: number) {
    super('QMI_SERVICE_UNAVAILABLE', `No server for ${description} appeared within ${timeoutMs} ms`, { description, timeoutMs });
  }
}

/** Operation on a closed client or service handle. */
export class QmiHandleClosedError extends QrtrdError {
  constructor(what: string) {
    super('QMI_HANDLE_CLOSED', `${what} is closed`, { what });
  }
}

/** All 65536 transaction ids are in flight. */
export class QmiTransactionsExhaustedError extends QrtrdError {
  constructor() {
    super('QMI_TXN_EXHAUSTED', 'All 65536 QMI transaction ids are in flight', {});
  }
}
