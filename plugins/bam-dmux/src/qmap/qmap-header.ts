import { QmapEncodeRangeError } from './errors';

export const QMAP_HEADER_LENGTH = 4;
/** byte0 bit7: command (1) or data (0). */
export const QMAP_FLAG_CD = 0x80;
/** byte0 bit6: a MAPv5 header follows. */
export const QMAP_FLAG_NEXT_HEADER = 0x40;
export const QMAP_PAD_MASK = 0x3f;
/** rmnet accepts mux ids 0..254 (RMNET_MAX_LOGICAL_EP 255). */
export const QMAP_MAX_MUX_ID = 254;
export const QMAP_MAX_PKT_LEN = 0xffff;
/** MAPv4 downlink checksum trailer, after the padded packet. */
export const QMAP_V4_DL_TRAILER_LENGTH = 8;
/** MAPv4 uplink checksum header, between the MAP header and the IP header. */
export const QMAP_V4_UL_HEADER_LENGTH = 4;
/** MAPv5 header, right after the MAP header. */
export const QMAP_V5_HEADER_LENGTH = 4;
export const QMAP_V5_TYPE_COALESCING = 1;
export const QMAP_V5_TYPE_CSUM_OFFLOAD = 2;
/** MAPv5 byte1 bit7: checksum valid (downlink) or requested (uplink). */
export const QMAP_V5_CSUM_VALID = 0x80;
/** MAPv4 DL trailer flags bit0. */
export const QMAP_V4_DL_VALID = 0x01;
/** MAPv4 UL csum_info bits. */
export const QMAP_V4_UL_ENABLED = 0x8000;
export const QMAP_V4_UL_UDP = 0x4000;
export const QMAP_V4_UL_OFFSET_MASK = 0x3fff;

/**
 * Checksum offload format of a direction, as the rmnet data_format flags select it:
 * 'none', 'v4' (DL trailer / UL header, IPA before v4.5) or 'v5' (inline header, IPA v4.5+).
 */
export type QmapChecksumMode = 'none' | 'v4' | 'v5';

/** A decoded MAP header; decoders fill one in place. */
export interface QmapHeader {
  command: boolean;
  nextHeader: boolean;
  pad: number;
  muxId: number;
  /** pkt_len: payload bytes including padding, excluding MAP/v4/v5 headers and trailer. */
  length: number;
}

export function createQmapHeader(): QmapHeader {
  return { command: false, nextHeader: false, pad: 0, muxId: 0, length: 0 };
}

/** Reads the 4-byte MAP header at `offset` (the caller has checked 4 bytes exist). */
export function readQmapHeader(buf: Uint8Array, offset: number, out: QmapHeader): QmapHeader {
  const flags = buf[offset];
  out.command = (flags & QMAP_FLAG_CD) !== 0;
  out.nextHeader = (flags & QMAP_FLAG_NEXT_HEADER) !== 0;
  out.pad = flags & QMAP_PAD_MASK;
  out.muxId = buf[offset + 1];
  out.length = (buf[offset + 2] << 8) | buf[offset + 3];
  return out;
}

/** Writes a MAP header at `offset`. @throws QmapEncodeRangeError for out-of-range fields. */
export function writeQmapHeader(
  buf: Uint8Array,
  offset: number,
  command: boolean,
  nextHeader: boolean,
  pad: number,
  muxId: number,
  length: number,
): void {
  if (pad > QMAP_PAD_MASK || pad < 0) throw new QmapEncodeRangeError('pad', pad, QMAP_PAD_MASK);
  if (muxId > 0xff || muxId < 0) throw new QmapEncodeRangeError('mux_id', muxId, 0xff);
  if (length > QMAP_MAX_PKT_LEN || length < 0) throw new QmapEncodeRangeError('pkt_len', length, QMAP_MAX_PKT_LEN);
  buf[offset] = (command ? QMAP_FLAG_CD : 0) | (nextHeader ? QMAP_FLAG_NEXT_HEADER : 0) | pad;
  buf[offset + 1] = muxId;
  buf[offset + 2] = length >> 8;
  buf[offset + 3] = length & 0xff;
}

/** Padding rmnet adds when asked to pad: ALIGN(len, 4) - len. */
export function qmapPad(length: number): number {
  return (4 - (length & 3)) & 3;
}

/** Bytes a frame with `pktLen` occupies in an aggregate under `mode` (rmnet's deaggregation arithmetic). */
export function qmapFrameLength(pktLen: number, command: boolean, mode: QmapChecksumMode): number {
  let length = QMAP_HEADER_LENGTH + pktLen;
  if (mode === 'v4') length += QMAP_V4_DL_TRAILER_LENGTH;
  else if (mode === 'v5' && !command) length += QMAP_V5_HEADER_LENGTH;
  return length;
}
