import { encodePseudoHeaderInto, pseudoHeaderLength, PSEUDO_HEADER_MAX_LENGTH, type TraceDirection } from './pseudo-header';

/**
 * Link type of qrtrd captures: LINKTYPE_USER3 / DLT_USER3 (150), one of the
 * sixteen values (147..162) tcpdump.org reserves for private use. Not USER2
 * (149): Wireshark decodes that one as Apple's PKTAP by default. Wireshark maps
 * 150 to its `wtap_encap` USER3, where src/capture/wireshark/qrtrd.lua attaches.
 */
export const LINKTYPE_QRTRD = 150;

/** Classic libpcap magic for microsecond timestamps, as a number (written little endian). */
export const PCAP_MAGIC_MICROSECONDS = 0xa1b2c3d4;
/** The nanosecond variant; the reader accepts it, the writer never produces it. */
export const PCAP_MAGIC_NANOSECONDS = 0xa1b23c4d;
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
export const PCAP_GLOBAL_HEADER_LENGTH = 24;
export const PCAP_RECORD_HEADER_LENGTH = 16;
/** libpcap's MAXIMUM_SNAPLEN; readers reject a snaplen above it. */
export const PCAP_MAX_SNAPLEN = 262144;

/**
 * Largest QRTR packet: a v2 header with the largest optlen (16 + 252) and a
 * 65535-byte payload padded to 65536. Routers never accept more from a link.
 */
export const QRTR_MAX_PACKET_LENGTH = 16 + 252 + 65536;

/**
 * Snaplen written to the file: the largest pseudo-header plus the largest QRTR
 * packet. A longer (malformed) packet is stored cut to this length, its real
 * length kept in the record's original-length field, as libpcap does.
 */
export const PCAP_SNAPLEN_QRTRD = PSEUDO_HEADER_MAX_LENGTH + QRTR_MAX_PACKET_LENGTH;

/** What one capture record holds: a router PacketTrace has exactly these fields. */
export interface CaptureRecordInput {
  readonly direction: TraceDirection;
  readonly endpoint: number;
  readonly backendKind: string;
  /** A whole QRTR packet, as it crossed the router. */
  readonly packet: Uint8Array;
  /** Milliseconds since the epoch (Date.now()); fractions are kept to the microsecond. */
  readonly timestamp: number;
}

function putU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}

/** Writes the 24-byte global header (little endian, v2.4, microseconds, LINKTYPE_QRTRD). */
export function encodePcapGlobalHeaderInto(target: Uint8Array, offset: number, snaplen = PCAP_SNAPLEN_QRTRD): number {
  putU32(target, offset, PCAP_MAGIC_MICROSECONDS);
  target[offset + 4] = PCAP_VERSION_MAJOR;
  target[offset + 5] = 0;
  target[offset + 6] = PCAP_VERSION_MINOR;
  target[offset + 7] = 0;
  putU32(target, offset + 8, 0); // thiszone: timestamps are UTC
  putU32(target, offset + 12, 0); // sigfigs: always 0 in practice
  putU32(target, offset + 16, snaplen);
  putU32(target, offset + 20, LINKTYPE_QRTRD);
  return PCAP_GLOBAL_HEADER_LENGTH;
}

/** Bytes the record for `trace` takes in the file: record header, pseudo-header and the (possibly cut) packet. */
export function captureRecordLength(trace: CaptureRecordInput, snaplen = PCAP_SNAPLEN_QRTRD): number {
  return PCAP_RECORD_HEADER_LENGTH + Math.min(pseudoHeaderLength(trace.backendKind) + trace.packet.length, snaplen);
}

/**
 * Writes one record (record header, pseudo-header, packet) at `offset`; returns
 * the bytes written, which equal {@link captureRecordLength}. `target` must have room.
 */
export function encodeCaptureRecordInto(target: Uint8Array, offset: number, trace: CaptureRecordInput, snaplen = PCAP_SNAPLEN_QRTRD): number {
  const ms = trace.timestamp;
  let seconds = Math.floor(ms / 1000);
  let micros = Math.round((ms - seconds * 1000) * 1000);
  if (micros >= 1_000_000) {
    seconds += 1;
    micros -= 1_000_000;
  }
  const headerLength = encodePseudoHeaderInto(target, offset + PCAP_RECORD_HEADER_LENGTH, trace);
  const original = headerLength + trace.packet.length;
  const captured = Math.min(original, snaplen);
  putU32(target, offset, seconds);
  putU32(target, offset + 4, micros);
  putU32(target, offset + 8, captured);
  putU32(target, offset + 12, original);
  const packetBytes = captured - headerLength;
  target.set(
    packetBytes === trace.packet.length ? trace.packet : trace.packet.subarray(0, packetBytes),
    offset + PCAP_RECORD_HEADER_LENGTH + headerLength,
  );
  return PCAP_RECORD_HEADER_LENGTH + captured;
}
