import { QrtrdError, hex } from '../../../../src/common/errors';

/**
 * Base of every QMAP (MAP/rmnet) failure. On the receive path a malformed frame
 * is dropped and counted under its `code`; the strict decoders throw these.
 */
export class QmapError extends QrtrdError {}

/** A frame's header or announced length runs past the end of the buffer. Deaggregation stops. */
export class QmapTruncatedFrameError extends QmapError {
  constructor(offset: number, needed: number, available: number) {
    super('QMAP_TRUNCATED_FRAME', `QMAP frame at offset ${offset} needs ${needed} bytes, ${available} remain`, {
      offset,
      needed,
      available,
    });
  }
}

/** pkt_len 0 ("hardware sometimes sends empty frames"). Deaggregation stops. */
export class QmapZeroLengthError extends QmapError {
  constructor(offset: number, remaining: number) {
    super('QMAP_ZERO_LENGTH', `QMAP frame at offset ${offset} has pkt_len 0 (${remaining} bytes left unread)`, {
      offset,
      remaining,
    });
  }
}

/** A MAPv5 data frame without the NEXT_HEADER bit: its length is ambiguous, deaggregation stops. */
export class QmapMissingNextHeaderError extends QmapError {
  constructor(offset: number) {
    super('QMAP_MISSING_NEXT_HEADER', `QMAP v5 data frame at offset ${offset} lacks the next-header bit`, { offset });
  }
}

/** A MAPv5 header of a type other than checksum offload (2). The frame is dropped. */
export class QmapBadNextHeaderError extends QmapError {
  constructor(offset: number, type: number) {
    super('QMAP_BAD_NEXT_HEADER', `QMAP v5 header type ${type} at offset ${offset} is not checksum offload (2)`, {
      offset,
      type,
    });
  }
}

/** Pad length larger than pkt_len. The frame is dropped. */
export class QmapBadPadError extends QmapError {
  constructor(offset: number, pad: number, length: number) {
    super('QMAP_BAD_PAD', `QMAP frame at offset ${offset} has pad ${pad} larger than pkt_len ${length}`, {
      offset,
      pad,
      length,
    });
  }
}

/** A data frame for a mux id with no link. */
export class QmapUnknownMuxIdError extends QmapError {
  constructor(muxId: number) {
    super('QMAP_UNKNOWN_MUX_ID', `QMAP frame for mux id ${muxId} has no link`, { muxId });
  }
}

/** A TCP/UDP checksum that does not verify. */
export class QmapChecksumError extends QmapError {
  constructor(muxId: number, protocol: number, how: 'trailer' | 'software') {
    super('QMAP_CHECKSUM_FAILURE', `QMAP mux ${muxId}: protocol ${protocol} checksum failed ${how} verification`, {
      muxId,
      protocol,
      how,
    });
  }
}

/** The IP header needed for checksum verification is malformed (bad version, IHL, length, header sum). */
export class QmapMalformedIpError extends QmapError {
  constructor(reason: string) {
    super('QMAP_MALFORMED_IP', `QMAP payload is not a well-formed IP packet: ${reason}`, { reason });
  }
}

/** A command frame shorter than the command it names. */
export class QmapTruncatedCommandError extends QmapError {
  constructor(length: number, needed: number) {
    super('QMAP_TRUNCATED_COMMAND', `QMAP command of ${length} bytes is shorter than ${needed}`, { length, needed });
  }
}

/** A command rmnet does not handle (not FLOW_DISABLE/FLOW_ENABLE); dropped without reply. */
export class QmapUnsupportedCommandError extends QmapError {
  constructor(name: number) {
    super('QMAP_UNSUPPORTED_COMMAND', `QMAP command ${name} is not supported`, { name });
  }
}

/** A command that is not a request (e.g. an ACK sent to us). */
export class QmapUnexpectedCommandTypeError extends QmapError {
  constructor(name: number, type: number) {
    super('QMAP_UNEXPECTED_COMMAND_TYPE', `QMAP command ${name} has cmd_type ${type}, not a request (0)`, {
      name,
      type,
    });
  }
}

/** An ACK could not be queued because too many are waiting for transmit room. */
export class QmapAckOverflowError extends QmapError {
  constructor(pending: number) {
    super('QMAP_ACK_OVERFLOW', `QMAP command ACK dropped: ${pending} ACKs already wait for transmit room`, { pending });
  }
}

/** Asked to encode a value the MAP format cannot carry. */
export class QmapEncodeRangeError extends QmapError {
  constructor(field: string, value: number, max: number) {
    super('QMAP_ENCODE_RANGE', `QMAP ${field} ${value} (${hex(value)}) does not fit (max ${max})`, { field, value, max });
  }
}

/** The link was removed while a writer waited on it. */
export class QmapLinkRemovedError extends QmapError {
  constructor(muxId: number) {
    super('QMAP_LINK_REMOVED', `QMAP link for mux id ${muxId} has been removed`, { muxId });
  }
}
