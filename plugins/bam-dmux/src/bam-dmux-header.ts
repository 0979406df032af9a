import { InvalidArgumentError } from '../../../src/common/errors';
import {
  BamDmuxBadMagicError,
  BamDmuxEmptyPayloadError,
  BamDmuxOversizeError,
  BamDmuxPayloadTooLargeError,
  BamDmuxTruncatedHeaderError,
  BamDmuxTruncatedPayloadError,
  BamDmuxUnknownChannelError,
  BamDmuxUnknownCommandError,
} from './errors';

/** Header magic, stored little-endian (bytes FC 33). */
export const BAM_DMUX_MAGIC = 0x33fc;
export const BAM_DMUX_HEADER_LENGTH = 8;
/** One DMA buffer, RX or TX (SZ_2K in the driver). */
export const BAM_DMUX_BUFFER_SIZE = 2048;
/** Largest payload one buffer carries; also the largest MTU. */
export const BAM_DMUX_MAX_PAYLOAD = BAM_DMUX_BUFFER_SIZE - BAM_DMUX_HEADER_LENGTH;
/** Mainline exposes DATA_0..DATA_7. */
export const BAM_DMUX_NUM_CHANNELS = 8;
/** Descriptors per direction (BAM_DMUX_NUM_SKB). */
export const BAM_DMUX_RING_SIZE = 32;
/** Downstream: a DATA `len` of 0xFFFF means "the DMA transfer length minus the header". */
export const BAM_DMUX_LEN_FROM_TRANSFER = 0xffff;

/** Header `cmd` values. STATUS and OPEN_NO_A2_PC exist only in downstream Android kernels. */
export enum BamDmuxCommand {
  DATA = 0,
  OPEN = 1,
  CLOSE = 2,
  STATUS = 3,
  OPEN_NO_A2_PC = 4,
}

/**
 * Transmit padding rule. Both are accepted on receive (the receiver trusts `len`).
 * - `mainline`: pad = 4 - len % 4, so an aligned payload gets 4 bytes of padding.
 * - `downstream`: pad = (4 - len % 4) % 4, so an aligned payload gets none.
 */
export type BamDmuxPadding = 'mainline' | 'downstream';

/** What the first payload nibble says the payload is, as the driver guesses it. */
export type BamDmuxPayloadType = 'ipv4' | 'ipv6' | 'qmap';

/** A decoded header. Decoders fill one in place so the receive path allocates nothing per buffer. */
export interface BamDmuxHeader {
  signal: number;
  command: BamDmuxCommand;
  pad: number;
  channel: number;
  /** Payload length, already resolved for the downstream 0xFFFF convention. */
  length: number;
}

/** Creates an empty header record for {@link decodeBamDmuxHeaderInto}. */
export function createBamDmuxHeader(): BamDmuxHeader {
  return { signal: 0, command: BamDmuxCommand.DATA, pad: 0, channel: 0, length: 0 };
}

/** Padding bytes after a payload of `length` under `rule`. */
export function bamDmuxPad(length: number, rule: BamDmuxPadding): number {
  const rem = length & 3;
  if (rule === 'mainline') return 4 - rem;
  return rem === 0 ? 0 : 4 - rem;
}

/** Types a payload by its first nibble: 4 IPv4, 6 IPv6, anything else QMAP (ETH_P_MAP). */
export function bamDmuxPayloadType(firstByte: number): BamDmuxPayloadType {
  const nibble = firstByte >> 4;
  return nibble === 4 ? 'ipv4' : nibble === 6 ? 'ipv6' : 'qmap';
}

/**
 * Decodes and validates the header of a received buffer into `out`.
 * `received` is the number of bytes the DMA transfer delivered.
 * Rules, in the driver's order: magic, channel < 8, known command; for DATA,
 * `len` ≤ 2040, `len` within the received bytes, and `len` > 0.
 * Padding is ignored, so both padding rules are accepted.
 * @throws a {@link BamDmuxError} subclass naming the broken rule.
 */
