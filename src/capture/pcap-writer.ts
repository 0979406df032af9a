import { createWriteStream, type WriteStream } from 'node:fs';
import { InvalidArgumentError } from '../common/errors';
import { CaptureWriteFailedError, CaptureWriterClosedError, type CaptureError } from './errors';
import {
  PCAP_GLOBAL_HEADER_LENGTH,
  PCAP_MAX_SNAPLEN,
  PCAP_SNAPLEN_QRTRD,
  captureRecordLength,
  encodeCaptureRecordInto,
  encodePcapGlobalHeaderInto,
  type CaptureRecordInput,
} from './pcap-format';
import { PSEUDO_HEADER_MAX_LENGTH } from './pseudo-header';

export interface PcapWriterOptions {
  /**
   * Records are packed into chunks of this many bytes before they go to the
   * stream, so writing a packet allocates nothing (default 64 KiB).
   */
  readonly chunkSize?: number;
  /** Buffered bytes above which write() returns false (default: the stream's 16 KiB). */
  readonly highWaterMark?: number;
  /** Snaplen to write and cut records to (default PCAP_SNAPLEN_QRTRD; 80..262144). */
  readonly snaplen?: number;
}

const EMPTY = new Uint8Array(0);

/**
 * Streams qrtrd capture records into a classic pcap file (LINKTYPE_QRTRD).
 *
 * write() copies the packet into the current chunk at once, so callers may
 * reuse their buffers; chunks go to the fs stream on the next turn of the event
 * loop or when full. write() returns false once more than `highWaterMark`
 * bytes wait (the Writable contract); keep writing and the writer buffers, or
 * await drain(). The first fs error closes the writer: later calls throw or
 * reject with the same CaptureWriteFailedError.
 */
