import { readFile } from 'node:fs/promises';
import {
  CaptureReadFailedError,
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
   * @throws PcapFormatError subclasses for a short file, bad magic, version 1, a bad snaplen or another link type
   */
  constructor(private readonly bytes: Uint8Array) {
    if (bytes.length < PCAP_GLOBAL_HEADER_LENGTH) throw new PcapTruncatedFileHeaderError(bytes.length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.view = view;
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
    this.littleEndian = littleEndian;
    const versionMajor = view.getUint16(4, littleEndian);
    const versionMinor = view.getUint16(6, littleEndian);
    if (versionMajor !== PCAP_VERSION_MAJOR) throw new PcapUnsupportedVersionError(versionMajor, versionMinor);
    const snaplen = view.getUint32(16, littleEndian);
    if (snaplen === 0 || snaplen > PCAP_MAX_SNAPLEN) throw new PcapBadSnaplenError(snaplen);
    // The upper bits of this word carry FCS information; the link type is the low 16 bits.
    const linkType = view.getUint32(20, littleEndian) & 0xffff;
    if (linkType !== LINKTYPE_QRTRD) throw new PcapWrongLinkTypeError(linkType, LINKTYPE_QRTRD);
    this.header = { littleEndian, nanoseconds, versionMajor, versionMinor, snaplen, linkType };
  }

  private readonly view: DataView;
  private readonly littleEndian: boolean;

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
    const offset = this.offset;
    const available = this.bytes.length - offset;
    if (available <= 0) return undefined;
    if (available < PCAP_RECORD_HEADER_LENGTH) throw new PcapTruncatedRecordHeaderError(offset, available);
    const le = this.littleEndian;
    const seconds = this.view.getUint32(offset, le);
    const fraction = this.view.getUint32(offset + 4, le);
    const captured = this.view.getUint32(offset + 8, le);
    const original = this.view.getUint32(offset + 12, le);
    const limit = this.header.nanoseconds ? 1_000_000_000 : 1_000_000;
    if (fraction >= limit) throw new PcapBadTimestampError(offset, fraction, limit);
    if (captured > this.header.snaplen || captured > original) {
      throw new PcapBadRecordLengthError(offset, captured, original, this.header.snaplen);
    }
    const bodyStart = offset + PCAP_RECORD_HEADER_LENGTH;
    if (captured > this.bytes.length - bodyStart) throw new PcapTruncatedRecordError(offset, captured, this.bytes.length - bodyStart);
    const body = this.bytes.subarray(bodyStart, bodyStart + captured);
    const pseudo = decodePseudoHeader(body);
    this.offset = bodyStart + captured;
    this.count++;
    return {
      direction: pseudo.direction,
      endpoint: pseudo.endpoint,
      backendKind: pseudo.backendKind,
      packet: body.subarray(pseudo.headerLength),
      timestamp: seconds * 1000 + fraction / (limit / 1000),
      seconds,
      fraction,
      flags: pseudo.flags,
      originalLength: original,
      truncated: captured < original,
      offset,
      index: this.count,
    };
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

/** Reads every record of a capture file (see {@link PcapReader}). */
export async function readCaptureFile(path: string): Promise<CaptureRecord[]> {
  return (await PcapReader.fromFile(path)).readAll();
}
