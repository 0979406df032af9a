import { InvalidArgumentError, QrtrdError } from '../../common/errors';
import * as backendErrors from '../../links/errors';
import * as routerErrors from '../../router/errors';
import * as nsErrors from '../../ns/errors';
import * as clientErrors from './errors';

/** The JSON form of a QrtrdError (QrtrdError.toJSON), as it crosses the local-client boundary. */
export interface SerializedError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

type ErrorClass = abstract new (...args: never[]) => QrtrdError;

/**
 * Error classes the client re-creates by name (router, name service, backends, local client), so `instanceof QrtrWouldBlockError`
 * holds out of process as it does in process. Names are the stable class names;
 * unknown names still come back as a QrtrdError with the same name and code.
 */
const KNOWN: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>(
  ([...Object.values(routerErrors), ...Object.values(nsErrors), ...Object.values(backendErrors), ...Object.values(clientErrors), InvalidArgumentError] as unknown[])
    .filter((value): value is ErrorClass => typeof value === 'function' && (value as ErrorClass).prototype instanceof QrtrdError)
    .map((cls) => [cls.name, cls]),
);

export function serializeError(err: unknown): SerializedError {
  if (err instanceof QrtrdError) return { name: err.name, code: err.code, message: err.message, details: { ...err.details } };
  const e = err as Error;
  return { name: 'QrtrdError', code: 'QRTRD_INTERNAL', message: e?.message ?? String(err), details: { name: e?.name } };
}

/** Turns a serialized error back into a QrtrdError with the same name, code, message and details. */
export function reviveError(value: unknown): QrtrdError {
  const v = (value ?? {}) as Partial<SerializedError>;
  const code = typeof v.code === 'string' ? v.code : 'QRTRD_INTERNAL';
  const message = typeof v.message === 'string' ? v.message : 'unknown error from qrtrd';
  const details = v.details && typeof v.details === 'object' ? v.details : {};
  const name = typeof v.name === 'string' ? v.name : 'QrtrdError';
  const error = new QrtrdError(code, message, details);
  const cls = KNOWN.get(name);
  if (cls) Object.setPrototypeOf(error, cls.prototype);
  error.name = name;
  return error;
}
