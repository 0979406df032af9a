import { Observable, Subject, asyncScheduler, type SchedulerLike } from 'rxjs';
import { InvalidArgumentError, QrtrdError } from '../../../src/common/errors';
import {
  BAM_DMUX_BUFFER_SIZE,
  BAM_DMUX_HEADER_LENGTH,
  BAM_DMUX_NUM_CHANNELS,
  BAM_DMUX_RING_SIZE,
  BamDmuxCommand,
  bamDmuxPayloadType,
  createBamDmuxHeader,
  decodeBamDmuxHeaderInto,
  type BamDmuxPadding,
  type BamDmuxPayloadType,
} from './bam-dmux-header';
import { BamDmuxChannel, type BamDmuxChannelHost } from './bam-dmux-channel';
import type { BamTransport, BamTransportSink } from './bam-transport';
import {
  BamDmuxChannelClosedError,
  BamDmuxDisposedError,
  BamDmuxInactiveChannelError,
  BamDmuxTransportProtocolError,
  type BamDmuxPowerTimeoutError,
} from './errors';
import { BamDmuxTxRing } from './bam-dmux-tx-ring';
import { BamDmuxPowerControl, type BamDmuxPowerLines, type BamDmuxPowerState } from './power-control';

/** Which backend (rpmsg/SMD device) the modem sits behind; the router keys endpoint IDs on it. */
export interface BamDmuxBackendKey {
  kind: 'rpmsg' | 'smd' | (string & {});
  key: string;
}

export interface BamDmuxOptions {
  /** Backend of the modem whose data plane this is (same key its QMI clients use). */
  backendKey: BamDmuxBackendKey;
  /** Endpoint ID the router assigned to that backend; control and data bind to the same ID. */
  endpointId: number;
  transport: BamTransport;
  power: BamDmuxPowerLines;
  /** Timers (remote timeout, autosuspend). Defaults to rxjs asyncScheduler; tests inject virtual time. */
  scheduler?: SchedulerLike;
  /** Transmit padding rule; receive accepts both. Default 'mainline'. */
  padding?: BamDmuxPadding;
  remoteTimeoutMs?: number;
  autosuspendMs?: number;
  /** Ring sizes; default 32 each, as in the driver. */
  rxRingSize?: number;
  txRingSize?: number;
}

/** A dropped buffer or frame, with the stable code of the rule it broke. */
export interface BamDmuxDrop {
  code: string;
  channel?: number;
  error?: QrtrdError;
}

/** Counters; every drop is under `drops[code]`. */
export interface BamDmuxStats {
  endpointId: number;
  rxPackets: number;
  rxBytes: number;
  rxCommands: number;
  txPackets: number;
  txBytes: number;
  txCommands: number;
  /** RX buffers currently held by channel queues or consumers, and the most ever held. */
  rxHeld: number;
  rxHeldMax: number;
  rxPosted: number;
  txInFlight: number;
  txDeferred: number;
  txQueueStops: number;
  txQueueWakes: number;
  openChannels: number[];
  drops: Record<string, number>;
  power: { state: BamDmuxPowerState; remotePowered: boolean; resumes: number; suspends: number; timeouts: number };
}

const RX_FREE = 0;
const RX_POSTED = 1;
const RX_HELD = 2;

/**
 * The BAM-DMUX data plane of one modem: 32 RX and 32 TX buffers of 2 KiB,
 * channels opened by the modem, and the driver's runtime power control.
 *
 * Buffer ownership: RX buffers belong to the transport while posted, to a
 * channel (then its consumer) while holding a received packet, and come back
 * to the ring only when consumed; nothing is copied on receive. TX payloads are
 * copied once into a TX buffer, so callers may reuse theirs when send returns.
 */
export class BamDmux implements BamDmuxChannelHost {
  readonly backendKey: Readonly<BamDmuxBackendKey>;
  readonly endpointId: number;
  private readonly transport: BamTransport;
  private readonly padding: BamDmuxPadding;
  private readonly power: BamDmuxPowerControl;
  private readonly detach: () => void;
  private readonly rxRing: number;
  private readonly txRing: number;
  private readonly rxBuffers: Uint8Array[] = [];
  private readonly rxState: Uint8Array;
  private readonly rxGen: Uint32Array;
  private readonly rxViews: (Uint8Array | undefined)[];
  private readonly rxTypes: BamDmuxPayloadType[];
  private readonly tx: BamDmuxTxRing;
  private rxRunning = false;
  private disposed = false;
  private readonly header = createBamDmuxHeader();
  private readonly channelsById: (BamDmuxChannel | undefined)[] = new Array(BAM_DMUX_NUM_CHANNELS).fill(undefined);
  private readonly channelSubject = new Subject<BamDmuxChannel>();
  private readonly dropSubject = new Subject<BamDmuxDrop>();
  private readonly counters = {
    rxPackets: 0,
    rxBytes: 0,
    rxCommands: 0,
    rxHeld: 0,
    rxHeldMax: 0,
    rxPosted: 0,
  };
  private readonly drops: Record<string, number> = {};

