import {
  IPPROTO_TCP,
  IPPROTO_UDP,
  createIpChecksumInfo,
  foldChecksum,
  onesComplementSum,
  parseIpForChecksum,
  writeTransportChecksum,
} from '../src/qmap/qmap-checksum';

export type SimPacketKind = 'ipv4-udp' | 'ipv4-tcp' | 'ipv6-udp' | 'ipv6-tcp';

const scratch = createIpChecksumInfo();

/**
 * Writes a TCP or UDP packet over IPv4 or IPv6 of `totalLength` bytes into
 * `target` at `offset`, carrying `sequence` as the first 4 payload bytes, with
 * a correct checksum, or a deliberately wrong one when `validChecksum` is false.
 * Returns the length written.
 */
export function writeSimPacket(
  target: Uint8Array,
  offset: number,
  kind: SimPacketKind,
  totalLength: number,
  sequence: number,
  validChecksum = true,
): number {
  const v6 = kind.startsWith('ipv6');
  const tcp = kind.endsWith('tcp');
  const ipHeader = v6 ? 40 : 20;
  const l4Header = tcp ? 20 : 8;
  const min = ipHeader + l4Header + 4;
  const length = Math.max(totalLength, min);
  const p = target.subarray(offset, offset + length);
  p.fill(0);
  if (v6) {
    p[0] = 0x60;
    p[4] = (length - 40) >> 8;
    p[5] = (length - 40) & 0xff;
    p[6] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
    p[7] = 64;
    p[8] = 0x20;
    p[9] = 0x01;
    p[23] = 1; // 2001::1
    p[24] = 0x20;
    p[25] = 0x01;
    p[39] = 2; // 2001::2
  } else {
    p[0] = 0x45;
    p[2] = length >> 8;
    p[3] = length & 0xff;
    p[4] = (sequence >> 8) & 0xff;
    p[5] = sequence & 0xff;
    p[8] = 64;
    p[9] = tcp ? IPPROTO_TCP : IPPROTO_UDP;
    p.set([10, 0, 0, 1, 10, 0, 0, 2], 12);
    const hsum = ~foldChecksum(onesComplementSum(p, 0, 20)) & 0xffff;
    p[10] = hsum >> 8;
    p[11] = hsum & 0xff;
  }
  const l4 = ipHeader;
  p[l4] = 0x30; // source port 12345
  p[l4 + 1] = 0x39;
  p[l4 + 2] = 0x00; // destination port 80
  p[l4 + 3] = 0x50;
  if (tcp) {
    p[l4 + 12] = 0x50; // data offset 5 words
    p[l4 + 13] = 0x18; // PSH ACK
  } else {
    const udpLength = length - ipHeader;
    p[l4 + 4] = udpLength >> 8;
    p[l4 + 5] = udpLength & 0xff;
  }
  const payload = l4 + l4Header;
  p[payload] = sequence >>> 24;
  p[payload + 1] = (sequence >>> 16) & 0xff;
  p[payload + 2] = (sequence >>> 8) & 0xff;
  p[payload + 3] = sequence & 0xff;
  for (let i = payload + 4; i < length; i++) p[i] = (i * 7 + sequence) & 0xff;
  parseIpForChecksum(p, 0, length, scratch);
  writeTransportChecksum(p, 0, scratch);
  if (!validChecksum) {
    const at = scratch.checksumOffset;
    // Flip bits so the result is wrong yet never 0 (0 would mean "no checksum" for UDP over IPv4).
    let bad = (((p[at] << 8) | p[at + 1]) ^ 0x5a5a) & 0xffff;
    if (bad === 0) bad = 0x1234;
    p[at] = bad >> 8;
    p[at + 1] = bad & 0xff;
  }
  return length;
}

/** Allocating form of {@link writeSimPacket}. */
export function buildSimPacket(kind: SimPacketKind, totalLength: number, sequence: number, validChecksum = true): Uint8Array {
  const buf = new Uint8Array(Math.max(totalLength, 72));
  const length = writeSimPacket(buf, 0, kind, totalLength, sequence, validChecksum);
  return buf.subarray(0, length);
}

/** Reads the sequence number {@link writeSimPacket} put in a packet. */
export function readSimSequence(packet: Uint8Array): number {
  const v6 = packet[0] >> 4 === 6;
  const ipHeader = v6 ? 40 : (packet[0] & 0x0f) * 4;
  const protocol = v6 ? packet[6] : packet[9];
  const at = ipHeader + (protocol === IPPROTO_TCP ? 20 : 8);
  return ((packet[at] << 24) | (packet[at + 1] << 16) | (packet[at + 2] << 8) | packet[at + 3]) >>> 0;
}
