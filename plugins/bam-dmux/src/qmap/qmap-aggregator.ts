import type { SchedulerLike, Subscription } from 'rxjs';
import { QmapEncodeRangeError } from './errors';
import {
  createIpChecksumInfo,
  parseIpForChecksum,
  writePseudoHeaderChecksum,
  IPPROTO_UDP,
  type IpChecksumInfo,
} from './qmap-checksum';
import {
  QMAP_HEADER_LENGTH,
  QMAP_MAX_PKT_LEN,
  QMAP_V4_UL_ENABLED,
  QMAP_V4_UL_HEADER_LENGTH,
  QMAP_V4_UL_UDP,
  QMAP_V5_CSUM_VALID,
  QMAP_V5_HEADER_LENGTH,
  QMAP_V5_TYPE_CSUM_OFFLOAD,
  writeQmapHeader,
  type QmapChecksumMode,
} from './qmap-header';

/** Bytes a data frame adds in front of the IP packet under `mode` on uplink. */
export function qmapUplinkOverhead(mode: QmapChecksumMode): number {
  return QMAP_HEADER_LENGTH + (mode === 'v4' ? QMAP_V4_UL_HEADER_LENGTH : mode === 'v5' ? QMAP_V5_HEADER_LENGTH : 0);
}

/**
 * Writes one uplink data frame (MAP header, v4 UL or v5 header, the packet)
 * at `offset` and returns its length. rmnet adds no padding on uplink.
 * With `offload`, TCP/UDP packets get the checksum request and the copied
 * checksum field is seeded with the pseudo-header sum (complemented under
 * MAPv4, as rmnet does); other packets get the all-zero v4 header (or the v5
 * header without the request bit).
 */
export function encodeQmapUplinkFrame(
  target: Uint8Array,
  offset: number,
  muxId: number,
  packet: Uint8Array,
  mode: QmapChecksumMode,
  offload: boolean,
  scratch: IpChecksumInfo = createIpChecksumInfo(),
): number {
  const extra = mode === 'v4' ? QMAP_V4_UL_HEADER_LENGTH : mode === 'v5' ? QMAP_V5_HEADER_LENGTH : 0;
  const pktLen = packet.length;
  const frameLength = QMAP_HEADER_LENGTH + extra + pktLen;
  if (pktLen > QMAP_MAX_PKT_LEN) throw new QmapEncodeRangeError('pkt_len', pktLen, QMAP_MAX_PKT_LEN);
  if (offset + frameLength > target.length) throw new QmapEncodeRangeError('frame length', frameLength, target.length - offset);
  writeQmapHeader(target, offset, false, mode === 'v5', 0, muxId, pktLen);
  const ipOffset = offset + QMAP_HEADER_LENGTH + extra;
  target.set(packet, ipOffset);
  const canOffload = offload && mode !== 'none' && parseIpForChecksum(target, ipOffset, pktLen, scratch) === 'ok';
  const h = offset + QMAP_HEADER_LENGTH;
  if (mode === 'v4') {
    if (canOffload) {
      // rmnet complements the CHECKSUM_PARTIAL seed for MAPv4 (not for MAPv5).
      writePseudoHeaderChecksum(target, ipOffset, scratch);
      const at = ipOffset + scratch.checksumOffset;
      target[at] = ~target[at] & 0xff;
      target[at + 1] = ~target[at + 1] & 0xff;
      const info =
        QMAP_V4_UL_ENABLED | (scratch.protocol === IPPROTO_UDP ? QMAP_V4_UL_UDP : 0) | (scratch.checksumOffset - scratch.l4Offset);
      target[h] = scratch.l4Offset >> 8;
      target[h + 1] = scratch.l4Offset & 0xff;
      target[h + 2] = info >> 8;
      target[h + 3] = info & 0xff;
    } else {
      target[h] = target[h + 1] = target[h + 2] = target[h + 3] = 0;
    }
  } else if (mode === 'v5') {
    if (canOffload) writePseudoHeaderChecksum(target, ipOffset, scratch);
    target[h] = QMAP_V5_TYPE_CSUM_OFFLOAD << 1;
    target[h + 1] = canOffload ? QMAP_V5_CSUM_VALID : 0;
    target[h + 2] = 0;
    target[h + 3] = 0;
  }
  return frameLength;
}