  /** A new channel object each time the modem sends OPEN for a channel. */
  readonly channels$: Observable<BamDmuxChannel> = this.channelSubject.asObservable();
  /** Every drop, with its reason code (also counted in {@link stats}). */
  readonly drops$: Observable<BamDmuxDrop> = this.dropSubject.asObservable();
  /** Ring-level transmit readiness shared by all channels (the driver stops/wakes every queue). */
  readonly txWritable$: Observable<boolean>;
  readonly powerState$: Observable<BamDmuxPowerState>;
  readonly powerErrors$: Observable<BamDmuxPowerTimeoutError>;

  constructor(options: BamDmuxOptions) {
    if (!Number.isInteger(options.endpointId) || options.endpointId < 0) {
      throw new InvalidArgumentError('endpointId', 'a non-negative integer', options.endpointId);
    }
    this.backendKey = Object.freeze({ ...options.backendKey });
    this.endpointId = options.endpointId;
    this.transport = options.transport;
    this.padding = options.padding ?? 'mainline';
    this.rxRing = options.rxRingSize ?? BAM_DMUX_RING_SIZE;
    this.txRing = options.txRingSize ?? BAM_DMUX_RING_SIZE;
    for (const [name, value] of [['rxRingSize', this.rxRing], ['txRingSize', this.txRing]] as const) {
      if (!Number.isInteger(value) || value < 1 || value > 1024) {
        throw new InvalidArgumentError(name, 'an integer 1..1024', value);
      }
    }
    const rxMemory = new ArrayBuffer(this.rxRing * BAM_DMUX_BUFFER_SIZE);
    for (let i = 0; i < this.rxRing; i++) {
      this.rxBuffers.push(new Uint8Array(rxMemory, i * BAM_DMUX_BUFFER_SIZE, BAM_DMUX_BUFFER_SIZE));
    }
    this.rxState = new Uint8Array(this.rxRing);
    this.rxGen = new Uint32Array(this.rxRing);
    this.rxViews = new Array(this.rxRing).fill(undefined);
    this.rxTypes = new Array(this.rxRing).fill('qmap');

    const sink: BamTransportSink = {
      rxComplete: (slot, length) => this.onRxComplete(slot, length),
      txComplete: (slot) => this.onTxComplete(slot),
    };
    this.detach = this.transport.attach(sink);
    this.power = new BamDmuxPowerControl(
      {
        lines: options.power,
        scheduler: options.scheduler ?? asyncScheduler,
        remoteTimeoutMs: options.remoteTimeoutMs,
        autosuspendMs: options.autosuspendMs,
      },
      {
        remotePower: (up) => (up ? this.startRx() : this.stopPipes('modem powered down')),
        active: () => this.tx.flushDeferred(),
        resumeFailed: (error) => this.tx.abortDeferred(error),
      },
    );
    this.tx = new BamDmuxTxRing(this.txRing, this.transport, this.power, this.padding, (error, channel) => this.drop(error, channel));
    this.txWritable$ = this.tx.writable$;
    this.powerState$ = this.power.state$;
    this.powerErrors$ = this.power.errors$;
  }

  get powerState(): BamDmuxPowerState {
    return this.power.state;
  }

  get txWritable(): boolean {
    return this.tx.writable;
  }

  /** The open channel object for `id`, if the modem has opened it. */
  channel(id: number): BamDmuxChannel | undefined {
    return this.channelsById[id];
  }

  stats(): BamDmuxStats {
    const power = this.power.stats();
    return {
      endpointId: this.endpointId,
      ...this.counters,
      ...this.tx.stats(),
      openChannels: this.channelsById.filter((c) => c !== undefined).map((c) => c!.id),
      drops: { ...this.drops },
      power: {
        state: this.power.state,
        remotePowered: this.power.remotePowered,
        resumes: power.resumes,
        suspends: power.suspends,
        timeouts: power.timeouts,
      },
    };
  }

  /** Tears down: channels close, pipes are cancelled, the vote is withdrawn. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopPipes('disposed');
    this.tx.abortDeferred(new BamDmuxDisposedError());
    for (const channel of this.channelsById) if (channel) this.closeChannel(channel.id);
    this.detach();
    this.power.dispose();
    this.tx.dispose();
    this.channelSubject.complete();
    this.dropSubject.complete();
  }

  // ---- BamDmuxChannelHost -------------------------------------------------------------

  /** @internal */
  rxView(slot: number): Uint8Array {
    return this.rxViews[slot]!;
  }

  /** @internal */
  rxType(slot: number): BamDmuxPayloadType {
    return this.rxTypes[slot];
  }

  /** @internal */
  rxGeneration(slot: number): number {
    return this.rxGen[slot];
  }

  /** @internal Returns a held RX buffer to the ring; false if that hold was already released. */
  releaseRx(slot: number, generation: number): boolean {
    if (this.rxState[slot] !== RX_HELD || this.rxGen[slot] !== generation) return false;
    this.rxGen[slot] = (generation + 1) >>> 0;
    this.rxViews[slot] = undefined;
    this.rxState[slot] = RX_FREE;
    this.counters.rxHeld--;
    if (this.rxRunning) this.post(slot);
    return true;
  }

