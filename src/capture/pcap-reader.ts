import { readFile } from 'node:fs/promises';
import {
  CaptureReadFailedError,
  PcapFormatError,
  PcapBadMagicError,
  PcapBadRecordLengthError,
  PcapBadSnaplenError,
  PcapBadTimestampError,
  PcapTruncatedFileHeaderError,
  PcapTruncatedRecordError,
  PcapTruncatedRecordHeaderError,
  PcapUnsupportedVersionError,
  PcapWrongLinkTypeError,
} from './errors';
import {
  LINKTYPE_QRTRD,
  PCAP_GLOBAL_HEADER_LENGTH,
  PCAP_MAGIC_MICROSECONDS,
  PCAP_MAGIC_NANOSECONDS,
  PCAP_MAX_SNAPLEN,
  PCAP_RECORD_HEADER_LENGTH,
  PCAP_VERSION_MAJOR,
} from './pcap-format';
import { decodePseudoHeader, type TraceDirection } from './pseudo-header';

/** The global header of a classic pcap file. */
export interface PcapFileHeader {
  readonly littleEndian: boolean;
  /** True for the 0xa1b23c4d magic (nanosecond fractions). */
  readonly nanoseconds: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snaplen: number;
  readonly linkType: number;
}

/**
 * One record read back. Its first five fields are a router PacketTrace, so
 * formatTrace and anything else that takes a trace takes a record.
 */
export interface CaptureRecord {
  readonly direction: TraceDirection;
  readonly endpoint: number;
  readonly backendKind: string;
  /** The QRTR packet (a view into the file's bytes, not validated: captures keep malformed packets). */
  readonly packet: Uint8Array;
  /** Milliseconds since the epoch, with the file's sub-millisecond precision as a fraction. */
  readonly timestamp: number;
  readonly seconds: number;
  /** Microseconds, or nanoseconds in a nanosecond file. */
  readonly fraction: number;
  /** Pseudo-header flags (bit0: backend kind name was cut). */
  readonly flags: number;
  /** Pseudo-header plus packet bytes stored in the file. */
  readonly capturedLength: number;
  /** Pseudo-header plus packet length before any snaplen cut. */
  readonly originalLength: number;
  /** True when the writer cut the packet at the snaplen. */
  readonly truncated: boolean;
  /** File offset of the record header, for error reports and tools. */
  readonly offset: number;
  /** 1-based record number, as Wireshark numbers frames. */
  readonly index: number;
}

/**
 * Decodes and checks the 24-byte global header.
 *
 * @throws PcapFormatError subclasses for a short file, bad magic, version 1, a bad snaplen or another link type
 */
export function decodePcapGlobalHeader(bytes: Uint8Array): PcapFileHeader {
  if (bytes.length < PCAP_GLOBAL_HEADER_LENGTH) throw new PcapTruncatedFileHeaderError(bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, PCAP_GLOBAL_HEADER_LENGTH);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  let littleEndian: boolean;
  let nanoseconds: boolean;
  if (le === PCAP_MAGIC_MICROSECONDS || le === PCAP_MAGIC_NANOSECONDS) {
    littleEndian = true;
    nanoseconds = le === PCAP_MAGIC_NANOSECONDS;
  } else if (be === PCAP_MAGIC_MICROSECONDS || be === PCAP_MAGIC_NANOSECONDS) {
    littleEndian = false;
    nanoseconds = be === PCAP_MAGIC_NANOSECONDS;
  } else {
    throw new PcapBadMagicError(le);
  }
  const versionMajor = view.getUint16(4, littleEndian);
  const versionMinor = view.getUint16(6, littleEndian);
  if (versionMajor !== PCAP_VERSION_MAJOR) throw new PcapUnsupportedVersionError(versionMajor, versionMinor);
  const snaplen = view.getUint32(16, littleEndian);
  if (snaplen === 0 || snaplen > PCAP_MAX_SNAPLEN) throw new PcapBadSnaplenError(snaplen);
  // The upper bits of this word carry FCS information; the link type is the low 16 bits.
  const linkType = view.getUint32(20, littleEndian) & 0xffff;
  if (linkType !== LINKTYPE_QRTRD) throw new PcapWrongLinkTypeError(linkType, LINKTYPE_QRTRD);
  return { littleEndian, nanoseconds, versionMajor, versionMinor, snaplen, linkType };
}