/** Uplink aggregation limits (ethtool tx-aggr-max-bytes / -frames / -time-usecs). */
export interface QmapAggregationLimits {
  /** Largest aggregate; for QMAP over BAM-DMUX at most 2040 (one TX buffer). */
  maxBytes: number;
  /** Frames per aggregate; 1 disables aggregation. */
  maxFrames: number;
  /** Flush a partly filled aggregate this long after its first frame; 0 flushes only on the other limits. */
  timeMs: number;
}

/** Counters of the uplink aggregator. */
export interface QmapAggregatorStats {
  frames: number;
  aggregates: number;
  flushBytes: number;
  flushFrames: number;
  flushTime: number;
  blocked: number;
}

/**
 * Builds uplink aggregates in one preallocated buffer and hands each to
 * `send` (which copies it, e.g. into a BAM-DMUX TX buffer). When `send`
 * refuses (transmit ring full) the aggregate is kept and {@link append}
 * refuses new frames until {@link retry} succeeds: bounded, no drops.
 */
export class QmapTxAggregator {
  private readonly buffer: Uint8Array;
  private readonly scratch = createIpChecksumInfo();
  private used = 0;
  private frames = 0;
  private blocked = false;
  private timer: Subscription | undefined;
  private readonly counters: QmapAggregatorStats = { frames: 0, aggregates: 0, flushBytes: 0, flushFrames: 0, flushTime: 0, blocked: 0 };

  constructor(
    private readonly send: (aggregate: Uint8Array) => boolean,
    readonly limits: QmapAggregationLimits,
    readonly mode: QmapChecksumMode,
    private readonly scheduler: SchedulerLike,
    private readonly onUnblocked: () => void = () => undefined,
  ) {
    if (!(limits.maxBytes >= QMAP_HEADER_LENGTH + 1 && limits.maxBytes <= 0x10000)) {
      throw new QmapEncodeRangeError('aggregation maxBytes', limits.maxBytes, 0x10000);
    }
    if (!(limits.maxFrames >= 1)) throw new QmapEncodeRangeError('aggregation maxFrames', limits.maxFrames, Infinity);
    this.buffer = new Uint8Array(limits.maxBytes);
  }

  /** False while an aggregate waits for transmit room. */
  get ready(): boolean {
    return !this.blocked;
  }

  stats(): QmapAggregatorStats {
    return { ...this.counters };
  }

  /**
   * Adds one frame; returns false (nothing added) while blocked.
   * @throws QmapEncodeRangeError when one frame cannot fit an aggregate at all.
   */
  append(muxId: number, packet: Uint8Array, offload: boolean): boolean {
    const frameLength = qmapUplinkOverhead(this.mode) + packet.length;
    if (frameLength > this.limits.maxBytes) throw new QmapEncodeRangeError('frame length', frameLength, this.limits.maxBytes);
    if (this.blocked && !this.flush('retry')) return false;
    if (this.used + frameLength > this.limits.maxBytes && !this.flush('bytes')) return false;
    this.used += encodeQmapUplinkFrame(this.buffer, this.used, muxId, packet, this.mode, offload, this.scratch);
    this.frames++;
    this.counters.frames++;
    if (this.frames >= this.limits.maxFrames) this.flush('frames');
    else if (this.used === this.limits.maxBytes) this.flush('bytes');
    else if (this.frames === 1 && this.limits.timeMs > 0) {
      this.timer = this.scheduler.schedule(() => {
        this.timer = undefined;
        this.flush('time');
      }, this.limits.timeMs);
    }
    return true;
  }

  /** Retries a blocked aggregate (call when the transmit path wakes). */
  retry(): boolean {
    return !this.blocked || this.flush('retry');
  }

  /** Sends whatever is aggregated now. */
  flushNow(): boolean {
    return this.flush('time');
  }

  dispose(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  private flush(reason: 'bytes' | 'frames' | 'time' | 'retry'): boolean {
    if (this.used === 0) return true;
    if (!this.send(this.buffer.subarray(0, this.used))) {
      if (!this.blocked) this.counters.blocked++;
      this.blocked = true;
      return false;
    }
    this.counters.aggregates++;
    if (reason === 'bytes') this.counters.flushBytes++;
    else if (reason === 'frames') this.counters.flushFrames++;
    else if (reason === 'time') this.counters.flushTime++;
    this.used = 0;
    this.frames = 0;
    this.timer?.unsubscribe();
    this.timer = undefined;
    if (this.blocked) {
      this.blocked = false;
      this.onUnblocked();
    }
    return true;
  }
}
