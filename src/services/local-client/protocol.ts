import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { LocalClientFrameTooLargeError, LocalClientMalformedFrameError } from './errors';

/**
 * The local-client protocol (docs/local-client-protocol.md): length-prefixed
 * frames over a UNIX stream socket. The server side (this directory) owns the
 * codec; the client SDK (src/client) imports and re-exports it.
 *
 *   off 0  u32 length   bytes after this field (>= 8)
 *   off 4  u8  op
 *   off 5  u8  flags
 *   off 6  u16 reserved, 0
 *   off 8  u32 id       request id, socket handle or lookup id, per op
 *   off 12 body         fixed LE u32 fields of the op, then raw data or UTF-8 JSON
 */
export const LOCAL_CLIENT_PROTOCOL_VERSION = 1;
export const FRAME_HEADER_LENGTH = 12;

export const Op = {
  // client -> server
  HELLO: 0x01,
  OPEN: 0x02,
  BIND: 0x03,
  SEND: 0x04,
  CLOSE: 0x05,
  CREDIT: 0x06,
  RESERVE: 0x07,
  RELEASE: 0x08,
  ENDPOINTS: 0x09,
  LOOKUP: 0x0a,
  UNLOOKUP: 0x0b,
  ABORT: 0x0c,
  QUERY: 0x0d,
  TRACE: 0x0e,
  UNTRACE: 0x0f,
  // server -> client
  WELCOME: 0x80,
  RESULT: 0x81,
  ERROR: 0x82,
  MESSAGE: 0x83,
  SOCKET_ERROR: 0x84,
  SOCKET_CLOSED: 0x85,
  LOOKUP_EVENT: 0x86,
  LOOKUP_ERROR: 0x87,
  TRACE_EVENT: 0x88,
  SEND_FAILED: 0x89,
  FATAL: 0x8f,
} as const;

/** TRACE_EVENT direction codes (field 0). */
export const TRACE_DIRECTIONS = ['rx', 'tx', 'local'] as const;

/** SEND flags. */
export const SEND_FLAG_ENDPOINT = 0x01;
export const SEND_FLAG_NONBLOCKING = 0x02;
export const SEND_FLAG_ABORTABLE = 0x04;
/**
 * Quiet send: no RESULT when the send succeeds; a failure is answered with SEND_FAILED
 * (the send's id, socket handle and destination, then the error) instead of ERROR.
 * Only for daemons whose WELCOME lists CAPABILITY_QUIET_SEND.
 */
export const SEND_FLAG_QUIET = 0x08;

/** WELCOME `capabilities` entry: the daemon honours SEND_FLAG_QUIET and sends SEND_FAILED. */
export const CAPABILITY_QUIET_SEND = 'quiet-send';
/** What this daemon offers in WELCOME `capabilities`. */
export const LOCAL_CLIENT_CAPABILITIES: readonly string[] = [CAPABILITY_QUIET_SEND];

/** Largest client frame: a SEND header with a 65535-byte payload, rounded up. */
export const MAX_CLIENT_FRAME_LENGTH = 0x10100;
/** Largest server frame (an endpoint listing of thousands of rows). */
export const MAX_SERVER_FRAME_LENGTH = 16 * 1024 * 1024;
/** Largest JSON body a client may send. */
export const MAX_CLIENT_JSON_LENGTH = 4096;

/** One decoded frame; `body` is a view of the received bytes. */
export interface Frame {
  op: number;
  flags: number;
  id: number;
  body: Uint8Array;
}

/** Encodes a frame: fixed u32 fields, then an optional tail (raw data or JSON bytes), in one buffer. */
export function encodeFrame(op: number, flags: number, id: number, fields: readonly number[], tail?: Uint8Array): Buffer {
  const fixed = fields.length * 4;
  const total = FRAME_HEADER_LENGTH + fixed + (tail ? tail.length : 0);
  const buf = Buffer.allocUnsafe(total);
  buf.writeUInt32LE(total - 4, 0);
  buf[4] = op;
  buf[5] = flags;
  buf.writeUInt16LE(0, 6);
  buf.writeUInt32LE(id >>> 0, 8);
  for (let i = 0; i < fields.length; i++) buf.writeUInt32LE(fields[i] >>> 0, FRAME_HEADER_LENGTH + i * 4);
  if (tail) buf.set(tail, FRAME_HEADER_LENGTH + fixed);
  return buf;
}