export class PcapWriter {
  private chunk: Buffer;
  /** Start of the bytes not yet handed to the stream. */
  private start = 0;
  /** End of the bytes written into the chunk. */
  private end = 0;
  private scheduled = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private failure: CaptureError | undefined;
  private readonly chunkSize: number;
  private readonly highWaterMark: number;
  private readonly snaplen: number;
  private records = 0;
  private bytes = PCAP_GLOBAL_HEADER_LENGTH;
  private readonly handOffBound = (): void => {
    this.scheduled = false;
    this.handOff();
  };

  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
    options: PcapWriterOptions,
  ) {
    this.chunkSize = positive('chunkSize', options.chunkSize ?? 65536, 1024, 1 << 26);
    this.highWaterMark = positive('highWaterMark', options.highWaterMark ?? stream.writableHighWaterMark, 1, Number.MAX_SAFE_INTEGER);
    this.snaplen = positive('snaplen', options.snaplen ?? PCAP_SNAPLEN_QRTRD, PSEUDO_HEADER_MAX_LENGTH, PCAP_MAX_SNAPLEN);
    this.chunk = Buffer.allocUnsafe(this.chunkSize);
    stream.on('error', (error) => {
      this.failure ??= new CaptureWriteFailedError(path, error);
      this.closed = true;
    });
    this.end = encodePcapGlobalHeaderInto(this.chunk, 0, this.snaplen);
    this.handOff();
  }

  /**
   * Creates (truncates) `path` and writes the global header. Returns at once;
   * an open failure surfaces on the next write(), flush() or close(). Use
   * {@link PcapWriter.open} to learn about it before capturing.
   */
  static create(path: string, options: PcapWriterOptions = {}): PcapWriter {
    // The stream shares the high-water mark, so its 'drain' means what write()'s false meant.
    const stream = createWriteStream(path, { flags: 'w', highWaterMark: options.highWaterMark });
    return new PcapWriter(path, stream, options);
  }

  /** Like {@link create}, but resolves only once the file is open; rejects with CaptureWriteFailedError. */
  static async open(path: string, options: PcapWriterOptions = {}): Promise<PcapWriter> {
    const writer = PcapWriter.create(path, options);
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        writer.stream.off('error', onError);
        resolve();
      };
      const onError = (): void => {
        writer.stream.off('ready', onReady);
        reject(writer.failure);
      };
      writer.stream.once('ready', onReady);
      writer.stream.once('error', onError);
    });
    return writer;
  }

  /** Records accepted so far. */
  get recordsWritten(): number {
    return this.records;
  }

  /** Bytes of the file so far, header included (accepted, not necessarily on disk). */
  get bytesWritten(): number {
    return this.bytes;
  }

  /** Bytes accepted but not yet handed to the OS. */
  get pendingBytes(): number {
    return this.stream.writableLength + (this.end - this.start);
  }

  /** The error that closed the writer, if any. */
  get error(): CaptureError | undefined {
    return this.failure;
  }

  /**
   * Appends one record. Returns false when the caller should wait for drain()
   * before writing more (the record itself is always kept).
   *
   * @throws CaptureWriterClosedError after close(); CaptureWriteFailedError after an fs error.
   */
  write(trace: CaptureRecordInput): boolean {
    if (this.failure) throw this.failure;
    if (this.closed) throw new CaptureWriterClosedError(this.path);
    const length = captureRecordLength(trace, this.snaplen);
    if (length > this.chunk.length - this.end) {
      this.handOff();
      if (length > this.chunkSize) {
        // A record bigger than a chunk gets its own buffer; the next write starts a fresh chunk.
        const own = Buffer.allocUnsafe(length);
        encodeCaptureRecordInto(own, 0, trace, this.snaplen);
        this.stream.write(own);
        this.records++;
        this.bytes += length;
        return this.pendingBytes < this.highWaterMark;
      }
      this.chunk = Buffer.allocUnsafe(this.chunkSize);
      this.start = 0;
      this.end = 0;
    }
    this.end += encodeCaptureRecordInto(this.chunk, this.end, trace, this.snaplen);
    this.records++;
    this.bytes += length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.handOffBound);
    }
    return this.pendingBytes < this.highWaterMark;
  }

  /** Resolves once buffered bytes fall below the high-water mark. */
  drain(): Promise<void> {
    this.handOff();
    if (this.failure) return Promise.reject(this.failure);
    if (this.pendingBytes < this.highWaterMark || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.stream.off('error', onError);
        resolve();
      };
      const onError = (): void => {
        this.stream.off('drain', onDrain);
        reject(this.failure);
      };
      this.stream.once('drain', onDrain);
      this.stream.once('error', onError);
    });
  }

  /** Resolves once every record written so far has been handed to the OS (no fsync). */
  flush(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return this.closing ?? Promise.resolve();
    this.handOff();
    return new Promise((resolve, reject) => {
      // Writable runs callbacks in order, so an empty write's callback fires after all earlier writes.
      this.stream.write(EMPTY, (error) => {
        if (!error) return resolve();
        // A destroyed stream fails pending writes before it emits 'error'; report the root cause.
        setImmediate(() => reject(this.failure ?? new CaptureWriteFailedError(this.path, error)));
      });
    });
  }

  /** Flushes and closes the file. Idempotent; rejects with the write error if one happened. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    if (this.failure) return (this.closing = Promise.reject(this.failure));
    this.handOff();
    this.closed = true;
    this.closing = new Promise<void>((resolve, reject) => {
      const onClose = (): void => {
        this.stream.off('error', onError);
        if (this.failure) reject(this.failure);
        else resolve();
      };
      const onError = (): void => {
        this.stream.off('close', onClose);
        reject(this.failure);
      };
      this.stream.once('close', onClose);
      this.stream.once('error', onError);
      this.stream.end();
    });
    return this.closing;
  }

  private handOff(): void {
    if (this.end === this.start || this.failure) return;
    // The stream keeps this view until written, so the chunk is never rewritten below `end`.
    this.stream.write(this.chunk.subarray(this.start, this.end));
    this.start = this.end;
  }
}

function positive(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(name, `an integer in ${min}..${max}`, value);
  return value;
}
