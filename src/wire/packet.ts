import {
  QRTR_MAX_PAYLOAD,
  QRTR_PORT_CTRL,
  QRTR_PORT_CTRL_LEGACY,
  QRTR_PORT_CTRL_V2,
  QRTR_V1_HEADER_LENGTH,
  QRTR_V2_FLAG_CONFIRM_RX,
  QRTR_V2_HEADER_LENGTH,
  QRTR_WIRE_VERSION_1,
  QRTR_WIRE_VERSION_2,
} from './constants';
import {
  QrtrBadOptionLengthError,
  QrtrBadVersionError,
  QrtrEmptyPacketError,
  QrtrEncodeRangeError,
  QrtrPayloadTooLargeError,
  QrtrSizeMismatchError,
  QrtrSizeOverflowError,
  QrtrTruncatedHeaderError,
  QrtrUnalignedLengthError,
  QrtrZeroSizeError,
} from './errors';

/** Header version as a protocol number: 1 (32-byte header) or 2 (16-byte + optlen, wire byte 3). */
export type QrtrHeaderVersion = 1 | 2;

/**
 * A decoded QRTR header. Decoders fill one of these in place (see
 * {@link decodeHeaderInto}) so the receive path allocates nothing per packet.
 */
export interface QrtrHeader {
  version: QrtrHeaderVersion;
  type: number;
  srcNode: number;
  srcPort: number;
  dstNode: number;
  /** Already normalised: legacy 0xffff and v2 0xfffe read as QRTR_PORT_CTRL. */
  dstPort: number;
  confirmRx: boolean;
  /** Payload length, excluding header, v2 options and padding. */
  size: number;
  /** Offset of the payload: 32 for v1, 16 + optlen for v2. */
  headerLength: number;
}

/** A decoded packet: its header plus a view (never a copy) of the payload bytes. */
export interface QrtrPacket extends QrtrHeader {
  payload: Uint8Array;
}

/** The header fields a sender chooses; size and padding follow from the payload. */
export interface QrtrHeaderFields {
  version?: QrtrHeaderVersion;
  type: number;
  srcNode: number;
  srcPort: number;
  dstNode: number;
  dstPort: number;
  confirmRx?: boolean;
}