export function encodeJsonFrame(op: number, id: number, value: unknown): Buffer {
  return encodeFrame(op, 0, id, [], Buffer.from(JSON.stringify(value), 'utf8'));
}

/**
 * The frame object a FrameDecoder reuses for every frame: the op's fields are read
 * straight from the received bytes, and `body` (a view) is made only when asked for,
 * so a data frame costs one view (its payload), not two.
 */
export class DecodedFrame implements Frame {
  op = 0;
  flags = 0;
  id = 0;
  bytes: Buffer = Buffer.alloc(0);
  /** Body start and end in `bytes`. */
  start = 0;
  end = 0;
  private view: Buffer | null = null;
  /**
   * A plain Uint8Array over the same bytes as `bytes`, made once per received chunk on
   * the first tail(): Buffer#subarray builds a Buffer through Node's FastBuffer
   * constructor, about 3x the cost of a Uint8Array's subarray, once per datagram.
   */
  private plain: Uint8Array | null = null;
  private plainOf: Buffer | null = null;
  /** The chunk whose first tail() was built without `plain` (the second one makes it). */
  private firstOf: Buffer | null = null;

  get body(): Buffer {
    return (this.view ??= this.bytes.subarray(this.start, this.end));
  }

  set(bytes: Buffer, start: number, end: number): void {
    this.bytes = bytes;
    this.start = start;
    this.end = end;
    this.view = null;
  }

  /** The body after `skip` bytes, copied into a Uint8Array of its own (for bytes read into a reused buffer). */
  copyTail(skip: number): Uint8Array {
    return this.plainView().slice(Math.min(this.start + skip, this.end), this.end);
  }

  /** The body after `skip` bytes, as a Uint8Array view (valid as long as the chunk is). */
  tail(skip: number): Uint8Array {
    const b = this.bytes;
    const from = Math.min(this.start + skip, this.end);
    if (this.plainOf !== b && this.firstOf !== b) {
      // The chunk's first view (at one frame per chunk, its only one): built directly, one object instead of two.
      this.firstOf = b;
      return new Uint8Array(b.buffer, b.byteOffset + from, this.end - from);
    }
    return this.plainView().subarray(from, this.end);
  }

  private plainView(): Uint8Array {
    if (this.plainOf !== this.bytes) {
      const b = this.bytes;
      this.plain = new Uint8Array(b.buffer, b.byteOffset, b.length);
      this.plainOf = b;
    }
    return this.plain!;
  }
}

/** The bytes of a frame's body after `skip` (raw data after the fixed fields), as a view. */
export function tail(frame: Frame, skip: number): Uint8Array {
  if (frame instanceof DecodedFrame) return frame.tail(skip);
  const body = frame.body;
  return Buffer.from(body.buffer, body.byteOffset + Math.min(skip, body.length), Math.max(0, body.length - skip));
}

/** Reads the u32 field `index` of a body, checking the body is long enough. */
export function u32(frame: Frame, index: number): number {
  const off = index * 4;
  if (frame instanceof DecodedFrame) {
    const at = frame.start + off;
    if (frame.end < at + 4) throw new LocalClientMalformedFrameError(`op ${hexOp(frame.op)} needs at least ${off + 4} body bytes`, { op: frame.op, length: frame.end - frame.start });
    const b = frame.bytes;
    return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  }
  if (frame.body.length < off + 4) {
    throw new LocalClientMalformedFrameError(`op ${hexOp(frame.op)} needs at least ${off + 4} body bytes`, { op: frame.op, length: frame.body.length });
  }
  const b = frame.body;
  return (b[off] | (b[off + 1] << 8) | (b[off + 2] << 16) | (b[off + 3] << 24)) >>> 0;
}

