/**
 * The packet network behind a simulated data call (the PDN): for every address of
 * the call's routed range other than the host's own, gateway included, it answers
 * ICMP echo (RFC 792) and UDP echo on port 7 (RFC 862), so traffic through the data
 * plane can be proven end to end. IPv4 only; anything else is counted and dropped.
 */

/** One call's addressing, host-order IPv4 numbers. */
export interface SimulatedCall {
  readonly address: number;
  readonly gateway: number;
  readonly prefixLength: number;
}

/** One IPv6 call: 16-byte addresses, one prefix length for both. */
export interface SimulatedCall6 {
  readonly address: Uint8Array;
  readonly gateway: Uint8Array;
  readonly prefixLength: number;
}

export type SimulatedNetworkDrop = 'no-call' | 'not-ipv4' | 'malformed' | 'spoofed-source' | 'off-range' | 'fragment' | 'unanswered' | 'loss' | 'delay-queue-full';

export interface SimulatedNetworkStats {
  readonly echoed: number;
  readonly icmpEchoes: number;
  readonly udpEchoes: number;
  readonly drops: Readonly<Record<SimulatedNetworkDrop, number>>;
}

export interface SimulatedNetworkOptions {
  /** Probability in [0, 1) that a request is lost (before any answer). Default 0. */
  readonly loss?: number;
  /** Seed of the loss generator, so a lossy run is reproducible. Default 1. */
  readonly seed?: number;
}

const IPPROTO_ICMP = 1;
const IPPROTO_UDP = 17;
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const UDP_ECHO_PORT = 7;
const IPPROTO_ICMPV6 = 58;
const ICMPV6_ECHO_REQUEST = 128;
const ICMPV6_ECHO_REPLY = 129;
const IPV6_HEADER_LENGTH = 40;

function read32(p: Uint8Array, o: number): number {
  return ((p[o] << 24) | (p[o + 1] << 16) | (p[o + 2] << 8) | p[o + 3]) >>> 0;
}