export function newHeader(): QrtrHeader {
  return { version: 1, type: 0, srcNode: 0, srcPort: 0, dstNode: 0, dstPort: 0, confirmRx: false, size: 0, headerLength: 0 };
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

function u16(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

function putU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
}

/** Rounds up to the 4-byte boundary the wire pads payloads to. */
export function align4(n: number): number {
  return n + ((4 - (n & 3)) & 3);
}

/**
 * Validates a whole transport message as one QRTR packet and fills `out`
 * with its header, following mainline qrtr_endpoint_post (reference §1.4):
 * length non-zero and a multiple of 4, long enough for the header, version
 * 1 or 3, size non-zero, inside the buffer, and `length == hdrlen +
 * ALIGN(size, 4)`. An unpadded size with 0-3 pad bytes is accepted, as real
 * firmware sends it. Arithmetic is on doubles, so nothing wraps.
 *
 * @throws QrtrWireError subclasses, each with a stable `code`; `out` may be partly written.
 */
export function decodeHeaderInto(buf: Uint8Array, out: QrtrHeader): QrtrHeader {
  const length = buf.length;
  if (length === 0) throw new QrtrEmptyPacketError();
  if ((length & 3) !== 0) throw new QrtrUnalignedLengthError(length);
  const wireVersion = buf[0];
  let size: number;
  let headerLength: number;
  if (wireVersion === QRTR_WIRE_VERSION_1) {
    if (length < QRTR_V1_HEADER_LENGTH) throw new QrtrTruncatedHeaderError(length, QRTR_V1_HEADER_LENGTH);
    // The v1 version field is a LE u32 whose first byte is 1; the kernel only looks at that byte.
    headerLength = QRTR_V1_HEADER_LENGTH;
    out.version = 1;
    out.type = u32(buf, 4);
    out.srcNode = u32(buf, 8);
    out.srcPort = u32(buf, 12);
    out.confirmRx = u32(buf, 16) !== 0;
    size = u32(buf, 20);
    out.dstNode = u32(buf, 24);
    out.dstPort = u32(buf, 28);
  } else if (wireVersion === QRTR_WIRE_VERSION_2) {
    if (length < QRTR_V2_HEADER_LENGTH) throw new QrtrTruncatedHeaderError(length, QRTR_V2_HEADER_LENGTH);
    const optlen = buf[3];
    headerLength = QRTR_V2_HEADER_LENGTH + optlen;
    if (headerLength > length || (optlen & 3) !== 0) throw new QrtrBadOptionLengthError(optlen, length);
    out.version = 2;
    out.type = buf[1];
    out.confirmRx = (buf[2] & QRTR_V2_FLAG_CONFIRM_RX) !== 0;
    size = u32(buf, 4);
    out.srcNode = u16(buf, 8);
    const srcPort = u16(buf, 10);
    out.srcPort = srcPort === QRTR_PORT_CTRL_V2 ? QRTR_PORT_CTRL : srcPort;
    out.dstNode = u16(buf, 12);
    const dstPort = u16(buf, 14);
    out.dstPort = dstPort === QRTR_PORT_CTRL_V2 ? QRTR_PORT_CTRL : dstPort;
  } else {
    throw new QrtrBadVersionError(wireVersion);
  }
  if (out.dstPort === QRTR_PORT_CTRL_LEGACY) out.dstPort = QRTR_PORT_CTRL;
  if (size === 0) throw new QrtrZeroSizeError();
  if (size > length - headerLength) throw new QrtrSizeOverflowError(size, length - headerLength);
  if (length !== headerLength + align4(size)) throw new QrtrSizeMismatchError(size, headerLength, length);
  out.size = size;
  out.headerLength = headerLength;
  return out;
}

/** Decodes one packet; the payload is a subarray view of `buf`. */
export function decodePacket(buf: Uint8Array): QrtrPacket {
  const header = decodeHeaderInto(buf, newHeader()) as QrtrPacket;
  header.payload = buf.subarray(header.headerLength, header.headerLength + header.size);
  return header;
}

/** Bytes a packet of this version and payload size occupies on the wire. */
export function encodedPacketLength(version: QrtrHeaderVersion, payloadSize: number): number {
  return (version === 2 ? QRTR_V2_HEADER_LENGTH : QRTR_V1_HEADER_LENGTH) + align4(payloadSize);
}

/**
 * Writes header + payload + zero padding into `target` at `offset` and returns
 * the bytes written. v1 is what Linux transmits; v2 carries 16-bit node/port
 * fields, and the control port is written as 0xfffe there.
 */
export function encodePacketInto(
  target: Uint8Array,
  offset: number,
  fields: QrtrHeaderFields,
  payload: Uint8Array,
): number {
  const size = payload.length;
  if (size > QRTR_MAX_PAYLOAD) throw new QrtrPayloadTooLargeError(size, QRTR_MAX_PAYLOAD);
  const version = fields.version ?? 1;
  const total = encodedPacketLength(version, size);
  if (version === 2) {
    const srcPort = v2Port(fields.srcPort, 'srcPort');
    const dstPort = v2Port(fields.dstPort, 'dstPort');
    checkU16(fields.srcNode, 'srcNode');
    checkU16(fields.dstNode, 'dstNode');
    if (fields.type > 0xff) throw new QrtrEncodeRangeError('type', fields.type, 0xff);
    target[offset] = QRTR_WIRE_VERSION_2;
    target[offset + 1] = fields.type;
    target[offset + 2] = fields.confirmRx ? QRTR_V2_FLAG_CONFIRM_RX : 0;
    target[offset + 3] = 0;
    putU32(target, offset + 4, size);
    putU16(target, offset + 8, fields.srcNode);
    putU16(target, offset + 10, srcPort);
    putU16(target, offset + 12, fields.dstNode);
    putU16(target, offset + 14, dstPort);
    target.set(payload, offset + QRTR_V2_HEADER_LENGTH);
  } else {
    putU32(target, offset, QRTR_WIRE_VERSION_1);
    putU32(target, offset + 4, fields.type);
    putU32(target, offset + 8, fields.srcNode);
    putU32(target, offset + 12, fields.srcPort);
    putU32(target, offset + 16, fields.confirmRx ? 1 : 0);
    putU32(target, offset + 20, size);
    putU32(target, offset + 24, fields.dstNode);
    putU32(target, offset + 28, fields.dstPort);
    target.set(payload, offset + QRTR_V1_HEADER_LENGTH);
  }
  target.fill(0, offset + total - (align4(size) - size), offset + total);
  return total;
}

/** Encodes one packet into a fresh, exactly sized buffer. */
export function encodePacket(fields: QrtrHeaderFields, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(encodedPacketLength(fields.version ?? 1, payload.length));
  encodePacketInto(out, 0, fields, payload);
  return out;
}

function checkU16(value: number, field: string): void {
  if (value > 0xffff || value < 0) throw new QrtrEncodeRangeError(field, value, 0xffff);
}

function v2Port(port: number, field: string): number {
  if (port === QRTR_PORT_CTRL) return QRTR_PORT_CTRL_V2;
  checkU16(port, field);
  return port;
}
