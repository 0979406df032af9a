import { QmapEncodeRangeError, QmapTruncatedCommandError } from './errors';
import { QMAP_HEADER_LENGTH, writeQmapHeader } from './qmap-header';

/** command_name values; rmnet acts on FLOW_DISABLE and FLOW_ENABLE only. */
export enum QmapCommandName {
  FLOW_DISABLE = 1,
  FLOW_ENABLE = 2,
  FLOW_START = 7,
  FLOW_END = 8,
}

/** cmd_type (bits 1:0 of the second byte). */
export enum QmapCommandType {
  REQUEST = 0,
  ACK = 1,
  UNSUPPORTED = 2,
  INVALID = 3,
}

/** Command body before the command-specific part: name, type, reserved, transaction id. */
export const QMAP_COMMAND_BASE_LENGTH = 8;
/** Flow-control body: the base plus ip_family word, be16 sequence, be32 qos id. */
export const QMAP_FLOW_COMMAND_LENGTH = 16;

export interface QmapFlowControl {
  ipFamily: number;
  sequence: number;
  qosId: number;
}

export interface QmapCommand {
  name: number;
  type: QmapCommandType;
  transactionId: number;
  /** Present for FLOW_DISABLE / FLOW_ENABLE. */
  flow?: QmapFlowControl;
}

function isFlow(name: number): boolean {
  return name === QmapCommandName.FLOW_DISABLE || name === QmapCommandName.FLOW_ENABLE;
}

/**
 * Decodes a command body (the bytes after the MAP header, padding removed).
 * @throws QmapTruncatedCommandError if shorter than the command it names.
 */
export function decodeQmapCommand(body: Uint8Array): QmapCommand {
  if (body.length < QMAP_COMMAND_BASE_LENGTH) throw new QmapTruncatedCommandError(body.length, QMAP_COMMAND_BASE_LENGTH);
  const name = body[0];
  const command: QmapCommand = {
    name,
    type: body[1] & 0x03,
    transactionId: ((body[4] << 24) | (body[5] << 16) | (body[6] << 8) | body[7]) >>> 0,
  };
  if (isFlow(name)) {
    if (body.length < QMAP_FLOW_COMMAND_LENGTH) throw new QmapTruncatedCommandError(body.length, QMAP_FLOW_COMMAND_LENGTH);
    command.flow = {
      ipFamily: body[9] & 0x03,
      sequence: (body[10] << 8) | body[11],
      qosId: ((body[12] << 24) | (body[13] << 16) | (body[14] << 8) | body[15]) >>> 0,
    };
  }
  return command;
}

/** Encodes a complete command frame (MAP header with CD set, then the body) at `offset`; returns its length. */
export function encodeQmapCommand(target: Uint8Array, offset: number, muxId: number, command: QmapCommand): number {
  const bodyLength = command.flow || isFlow(command.name) ? QMAP_FLOW_COMMAND_LENGTH : QMAP_COMMAND_BASE_LENGTH;
  if (command.name < 0 || command.name > 0xff) throw new QmapEncodeRangeError('command_name', command.name, 0xff);
  if (target.length < offset + QMAP_HEADER_LENGTH + bodyLength) {
    throw new QmapEncodeRangeError('target space', target.length - offset, QMAP_HEADER_LENGTH + bodyLength);
  }
  writeQmapHeader(target, offset, true, false, 0, muxId, bodyLength);
  const b = offset + QMAP_HEADER_LENGTH;
  target.fill(0, b, b + bodyLength);
  target[b] = command.name;
  target[b + 1] = command.type & 0x03;
  const txn = command.transactionId >>> 0;
  target[b + 4] = txn >>> 24;
  target[b + 5] = (txn >>> 16) & 0xff;
  target[b + 6] = (txn >>> 8) & 0xff;
  target[b + 7] = txn & 0xff;
  if (bodyLength === QMAP_FLOW_COMMAND_LENGTH) {
    const flow = command.flow ?? { ipFamily: 0, sequence: 0, qosId: 0 };
    target[b + 9] = flow.ipFamily & 0x03;
    target[b + 10] = (flow.sequence >> 8) & 0xff;
    target[b + 11] = flow.sequence & 0xff;
    const qos = flow.qosId >>> 0;
    target[b + 12] = qos >>> 24;
    target[b + 13] = (qos >>> 16) & 0xff;
    target[b + 14] = (qos >>> 8) & 0xff;
    target[b + 15] = qos & 0xff;
  }
  return QMAP_HEADER_LENGTH + bodyLength;
}
