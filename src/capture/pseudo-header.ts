import {
  PseudoHeaderBadDirectionError,
  PseudoHeaderBadKindError,
  PseudoHeaderBadKindNameError,
  PseudoHeaderBadLengthError,
  PseudoHeaderBadVersionError,
  PseudoHeaderTruncatedError,
} from './errors';

/**
 * The qrtrd pseudo-header that precedes every QRTR packet in a capture record
 * (docs/capture.md has the layout). All multi-byte fields are little endian,
 * whatever byte order the pcap file itself uses.
 *
 * ```
 * off size field
 *  0   u8  version (1)
 *  1   u8  direction: 0 rx, 1 tx, 2 local
 *  2   u8  header length in bytes: 16 + kind name rounded up to 4; the packet starts here
 *  3   u8  flags: bit0 kind name truncated; other bits reserved (written 0, ignored on read)
 *  4   u32 endpoint id (0 for traffic between local sockets with no endpoint)
 *  8   u8  backend kind code (see BACKEND_KIND_CODES); 0 = other, named by the kind name
 *  9   u8  kind name length in bytes (0..64), printable ASCII
 * 10   u16 reserved (0)
 * 12   u32 reserved (0)
 * 16   kind name, zero padded to the header length
 * ```
 */
export const PSEUDO_HEADER_VERSION = 1;
/** Fixed part of the pseudo-header; the kind name (if any) follows it. */
export const PSEUDO_HEADER_MIN_LENGTH = 16;
/** Longest kind name a writer stores; longer names are cut and flagged. */
export const PSEUDO_HEADER_MAX_KIND_NAME = 64;
/** Largest pseudo-header a writer produces. */
export const PSEUDO_HEADER_MAX_LENGTH = PSEUDO_HEADER_MIN_LENGTH + PSEUDO_HEADER_MAX_KIND_NAME;
/** Flag bit 0: the backend kind name was longer than 64 bytes and was cut. */
export const PSEUDO_HEADER_FLAG_KIND_TRUNCATED = 0x01;

export type TraceDirection = 'rx' | 'tx' | 'local';

/** Direction codes on the wire, indexed by code. */
export const DIRECTION_CODES: readonly TraceDirection[] = ['rx', 'tx', 'local'];

/**
 * Backend kinds with a one-byte code, so the common records carry no name. The
 * list only ever grows; a kind not in it is written as code 0 plus its name.
 */
export const BACKEND_KIND_CODES: Readonly<Record<string, number>> = Object.freeze({
  local: 1,
  mhi: 2,
  rpmsg: 3,
  tun: 4,
  socket: 5,
  kernel: 6,
  memory: 7,
});

const KIND_BY_CODE: readonly string[] = (() => {
  const names: string[] = [];
  for (const [name, code] of Object.entries(BACKEND_KIND_CODES)) names[code] = name;
  return names;
})();

const KIND_CODE_MAP = new Map<string, number>(Object.entries(BACKEND_KIND_CODES));

/** The decoded pseudo-header. */
export interface PseudoHeader {
  version: number;
  direction: TraceDirection;
  /** Bytes from the start of the record to the QRTR packet. */
  headerLength: number;
  flags: number;
  endpoint: number;
  kindCode: number;
  backendKind: string;
}

function direction(code: TraceDirection): number {
  return code === 'rx' ? 0 : code === 'tx' ? 1 : 2;
}

function isPrintable(c: number): boolean {
  return c >= 0x20 && c < 0x7f;
}

/**
 * Bytes the pseudo-header for this backend kind takes. Known kinds take 16;
 * others carry their name, at most 64 bytes, padded to 4.
 */
export function pseudoHeaderLength(backendKind: string): number {
  if (KIND_CODE_MAP.has(backendKind)) return PSEUDO_HEADER_MIN_LENGTH;
  const n = Math.min(backendKind.length, PSEUDO_HEADER_MAX_KIND_NAME);
  return PSEUDO_HEADER_MIN_LENGTH + ((n + 3) & ~3);
}