/** Parses a JSON body (after `skip` bytes), as an object. */
export function jsonBody(frame: Frame, maxLength = Infinity, skip = 0): Record<string, unknown> {
  const bytes = frame.body.subarray(skip);
  if (bytes.length > maxLength) throw new LocalClientMalformedFrameError(`JSON body of ${bytes.length} bytes exceeds ${maxLength}`, { op: frame.op });
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8'));
  } catch {
    throw new LocalClientMalformedFrameError(`op ${hexOp(frame.op)} body is not JSON`, { op: frame.op });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new LocalClientMalformedFrameError(`op ${hexOp(frame.op)} body is not a JSON object`, { op: frame.op });
  }
  return value as Record<string, unknown>;
}

export function hexOp(op: number): string {
  return '0x' + op.toString(16).padStart(2, '0');
}

/**
 * Splits a byte stream into frames in time linear in the bytes received, however
 * they are split. Frames inside one chunk are views of it (no copy); a frame split
 * across chunks is copied once into a buffer of its exact size, allocated as soon as
 * its length field is complete, so each received byte is copied at most once (plus
 * the 4 length bytes of a frame whose length field was itself split). A frame
 * reassembled that way is delivered as a view of its own buffer. Throws a typed
 * error (and stays failed) on a length below the header or above the limit, or a
 * nonzero reserved field; the length is checked before anything is allocated.
 */
export class FrameDecoder {
  /** The frame being reassembled (exact size once its length is known, else the 4-byte length field). */
  private pending: Buffer | null = null;
  private pendingLength = 0;
  private readonly lengthField = Buffer.alloc(4);
  private failure: Error | null = null;
  private readonly frame = new DecodedFrame();
  /** Bytes pushed so far. */
  receivedBytes = 0;
  /** Bytes copied into reassembly buffers so far (the decoder's work beyond views; at most receivedBytes + 4 per frame). */
  copiedBytes = 0;

  constructor(
    private readonly onFrame: (frame: Frame) => void,
    private readonly maxLength: number,
  ) {}

  get buffered(): number {
    return this.pendingLength;
  }

  /**
   * Decodes the first `size` bytes of `chunk` (all of it by default). Nothing of the
   * chunk is kept once push returns (a frame cut at its end is copied), so a caller may
   * read into one reused buffer; frames handed to onFrame are views of it, valid until
   * the next push.
   */
  push(chunk: Buffer, size = chunk.length): void {
    if (this.failure) throw this.failure;
    try {
      this.receivedBytes += size;
      let offset = 0;
      if (this.pendingLength > 0) {
        offset = this.continuePending(chunk, size);
        if (offset < 0) return;
      }
      const data = chunk;
      while (size - offset >= 4) {
        const length = this.checkLength(data.readUInt32LE(offset));
        if (size - offset < length + 4) break;
        this.emit(data, offset, length);
        offset += 4 + length;
      }
      if (offset < size) this.startPending(data, offset, size);
    } catch (err) {
      this.failure = err as Error;
      this.pending = null;
      this.pendingLength = 0;
      throw err;
    }
  }

  private checkLength(length: number): number {
    if (length < FRAME_HEADER_LENGTH - 4) throw new LocalClientMalformedFrameError(`frame length ${length} is shorter than the 8-byte header`, { length });
    if (length + 4 > this.maxLength) throw new LocalClientFrameTooLargeError(length + 4, this.maxLength);
    return length;
  }

  /** Keeps the tail of a chunk that holds the start of a frame. */
  private startPending(data: Buffer, offset: number, size: number): void {
    const rest = size - offset;
    if (rest >= 4) {
      const total = this.checkLength(data.readUInt32LE(offset)) + 4;
      this.pending = Buffer.allocUnsafe(total);
    } else {
      this.pending = this.lengthField;
    }
    data.copy(this.pending, 0, offset, size);
    this.pendingLength = rest;
    this.copiedBytes += rest;
  }

