import { InvalidArgumentError } from '../../../src/common/errors';
import type { SchedulerLike, Subscription } from 'rxjs';
import {
  createIpChecksumInfo,
  foldChecksum,
  onesComplementSum,
  parseIpForChecksum,
  verifyTransportChecksum,
} from '../src/qmap/qmap-checksum';
import {
  QMAP_HEADER_LENGTH,
  QMAP_V4_DL_TRAILER_LENGTH,
  QMAP_V4_DL_VALID,
  QMAP_V5_CSUM_VALID,
  QMAP_V5_HEADER_LENGTH,
  QMAP_V5_TYPE_CSUM_OFFLOAD,
  qmapPad,
  writeQmapHeader,
  type QmapChecksumMode,
} from '../src/qmap/qmap-header';

const scratch = createIpChecksumInfo();

/** Where the IP packet starts inside a downlink frame under `mode`. */
export function qmapDlPayloadOffset(mode: QmapChecksumMode): number {
  return QMAP_HEADER_LENGTH + (mode === 'v5' ? QMAP_V5_HEADER_LENGTH : 0);
}

/** Bytes a downlink frame of an `ipLength` packet occupies (IPA pads to 4). */
export function qmapDlFrameLength(ipLength: number, mode: QmapChecksumMode): number {
  return qmapDlPayloadOffset(mode) + ipLength + qmapPad(ipLength) + (mode === 'v4' ? QMAP_V4_DL_TRAILER_LENGTH : 0);
}

/**
 * Completes a downlink frame around an IP packet already written at
 * `offset + qmapDlPayloadOffset(mode)`: MAP header with the pad length, the
 * v5 header (valid bit set only when the checksum really verifies, as IPA's
 * checksum engine would), or the v4 trailer with the complemented sum over the packet.
 * Returns the frame length.
 */
export function finishDlQmapFrame(target: Uint8Array, offset: number, muxId: number, ipLength: number, mode: QmapChecksumMode): number {
  const pad = qmapPad(ipLength);
  const ip = offset + qmapDlPayloadOffset(mode);
  target.fill(0, ip + ipLength, ip + ipLength + pad);
  writeQmapHeader(target, offset, false, mode === 'v5', pad, muxId, ipLength + pad);
  if (mode === 'v5') {
    const ok =
      parseIpForChecksum(target, ip, ipLength, scratch) === 'ok' && verifyTransportChecksum(target, ip, scratch) !== 'bad';
    target[offset + 4] = QMAP_V5_TYPE_CSUM_OFFLOAD << 1;
    target[offset + 5] = ok ? QMAP_V5_CSUM_VALID : 0;
    target[offset + 6] = 0;
    target[offset + 7] = 0;
  } else if (mode === 'v4') {
    const t = ip + ipLength + pad;
    // csum_value: the complement of the packet's one's-complement sum, as rmnet expects it.
    const sum = ~foldChecksum(onesComplementSum(target, ip, ip + ipLength)) & 0xffff;
    target[t] = 0;
    target[t + 1] = QMAP_V4_DL_VALID;
    target[t + 2] = 0;
    target[t + 3] = 0;
    target[t + 4] = ipLength >> 8;
    target[t + 5] = ipLength & 0xff;
    target[t + 6] = sum >> 8;
    target[t + 7] = sum & 0xff;
  }
  return qmapDlFrameLength(ipLength, mode);
}

/** Writes a complete downlink frame for `packet`; returns its length. */
export function writeDlQmapFrame(target: Uint8Array, offset: number, muxId: number, packet: Uint8Array, mode: QmapChecksumMode): number {
  target.set(packet, offset + qmapDlPayloadOffset(mode));
  return finishDlQmapFrame(target, offset, muxId, packet.length, mode);
}

/**
 * IPA-style downlink aggregation for sporadic traffic: frames are
 * concatenated into one buffer, which is closed when the next frame would
 * pass the byte limit or when the time limit (500 µs on IPA) expires.
 */
export class IpaDlAggregator {
  private readonly buffer: Uint8Array;
  private used = 0;
  private timer: Subscription | undefined;
  private closedByBytes = 0;
  private closedByTime = 0;

  constructor(
    private readonly emit: (aggregate: Uint8Array) => void,
    readonly byteLimit: number,
    readonly timeMs: number,
    readonly mode: QmapChecksumMode,
    private readonly scheduler: SchedulerLike,
  ) {
    this.buffer = new Uint8Array(byteLimit);
  }

  get stats(): { closedByBytes: number; closedByTime: number } {
    return { closedByBytes: this.closedByBytes, closedByTime: this.closedByTime };
  }

  add(muxId: number, packet: Uint8Array): void {
    const length = qmapDlFrameLength(packet.length, this.mode);
    if (length > this.byteLimit) throw new InvalidArgumentError('frame length', `at most ${this.byteLimit}`, length);
    if (this.used + length > this.byteLimit) {
      this.closedByBytes++;
      this.close();
    }
    this.used += writeDlQmapFrame(this.buffer, this.used, muxId, packet, this.mode);
    this.timer ??= this.scheduler.schedule(() => {
      this.timer = undefined;
      this.closedByTime++;
      this.close();
    }, this.timeMs);
  }

  close(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
    if (this.used === 0) return;
    this.emit(this.buffer.slice(0, this.used));
    this.used = 0;
  }
}