/**
 * Writes the pseudo-header at `offset` and returns its length. A kind name
 * character outside printable ASCII is stored as '?', so the reader's check
 * always holds for what a writer produced.
 */
export function encodePseudoHeaderInto(
  target: Uint8Array,
  offset: number,
  trace: { readonly direction: TraceDirection; readonly endpoint: number; readonly backendKind: string },
): number {
  const length = pseudoHeaderLength(trace.backendKind);
  const code = KIND_CODE_MAP.get(trace.backendKind) ?? 0;
  const name = trace.backendKind;
  const nameLength = code === 0 ? Math.min(name.length, PSEUDO_HEADER_MAX_KIND_NAME) : 0;
  target.fill(0, offset, offset + length);
  target[offset] = PSEUDO_HEADER_VERSION;
  target[offset + 1] = direction(trace.direction);
  target[offset + 2] = length;
  target[offset + 3] = code === 0 && name.length > PSEUDO_HEADER_MAX_KIND_NAME ? PSEUDO_HEADER_FLAG_KIND_TRUNCATED : 0;
  const endpoint = trace.endpoint >>> 0;
  target[offset + 4] = endpoint;
  target[offset + 5] = endpoint >>> 8;
  target[offset + 6] = endpoint >>> 16;
  target[offset + 7] = endpoint >>> 24;
  target[offset + 8] = code;
  target[offset + 9] = nameLength;
  for (let i = 0; i < nameLength; i++) {
    const c = name.charCodeAt(i);
    target[offset + PSEUDO_HEADER_MIN_LENGTH + i] = isPrintable(c) ? c : 0x3f;
  }
  return length;
}

/**
 * Decodes the pseudo-header at the start of `record`.
 *
 * @throws PseudoHeaderError subclasses for a short record, an unknown version,
 *   an inconsistent length, an unknown direction or an unnamed unknown kind.
 */
export function decodePseudoHeader(record: Uint8Array): PseudoHeader {
  if (record.length < PSEUDO_HEADER_MIN_LENGTH) throw new PseudoHeaderTruncatedError(record.length, PSEUDO_HEADER_MIN_LENGTH);
  const version = record[0]!;
  if (version !== PSEUDO_HEADER_VERSION) throw new PseudoHeaderBadVersionError(version, PSEUDO_HEADER_VERSION);
  const dir = DIRECTION_CODES[record[1]!];
  if (dir === undefined) throw new PseudoHeaderBadDirectionError(record[1]!);
  const headerLength = record[2]!;
  const nameLength = record[9]!;
  if (headerLength < PSEUDO_HEADER_MIN_LENGTH || (headerLength & 3) !== 0 || headerLength < PSEUDO_HEADER_MIN_LENGTH + nameLength) {
    throw new PseudoHeaderBadLengthError(headerLength, nameLength);
  }
  if (record.length < headerLength) throw new PseudoHeaderTruncatedError(record.length, headerLength);
  const kindCode = record[8]!;
  let backendKind: string;
  if (nameLength > 0) {
    backendKind = '';
    for (let i = 0; i < nameLength; i++) {
      const c = record[PSEUDO_HEADER_MIN_LENGTH + i]!;
      if (!isPrintable(c)) throw new PseudoHeaderBadKindNameError(PSEUDO_HEADER_MIN_LENGTH + i, c);
      backendKind += String.fromCharCode(c);
    }
  } else if (kindCode === 0) {
    backendKind = '';
  } else {
    const known = KIND_BY_CODE[kindCode];
    if (known === undefined) throw new PseudoHeaderBadKindError(kindCode);
    backendKind = known;
  }
  return {
    version,
    direction: dir,
    headerLength,
    flags: record[3]!,
    endpoint: (record[4]! | (record[5]! << 8) | (record[6]! << 16) | (record[7]! << 24)) >>> 0,
    kindCode,
    backendKind,
  };
}