/**
 * Decodes the record at `offset` of `bytes`, or returns undefined when the
 * bytes end inside it and `final` is false (a stream that has more to come).
 * `fileOffset` is where `bytes[0]` sits in the file, for error reports.
 */
function decodeRecordAt(
  bytes: Uint8Array,
  offset: number,
  header: PcapFileHeader,
  index: number,
  final: boolean,
  fileOffset: number,
): CaptureRecord | undefined {
  const available = bytes.length - offset;
  const at = fileOffset + offset;
  if (available < PCAP_RECORD_HEADER_LENGTH) {
    if (final) throw new PcapTruncatedRecordHeaderError(at, available);
    return undefined;
  }
  const le = header.littleEndian;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, PCAP_RECORD_HEADER_LENGTH);
  const seconds = view.getUint32(0, le);
  const fraction = view.getUint32(4, le);
  const captured = view.getUint32(8, le);
  const original = view.getUint32(12, le);
  const limit = header.nanoseconds ? 1_000_000_000 : 1_000_000;
  if (fraction >= limit) throw new PcapBadTimestampError(at, fraction, limit);
  if (captured > header.snaplen || captured > original) throw new PcapBadRecordLengthError(at, captured, original, header.snaplen);
  const bodyStart = offset + PCAP_RECORD_HEADER_LENGTH;
  if (captured > bytes.length - bodyStart) {
    if (final) throw new PcapTruncatedRecordError(at, captured, bytes.length - bodyStart);
    return undefined;
  }
  const body = bytes.subarray(bodyStart, bodyStart + captured);
  const pseudo = decodePseudoHeader(body);
  return {
    direction: pseudo.direction,
    endpoint: pseudo.endpoint,
    backendKind: pseudo.backendKind,
    packet: body.subarray(pseudo.headerLength),
    timestamp: seconds * 1000 + fraction / (limit / 1000),
    seconds,
    fraction,
    flags: pseudo.flags,
    capturedLength: captured,
    originalLength: original,
    truncated: captured < original,
    offset: at,
    index,
  };
}

/**
 * Reads qrtrd captures (classic pcap, either byte order, micro- or nanosecond
 * timestamps, LINKTYPE_QRTRD) from bytes already in memory. The global header
 * is checked by the constructor; records are decoded one by one, and the first
 * malformed one throws a PcapFormatError subclass naming its offset.
 */
export class PcapReader implements Iterable<CaptureRecord> {
  readonly header: PcapFileHeader;
  private offset = PCAP_GLOBAL_HEADER_LENGTH;
  private count = 0;

  /**
   * @param bytes the whole file
   * @throws PcapFormatError subclasses for a bad global header (see {@link decodePcapGlobalHeader})
   */
  constructor(private readonly bytes: Uint8Array) {
    this.header = decodePcapGlobalHeader(bytes);
  }

  /** Reads a whole file. Rejects with CaptureReadFailedError, or a PcapFormatError for a bad global header. */
  static async fromFile(path: string): Promise<PcapReader> {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new CaptureReadFailedError(path, error);
    }
    return new PcapReader(bytes);
  }

  /** True once every record has been read. */
  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  /**
   * The next record, or undefined at the end of the file.
   *
   * @throws PcapFormatError subclasses; the reader stays at the bad record.
   */
  next(): CaptureRecord | undefined {
    if (this.offset >= this.bytes.length) return undefined;
    const record = decodeRecordAt(this.bytes, this.offset, this.header, this.count + 1, true, 0)!;
    this.offset += PCAP_RECORD_HEADER_LENGTH + record.capturedLength;
    this.count++;
    return record;
  }

  /** Reads every remaining record; throws at the first malformed one. */
  readAll(): CaptureRecord[] {
    const out: CaptureRecord[] = [];
    for (let r = this.next(); r !== undefined; r = this.next()) out.push(r);
    return out;
  }

  *[Symbol.iterator](): Iterator<CaptureRecord> {
    for (let r = this.next(); r !== undefined; r = this.next()) yield r;
  }
}

