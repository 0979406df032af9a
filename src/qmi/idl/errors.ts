import { QrtrdError } from '../../common/errors';

/** Location of a problem in a .qmi source. Lines and columns start at 1. */
export interface QmiIdlLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** Base of every .qmi rejection; the message starts with `file:line:column`. */
export class QmiIdlError extends QrtrdError {
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(code: string, text: string, at: QmiIdlLocation, details: Record<string, unknown> = {}) {
    super(code, `${at.file}:${at.line}:${at.column}: ${text}`, { file: at.file, line: at.line, column: at.column, ...details });
    this.file = at.file;
    this.line = at.line;
    this.column = at.column;
  }
}

/** Unexpected token or character. */
export class QmiIdlSyntaxError extends QmiIdlError {
  constructor(at: QmiIdlLocation, expected: string, found: string) {
    super('QMI_IDL_SYNTAX', `expected ${expected}, found ${found}`, at, { expected, found });
  }
}

/** Malformed number literal (e.g. `08`, `0x`, more than 64 bits). */
export class QmiIdlBadNumberError extends QmiIdlError {
  constructor(at: QmiIdlLocation, text: string, reason: string) {
    super('QMI_IDL_BAD_NUMBER', `bad number '${text}': ${reason}`, at, { text });
  }
}

/** A const or type name that was not declared before use. */
export class QmiIdlUnknownNameError extends QmiIdlError {
  constructor(at: QmiIdlLocation, kind: string, name: string) {
    super('QMI_IDL_UNKNOWN_NAME', `unknown ${kind} '${name}'`, at, { kind, name });
  }
}

/** A name, TLV id or (type, msg id) pair declared twice. */
export class QmiIdlDuplicateError extends QmiIdlError {
  constructor(at: QmiIdlLocation, what: string) {
    super('QMI_IDL_DUPLICATE', `duplicate ${what}`, at, { what });
  }
}

/** A value outside the range of what it sets (TLV id > 255, msg id > 65535, array size ...). */
export class QmiIdlRangeError extends QmiIdlError {
  constructor(at: QmiIdlLocation, what: string, value: bigint, range: string) {
    super('QMI_IDL_RANGE', `${what} ${value} is outside ${range}`, at, { what, value: value.toString(), range });
  }
}

/** An extension of qmic syntax used while parsing in strict qmic mode. */
export class QmiIdlExtensionError extends QmiIdlError {
  constructor(at: QmiIdlLocation, feature: string) {
    super('QMI_IDL_EXTENSION', `${feature} is an extension of qmic syntax (not allowed in strict mode)`, at, { feature });
  }
}

/** `package` missing or given twice. */
export class QmiIdlPackageError extends QmiIdlError {
  constructor(at: QmiIdlLocation, reason: string) {
    super('QMI_IDL_PACKAGE', reason, at);
  }
}
