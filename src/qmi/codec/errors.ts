import { QrtrdError, hex } from '../../common/errors';

/** Where in a message a decode failure happened. `path` is `message.field.member` (static, no indices). */
export interface QmiErrorSite {
  readonly message: string;
  readonly tlv: number | undefined;
  readonly path: string;
}

function where(site: QmiErrorSite): string {
  return site.tlv === undefined ? site.path : `${site.path} (TLV ${hex(site.tlv, 2)})`;
}

/** Base of every rejection of malformed QMI bytes. The message is dropped; nothing else changes. */
export class QmiDecodeError extends QrtrdError {
  constructor(code: string, text: string, site: QmiErrorSite, details: Record<string, unknown> = {}) {
    super(code, `${where(site)}: ${text}`, { message: site.message, tlv: site.tlv, path: site.path, ...details });
  }
}

/** Datagram shorter than the 7-byte QMI header. */
export class QmiTruncatedHeaderError extends QmiDecodeError {
  constructor(length: number) {
    super('QMI_TRUNCATED_HEADER', `datagram of ${length} bytes is shorter than the 7-byte QMI header`, { message: 'qmi_header', tlv: undefined, path: 'qmi_header' }, { length });
  }
}

/** Header type byte is not 0 (request), 2 (response) or 4 (indication). */
export class QmiBadMessageTypeError extends QmiDecodeError {
  constructor(type: number) {
    super('QMI_BAD_MESSAGE_TYPE', `type byte ${hex(type, 2)} is not 0x00, 0x02 or 0x04`, { message: 'qmi_header', tlv: undefined, path: 'qmi_header.type' }, { type });
  }
}

/** Header msg_len disagrees with the bytes after the header (libqrtr's qmi_decode_header check). */
export class QmiLengthMismatchError extends QmiDecodeError {
  constructor(msgLen: number, available: number) {
    super('QMI_LENGTH_MISMATCH', `msg_len ${msgLen} but ${available} bytes follow the header`, { message: 'qmi_header', tlv: undefined, path: 'qmi_header.msg_len' }, { msgLen, available });
  }
}

/** Header (type, msg id) is not the one the schema describes. */
export class QmiMessageMismatchError extends QmiDecodeError {
  constructor(message: string, expected: { type: number; msgId: number }, actual: { type: number; msgId: number }) {
    super('QMI_MESSAGE_MISMATCH', `expected type ${expected.type} msg ${hex(expected.msgId, 4)}, got type ${actual.type} msg ${hex(actual.msgId, 4)}`, { message, tlv: undefined, path: message }, { expected, actual });
  }
}

/** Fewer than 3 bytes left where a TLV header should start. */
export class QmiTruncatedTlvError extends QmiDecodeError {
  constructor(message: string, offset: number, remaining: number) {
    super('QMI_TRUNCATED_TLV', `${remaining} byte(s) at offset ${offset} cannot hold a TLV header`, { message, tlv: undefined, path: message }, { offset, remaining });
  }
}

/** TLV length runs past the end of the message. */
export class QmiTlvOverflowError extends QmiDecodeError {
  constructor(message: string, tlv: number, length: number, remaining: number) {
    super('QMI_TLV_OVERFLOW', `TLV length ${length} exceeds the ${remaining} bytes left`, { message, tlv, path: message }, { length, remaining });
  }
}

/** A field needs more bytes than its TLV holds. */
export class QmiTruncatedValueError extends QmiDecodeError {
  constructor(site: QmiErrorSite, needed: number, available: number) {
    super('QMI_TRUNCATED_VALUE', `needs ${needed} byte(s), ${available} left in the TLV`, site, { needed, available });
  }
}

/** Variable array count above the schema maximum (kernel: "Data len > max spec"). */
export class QmiArrayTooLongError extends QmiDecodeError {
  constructor(site: QmiErrorSite, count: number, max: number) {
    super('QMI_ARRAY_TOO_LONG', `array count ${count} exceeds the maximum ${max}`, site, { count, max });
  }
}

