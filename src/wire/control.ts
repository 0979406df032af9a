import { InvalidArgumentError } from '../common/errors';
import { QRTR_CONTROL_PACKET_LENGTH, QrtrType } from './constants';
import { QrtrControlTooShortError } from './errors';

/**
 * struct qrtr_ctrl_pkt, flattened. Which fields a command uses:
 * - HELLO, EXIT, PING: none (all zero on the wire).
 * - BYE, DEL_CLIENT, RESUME_TX: `node`, `port` (the client union).
 * - NEW_SERVER, DEL_SERVER, NEW_LOOKUP, DEL_LOOKUP: `service`, `instance`, `node`, `port`.
 * - DEL_PROC (downstream): `node` (the proc union's second word).
 * Unused fields are 0 after decoding and ignored when encoding.
 */
export interface QrtrControlPacket {
  type: number;
  service: number;
  /** The packed instance word: version | instance << 8 (see {@link instanceWord}). */
  instance: number;
  node: number;
  port: number;
}

function u32(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

function usesServerUnion(type: number): boolean {
  return (
    type === QrtrType.NEW_SERVER || type === QrtrType.DEL_SERVER || type === QrtrType.NEW_LOOKUP || type === QrtrType.DEL_LOOKUP
  );
}

function usesClientUnion(type: number): boolean {
  return type === QrtrType.BYE || type === QrtrType.DEL_CLIENT || type === QrtrType.RESUME_TX;
}

export function newControlPacket(type = 0): QrtrControlPacket {
  return { type, service: 0, instance: 0, node: 0, port: 0 };
}

/**
 * Decodes a control payload into `out`. qrtrd requires the full 20 bytes for
 * every command, stricter than mainline which let short HELLO/BYE/DEL_CLIENT
 * through and read stale bytes (reference §7.1 item 10).
 */
export function decodeControlInto(payload: Uint8Array, out: QrtrControlPacket): QrtrControlPacket {
  const type = payload.length >= 4 ? u32(payload, 0) : 0;
  if (payload.length < QRTR_CONTROL_PACKET_LENGTH) throw new QrtrControlTooShortError(type, payload.length);
  out.type = type;
  if (usesServerUnion(type)) {
    out.service = u32(payload, 4);
    out.instance = u32(payload, 8);
    out.node = u32(payload, 12);
    out.port = u32(payload, 16);
  } else if (usesClientUnion(type)) {
    out.service = 0;
    out.instance = 0;
    out.node = u32(payload, 4);
    out.port = u32(payload, 8);
  } else if (type === QrtrType.DEL_PROC) {
    out.service = 0;
    out.instance = 0;
    out.node = u32(payload, 8);
    out.port = 0;
  } else {
    out.service = 0;
    out.instance = 0;
    out.node = 0;
    out.port = 0;
  }
  return out;
}

export function decodeControl(payload: Uint8Array): QrtrControlPacket {
  return decodeControlInto(payload, newControlPacket());
}

/** Writes the 20-byte control payload at `offset`; unused union words are zero. */
export function encodeControlInto(target: Uint8Array, offset: number, packet: QrtrControlPacket): number {
  target.fill(0, offset, offset + QRTR_CONTROL_PACKET_LENGTH);
  putU32(target, offset, packet.type);
  if (usesServerUnion(packet.type)) {
    putU32(target, offset + 4, packet.service);
    putU32(target, offset + 8, packet.instance);
    putU32(target, offset + 12, packet.node);
    putU32(target, offset + 16, packet.port);
  } else if (usesClientUnion(packet.type)) {
    putU32(target, offset + 4, packet.node);
    putU32(target, offset + 8, packet.port);
  } else if (packet.type === QrtrType.DEL_PROC) {
    putU32(target, offset + 8, packet.node);
  }
  return QRTR_CONTROL_PACKET_LENGTH;
}

export function encodeControl(packet: Partial<QrtrControlPacket> & { type: number }): Uint8Array {
  const out = new Uint8Array(QRTR_CONTROL_PACKET_LENGTH);
  encodeControlInto(out, 0, { service: 0, instance: 0, node: 0, port: 0, ...packet });
  return out;
}

/** True for the all-zero NEW_SERVER that ends a lookup's initial listing. */
export function isLookupSentinel(packet: QrtrControlPacket): boolean {
  return (
    packet.type === QrtrType.NEW_SERVER && packet.service === 0 && packet.instance === 0 && packet.node === 0 && packet.port === 0
  );
}

/** Packs a QMI service version (8 bits) and instance (24 bits) into the wire instance word. */
export function instanceWord(version: number, instance: number): number {
  if (!Number.isInteger(version) || version < 0 || version > 0xff) {
    throw new InvalidArgumentError('version', 'an integer 0..255', version);
  }
  if (!Number.isInteger(instance) || instance < 0 || instance > 0xffffff) {
    throw new InvalidArgumentError('instance', 'an integer 0..0xffffff', instance);
  }
  return (version | (instance << 8)) >>> 0;
}

/** Splits a wire instance word into version (low byte) and instance (upper 24 bits). */
export function splitInstanceWord(word: number): { version: number; instance: number } {
  return { version: word & 0xff, instance: word >>> 8 };
}