  /** Feeds the frame being reassembled; returns the chunk offset after it, or -1 if the chunk was used up. */
  private continuePending(chunk: Buffer, size: number): number {
    let offset = 0;
    if (this.pending === this.lengthField) {
      const take = Math.min(4 - this.pendingLength, size);
      chunk.copy(this.lengthField, this.pendingLength, 0, take);
      this.pendingLength += take;
      this.copiedBytes += take;
      offset = take;
      if (this.pendingLength < 4) return -1;
      const total = this.checkLength(this.lengthField.readUInt32LE(0)) + 4;
      this.pending = Buffer.allocUnsafe(total);
      this.lengthField.copy(this.pending, 0);
      this.copiedBytes += 4;
    }
    const pending = this.pending!;
    const take = Math.min(pending.length - this.pendingLength, size - offset);
    chunk.copy(pending, this.pendingLength, offset, offset + take);
    this.pendingLength += take;
    this.copiedBytes += take;
    offset += take;
    if (this.pendingLength < pending.length) return -1;
    this.pending = null;
    this.pendingLength = 0;
    this.emit(pending, 0, pending.length - 4);
    return offset;
  }

  private emit(data: Buffer, offset: number, length: number): void {
    const f = this.frame;
    f.op = data[offset + 4];
    f.flags = data[offset + 5];
    if ((data[offset + 6] | data[offset + 7]) !== 0) throw new LocalClientMalformedFrameError('reserved header bytes are not zero', { op: f.op });
    f.id = (data[offset + 8] | (data[offset + 9] << 8) | (data[offset + 10] << 16) | (data[offset + 11] << 24)) >>> 0;
    f.set(data, offset + FRAME_HEADER_LENGTH, offset + 4 + length);
    this.onFrame(f);
  }
}

/** Arena size a FrameWriter starts with and shrinks back to after a large turn. */
const WRITER_ARENA_BYTES = 16 * 1024;
const WRITER_ARENA_RETAINED_MAX = 1024 * 1024;

/**
 * Encodes every frame written to one stream during an event-loop turn into one
 * reused buffer (the arena) and hands it to the stream in a single write from
 * setImmediate, i.e. after the I/O callbacks and promise continuations of that turn
 * have queued their frames. A profile of the daemon showed one write(2) per frame as
 * half of all samples, then a Buffer allocated per frame and one write request per
 * chunk of a writev (docs/performance.md); here a frame costs no allocation.
 *
 * The arena is reused only by a net.Socket that took the previous turn's bytes at once
 * (writableLength back to 0: the kernel has them): otherwise the stream still holds a
 * view of it (a partial write, bytes queued behind earlier ones, or a Writable that
 * keeps its chunks), and the next frames go to a fresh arena. Frames keep their order. `queuedBytes` counts what
 * waits here and in the stream, so the per-client bounds see both; `end()` flushes
 * first; a destroyed stream drops what is pending (the peer is gone).
 *
 * Frames encoded while a read chunk is being handled (between `beginBatch()` and
 * `endBatch()`, which both ends of the protocol wrap around their decoder) are written
 * synchronously when the chunk is done, not from setImmediate: a chunk is the unit in
 * which more frames are known to be coming, and at one frame in flight the peer
 * (another process, in production) gets the bytes without waiting for the rest of
 * the poll phase and the check phase. Frames written outside a chunk (promise
 * continuations, datagrams from links, timers) still coalesce per turn.
 */
export class FrameWriter {
  /** Nesting depth of read batches in progress (see beginBatch). */
  private static batchDepth = 0;
  /** Writers that got frames during the batch in progress (the first batchedCount), flushed by endBatch in order. */
  private static readonly batched: (FrameWriter | undefined)[] = [];
  /** Kept apart from the array's length: truncating it every chunk would shrink and regrow its store. */
  private static batchedCount = 0;
  /** endBatch is walking `batched`: a batch that ends inside one of its flushes leaves its writers to that walk. */
  private static flushingBatch = false;

  /** A read chunk is being handled: frames encoded until endBatch() leave at its end. */
  static beginBatch(): void {
    FrameWriter.batchDepth++;
  }

  /** The chunk is handled: every writer that got frames during it writes them now. */
  static endBatch(): void {
    if (--FrameWriter.batchDepth > 0 || FrameWriter.flushingBatch) return;
    // A write to an in-process stream (a PassThrough pair) may hand the peer its chunk at once:
    // that chunk's batch appends here and this loop flushes it too, so the list is walked once.
    FrameWriter.flushingBatch = true;
    const writers = FrameWriter.batched;
    try {
      for (let i = 0; i < FrameWriter.batchedCount; i++) {
        const w = writers[i]!;
        writers[i] = undefined;
        w.inBatch = false;
        w.flush();
      }
    } finally {
      FrameWriter.batchedCount = 0;
      FrameWriter.flushingBatch = false;
    }
  }

