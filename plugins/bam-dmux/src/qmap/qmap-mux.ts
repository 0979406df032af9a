import { BehaviorSubject, Observable, Subject, Subscription, asyncScheduler, type SchedulerLike } from 'rxjs';
import { InvalidArgumentError } from '../../../../src/common/errors';
import {
  QmapAckOverflowError,
  QmapChecksumError,
  QmapError,
  QmapLinkRemovedError,
  QmapMalformedIpError,
  QmapUnexpectedCommandTypeError,
  QmapUnknownMuxIdError,
  QmapUnsupportedCommandError,
} from './errors';
import { QmapTxAggregator, type QmapAggregationLimits, type QmapAggregatorStats } from './qmap-aggregator';
import {
  createIpChecksumInfo,
  parseIpForChecksum,
  verifyTransportChecksum,
  verifyWithTrailerChecksum,
} from './qmap-checksum';
import { QmapCommandName, QmapCommandType, decodeQmapCommand } from './qmap-command';
import { QmapDeaggregator, type QmapFrameInfo, type QmapFrameSink } from './qmap-deaggregate';
import { QMAP_HEADER_LENGTH, QMAP_MAX_MUX_ID, type QmapChecksumMode } from './qmap-header';
import { QmapLink, type QmapLinkHost } from './qmap-link';

/** A received lower-layer buffer the mux holds until it calls `release()`. */
export interface QmapHeldBuffer {
  readonly data: Uint8Array;
  release(): void;
}

/**
 * The "real device" under the mux: anything with pull-style receive and
 * backpressured transmit. A BamDmuxChannel satisfies it structurally.
 */
export interface QmapPacketPort {
  take(): QmapHeldBuffer | undefined;
  readonly readable$: Observable<void>;
  /** Copies `payload` into the transmit path; false when it is full. */
  send(payload: Uint8Array): boolean;
  readonly writable$: Observable<boolean>;
}

export interface QmapMuxOptions {
  port: QmapPacketPort;
  /** Downlink checksum format (INGRESS_MAP_CKSUMV4/V5). Default 'none'. */
  ingressChecksum?: QmapChecksumMode;
  /** Uplink checksum format (EGRESS_MAP_CKSUMV4/V5). Default 'none'. */
  egressChecksum?: QmapChecksumMode;
  /** Handle FLOW_DISABLE/ENABLE (INGRESS_MAP_COMMANDS). Default true. */
  commands?: boolean;
  /** Also verify checksums of frames without offload information (mode 'none'). Default false. */
  verifyUnoffloaded?: boolean;
  /** Uplink aggregation; default one frame per transfer, up to 2040 bytes (one BAM-DMUX buffer). */
  aggregation?: Partial<QmapAggregationLimits>;
  /** Lower buffers the mux may hold at once; default 32 (the BAM-DMUX ring). */
  maxHeldBuffers?: number;
  scheduler?: SchedulerLike;
}

/** Counters of a mux; drops by code. */
export interface QmapMuxStats {
  rxAggregates: number;
  rxFrames: number;
  rxBytes: number;
  rxCommands: number;
  acksSent: number;
  heldBuffers: number;
  heldBuffersMax: number;
  droppedBytes: number;
  checksum: { hw: number; sw: number; unverified: number };
  drops: Record<string, number>;
  tx: QmapAggregatorStats;
  links: { muxId: number; pending: number; flowEnabled: boolean }[];
}

const MAX_PENDING_ACKS = 64;

/**
 * rmnet-style demultiplexer: mux id -> {@link QmapLink}, on top of one
 * {@link QmapPacketPort} (the "QMAP over BAM-DMUX channel 0" setup).
 * Deaggregates each lower buffer into frame views; the buffer goes back to
 * the lower ring when its last frame is consumed.
 */
