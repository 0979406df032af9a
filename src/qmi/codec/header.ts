import { InvalidArgumentError } from '../../common/errors';
import { QmiBadMessageTypeError, QmiLengthMismatchError, QmiTruncatedHeaderError } from './errors';
import type { QmiMessageType } from './schema';

/** Bytes of the QMI header that starts every QMI-over-QRTR datagram. */
export const QMI_HEADER_LENGTH = 7;

/** The 7-byte QMI header: type u8, txn u16 LE, msg id u16 LE, msg_len u16 LE (TLV bytes). */
export interface QmiHeader {
  readonly type: QmiMessageType;
  readonly txn: number;
  readonly msgId: number;
  readonly msgLen: number;
}

function check16(name: string, v: number): void {
  if ((v & 0xffff) !== v) throw new InvalidArgumentError(name, 'an integer in 0..65535', v);
}

/** Writes a header at `target[offset..offset+7)`; returns offset + 7. */
export function encodeQmiHeader(header: QmiHeader, target: Uint8Array, offset = 0): number {
  if (header.type !== 0 && header.type !== 2 && header.type !== 4) throw new InvalidArgumentError('type', '0, 2 or 4', header.type);
  check16('txn', header.txn);
  check16('msgId', header.msgId);
  check16('msgLen', header.msgLen);
  if (offset < 0 || offset + QMI_HEADER_LENGTH > target.length) throw new InvalidArgumentError('offset', `room for 7 bytes in ${target.length}`, offset);
  target[offset] = header.type;
  target[offset + 1] = header.txn;
  target[offset + 2] = header.txn >>> 8;
  target[offset + 3] = header.msgId;
  target[offset + 4] = header.msgId >>> 8;
  target[offset + 5] = header.msgLen;
  target[offset + 6] = header.msgLen >>> 8;
  return offset + QMI_HEADER_LENGTH;
}

/**
 * Decodes and validates the header of a whole datagram: at least 7 bytes, a known type, and
 * msg_len equal to the bytes that follow (libqrtr's rule; the kernel does not check it).
 */
export function decodeQmiHeader(datagram: Uint8Array): QmiHeader {
  if (datagram.length < QMI_HEADER_LENGTH) throw new QmiTruncatedHeaderError(datagram.length);
  const type = datagram[0]!;
  if (type !== 0 && type !== 2 && type !== 4) throw new QmiBadMessageTypeError(type);
  const msgLen = datagram[5]! | (datagram[6]! << 8);
  if (msgLen !== datagram.length - QMI_HEADER_LENGTH) throw new QmiLengthMismatchError(msgLen, datagram.length - QMI_HEADER_LENGTH);
  return {
    type: type as QmiMessageType,
    txn: datagram[1]! | (datagram[2]! << 8),
    msgId: datagram[3]! | (datagram[4]! << 8),
    msgLen,
  };
}

/** The TLV bytes of a datagram whose header `decodeQmiHeader` accepted (a view, no copy). */
export function qmiBody(datagram: Uint8Array): Uint8Array {
  return datagram.subarray(QMI_HEADER_LENGTH);
}
