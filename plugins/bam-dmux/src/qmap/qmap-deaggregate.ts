import {
  QmapBadNextHeaderError,
  QmapBadPadError,
  QmapError,
  QmapMissingNextHeaderError,
  QmapTruncatedFrameError,
  QmapZeroLengthError,
} from './errors';
import {
  QMAP_HEADER_LENGTH,
  QMAP_V4_DL_TRAILER_LENGTH,
  QMAP_V4_DL_VALID,
  QMAP_V5_CSUM_VALID,
  QMAP_V5_HEADER_LENGTH,
  QMAP_V5_TYPE_CSUM_OFFLOAD,
  createQmapHeader,
  readQmapHeader,
  type QmapChecksumMode,
} from './qmap-header';

/**
 * One frame found in an aggregate. The deaggregator reuses a single instance
 * for every callback (no per-frame allocation): copy what you need to keep.
 */
export interface QmapFrameInfo {
  command: boolean;
  muxId: number;
  /** Offset and length of the whole frame (header, v5 header, payload, pad, v4 trailer). */
  frameOffset: number;
  frameLength: number;
  /** Offset and length of the IP packet or command body, without padding. */
  payloadOffset: number;
  payloadLength: number;
  /** Checksum offload state: 'absent' (mode none, or a command), 'valid' / 'not-valid' as the hardware marked it. */
  checksum: 'absent' | 'valid' | 'not-valid';
  /** MAPv4 trailer csum_value (valid only when a v4 trailer is present), else -1. */
  trailerChecksum: number;
}

/** What one aggregate yielded, reused across calls by {@link QmapDeaggregator}. */
export interface QmapDeaggregateSummary {
  frames: number;
  /** Frames skipped with a known boundary (bad pad, bad v5 type). */
  droppedFrames: number;
  /** Bytes not delivered: skipped frames plus everything after a stop. */
  droppedBytes: number;
  /** Why parsing stopped early (QMAP_TRUNCATED_FRAME, QMAP_ZERO_LENGTH, QMAP_MISSING_NEXT_HEADER), or undefined at the end. */
  stopCode: string | undefined;
}

/** Receives frames and drops from {@link QmapDeaggregator.run}. */
export interface QmapFrameSink {
  frame(buf: Uint8Array, info: QmapFrameInfo): void;
  drop(error: QmapError): void;
}

/**
 * Splits aggregated receive buffers into MAP frames the way rmnet's
 * deaggregation does: frame length is pkt_len + 4, + 8 with a v4 trailer,
 * + 4 for a v5 data frame; it stops on a zero pkt_len or a truncated frame.
 * A v5 data frame without NEXT_HEADER also stops it (its length is ambiguous).
 * Frames with a bad pad or a non-checksum v5 header are skipped and reported.
 */
export class QmapDeaggregator {
  private readonly header = createQmapHeader();
  private readonly info: QmapFrameInfo = {
    command: false,
    muxId: 0,
    frameOffset: 0,
    frameLength: 0,
    payloadOffset: 0,
    payloadLength: 0,
    checksum: 'absent',
    trailerChecksum: -1,
  };
  private readonly summary: QmapDeaggregateSummary = { frames: 0, droppedFrames: 0, droppedBytes: 0, stopCode: undefined };

  constructor(readonly mode: QmapChecksumMode) {}