export function decodeBamDmuxHeaderInto(buf: Uint8Array, received: number, out: BamDmuxHeader): BamDmuxHeader {
  if (received < BAM_DMUX_HEADER_LENGTH || buf.length < BAM_DMUX_HEADER_LENGTH) {
    throw new BamDmuxTruncatedHeaderError(Math.min(received, buf.length));
  }
  const magic = buf[0] | (buf[1] << 8);
  if (magic !== BAM_DMUX_MAGIC) throw new BamDmuxBadMagicError(magic);
  const channel = buf[5];
  if (channel >= BAM_DMUX_NUM_CHANNELS) throw new BamDmuxUnknownChannelError(channel, BAM_DMUX_NUM_CHANNELS);
  const command = buf[3];
  if (command > BamDmuxCommand.OPEN_NO_A2_PC) throw new BamDmuxUnknownCommandError(command, channel);
  const available = Math.min(received, buf.length) - BAM_DMUX_HEADER_LENGTH;
  let length = buf[6] | (buf[7] << 8);
  if (command === BamDmuxCommand.DATA) {
    if (length === BAM_DMUX_LEN_FROM_TRANSFER) length = available;
    if (length > BAM_DMUX_MAX_PAYLOAD) throw new BamDmuxOversizeError(length, BAM_DMUX_MAX_PAYLOAD);
    if (length > available) throw new BamDmuxTruncatedPayloadError(length, available);
    if (length === 0) throw new BamDmuxEmptyPayloadError(channel);
  }
  out.signal = buf[2];
  out.command = command;
  out.pad = buf[4];
  out.channel = channel;
  out.length = length;
  return out;
}

/** Allocating convenience form of {@link decodeBamDmuxHeaderInto}. */
export function decodeBamDmuxHeader(buf: Uint8Array, received = buf.length): BamDmuxHeader {
  return decodeBamDmuxHeaderInto(buf, received, createBamDmuxHeader());
}

/** Writes an 8-byte header at `offset`. Values are masked by the caller's contract (checked ranges). */
export function writeBamDmuxHeader(
  target: Uint8Array,
  offset: number,
  command: BamDmuxCommand,
  channel: number,
  length: number,
  pad: number,
  signal = 0,
): void {
  target[offset] = BAM_DMUX_MAGIC & 0xff;
  target[offset + 1] = BAM_DMUX_MAGIC >> 8;
  target[offset + 2] = signal;
  target[offset + 3] = command;
  target[offset + 4] = pad;
  target[offset + 5] = channel;
  target[offset + 6] = length & 0xff;
  target[offset + 7] = length >> 8;
}

/**
 * Frames `payload` as DATA for `channel` into `target` (header, payload, zeroed padding)
 * and returns the frame length. One copy of the payload; no allocation. Padding is
 * cut short where it would run past the 2 KiB buffer (payloads of 2037..2040 bytes).
 * @throws BamDmuxPayloadTooLargeError above 2040 bytes; InvalidArgumentError for a bad channel or short target.
 */
export function encodeBamDmuxData(
  target: Uint8Array,
  channel: number,
  payload: Uint8Array,
  padding: BamDmuxPadding,
  signal = 0,
): number {
  const length = payload.length;
  if (length > BAM_DMUX_MAX_PAYLOAD) throw new BamDmuxPayloadTooLargeError(length, BAM_DMUX_MAX_PAYLOAD);
  if (!(channel >= 0 && channel < BAM_DMUX_NUM_CHANNELS && Number.isInteger(channel))) {
    throw new InvalidArgumentError('channel', `an integer 0..${BAM_DMUX_NUM_CHANNELS - 1}`, channel);
  }
  // Never pad past one 2 KiB buffer: a 2037..2040-byte payload under the mainline rule gets less.
  const pad = Math.min(bamDmuxPad(length, padding), BAM_DMUX_MAX_PAYLOAD - length);
  const total = BAM_DMUX_HEADER_LENGTH + length + pad;
  if (target.length < total) throw new InvalidArgumentError('target.length', `at least ${total}`, target.length);
  writeBamDmuxHeader(target, 0, BamDmuxCommand.DATA, channel, length, pad, signal);
  target.set(payload, BAM_DMUX_HEADER_LENGTH);
  for (let i = BAM_DMUX_HEADER_LENGTH + length; i < total; i++) target[i] = 0;
  return total;
}

/** Frames a payload-less command (OPEN, CLOSE, ...) into `target`; returns 8. */
export function encodeBamDmuxCommand(target: Uint8Array, command: BamDmuxCommand, channel: number, signal = 0): number {
  if (!(channel >= 0 && channel < BAM_DMUX_NUM_CHANNELS && Number.isInteger(channel))) {
    throw new InvalidArgumentError('channel', `an integer 0..${BAM_DMUX_NUM_CHANNELS - 1}`, channel);
  }
  if (target.length < BAM_DMUX_HEADER_LENGTH) {
    throw new InvalidArgumentError('target.length', `at least ${BAM_DMUX_HEADER_LENGTH}`, target.length);
  }
  writeBamDmuxHeader(target, 0, command, channel, 0, 0, signal);
  return BAM_DMUX_HEADER_LENGTH;
}
