import { QrtrdError, hex } from '../../../src/common/errors';

/**
 * Base of every BAM-DMUX failure. A malformed receive buffer becomes one of
 * these and is dropped and counted under its `code`; nothing else changes.
 */
export class BamDmuxError extends QrtrdError {}

/** A receive buffer shorter than the 8-byte BAM-DMUX header. */
export class BamDmuxTruncatedHeaderError extends BamDmuxError {
  constructor(length: number) {
    super('BAM_DMUX_TRUNCATED_HEADER', `BAM-DMUX buffer of ${length} bytes is shorter than the 8-byte header`, { length });
  }
}

/** Header magic is not 0x33FC. */
export class BamDmuxBadMagicError extends BamDmuxError {
  constructor(magic: number) {
    super('BAM_DMUX_BAD_MAGIC', `BAM-DMUX header magic ${hex(magic, 4)} is not 0x33fc`, { magic });
  }
}

/** Channel number outside 0..7. */
export class BamDmuxUnknownChannelError extends BamDmuxError {
  constructor(channel: number, channels: number) {
    super('BAM_DMUX_UNKNOWN_CHANNEL', `BAM-DMUX channel ${channel} is outside 0..${channels - 1}`, { channel, channels });
  }
}

/** Command byte is none of DATA, OPEN, CLOSE, STATUS, OPEN_NO_A2_PC. */
export class BamDmuxUnknownCommandError extends BamDmuxError {
  constructor(command: number, channel: number) {
    super('BAM_DMUX_UNKNOWN_COMMAND', `BAM-DMUX command ${command} on channel ${channel} is not supported`, {
      command,
      channel,
    });
  }
}

/** DATA `len` above the 2040-byte maximum payload. */
export class BamDmuxOversizeError extends BamDmuxError {
  constructor(length: number, max: number) {
    super('BAM_DMUX_OVERSIZE', `BAM-DMUX payload length ${length} exceeds the maximum of ${max}`, { length, max });
  }
}

/** DATA `len` runs past the bytes the DMA transfer delivered. */
export class BamDmuxTruncatedPayloadError extends BamDmuxError {
  constructor(length: number, available: number) {
    super('BAM_DMUX_TRUNCATED_PAYLOAD', `BAM-DMUX payload length ${length} exceeds the ${available} bytes received`, {
      length,
      available,
    });
  }
}

/** DATA with `len` 0: there is no first nibble to type it by. */
export class BamDmuxEmptyPayloadError extends BamDmuxError {
  constructor(channel: number) {
    super('BAM_DMUX_EMPTY_PAYLOAD', `BAM-DMUX DATA on channel ${channel} has no payload`, { channel });
  }
}

/** DATA for a channel the modem has not opened (or we have not opened locally). */
export class BamDmuxInactiveChannelError extends BamDmuxError {
  constructor(channel: number, reason: 'remote-closed' | 'local-closed') {
    super('BAM_DMUX_INACTIVE_CHANNEL', `BAM-DMUX data for inactive channel ${channel} (${reason})`, { channel, reason });
  }
}

/** Operation on a channel object after the modem closed it (or the dmux was disposed). */
export class BamDmuxChannelClosedError extends BamDmuxError {
  constructor(channel: number) {
    super('BAM_DMUX_CHANNEL_CLOSED', `BAM-DMUX channel ${channel} is closed`, { channel });
  }
}

/** The modem did not acknowledge a power vote or power up within the remote timeout. */
export class BamDmuxPowerTimeoutError extends BamDmuxError {
  constructor(stage: 'previous-ack' | 'vote-ack' | 'remote-up', timeoutMs: number) {
    super('BAM_DMUX_POWER_TIMEOUT', `BAM-DMUX power resume timed out after ${timeoutMs} ms waiting for ${stage}`, {
      stage,
      timeoutMs,
    });
  }
}

/** A TX frame was in the ring when the link went down (power timeout, modem power-off, dispose). */
export class BamDmuxTxAbortedError extends BamDmuxError {
  constructor(reason: string) {
    super('BAM_DMUX_TX_ABORTED', `BAM-DMUX transmit aborted: ${reason}`, { reason });
  }
}

/** Payload too large for one 2 KiB TX buffer. */
export class BamDmuxPayloadTooLargeError extends BamDmuxError {
  constructor(length: number, max: number) {
    super('BAM_DMUX_PAYLOAD_TOO_LARGE', `BAM-DMUX payload of ${length} bytes exceeds the maximum of ${max}`, {
      length,
      max,
    });
  }
}

/** A held receive packet was released twice (its buffer may already hold another packet). */
export class BamDmuxStaleReleaseError extends BamDmuxError {
  constructor(slot: number) {
    super('BAM_DMUX_STALE_RELEASE', `BAM-DMUX receive buffer ${slot} was already released`, { slot });
  }
}

/** The transport reported a completion for a slot it does not own. */
export class BamDmuxTransportProtocolError extends BamDmuxError {
  constructor(what: string, slot: number) {
    super('BAM_DMUX_TRANSPORT_PROTOCOL', `BAM transport reported ${what} for slot ${slot} it does not hold`, {
      what,
      slot,
    });
  }
}

/** The data plane object was disposed. */
export class BamDmuxDisposedError extends BamDmuxError {
  constructor() {
    super('BAM_DMUX_DISPOSED', 'BAM-DMUX data plane has been disposed');
  }
}