  private arena = Buffer.allocUnsafeSlow(WRITER_ARENA_BYTES);
  /** The last chunk handed to the stream: a view of the start of `arena` (null after a new arena). */
  private view: Buffer | null = null;
  private used = 0;
  private scheduled = false;
  private inBatch = false;
  private readonly reusable: boolean;

  constructor(private readonly stream: Writable) {
    this.reusable = stream instanceof Socket;
  }

  /** Bytes encoded and not yet handed to the stream. */
  get pendingBytes(): number {
    return this.used;
  }

  /** Bytes waiting for the peer: pending here plus buffered by the stream. */
  get queuedBytes(): number {
    return this.used + this.stream.writableLength;
  }

  /**
   * Encodes a frame with `count` (0..4) u32 fields f0..f3, then an optional tail
   * (raw data or JSON bytes); positional numbers, so a frame costs no array.
   */
  frame(op: number, flags: number, id: number, count: number, f0 = 0, f1 = 0, f2 = 0, f3 = 0, tail?: Uint8Array): void {
    const total = FRAME_HEADER_LENGTH + count * 4 + (tail ? tail.length : 0);
    const b = this.reserve(total);
    let o = this.used;
    putU32(b, o, total - 4);
    b[o + 4] = op;
    b[o + 5] = flags;
    b[o + 6] = 0;
    b[o + 7] = 0;
    putU32(b, o + 8, id);
    o += FRAME_HEADER_LENGTH;
    if (count > 0) {
      putU32(b, o, f0);
      if (count > 1) putU32(b, o + 4, f1);
      if (count > 2) putU32(b, o + 8, f2);
      if (count > 3) putU32(b, o + 12, f3);
      o += count * 4;
    }
    if (tail && tail.length > 0) b.set(tail, o);
    this.used += total;
    this.schedule();
  }

  /** Queues an already encoded frame (rare control frames: JSON, FATAL). */
  write(frame: Uint8Array): void {
    const b = this.reserve(frame.length);
    b.set(frame, this.used);
    this.used += frame.length;
    this.schedule();
  }

  /** Hands what is pending to the stream now. */
  flush(): void {
    if (this.used === 0) return;
    // At one frame in flight every flush has the same length: the view of the last one is
    // reused (a Buffer view costs a FastBuffer), on the terms the arena itself is reused on.
    let chunk = this.view;
    if (chunk === null || chunk.length !== this.used) chunk = this.view = this.arena.subarray(0, this.used);
    this.used = 0;
    if (this.stream.destroyed) return;
    this.stream.write(chunk);
    // Still held by the stream (partial write, or queued behind earlier bytes): do not overwrite it.
    if (!this.reusable || this.stream.writableLength > 0 || this.arena.length > WRITER_ARENA_RETAINED_MAX) {
      this.arena = Buffer.allocUnsafeSlow(WRITER_ARENA_BYTES);
      this.view = null;
    }
  }

  /** Flushes, then ends the stream. */
  end(): void {
    this.flush();
    this.stream.end();
  }

  private reserve(bytes: number): Buffer {
    if (this.used + bytes > this.arena.length) {
      const grown = Buffer.allocUnsafeSlow(Math.max(this.arena.length * 2, this.used + bytes));
      this.arena.copy(grown, 0, 0, this.used);
      this.arena = grown;
      this.view = null;
    }
    return this.arena;
  }

  private schedule(): void {
    if (FrameWriter.batchDepth > 0) {
      if (!this.inBatch) {
        this.inBatch = true;
        FrameWriter.batched[FrameWriter.batchedCount++] = this;
      }
      return;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.flushTurn);
  }

  private readonly flushTurn = (): void => {
    this.scheduled = false;
    this.flush();
  };
}

function putU32(b: Buffer, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}