  /** @internal */
  transmit(channel: number, payload: Uint8Array): boolean {
    if (this.disposed) throw new BamDmuxDisposedError();
    const ch = this.channelsById[channel];
    if (!ch) throw new BamDmuxChannelClosedError(channel);
    if (!ch.isLocallyOpen) throw new BamDmuxInactiveChannelError(channel, 'local-closed');
    return this.tx.sendData(channel, payload);
  }

  /** @internal OPEN/CLOSE from our side; resolves when the modem consumed the command. */
  sendCommand(channel: number, open: boolean): Promise<void> {
    if (this.disposed) return Promise.reject(new BamDmuxDisposedError());
    return this.tx.sendCommand(channel, open ? BamDmuxCommand.OPEN : BamDmuxCommand.CLOSE);
  }

  // ---- receive ring -------------------------------------------------------------------

  private startRx(): void {
    if (this.disposed) return;
    this.rxRunning = true;
    for (let slot = 0; slot < this.rxRing; slot++) if (this.rxState[slot] === RX_FREE) this.post(slot);
  }

  /** The modem powered down (or dispose): the driver terminates both DMA channels. */
  private stopPipes(reason: string): void {
    this.rxRunning = false;
    this.transport.cancelRx();
    for (let slot = 0; slot < this.rxRing; slot++) {
      if (this.rxState[slot] === RX_POSTED) this.rxState[slot] = RX_FREE;
    }
    this.counters.rxPosted = 0;
    this.tx.abortInFlight(reason);
  }

  private post(slot: number): void {
    this.rxState[slot] = RX_POSTED;
    this.counters.rxPosted++;
    this.transport.postRx(slot, this.rxBuffers[slot]);
  }

  private onRxComplete(slot: number, length: number): void {
    if (slot < 0 || slot >= this.rxRing || this.rxState[slot] !== RX_POSTED) {
      this.drop(new BamDmuxTransportProtocolError('rxComplete', slot));
      return;
    }
    this.counters.rxPosted--;
    this.rxState[slot] = RX_FREE;
    const buffer = this.rxBuffers[slot];
    const header = this.header;
    try {
      decodeBamDmuxHeaderInto(buffer, length, header);
    } catch (err) {
      this.drop(err as QrtrdError);
      this.repost(slot);
      return;
    }
    const id = header.channel;
    switch (header.command) {
      case BamDmuxCommand.DATA:
        this.onData(slot, id, header.length);
        return;
      case BamDmuxCommand.OPEN:
      case BamDmuxCommand.OPEN_NO_A2_PC:
        this.counters.rxCommands++;
        this.openChannel(id);
        break;
      case BamDmuxCommand.CLOSE:
        this.counters.rxCommands++;
        this.closeChannel(id);
        break;
      default:
        // STATUS: defined downstream, never acted on.
        this.counters.rxCommands++;
        break;
    }
    this.repost(slot);
  }

  private onData(slot: number, id: number, length: number): void {
    const channel = this.channelsById[id];
    if (!channel || !channel.accepting) {
      this.drop(new BamDmuxInactiveChannelError(id, channel ? 'local-closed' : 'remote-closed'), id);
      this.repost(slot);
      return;
    }
    const view = this.rxBuffers[slot].subarray(BAM_DMUX_HEADER_LENGTH, BAM_DMUX_HEADER_LENGTH + length);
    this.rxViews[slot] = view;
    this.rxTypes[slot] = bamDmuxPayloadType(view[0]);
    this.rxState[slot] = RX_HELD;
    this.counters.rxPackets++;
    this.counters.rxBytes += length;
    if (++this.counters.rxHeld > this.counters.rxHeldMax) this.counters.rxHeldMax = this.counters.rxHeld;
    // The queue has one place per ring slot, so it cannot be full here.
    channel.enqueue(slot);
  }

  private onTxComplete(slot: number): void {
    if (!this.tx.complete(slot)) this.drop(new BamDmuxTransportProtocolError('txComplete', slot));
  }

  private repost(slot: number): void {
    if (this.rxRunning) this.post(slot);
  }

  private openChannel(id: number): void {
    if (this.channelsById[id]) return; // "Channel already open": the driver warns and ignores it.
    const channel = new BamDmuxChannel(this, id, this.rxRing);
    this.channelsById[id] = channel;
    this.channelSubject.next(channel);
  }

  private closeChannel(id: number): void {
    const channel = this.channelsById[id];
    if (!channel) return;
    this.channelsById[id] = undefined;
    channel.terminate((slot) => {
      this.drop(new BamDmuxChannelClosedError(id), id);
      this.releaseRx(slot, this.rxGen[slot]);
    });
  }

  private drop(error: QrtrdError, channel?: number): void {
    this.drops[error.code] = (this.drops[error.code] ?? 0) + 1;
    if (this.dropSubject.observed) this.dropSubject.next({ code: error.code, channel, error });
  }
}