/** One's-complement sum of p[start, end), folded to 16 bits (not complemented). */
function sum16(p: Uint8Array, start: number, end: number): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (p[i] << 8) | p[i + 1];
  if (i < end) sum += p[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Exchanges p[a, a + n) and p[b, b + n). */
function swap(p: Uint8Array, a: number, b: number, n: number): void {
  for (let i = 0; i < n; i++) {
    const t = p[a + i];
    p[a + i] = p[b + i];
    p[b + i] = t;
  }
}

function mask(prefixLength: number): number {
  return prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
}

export class SimulatedNetwork {
  private readonly calls = new Map<number, SimulatedCall>();
  private readonly calls6 = new Map<number, SimulatedCall6>();
  private readonly drops: Record<SimulatedNetworkDrop, number> = {
    'no-call': 0, 'not-ipv4': 0, malformed: 0, 'spoofed-source': 0, 'off-range': 0, fragment: 0, unanswered: 0, loss: 0, 'delay-queue-full': 0,
  };
  private icmpEchoes = 0;
  private udpEchoes = 0;
  private random: number;
  loss: number;

  constructor(options: SimulatedNetworkOptions = {}) {
    this.loss = options.loss ?? 0;
    this.random = (options.seed ?? 1) >>> 0 || 1;
  }

  /** Routes `channel`'s traffic (a BAM-DMUX channel, or a QMAP mux id) into a call. */
  startCall(channel: number, call: SimulatedCall): void {
    this.calls.set(channel, call);
  }

  stopCall(channel: number): void {
    this.calls.delete(channel);
  }

  /** Routes `channel`'s IPv6 traffic into an IPv6 call (independent of its IPv4 call, as in WDS). */
  startCall6(channel: number, call: SimulatedCall6): void {
    this.calls6.set(channel, call);
  }

  stopCall6(channel: number): void {
    this.calls6.delete(channel);
  }

  callOf(channel: number): SimulatedCall | undefined {
    return this.calls.get(channel);
  }

  /** Counts a drop decided outside (e.g. a full delay queue). */
  count(reason: SimulatedNetworkDrop): void {
    this.drops[reason]++;
  }

  stats(): SimulatedNetworkStats {
    return { echoed: this.icmpEchoes + this.udpEchoes, icmpEchoes: this.icmpEchoes, udpEchoes: this.udpEchoes, drops: { ...this.drops } };
  }

  /**
   * Answers the IP packet `packet[offset, offset + length)` sent on `channel`: writes
   * the reply at `out[outOffset]` and returns its length, or 0 (counted) for no reply.
   * `out` may be `packet` itself at the same offset.
   */
  answer(channel: number, packet: Uint8Array, offset: number, length: number, out: Uint8Array, outOffset: number): number {
    if (length > 0 && packet[offset] >> 4 === 6) return this.answer6(channel, packet, offset, length, out, outOffset);
    const call = this.calls.get(channel);
    if (!call) return this.drop('no-call');
    if (length > 0 && packet[offset] >> 4 !== 4) return this.drop('not-ipv4');
    if (length < 20) return this.drop('malformed');
    const ihl = (packet[offset] & 0x0f) * 4;
    const total = (packet[offset + 2] << 8) | packet[offset + 3];
    if (ihl < 20 || total < ihl || total > length) return this.drop('malformed');
    if ((((packet[offset + 6] << 8) | packet[offset + 7]) & 0x3fff) !== 0) return this.drop('fragment');
    const source = read32(packet, offset + 12);
    const destination = read32(packet, offset + 16);
    const m = mask(call.prefixLength);
    if (source !== call.address) return this.drop('spoofed-source');
    if ((destination & m) !== (call.address & m) || destination === call.address) return this.drop('off-range');
    const protocol = packet[offset + 9];
    const l4 = offset + ihl;
    let kind: 'icmp' | 'udp';
    if (protocol === IPPROTO_ICMP && total - ihl >= 8 && packet[l4] === ICMP_ECHO_REQUEST) kind = 'icmp';
    else if (protocol === IPPROTO_UDP && total - ihl >= 8 && ((packet[l4 + 2] << 8) | packet[l4 + 3]) === UDP_ECHO_PORT) kind = 'udp';
    else return this.drop('unanswered');
    if (this.loss > 0 && this.nextRandom() < this.loss) return this.drop('loss');
    if (out !== packet || outOffset !== offset) out.set(packet.subarray(offset, offset + total), outOffset);
    const o = outOffset;
    // Swap the addresses (the header checksum is unchanged by a swap), then a fresh TTL.
    swap(out, o + 12, o + 16, 4);
    out[o + 8] = 64;
    out[o + 10] = 0;
    out[o + 11] = 0;
    const header = ~sum16(out, o, o + ihl) & 0xffff;
    out[o + 10] = header >> 8;
    out[o + 11] = header & 0xff;
    this.finishEcho(kind, out, o + ihl, o + total, ICMP_ECHO_REPLY, 0);
    return total;
  }

  /**
   * Turns the echo request at out[l4, end) into its reply: ICMP type and checksum
   * (`pseudo`: the IPv6 pseudo-header's sum, 0 for ICMPv4), or the UDP ports swapped.
   */
  private finishEcho(kind: 'icmp' | 'udp', out: Uint8Array, l4: number, end: number, replyType: number, pseudo: number): void {
    if (kind === 'udp') {
      // Swapping ports, like swapping addresses, leaves the UDP checksum valid.
      swap(out, l4, l4 + 2, 2);
      this.udpEchoes++;
      return;
    }
    out[l4] = replyType;
    out[l4 + 2] = 0;
    out[l4 + 3] = 0;
    let sum = pseudo + sum16(out, l4, end);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const checksum = ~sum & 0xffff;
    out[l4 + 2] = checksum >> 8;
    out[l4 + 3] = checksum & 0xff;
    this.icmpEchoes++;
  }

  private answer6(channel: number, packet: Uint8Array, offset: number, length: number, out: Uint8Array, outOffset: number): number {
    const call = this.calls6.get(channel);
    if (!call) return this.drop('no-call');
    if (length < IPV6_HEADER_LENGTH) return this.drop('malformed');
    const payloadLength = (packet[offset + 4] << 8) | packet[offset + 5];
    const total = IPV6_HEADER_LENGTH + payloadLength;
    if (total > length) return this.drop('malformed');
    for (let i = 0; i < 16; i++) if (packet[offset + 8 + i] !== call.address[i]) return this.drop('spoofed-source');
    for (let bit = 0; bit < call.prefixLength; bit++) {
      const byte = bit >> 3;
      const m = 0x80 >> (bit & 7);
      if ((packet[offset + 24 + byte] & m) !== (call.address[byte] & m)) return this.drop('off-range');
    }
    let own = true;
    for (let i = 0; i < 16 && own; i++) own = packet[offset + 24 + i] === call.address[i];
    if (own) return this.drop('off-range');
    // Only a transport header right after the fixed header: extension headers are not answered.
    const next = packet[offset + 6];
    const l4 = offset + IPV6_HEADER_LENGTH;
    let kind: 'icmp' | 'udp';
    if (next === IPPROTO_ICMPV6 && payloadLength >= 8 && packet[l4] === ICMPV6_ECHO_REQUEST) kind = 'icmp';
    else if (next === IPPROTO_UDP && payloadLength >= 8 && ((packet[l4 + 2] << 8) | packet[l4 + 3]) === UDP_ECHO_PORT) kind = 'udp';
    else return this.drop('unanswered');
    if (this.loss > 0 && this.nextRandom() < this.loss) return this.drop('loss');
    if (out !== packet || outOffset !== offset) out.set(packet.subarray(offset, offset + total), outOffset);
    const o = outOffset;
    swap(out, o + 8, o + 24, 16);
    out[o + 7] = 64;
    // The ICMPv6 checksum covers the pseudo-header: both addresses, the length and next header 58.
    const pseudo = sum16(out, o + 8, o + 40) + (payloadLength >>> 16) + (payloadLength & 0xffff) + IPPROTO_ICMPV6;
    this.finishEcho(kind, out, o + IPV6_HEADER_LENGTH, o + total, ICMPV6_ECHO_REPLY, pseudo);
    return total;
  }

  private drop(reason: SimulatedNetworkDrop): 0 {
    this.drops[reason]++;
    return 0;
  }

  /** xorshift32 in [0, 1). */
  private nextRandom(): number {
    let x = this.random;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.random = x >>> 0;
    return this.random / 0x100000000;
  }
}
