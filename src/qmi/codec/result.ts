import { QrtrdError, hex } from '../../common/errors';
import { req, struct, u16, type QmiMessageSchema, type QmiValueOf } from './schema';

/** TLV id of the standard result in every response. */
export const QMI_RESULT_TLV = 0x02;
export const QMI_RESULT_SUCCESS = 0;
export const QMI_RESULT_FAILURE = 1;

/** `qmi_response_type_v01`: result then error, both u16 LE (reference §1.2). */
export const qmiResponseType = struct('qmi_response_type_v01', { result: u16, error: u16 });
export type QmiResponseValue = QmiValueOf<typeof qmiResponseType>;

/** The mandatory result TLV 0x02, ready to drop into a response schema. */
export const qmiResultField = req(QMI_RESULT_TLV, qmiResponseType);

/**
 * QMI error numbers: the kernel's qmi.h set plus libqmi's QmiProtocolError names for the
 * others listed in reference §1.2. libqmi calls 41 INVALID_QOS_ID and 58 WMS_ENCODING.
 */
export const QMI_ERROR_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'NONE',
  1: 'MALFORMED_MSG',
  2: 'NO_MEMORY',
  3: 'INTERNAL',
  4: 'ABORTED',
  5: 'CLIENT_IDS_EXHAUSTED',
  7: 'INVALID_CLIENT_ID',
  9: 'INVALID_HANDLE',
  14: 'CALL_FAILED',
  15: 'OUT_OF_CALL',
  17: 'MISSING_ARGUMENT',
  26: 'NO_EFFECT',
  41: 'INVALID_ID',
  48: 'INVALID_ARGUMENT',
  58: 'ENCODING',
  69: 'DISABLED',
  71: 'INVALID_QMI_COMMAND',
  90: 'INCOMPATIBLE_STATE',
  94: 'NOT_SUPPORTED',
});

/** Symbolic name of a QMI error number, or `UNKNOWN_0x..` for numbers not in the table. */
export function qmiErrorName(error: number): string {
  return QMI_ERROR_NAMES[error] ?? `UNKNOWN_${hex(error, 4)}`;
}

/** A response whose result TLV says failure. `error` is the QMI error number. */
export class QmiResultError extends QrtrdError {
  readonly result: number;
  readonly error: number;
  readonly errorName: string;

  constructor(message: string, result: number, error: number) {
    const errorName = qmiErrorName(error);
    super('QMI_RESULT_ERROR', `${message} failed: result ${result} error ${error} (${errorName})`, { message, result, error, errorName });
    this.result = result;
    this.error = error;
    this.errorName = errorName;
  }
}

/** Key of a schema's result field (TLV 0x02 of type qmi_response_type_v01-shaped struct), if any. */
export function resultFieldOf(schema: QmiMessageSchema): string | undefined {
  for (const [key, field] of Object.entries(schema.fields)) {
    if (field.tlv !== QMI_RESULT_TLV || field.type.kind !== 'struct') continue;
    const members = Object.values(field.type.fields);
    if (members.length === 2 && members.every((m) => m.kind === 'u16' || m.kind === 'enum16' || m.kind === 'i16')) return key;
  }
  return undefined;
}

/**
 * Throws QmiResultError unless `result` reports success. Pass the decoded result struct, e.g.
 * `checkResult(resp.resp, 'wlfw_cap_resp')`. A missing result counts as malformed (error 1).
 */
export function checkResult(result: QmiResponseValue | undefined, message = 'QMI request'): void {
  if (result === undefined) throw new QmiResultError(message, QMI_RESULT_FAILURE, 1);
  if (result.result !== QMI_RESULT_SUCCESS) throw new QmiResultError(message, result.result, result.error);
}

/** Checks the result TLV of a decoded response described by `schema` (no-op for messages without one). */
export function checkMessageResult(schema: QmiMessageSchema, value: Readonly<Record<string, unknown>>): void {
  const key = resultFieldOf(schema);
  if (key === undefined) return;
  const raw = value[key] as Record<string, number> | undefined;
  if (raw === undefined) return checkResult(undefined, schema.name);
  const [resultKey, errorKey] = Object.keys((schema.fields[key]!.type as { fields: object }).fields);
  checkResult({ result: raw[resultKey!]!, error: raw[errorKey!]! }, schema.name);
}