/**
 * Incremental reader for captures that arrive in pieces (a pipe, stdin, a file
 * still being written): push() the bytes as they come and get the records
 * completed so far; end() says the input is over. Records are views into
 * buffers the parser never writes again, so they stay valid.
 */
export class PcapStreamParser {
  private pending: Uint8Array = new Uint8Array(0);
  /** File offset of pending[0]. */
  private consumed = 0;
  private count = 0;
  private fileHeader: PcapFileHeader | undefined;
  private failure: PcapFormatError | undefined;

  /** The global header, once its 24 bytes have arrived. */
  get header(): PcapFileHeader | undefined {
    return this.fileHeader;
  }

  /**
   * Adds bytes (kept by reference: do not reuse `chunk`); returns every record
   * they complete. Records before a malformed one are returned first; the error
   * is thrown by the next call.
   *
   * @throws PcapFormatError subclasses (a bad global header or record); the parser then keeps throwing it.
   */
  push(chunk: Uint8Array): CaptureRecord[] {
    if (this.failure) throw this.failure;
    this.pending = this.pending.length === 0 ? chunk : concat(this.pending, chunk);
    const out: CaptureRecord[] = [];
    let offset = 0;
    if (!this.fileHeader) {
      if (this.pending.length < PCAP_GLOBAL_HEADER_LENGTH) return out;
      try {
        this.fileHeader = decodePcapGlobalHeader(this.pending);
      } catch (error) {
        throw (this.failure = error as PcapFormatError);
      }
      offset = PCAP_GLOBAL_HEADER_LENGTH;
    }
    for (;;) {
      let record: CaptureRecord | undefined;
      try {
        record = decodeRecordAt(this.pending, offset, this.fileHeader, this.count + 1, false, this.consumed);
      } catch (error) {
        if (!(error instanceof PcapFormatError) || out.length === 0) throw (this.failure = error as PcapFormatError);
        this.failure = error;
        return out;
      }
      if (!record) break;
      out.push(record);
      this.count++;
      offset += PCAP_RECORD_HEADER_LENGTH + record.capturedLength;
    }
    // Leftover bytes are copied once, so the buffers records point into are never touched again.
    this.pending = offset === this.pending.length ? new Uint8Array(0) : this.pending.slice(offset);
    this.consumed += offset;
    return out;
  }

  /**
   * Declares the end of input.
   *
   * @throws PcapTruncatedFileHeaderError, PcapTruncatedRecordHeaderError or PcapTruncatedRecordError for a cut-off file
   */
  end(): void {
    if (this.failure) throw this.failure;
    if (!this.fileHeader) throw new PcapTruncatedFileHeaderError(this.pending.length);
    if (this.pending.length > 0) decodeRecordAt(this.pending, 0, this.fileHeader, this.count + 1, true, this.consumed);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * Reads records from a byte stream (e.g. `fs.createReadStream(path)` or
 * `process.stdin`) as they complete, without holding the whole file.
 * Stream errors are rethrown as CaptureReadFailedError.
 */
export async function* readCaptureStream(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, name = 'stream'): AsyncGenerator<CaptureRecord> {
  const parser = new PcapStreamParser();
  try {
    for await (const chunk of source) yield* parser.push(chunk);
  } catch (error) {
    if (error instanceof PcapFormatError) throw error;
    throw new CaptureReadFailedError(name, error);
  }
  parser.end();
}

/** Reads every record of a capture file (see {@link PcapReader}). */
export async function readCaptureFile(path: string): Promise<CaptureRecord[]> {
  return (await PcapReader.fromFile(path)).readAll();
}