export class QmapMux implements QmapLinkHost {
  private readonly port: QmapPacketPort;
  private readonly deaggregator: QmapDeaggregator;
  private readonly aggregator: QmapTxAggregator;
  private readonly commands: boolean;
  private readonly verifyUnoffloaded: boolean;
  private readonly links: (QmapLink | undefined)[] = new Array(QMAP_MAX_MUX_ID + 1).fill(undefined);
  private readonly held: (QmapHeldBuffer | undefined)[];
  private readonly refs: Int32Array;
  private readonly freeSlots: Int32Array;
  private freeCount: number;
  private current = -1;
  private lowerMayHaveData = true;
  private pumping = false;
  private disposed = false;
  private readonly pendingAcks: Uint8Array[] = [];
  private readonly ipInfo = createIpChecksumInfo();
  private readonly egressReadySubject = new BehaviorSubject<boolean>(true);
  private readonly dropSubject = new Subject<QmapError>();
  private readonly subscriptions = new Subscription();
  private portWritable = true;
  private readonly counters = {
    rxAggregates: 0,
    rxFrames: 0,
    rxBytes: 0,
    rxCommands: 0,
    acksSent: 0,
    heldBuffersMax: 0,
    droppedBytes: 0,
  };
  private readonly checksumCounters = { hw: 0, sw: 0, unverified: 0 };
  private readonly drops: Record<string, number> = {};
  private readonly sink: QmapFrameSink = {
    frame: (buf, info) => this.onFrame(buf, info),
    drop: (error) => this.drop(error),
  };

  /** @internal */
  readonly egressReady$: Observable<boolean> = this.egressReadySubject.asObservable();
  /** Every dropped frame or aggregate tail, with its reason. */
  readonly drops$: Observable<QmapError> = this.dropSubject.asObservable();

  constructor(options: QmapMuxOptions) {
    this.port = options.port;
    this.deaggregator = new QmapDeaggregator(options.ingressChecksum ?? 'none');
    this.commands = options.commands ?? true;
    this.verifyUnoffloaded = options.verifyUnoffloaded ?? false;
    const maxHeld = options.maxHeldBuffers ?? 32;
    if (!Number.isInteger(maxHeld) || maxHeld < 1) throw new InvalidArgumentError('maxHeldBuffers', 'a positive integer', maxHeld);
    this.held = new Array(maxHeld).fill(undefined);
    this.refs = new Int32Array(maxHeld);
    this.freeSlots = new Int32Array(maxHeld);
    for (let i = 0; i < maxHeld; i++) this.freeSlots[i] = maxHeld - 1 - i;
    this.freeCount = maxHeld;
    const limits: QmapAggregationLimits = {
      maxBytes: options.aggregation?.maxBytes ?? 2040,
      maxFrames: options.aggregation?.maxFrames ?? 1,
      timeMs: options.aggregation?.timeMs ?? 0,
    };
    this.aggregator = new QmapTxAggregator(
      (aggregate) => this.port.send(aggregate),
      limits,
      options.egressChecksum ?? 'none',
      options.scheduler ?? asyncScheduler,
      () => this.updateEgress(),
    );
    this.subscriptions.add(
      this.port.readable$.subscribe(() => {
        this.lowerMayHaveData = true;
        this.pump();
      }),
    );
    this.subscriptions.add(
      this.port.writable$.subscribe((writable) => {
        this.portWritable = writable;
        if (writable) {
          this.flushAcks();
          this.aggregator.retry();
        }
        this.updateEgress();
      }),
    );
  }

  /** Creates the link for `muxId` (rmnet: `ip link add ... type rmnet mux_id N`). */
  addLink(muxId: number): QmapLink {
    if (!Number.isInteger(muxId) || muxId < 0 || muxId > QMAP_MAX_MUX_ID) {
      throw new InvalidArgumentError('muxId', `an integer 0..${QMAP_MAX_MUX_ID}`, muxId);
    }
    if (this.links[muxId]) throw new InvalidArgumentError('muxId', 'a mux id without a link', muxId);
    const link = new QmapLink(this, muxId);
    this.links[muxId] = link;
    return link;
  }

  link(muxId: number): QmapLink | undefined {
    return this.links[muxId];
  }

