import { QRTR_MAX_PAYLOAD, QRTR_V1_HEADER_LENGTH, QRTR_WIRE_VERSION_1, QRTR_WIRE_VERSION_2 } from './constants';
import { QrtrBadVersionError, QrtrFrameTooLargeError } from './errors';
import { align4 } from './packet';

/** Bytes needed before a frame's total length is known: v1 size is at 20..23, v2 optlen/size at 3..7. */
const V1_LENGTH_PREFIX = 24;
const V2_LENGTH_PREFIX = 8;

/** Default framing limit: the largest legal payload, a v1 header and 255 bytes of v2 options. */
export const DEFAULT_MAX_FRAME_LENGTH = QRTR_V1_HEADER_LENGTH + 255 + align4(QRTR_MAX_PAYLOAD);

/**
 * Splits a byte stream of back-to-back QRTR packets (v1 or v2, each padded to
 * 4 bytes) into whole packets, for links that have no message boundaries
 * (UNIX stream sockets, serial lines). A packet's length follows from its
 * header. Frames that lie inside one chunk are emitted as views of that chunk;
 * only a frame split across chunks is copied once into its own buffer.
 *
 * The framer does not validate packets beyond what it needs to find their
 * ends; the router validates each emitted packet. A version byte that is
 * neither 1 nor 3, or an announced length over the limit, means the stream is
 * out of sync: {@link push} throws and the framer stays failed.
 */
export class QrtrStreamFramer {
  private pending: Uint8Array | null = null;
  private pendingLength = 0;
  private failure: Error | null = null;

  constructor(
    private readonly onPacket: (packet: Uint8Array) => void,
    private readonly maxFrameLength = DEFAULT_MAX_FRAME_LENGTH,
  ) {}

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingLength;
  }

  push(chunk: Uint8Array): void {
    if (this.failure) throw this.failure;
    try {
      this.consume(chunk);
    } catch (err) {
      this.failure = err as Error;
      this.pending = null;
      this.pendingLength = 0;
      throw err;
    }
  }

  private consume(chunk: Uint8Array): void {
    let offset = 0;
    if (this.pendingLength > 0) {
      offset = this.fillPending(chunk);
      if (offset < 0) return;
    }
    while (offset < chunk.length) {
      const frameLength = this.frameLength(chunk, offset, chunk.length - offset);
      if (frameLength < 0 || offset + frameLength > chunk.length) {
        this.stash(chunk.subarray(offset));
        return;
      }
      this.onPacket(chunk.subarray(offset, offset + frameLength));
      offset += frameLength;
    }
  }

  /** Completes the held-back frame from `chunk`; returns the offset after it, or -1 if still incomplete. */
  private fillPending(chunk: Uint8Array): number {
    let offset = 0;
    let frameLength = this.frameLength(this.pending!, 0, this.pendingLength);
    if (frameLength < 0) {
      // Take only up to the length prefix of this frame's version: a v2 frame can be
      // shorter than a v1 prefix, and the bytes after it belong to the next frame.
      const prefix = this.pending![0] === QRTR_WIRE_VERSION_2 ? V2_LENGTH_PREFIX : V1_LENGTH_PREFIX;
      offset = Math.min(chunk.length, prefix - this.pendingLength);
      this.append(chunk.subarray(0, offset));
      frameLength = this.frameLength(this.pending!, 0, this.pendingLength);
      if (frameLength < 0) return -1;
    }
    const need = frameLength - this.pendingLength;
    if (need > chunk.length - offset) {
      this.append(chunk.subarray(offset));
      return -1;
    }
    this.append(chunk.subarray(offset, offset + need));
    const frame = this.pending!.subarray(0, frameLength);
    this.pending = null;
    this.pendingLength = 0;
    this.onPacket(frame);
    return offset + need;
  }

  private stash(rest: Uint8Array): void {
    this.pending = new Uint8Array(Math.max(V1_LENGTH_PREFIX, this.knownLength(rest)));
    this.pending.set(rest);
    this.pendingLength = rest.length;
  }

  private knownLength(bytes: Uint8Array): number {
    const length = this.frameLength(bytes, 0, bytes.length);
    return length < 0 ? bytes.length : length;
  }

  private append(bytes: Uint8Array): void {
    const needed = this.pendingLength + bytes.length;
    if (needed > this.pending!.length) {
      const known = this.frameLength(this.pending!, 0, this.pendingLength);
      const grown = new Uint8Array(Math.max(needed, known < 0 ? needed : known));
      grown.set(this.pending!.subarray(0, this.pendingLength));
      this.pending = grown;
    }
    this.pending!.set(bytes, this.pendingLength);
    this.pendingLength = needed;
  }

  /** Total length of the frame at `offset`, or -1 if fewer than its length-prefix bytes are available. */
  private frameLength(buf: Uint8Array, offset: number, available: number): number {
    if (available < 1) return -1;
    const version = buf[offset];
    let length: number;
    if (version === QRTR_WIRE_VERSION_1) {
      if (available < V1_LENGTH_PREFIX) return -1;
      const size =
        (buf[offset + 20] | (buf[offset + 21] << 8) | (buf[offset + 22] << 16) | (buf[offset + 23] << 24)) >>> 0;
      length = QRTR_V1_HEADER_LENGTH + align4(size);
    } else if (version === QRTR_WIRE_VERSION_2) {
      if (available < V2_LENGTH_PREFIX) return -1;
      const size = (buf[offset + 4] | (buf[offset + 5] << 8) | (buf[offset + 6] << 16) | (buf[offset + 7] << 24)) >>> 0;
      length = 16 + buf[offset + 3] + align4(size);
    } else {
      throw new QrtrBadVersionError(version);
    }
    if (length > this.maxFrameLength) throw new QrtrFrameTooLargeError(length, this.maxFrameLength);
    // A v2 frame with an unaligned optlen has an unaligned length; keep the stream 4-aligned
    // so the router, not the framer, reports it as a bad packet.
    return align4(length);
  }
}
