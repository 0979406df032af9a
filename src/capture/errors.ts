import { QrtrdError, hex } from '../common/errors';

/** Base of every capture failure: a malformed pcap file, a bad pseudo-header, or a failed write. */
export class CaptureError extends QrtrdError {}

/** Base of every rejection of malformed capture bytes; the reader stops at the bad record. */
export class PcapFormatError extends CaptureError {}

/** Fewer than 24 bytes: not even the global header is there. */
export class PcapTruncatedFileHeaderError extends PcapFormatError {
  constructor(length: number) {
    super('CAPTURE_PCAP_TRUNCATED_FILE_HEADER', `pcap file is ${length} bytes, shorter than the 24-byte global header`, { length });
  }
}

/** The first four bytes are no classic pcap magic in either byte order (pcapng is not supported). */
export class PcapBadMagicError extends PcapFormatError {
  constructor(magic: number) {
    super('CAPTURE_PCAP_BAD_MAGIC', `pcap magic ${hex(magic, 8)} is not a classic libpcap magic (0xa1b2c3d4 or 0xa1b23c4d)`, { magic });
  }
}

/** A major version other than 2 (minor versions are not checked, as libpcap does not). */
export class PcapUnsupportedVersionError extends PcapFormatError {
  constructor(major: number, minor: number) {
    super('CAPTURE_PCAP_UNSUPPORTED_VERSION', `pcap version ${major}.${minor} is not 2.x`, { major, minor });
  }
}

/** The file's link type is not the qrtrd one, so its records are not qrtrd records. */
export class PcapWrongLinkTypeError extends PcapFormatError {
  constructor(linkType: number, expected: number) {
    super('CAPTURE_PCAP_WRONG_LINK_TYPE', `pcap link type ${linkType} is not the qrtrd link type ${expected}`, { linkType, expected });
  }
}

/** A snaplen of 0 or beyond the 256 KiB libpcap allows for any link type. */
export class PcapBadSnaplenError extends PcapFormatError {
  constructor(snaplen: number) {
    super('CAPTURE_PCAP_BAD_SNAPLEN', `pcap snaplen ${snaplen} is outside 1..262144`, { snaplen });
  }
}

/** The file ends inside a 16-byte record header. */
export class PcapTruncatedRecordHeaderError extends PcapFormatError {
  constructor(offset: number, available: number) {
    super('CAPTURE_PCAP_TRUNCATED_RECORD_HEADER', `pcap record header at offset ${offset} needs 16 bytes, ${available} remain`, {
      offset,
      available,
    });
  }
}

/** The file ends before the captured bytes its record header announces. */
export class PcapTruncatedRecordError extends PcapFormatError {
  constructor(offset: number, capturedLength: number, available: number) {
    super(
      'CAPTURE_PCAP_TRUNCATED_RECORD',
      `pcap record at offset ${offset} announces ${capturedLength} captured bytes, ${available} remain`,
      { offset, capturedLength, available },
    );
  }
}

/** Captured length beyond the snaplen, or beyond the original length. */
export class PcapBadRecordLengthError extends PcapFormatError {
  constructor(offset: number, capturedLength: number, originalLength: number, snaplen: number) {
    super(
      'CAPTURE_PCAP_BAD_RECORD_LENGTH',
      `pcap record at offset ${offset} has captured length ${capturedLength} (original ${originalLength}, snaplen ${snaplen})`,
      { offset, capturedLength, originalLength, snaplen },
    );
  }
}

/** Sub-second field of 10^6 us (or 10^9 ns) or more. */
export class PcapBadTimestampError extends PcapFormatError {
  constructor(offset: number, fraction: number, limit: number) {
    super('CAPTURE_PCAP_BAD_TIMESTAMP', `pcap record at offset ${offset} has sub-second field ${fraction}, not below ${limit}`, {
      offset,
      fraction,
      limit,
    });
  }
}

/** Base of rejections of the qrtrd pseudo-header that precedes each QRTR packet. */
export class PseudoHeaderError extends PcapFormatError {}

/** Record shorter than the pseudo-header (16 bytes, or its own header length). */
export class PseudoHeaderTruncatedError extends PseudoHeaderError {
  constructor(length: number, needed: number) {
    super('CAPTURE_PSEUDO_HEADER_TRUNCATED', `capture record of ${length} bytes is shorter than its ${needed}-byte pseudo-header`, {
      length,
      needed,
    });
  }
}

/** A pseudo-header version this reader does not know. */
export class PseudoHeaderBadVersionError extends PseudoHeaderError {
  constructor(version: number, supported: number) {
    super('CAPTURE_PSEUDO_HEADER_BAD_VERSION', `pseudo-header version ${version} is not supported (this reader knows ${supported})`, {
      version,
      supported,
    });
  }
}

/** Header length below 16, not a multiple of 4, or too short for the kind name it carries. */
export class PseudoHeaderBadLengthError extends PseudoHeaderError {
  constructor(headerLength: number, kindNameLength: number) {
    super(
      'CAPTURE_PSEUDO_HEADER_BAD_LENGTH',
      `pseudo-header length ${headerLength} is not a multiple of 4 of at least 16 holding a ${kindNameLength}-byte kind name`,
      { headerLength, kindNameLength },
    );
  }
}

/** Direction byte other than 0 (rx), 1 (tx) or 2 (local). */
export class PseudoHeaderBadDirectionError extends PseudoHeaderError {
  constructor(direction: number) {
    super('CAPTURE_PSEUDO_HEADER_BAD_DIRECTION', `pseudo-header direction ${direction} is not 0 (rx), 1 (tx) or 2 (local)`, { direction });
  }
}

/** Backend kind code the reader does not know, with no kind name to fall back on. */
export class PseudoHeaderBadKindError extends PseudoHeaderError {
  constructor(kind: number) {
    super('CAPTURE_PSEUDO_HEADER_BAD_KIND', `pseudo-header backend kind ${kind} is unknown and no kind name is present`, { kind });
  }
}

/** The kind name is not printable ASCII (what backend kinds are made of). */
export class PseudoHeaderBadKindNameError extends PseudoHeaderError {
  constructor(offset: number, byte: number) {
    super('CAPTURE_PSEUDO_HEADER_BAD_KIND_NAME', `pseudo-header kind name byte ${hex(byte, 2)} at ${offset} is not printable ASCII`, {
      offset,
      byte,
    });
  }
}

/** write() after close() or after the stream failed. */
export class CaptureWriterClosedError extends CaptureError {
  constructor(path: string) {
    super('CAPTURE_WRITER_CLOSED', `pcap writer for ${path} is closed`, { path });
  }
}

/** The file could not be opened or written; `cause` holds the fs error. */
export class CaptureWriteFailedError extends CaptureError {
  constructor(path: string, cause: unknown) {
    const errno = (cause as { code?: unknown } | undefined)?.code;
    super('CAPTURE_WRITE_FAILED', `writing pcap file ${path} failed: ${(cause as Error | undefined)?.message ?? String(cause)}`, {
      path,
      errno: typeof errno === 'string' ? errno : undefined,
    }, { cause });
  }
}

/** The file could not be read; `cause` holds the fs error. */
export class CaptureReadFailedError extends CaptureError {
  constructor(path: string, cause: unknown) {
    const errno = (cause as { code?: unknown } | undefined)?.code;
    super('CAPTURE_READ_FAILED', `reading pcap file ${path} failed: ${(cause as Error | undefined)?.message ?? String(cause)}`, {
      path,
      errno: typeof errno === 'string' ? errno : undefined,
    }, { cause });
  }
}