  /** Parses `buf[0..length)`; calls `sink` per frame/drop; returns the (reused) summary. */
  run(buf: Uint8Array, sink: QmapFrameSink, length = buf.length): QmapDeaggregateSummary {
    const summary = this.summary;
    summary.frames = 0;
    summary.droppedFrames = 0;
    summary.droppedBytes = 0;
    summary.stopCode = undefined;
    const mode = this.mode;
    const header = this.header;
    const info = this.info;
    let offset = 0;
    while (offset < length) {
      const remaining = length - offset;
      if (remaining < QMAP_HEADER_LENGTH) {
        this.stop(sink, new QmapTruncatedFrameError(offset, QMAP_HEADER_LENGTH, remaining), remaining);
        return summary;
      }
      readQmapHeader(buf, offset, header);
      if (header.length === 0) {
        this.stop(sink, new QmapZeroLengthError(offset, remaining), remaining);
        return summary;
      }
      let payloadOffset = offset + QMAP_HEADER_LENGTH;
      let frameLength = QMAP_HEADER_LENGTH + header.length;
      const v5Data = mode === 'v5' && !header.command;
      if (v5Data) {
        if (!header.nextHeader) {
          this.stop(sink, new QmapMissingNextHeaderError(offset), remaining);
          return summary;
        }
        frameLength += QMAP_V5_HEADER_LENGTH;
        payloadOffset += QMAP_V5_HEADER_LENGTH;
      } else if (mode === 'v4') {
        frameLength += QMAP_V4_DL_TRAILER_LENGTH;
      }
      if (frameLength > remaining) {
        this.stop(sink, new QmapTruncatedFrameError(offset, frameLength, remaining), remaining);
        return summary;
      }
      if (header.pad > header.length) {
        this.skip(sink, new QmapBadPadError(offset, header.pad, header.length), frameLength);
        offset += frameLength;
        continue;
      }
      info.checksum = 'absent';
      info.trailerChecksum = -1;
      if (v5Data) {
        const type = buf[offset + QMAP_HEADER_LENGTH] >> 1;
        if (type !== QMAP_V5_TYPE_CSUM_OFFLOAD) {
          this.skip(sink, new QmapBadNextHeaderError(offset, type), frameLength);
          offset += frameLength;
          continue;
        }
        info.checksum = (buf[offset + QMAP_HEADER_LENGTH + 1] & QMAP_V5_CSUM_VALID) !== 0 ? 'valid' : 'not-valid';
      } else if (mode === 'v4' && !header.command) {
        const trailer = offset + QMAP_HEADER_LENGTH + header.length;
        info.checksum = (buf[trailer + 1] & QMAP_V4_DL_VALID) !== 0 ? 'valid' : 'not-valid';
        info.trailerChecksum = (buf[trailer + 6] << 8) | buf[trailer + 7];
      }
      info.command = header.command;
      info.muxId = header.muxId;
      info.frameOffset = offset;
      info.frameLength = frameLength;
      info.payloadOffset = payloadOffset;
      info.payloadLength = header.length - header.pad;
      summary.frames++;
      sink.frame(buf, info);
      offset += frameLength;
    }
    return summary;
  }

  private stop(sink: QmapFrameSink, error: QmapError, remaining: number): void {
    this.summary.stopCode = error.code;
    this.summary.droppedBytes += remaining;
    sink.drop(error);
  }

  private skip(sink: QmapFrameSink, error: QmapError, frameLength: number): void {
    this.summary.droppedFrames++;
    this.summary.droppedBytes += frameLength;
    sink.drop(error);
  }
}

/** A frame copied out of the reused {@link QmapFrameInfo}, with a view of its payload. */
export interface QmapFrame extends Omit<QmapFrameInfo, 'frameOffset'> {
  frameOffset: number;
  payload: Uint8Array;
}

/**
 * Strict, allocating form for tools and tests: returns every frame, or throws
 * the first {@link QmapError} (a stop or a skipped frame). Never throws anything else.
 */
export function splitQmapAggregate(buf: Uint8Array, mode: QmapChecksumMode): QmapFrame[] {
  const frames: QmapFrame[] = [];
  let failure: QmapError | undefined;
  new QmapDeaggregator(mode).run(buf, {
    frame: (b, info) => {
      if (!failure) frames.push({ ...info, payload: b.subarray(info.payloadOffset, info.payloadOffset + info.payloadLength) });
    },
    drop: (error) => {
      failure ??= error;
    },
  });
  if (failure) throw failure;
  return frames;
}
