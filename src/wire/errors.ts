import { QrtrdError, hex } from '../common/errors';

/** Base of every rejection of malformed QRTR bytes. The packet is dropped; nothing else changes. */
export class QrtrWireError extends QrtrdError {}

/** A zero-length transport message (rule 1 of qrtr_endpoint_post). */
export class QrtrEmptyPacketError extends QrtrWireError {
  constructor() {
    super('QRTR_EMPTY_PACKET', 'QRTR packet is empty (length 0)', { length: 0 });
  }
}

/** Transport message length is not a multiple of 4. */
export class QrtrUnalignedLengthError extends QrtrWireError {
  constructor(length: number) {
    super('QRTR_UNALIGNED_LENGTH', `QRTR packet length ${length} is not a multiple of 4`, { length });
  }
}

/** Shorter than the fixed header of its version. */
export class QrtrTruncatedHeaderError extends QrtrWireError {
  constructor(length: number, headerLength: number) {
    super('QRTR_TRUNCATED_HEADER', `QRTR packet length ${length} is shorter than its ${headerLength}-byte header`, {
      length,
      headerLength,
    });
  }
}

/** First byte is neither 1 (v1) nor 3 (v2). */
export class QrtrBadVersionError extends QrtrWireError {
  constructor(version: number) {
    super('QRTR_BAD_VERSION', `QRTR version byte ${hex(version, 2)} is neither 0x01 (v1) nor 0x03 (v2)`, { version });
  }
}

/** Header size field is 0 (an out-of-bounds read in kernels before 7e78c597c3eb). */
export class QrtrZeroSizeError extends QrtrWireError {
  constructor() {
    super('QRTR_ZERO_SIZE', 'QRTR header size is 0', { size: 0 });
  }
}

/** v2 optlen runs past the packet or leaves the payload unaligned. */
export class QrtrBadOptionLengthError extends QrtrWireError {
  constructor(optlen: number, length: number) {
    super('QRTR_BAD_OPTLEN', `QRTR v2 optlen ${optlen} does not fit a ${length}-byte packet on a 4-byte boundary`, {
      optlen,
      length,
    });
  }
}

/** Header size runs past the end of the packet (the 32-bit ALIGN wrap of 2026). */
export class QrtrSizeOverflowError extends QrtrWireError {
  constructor(size: number, available: number) {
    super('QRTR_SIZE_OVERFLOW', `QRTR header size ${size} (${hex(size)}) exceeds the ${available} bytes after the header`, {
      size,
      available,
    });
  }
}

/** Total length is not header + size padded to 4 (trailing junk or truncation). */
export class QrtrSizeMismatchError extends QrtrWireError {
  constructor(size: number, headerLength: number, length: number) {
    const expected = headerLength + ((size + 3) & ~3);
    super(
      'QRTR_SIZE_MISMATCH',
      `QRTR packet length ${length} does not equal header ${headerLength} + size ${size} padded to 4 (${expected})`,
      { size, headerLength, length, expected },
    );
  }
}

/** A control payload shorter than struct qrtr_ctrl_pkt (20 bytes). */
export class QrtrControlTooShortError extends QrtrWireError {
  constructor(type: number, size: number) {
    super('QRTR_CONTROL_TOO_SHORT', `QRTR control packet type ${type} has ${size} payload bytes, 20 required`, {
      type,
      size,
    });
  }
}

/** Asked to encode a value the wire format cannot carry. */
export class QrtrEncodeRangeError extends QrtrWireError {
  constructor(field: string, value: number, max: number) {
    super('QRTR_ENCODE_RANGE', `QRTR ${field} ${value} does not fit the wire field (max ${max})`, { field, value, max });
  }
}

/** Payload larger than 65535 bytes (sendmsg's EMSGSIZE). */
export class QrtrPayloadTooLargeError extends QrtrWireError {
  constructor(size: number, max: number) {
    super('QRTR_PAYLOAD_TOO_LARGE', `QRTR payload of ${size} bytes exceeds the maximum of ${max}`, { size, max });
  }
}

/** A byte stream carries a packet announcing a length beyond the framer's limit. */
export class QrtrFrameTooLargeError extends QrtrWireError {
  constructor(length: number, max: number) {
    super('QRTR_FRAME_TOO_LARGE', `QRTR stream frame of ${length} bytes exceeds the limit of ${max}`, { length, max });
  }
}
