/**
 * Internet checksums for QMAP checksum offload: TCP/UDP over IPv4 and IPv6,
 * verified in software, or through the MAPv4 downlink trailer's sum.
 * All functions work on views and allocate nothing.
 */

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
/** Offset of the checksum field inside the transport header. */
export const TCP_CHECKSUM_OFFSET = 16;
export const UDP_CHECKSUM_OFFSET = 6;

/** One's-complement sum of big-endian 16-bit words over buf[start..end), unfolded (exact below 2^53). */
export function onesComplementSum(buf: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  const evenEnd = end - ((end - start) & 1);
  for (; i < evenEnd; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  return sum;
}

/** Folds a sum to 16 bits with end-around carry. */
export function foldChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

/** Where the transport header is and what the pseudo-header contributes; filled by {@link parseIpForChecksum}. */
export interface IpChecksumInfo {
  version: 4 | 6;
  protocol: number;
  /** Offset and length of the TCP/UDP segment inside the packet. */
  l4Offset: number;
  l4Length: number;
  /** Unfolded sum of the pseudo-header. */
  pseudoSum: number;
  /** Unfolded sum of the IP header (IPv4: folds to 0xffff when intact). */
  headerSum: number;
  /** Offset of the checksum field inside the packet. */
  checksumOffset: number;
  /** Why parsing failed or verification is not possible; set with a non-'ok' result. */
  reason: string;
}

export function createIpChecksumInfo(): IpChecksumInfo {
  return { version: 4, protocol: 0, l4Offset: 0, l4Length: 0, pseudoSum: 0, headerSum: 0, checksumOffset: 0, reason: '' };
}

/**
 * 'ok': TCP or UDP whose checksum can be checked; 'unsupported': a packet
 * offload does not cover (other protocols, IPv4 fragments, IPv6 extension
 * headers); 'malformed': the IP header itself is broken (see info.reason).
 */
export type IpChecksumParse = 'ok' | 'unsupported' | 'malformed';

function malformed(info: IpChecksumInfo, reason: string): IpChecksumParse {
  info.reason = reason;
  return 'malformed';
}

function unsupported(info: IpChecksumInfo, reason: string): IpChecksumParse {
  info.reason = reason;
  return 'unsupported';
}

/** Parses the IP header of `pkt[offset..offset+length)` for checksum work. Offsets in `info` are relative to `offset`. */
export function parseIpForChecksum(pkt: Uint8Array, offset: number, length: number, info: IpChecksumInfo): IpChecksumParse {
  if (length < 1) return malformed(info, 'empty');
  const version = pkt[offset] >> 4;
  let protocol: number;
  let l4Offset: number;
  let l4Length: number;
  if (version === 4) {
    if (length < 20) return malformed(info, `IPv4 packet of ${length} bytes is shorter than 20`);
    const ihl = (pkt[offset] & 0x0f) * 4;
    if (ihl < 20 || ihl > length) return malformed(info, `IPv4 IHL ${ihl} does not fit ${length} bytes`);
    const total = (pkt[offset + 2] << 8) | pkt[offset + 3];
    if (total < ihl || total > length) return malformed(info, `IPv4 total length ${total} does not fit ${length} bytes`);
    const headerSum = onesComplementSum(pkt, offset, offset + ihl);
    if (foldChecksum(headerSum) !== 0xffff) return malformed(info, 'IPv4 header checksum is wrong');
    info.headerSum = headerSum;
    const fragment = ((pkt[offset + 6] & 0x3f) << 8) | pkt[offset + 7];
    protocol = pkt[offset + 9];
    info.version = 4;
    info.protocol = protocol;
    if (fragment !== 0) return unsupported(info, 'IPv4 fragment');
    l4Offset = ihl;
    l4Length = total - ihl;
    info.pseudoSum = onesComplementSum(pkt, offset + 12, offset + 20) + protocol + l4Length;
  } else if (version === 6) {
    if (length < 40) return malformed(info, `IPv6 packet of ${length} bytes is shorter than 40`);
    const payloadLength = (pkt[offset + 4] << 8) | pkt[offset + 5];
    if (payloadLength + 40 > length) return malformed(info, `IPv6 payload length ${payloadLength} does not fit ${length} bytes`);
    protocol = pkt[offset + 6];
    info.version = 6;
    info.protocol = protocol;
    info.headerSum = onesComplementSum(pkt, offset, offset + 40);
    l4Offset = 40;
    l4Length = payloadLength;
    info.pseudoSum = onesComplementSum(pkt, offset + 8, offset + 40) + protocol + l4Length;
  } else {
    return malformed(info, `IP version ${version}`);
  }
  if (protocol === IPPROTO_TCP) {
    if (l4Length < 20) return malformed(info, `TCP segment of ${l4Length} bytes`);
    info.checksumOffset = l4Offset + TCP_CHECKSUM_OFFSET;
  } else if (protocol === IPPROTO_UDP) {
    if (l4Length < 8) return malformed(info, `UDP datagram of ${l4Length} bytes`);
    info.checksumOffset = l4Offset + UDP_CHECKSUM_OFFSET;
  } else {
    return unsupported(info, version === 6 ? `IPv6 next header ${protocol}` : `IPv4 protocol ${protocol}`);
  }
  info.l4Offset = l4Offset;
  info.l4Length = l4Length;
  info.reason = '';
  return 'ok';
}

/** Outcome of verifying a transport checksum. 'no-checksum' is UDP over IPv4 with checksum 0. */
export type ChecksumVerdict = 'ok' | 'no-checksum' | 'bad';

/** Verifies a parsed packet's TCP/UDP checksum by summing the whole segment. */
export function verifyTransportChecksum(pkt: Uint8Array, offset: number, info: IpChecksumInfo): ChecksumVerdict {
  const field = (pkt[offset + info.checksumOffset] << 8) | pkt[offset + info.checksumOffset + 1];
  if (field === 0 && info.protocol === IPPROTO_UDP) return info.version === 4 ? 'no-checksum' : 'bad';
  const start = offset + info.l4Offset;
  const sum = onesComplementSum(pkt, start, start + info.l4Length, info.pseudoSum);
  return foldChecksum(sum) === 0xffff ? 'ok' : 'bad';
}

/**
 * Verifies using a MAPv4 downlink trailer. Its csum_value is the complement
 * of the one's-complement sum over the whole IP packet (what rmnet's check
 * `csum_value == ~pseudo_csum` implies for an IPv4 header that sums to zero).
 * Take out the IP header's part, add the pseudo-header, and the result must
 * fold to 0xffff; the payload is not summed again. Returns 'bad' on a
 * mismatch; a caller that wants certainty falls back to {@link verifyTransportChecksum}.
 */
export function verifyWithTrailerChecksum(pkt: Uint8Array, offset: number, info: IpChecksumInfo, trailerValue: number): ChecksumVerdict {
  const field = (pkt[offset + info.checksumOffset] << 8) | pkt[offset + info.checksumOffset + 1];
  if (field === 0 && info.protocol === IPPROTO_UDP) return info.version === 4 ? 'no-checksum' : 'bad';
  const packetSum = ~trailerValue & 0xffff;
  const headerFolded = foldChecksum(info.headerSum);
  const payloadSum = packetSum + (~headerFolded & 0xffff);
  return foldChecksum(payloadSum + info.pseudoSum) === 0xffff ? 'ok' : 'bad';
}

/** Computes and stores the correct TCP/UDP checksum of a parsed packet (UDP 0 becomes 0xffff). */
export function writeTransportChecksum(pkt: Uint8Array, offset: number, info: IpChecksumInfo): void {
  const at = offset + info.checksumOffset;
  pkt[at] = 0;
  pkt[at + 1] = 0;
  const start = offset + info.l4Offset;
  let csum = ~foldChecksum(onesComplementSum(pkt, start, start + info.l4Length, info.pseudoSum)) & 0xffff;
  if (csum === 0 && info.protocol === IPPROTO_UDP) csum = 0xffff;
  pkt[at] = csum >> 8;
  pkt[at + 1] = csum & 0xff;
}

/**
 * Prepares a packet for uplink offload the way a CHECKSUM_PARTIAL packet
 * reaches rmnet: the checksum field holds the folded pseudo-header sum, so the
 * modem's sum from the transport header onward, complemented, is the checksum.
 */
export function writePseudoHeaderChecksum(pkt: Uint8Array, offset: number, info: IpChecksumInfo): void {
  const at = offset + info.checksumOffset;
  const pseudo = foldChecksum(info.pseudoSum);
  pkt[at] = pseudo >> 8;
  pkt[at + 1] = pseudo & 0xff;
}

/**
 * Modem side of uplink offload: sum from `start`, complement, store at
 * start + insertOffset. Under MAPv4 the host hands over the pseudo-header sum
 * complemented (`complementedSeed`), so it is flipped back before summing.
 */
export function completeOffloadedChecksum(
  pkt: Uint8Array,
  start: number,
  end: number,
  insertOffset: number,
  udp: boolean,
  complementedSeed = false,
): void {
  const at = start + insertOffset;
  if (complementedSeed) {
    pkt[at] = ~pkt[at] & 0xff;
    pkt[at + 1] = ~pkt[at + 1] & 0xff;
  }
  let csum = ~foldChecksum(onesComplementSum(pkt, start, end)) & 0xffff;
  if (csum === 0 && udp) csum = 0xffff;
  pkt[at] = csum >> 8;
  pkt[at + 1] = csum & 0xff;
}