/** String length above the schema maximum. */
export class QmiStringTooLongError extends QmiDecodeError {
  constructor(site: QmiErrorSite, length: number, max: number) {
    super('QMI_STRING_TOO_LONG', `string of ${length} bytes exceeds the maximum ${max}`, site, { length, max });
  }
}

/** A mandatory TLV is absent (the kernel would silently leave the field zeroed). */
export class QmiMissingTlvError extends QmiDecodeError {
  constructor(site: QmiErrorSite) {
    super('QMI_MISSING_TLV', 'mandatory TLV is missing', site);
  }
}

/** A TLV id below 0x10 that the schema does not know (kernel: -EINVAL). */
export class QmiUnknownMandatoryTlvError extends QmiDecodeError {
  constructor(message: string, tlv: number) {
    super('QMI_UNKNOWN_MANDATORY_TLV', 'unknown TLV below 0x10 (mandatory range)', { message, tlv, path: message });
  }
}

/** A non-struct TLV holds more bytes than its field consumed (e.g. a u32 TLV of length 5). */
export class QmiTrailingBytesError extends QmiDecodeError {
  constructor(site: QmiErrorSite, consumed: number, length: number) {
    super('QMI_TRAILING_BYTES', `field used ${consumed} of the TLV's ${length} bytes`, site, { consumed, length });
  }
}

/** A struct (or struct array) TLV whose length differs from what its members consumed (kernel: -EFAULT). */
export class QmiStructLengthMismatchError extends QmiDecodeError {
  constructor(site: QmiErrorSite, consumed: number, length: number) {
    super('QMI_STRUCT_LENGTH_MISMATCH', `struct members used ${consumed} of the TLV's ${length} bytes`, site, { consumed, length });
  }
}

/** Base of every refusal to encode a value that does not fit its schema. Nothing is sent. */
export class QmiEncodeError extends QrtrdError {
  constructor(code: string, text: string, message: string, path: string, details: Record<string, unknown> = {}) {
    super(code, `${path}: ${text}`, { message, path, ...details });
  }
}

/** A mandatory field is undefined. */
export class QmiEncodeMissingFieldError extends QmiEncodeError {
  constructor(message: string, path: string) {
    super('QMI_ENCODE_MISSING_FIELD', 'mandatory field is missing', message, path);
  }
}

/** A number or bigint outside its type's range, or of the wrong JavaScript type. */
export class QmiEncodeRangeError extends QmiEncodeError {
  constructor(message: string, path: string, kind: string, value: unknown) {
    super('QMI_ENCODE_RANGE', `${String(value)} is not a valid ${kind}`, message, path, { kind, value: typeof value === 'bigint' ? value.toString() : value });
  }
}

/** String longer than its max, not a string, or containing characters above U+00FF. */
export class QmiEncodeStringError extends QmiEncodeError {
  constructor(message: string, path: string, reason: string, max: number) {
    super('QMI_ENCODE_STRING', reason, message, path, { max });
  }
}

/** Array of the wrong length (fixed) or above its maximum (variable), or not an array. */
export class QmiEncodeArrayLengthError extends QmiEncodeError {
  constructor(message: string, path: string, length: unknown, expected: string) {
    super('QMI_ENCODE_ARRAY_LENGTH', `array length ${String(length)} but ${expected}`, message, path, { length, expected });
  }
}

/** A struct value is not an object. */
export class QmiEncodeStructError extends QmiEncodeError {
  constructor(message: string, path: string, value: unknown) {
    super('QMI_ENCODE_STRUCT', `expected an object, got ${value === null ? 'null' : typeof value}`, message, path);
  }
}

/** One TLV would exceed 65535 bytes, or the target buffer is too small. */
export class QmiEncodeOverflowError extends QmiEncodeError {
  constructor(message: string, path: string, needed: number, available: number) {
    super('QMI_ENCODE_OVERFLOW', `needs ${needed} bytes, only ${available} available`, message, path, { needed, available });
  }
}