  /** Removes a link; its queued frames are dropped (counted) and their buffers released. */
  removeLink(muxId: number): void {
    const link = this.links[muxId];
    if (!link) return;
    this.links[muxId] = undefined;
    link.terminate((owner) => {
      this.drop(new QmapLinkRemovedError(muxId));
      this.unref(owner);
    });
  }

  /** Sends the aggregate being built now instead of waiting for a limit. */
  flush(): boolean {
    return this.aggregator.flushNow();
  }

  stats(): QmapMuxStats {
    return {
      ...this.counters,
      heldBuffers: this.held.length - this.freeCount,
      checksum: { ...this.checksumCounters },
      drops: { ...this.drops },
      tx: this.aggregator.stats(),
      links: this.links
        .filter((l): l is QmapLink => l !== undefined)
        .map((l) => ({ muxId: l.muxId, pending: l.pending, flowEnabled: l.flowEnabled })),
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (let id = 0; id <= QMAP_MAX_MUX_ID; id++) this.removeLink(id);
    this.subscriptions.unsubscribe();
    this.aggregator.dispose();
    this.egressReadySubject.complete();
    this.dropSubject.complete();
  }

  // ---- QmapLinkHost ---------------------------------------------------------------------

  /** @internal Pulls lower buffers while there is room to hold them (the link's queue is empty). */
  pumpFor(_link: QmapLink): void {
    this.pump();
  }

  /** @internal */
  bufferOf(owner: number): Uint8Array {
    return this.held[owner]!.data;
  }

  /** @internal One frame of lower buffer `owner` consumed. */
  unref(owner: number): void {
    if (--this.refs[owner] > 0) return;
    const buffer = this.held[owner]!;
    this.held[owner] = undefined;
    this.freeSlots[this.freeCount++] = owner;
    buffer.release();
    if (this.lowerMayHaveData && !this.pumping) this.pump();
  }

  /** @internal */
  transmit(muxId: number, packet: Uint8Array, offload: boolean): boolean {
    if (this.disposed) return false;
    const accepted = this.aggregator.append(muxId, packet, offload);
    if (!this.aggregator.ready) this.updateEgress();
    return accepted;
  }

  // ---- receive ------------------------------------------------------------------------

  private pump(): void {
    if (this.pumping || this.disposed) return;
    this.pumping = true;
    try {
      while (this.freeCount > 0 && this.lowerMayHaveData) {
        const buffer = this.port.take();
        if (!buffer) {
          this.lowerMayHaveData = false;
          break;
        }
        const owner = this.freeSlots[--this.freeCount];
        this.held[owner] = buffer;
        this.refs[owner] = 1; // the pump's own reference while it parses
        const heldNow = this.held.length - this.freeCount;
        if (heldNow > this.counters.heldBuffersMax) this.counters.heldBuffersMax = heldNow;
        this.counters.rxAggregates++;
        this.current = owner;
        const summary = this.deaggregator.run(buffer.data, this.sink);
        this.counters.droppedBytes += summary.droppedBytes;
        this.current = -1;
        this.unrefLocal(owner);
      }
    } finally {
      this.pumping = false;
    }
  }

  private unrefLocal(owner: number): void {
    if (--this.refs[owner] > 0) return;
    const buffer = this.held[owner]!;
    this.held[owner] = undefined;
    this.freeSlots[this.freeCount++] = owner;
    buffer.release();
  }

  private onFrame(buf: Uint8Array, info: QmapFrameInfo): void {
    if (info.command) {
      this.onCommand(buf, info);
      return;
    }
    const link = this.links[info.muxId];
    if (!link) {
      this.drop(new QmapUnknownMuxIdError(info.muxId));
      return;
    }
    const status = this.checksumStatus(buf, info);
    if (status < 0) return;
    this.counters.rxFrames++;
    this.counters.rxBytes += info.payloadLength;
    this.refs[this.current]++;
link.enqueue(this.current, info.payloadOffset, info.payloadLength, status as 0 | 1 | 2);
  }

  /** 0 hw, 1 sw, 2 unverified, -1 dropped. */
  private checksumStatus(buf: Uint8Array, info: QmapFrameInfo): number {
    const wantsSoftware = info.checksum === 'not-valid' || (info.checksum === 'absent' && this.verifyUnoffloaded);
    const trailer = info.checksum === 'valid' && info.trailerChecksum >= 0;
    if (info.checksum === 'valid' && !trailer) {
      this.checksumCounters.hw++;
      return 0;
    }
    if (!wantsSoftware && !trailer) {
      this.checksumCounters.unverified++;
      return 2;
    }
    const ip = this.ipInfo;
    const parsed = parseIpForChecksum(buf, info.payloadOffset, info.payloadLength, ip);
    if (parsed === 'malformed') {
      this.drop(new QmapMalformedIpError(ip.reason));
      return -1;
    }
    if (parsed === 'unsupported') {
      this.checksumCounters.unverified++;
      return 2;
    }
    if (trailer && verifyWithTrailerChecksum(buf, info.payloadOffset, ip, info.trailerChecksum) !== 'bad') {
      this.checksumCounters.hw++;
      return 0;
    }
    // No hardware verdict, or the trailer disagrees: the software sum decides (the stack's fallback).
    if (verifyTransportChecksum(buf, info.payloadOffset, ip) === 'bad') {
      this.drop(new QmapChecksumError(info.muxId, ip.protocol, trailer ? 'trailer' : 'software'));
      return -1;
    }
    this.checksumCounters.sw++;
    return 1;
  }

  private onCommand(buf: Uint8Array, info: QmapFrameInfo): void {
    this.counters.rxCommands++;
    const body = buf.subarray(info.payloadOffset, info.payloadOffset + info.payloadLength);
    if (!this.commands) {
      this.drop(new QmapUnsupportedCommandError(body.length > 0 ? body[0] : -1));
      return;
    }
    let command;
    try {
      command = decodeQmapCommand(body);
    } catch (err) {
      this.drop(err as QmapError);
      return;
    }
    if (command.name !== QmapCommandName.FLOW_DISABLE && command.name !== QmapCommandName.FLOW_ENABLE) {
      this.drop(new QmapUnsupportedCommandError(command.name));
      return;
    }
    if (command.type !== QmapCommandType.REQUEST) {
      this.drop(new QmapUnexpectedCommandTypeError(command.name, command.type));
      return;
    }
    const link = this.links[info.muxId];
    if (!link) {
      this.drop(new QmapUnknownMuxIdError(info.muxId));
      return;
    }
    link.setFlow(command.name === QmapCommandName.FLOW_ENABLE);
    // rmnet answers with the same frame, cmd_type ACK, without the v4 trailer.
    const ack = buf.slice(info.frameOffset, info.frameOffset + QMAP_HEADER_LENGTH + ((buf[info.frameOffset + 2] << 8) | buf[info.frameOffset + 3]));
    ack[QMAP_HEADER_LENGTH + 1] = (ack[QMAP_HEADER_LENGTH + 1] & ~0x03) | QmapCommandType.ACK;
    this.sendAck(ack);
  }

  private sendAck(ack: Uint8Array): void {
    if (this.pendingAcks.length === 0 && this.portWritable && this.port.send(ack)) {
      this.counters.acksSent++;
      return;
    }
    if (this.pendingAcks.length >= MAX_PENDING_ACKS) {
      this.drop(new QmapAckOverflowError(this.pendingAcks.length));
      return;
    }
    this.pendingAcks.push(ack);
  }

  private flushAcks(): void {
    while (this.pendingAcks.length > 0 && this.port.send(this.pendingAcks[0])) {
      this.pendingAcks.shift();
      this.counters.acksSent++;
    }
  }

  private updateEgress(): void {
    if (this.disposed) return;
    const ready = this.aggregator.ready && this.portWritable;
    if (ready !== this.egressReadySubject.value) this.egressReadySubject.next(ready);
  }

  private drop(error: QmapError): void {
    this.drops[error.code] = (this.drops[error.code] ?? 0) + 1;
    if (this.dropSubject.observed) this.dropSubject.next(error);
  }
}
