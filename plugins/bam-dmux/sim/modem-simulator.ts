import { Observable, Subject, Subscription, asyncScheduler, type SchedulerLike } from 'rxjs';
import {
  BAM_DMUX_HEADER_LENGTH,
  BAM_DMUX_MAX_PAYLOAD,
  BamDmuxCommand,
  bamDmuxPad,
  decodeBamDmuxHeader,
  writeBamDmuxHeader,
  type BamDmuxPadding,
} from '../src/bam-dmux-header';
import { QmapCommandName, QmapCommandType, decodeQmapCommand, encodeQmapCommand, type QmapCommand } from '../src/qmap/qmap-command';
import { QMAP_FLAG_CD, QMAP_V4_DL_TRAILER_LENGTH, type QmapChecksumMode } from '../src/qmap/qmap-header';
import { IpaDlAggregator, finishDlQmapFrame, qmapDlFrameLength, qmapDlPayloadOffset } from './ipa-dl-framer';
import { writeSimPacket, type SimPacketKind } from './ip-packet-factory';
import type { MemoryBamTransport } from './memory-bam-transport';
import type { SimulatedPowerLines } from './simulated-power-lines';
import type { SimulatedNetwork } from './simulated-network';

export interface ModemSimulatorOptions {
  transport: MemoryBamTransport;
  lines: SimulatedPowerLines;
  /** Timers for ack delays and aggregation; virtual time in tests. Default asyncScheduler. */
  scheduler?: SchedulerLike;
  /** Delay before the modem acks a vote; default 0 (next scheduler turn). */
  ackDelayMs?: number;
  /** Raise the modem's power line when the host votes up while it is down. Default true. */
  powerUpOnVote?: boolean;
  /** Padding rule of the modem's transmit side; default 'downstream' (the host accepts both). */
  padding?: BamDmuxPadding;
  /** Echo host DATA back on the same channel. Default false. */
  echo?: boolean;
  /** Consume host transfers as they arrive. Default true; false for manual {@link ModemSimulator.consumeTx}. */
  autoConsumeTx?: boolean;
  /**
   * The packet network behind the modem's calls: host DATA is handed to it (per channel
   * in raw IP, per mux id under QMAP) and its answers come back on the same channel/mux id.
   */
  network?: SimulatedNetwork;
  /** QMAP checksum mode of host uplink frames and of the network's downlink answers; absent: raw IP. */
  networkQmap?: { ul: QmapChecksumMode; dl: QmapChecksumMode };
  /** One-way delay the network adds to each answer, in ms. Default 0. */
  networkLatencyMs?: number;
  /** Runs the fill/consume pumps; default setImmediate, so the pumps never recurse into the host. */
  defer?: (work: () => void) => void;
}

/** Traffic the modem generates, one packet per posted RX buffer (or an aggregate per buffer with QMAP). */
export interface ModemTrafficSpec {
  channel: number;
  count: number;
  kind?: SimPacketKind | 'raw';
  /** IP packet length; default 100. */
  size?: number;
  /** Every Nth packet gets a wrong TCP/UDP checksum (0: none). */
  invalidChecksumEvery?: number;
  /** Wrap in QMAP: frames for `muxIds` round robin, aggregated up to `maxBytes` per buffer like IPA. */
  qmap?: { muxIds: number[]; checksum: QmapChecksumMode; maxBytes?: number };
  /** First sequence number; default 0. */
  firstSequence?: number;
}

/** Counters of the simulated modem. */
export interface ModemSimulatorStats {
  powered: boolean;
  votesSeen: number;
  acksSent: number;
  acksMissed: number;
  buffersFilled: number;
  packetsGenerated: number;
  txConsumed: number;
  echoed: number;
  hostCommands: number;
  qmapAcksReceived: number;
  outboxLength: number;
  /** Times the generator found no posted buffer and had to wait: the host's backpressure. */
  rxStalls: number;
}

interface Generator {
  spec: ModemTrafficSpec;
  sent: number;
  resolve: (sent: number) => void;
}

/**
 * The modem side of a BAM-DMUX link: announces channels, answers power votes
 * (with injectable delay and missed acks), generates or echoes traffic,
 * aggregates QMAP like IPA, and issues flow control and CLOSE. It only writes
 * into buffers the host has posted, so host backpressure stops it.
 */
export class ModemSimulator {
  private readonly transport: MemoryBamTransport;
  private readonly lines: SimulatedPowerLines;
  private readonly scheduler: SchedulerLike;
  private readonly padding: BamDmuxPadding;
  private readonly defer: (work: () => void) => void;
  private readonly subscriptions = new Subscription();
  private readonly outbox: Uint8Array[] = [];
  private readonly generators: Generator[] = [];
  private readonly hostCommandSubject = new Subject<{ command: BamDmuxCommand; channel: number }>();
  private readonly qmapAckSubject = new Subject<{ muxId: number; command: QmapCommand }>();
  private readonly aggregators = new Map<string, IpaDlAggregator>();
  private readonly network: SimulatedNetwork | undefined;
  private readonly networkQmap: { ul: QmapChecksumMode; dl: QmapChecksumMode } | undefined;
  private readonly networkScratch = new Uint8Array(BAM_DMUX_MAX_PAYLOAD);
  /** Answers waiting out the network latency; bounded, beyond it they are lost (counted). */
  private delayedAnswers = 0;
  networkLatencyMs: number;
  private powered = false;
  private missAcks = 0;
  private fillScheduled = false;
  private consumeScheduled = false;
  private nextTransaction = 1;
  ackDelayMs: number;
  echo: boolean;
  autoConsumeTx: boolean;
  powerUpOnVote: boolean;
  private readonly counters = {
    votesSeen: 0,
    acksSent: 0,
    acksMissed: 0,
    buffersFilled: 0,
    packetsGenerated: 0,
    txConsumed: 0,
    echoed: 0,
    hostCommands: 0,
    qmapAcksReceived: 0,
    rxStalls: 0,
  };

  /** OPEN/CLOSE commands the host sent. */
  readonly hostCommands$: Observable<{ command: BamDmuxCommand; channel: number }> = this.hostCommandSubject.asObservable();
  /** QMAP command ACKs the host sent back. */
  readonly qmapAcks$: Observable<{ muxId: number; command: QmapCommand }> = this.qmapAckSubject.asObservable();

  constructor(options: ModemSimulatorOptions) {
    this.transport = options.transport;
    this.lines = options.lines;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.padding = options.padding ?? 'downstream';
    this.ackDelayMs = options.ackDelayMs ?? 0;
    this.echo = options.echo ?? false;
    this.autoConsumeTx = options.autoConsumeTx ?? true;
    this.powerUpOnVote = options.powerUpOnVote ?? true;
    this.defer = options.defer ?? ((work) => setImmediate(work));
    this.network = options.network;
    this.networkQmap = options.networkQmap;
    this.networkLatencyMs = options.networkLatencyMs ?? 0;
    this.subscriptions.add(this.lines.hostVote$.subscribe((vote) => this.onVote(vote)));
    this.subscriptions.add(this.transport.rxPosted$.subscribe(() => this.scheduleFill()));
    this.subscriptions.add(this.transport.txSubmitted$.subscribe(() => this.scheduleConsume()));
  }

  /** Powers up (the host posts its RX buffers) and opens `channels`. */
  start(channels: number[] = [0]): void {
    this.setPower(true);
    for (const channel of channels) this.openChannel(channel);
  }

  get isPowered(): boolean {
    return this.powered;
  }

  /** Raises or drops the modem's power line. */
  setPower(on: boolean): void {
    if (this.powered === on) return;
    this.powered = on;
    this.lines.setRemotePower(on);
  }

  /** Ignore the next `n` votes (no ack), to exercise the host's remote timeout. */
  missNextAcks(n: number): void {
    this.missAcks += n;
  }

  openChannel(channel: number): void {
    this.sendCommand(BamDmuxCommand.OPEN, channel);
  }

  closeChannel(channel: number): void {
    this.sendCommand(BamDmuxCommand.CLOSE, channel);
  }

  /** Sends one DATA transfer (queued in the modem's outbox until the host posts a buffer). */
  sendData(channel: number, payload: Uint8Array): void {
    const frame = new Uint8Array(BAM_DMUX_HEADER_LENGTH + payload.length + 4);
    const pad = bamDmuxPad(payload.length, this.padding);
    writeBamDmuxHeader(frame, 0, BamDmuxCommand.DATA, channel, payload.length, pad);
    frame.set(payload, BAM_DMUX_HEADER_LENGTH);
    this.enqueue(frame.subarray(0, BAM_DMUX_HEADER_LENGTH + payload.length + pad));
  }

  /** Sends a raw transfer as-is (malformed-input tests). */
  sendRaw(transfer: Uint8Array): void {
    this.enqueue(transfer.slice());
  }

  /** Sends one IP packet as a QMAP frame through an IPA-style aggregator (byte and time limits). */
  sendQmap(channel: number, muxId: number, packet: Uint8Array, mode: QmapChecksumMode, byteLimit = BAM_DMUX_MAX_PAYLOAD, timeMs = 0.5): void {
    const key = `${channel}/${mode}/${byteLimit}/${timeMs}`;
    let aggregator = this.aggregators.get(key);
    if (!aggregator) {
      aggregator = new IpaDlAggregator((aggregate) => this.sendData(channel, aggregate), byteLimit, timeMs, mode, this.scheduler);
      this.aggregators.set(key, aggregator);
    }
    aggregator.add(muxId, packet);
  }

  /**
   * Sends FLOW_DISABLE or FLOW_ENABLE for `muxId` on `channel`; returns the transaction id.
   * Under MAPv4 downlink checksum offload every frame, commands included, carries the 8-byte trailer.
   */
  sendFlowControl(channel: number, muxId: number, enable: boolean, mode: QmapChecksumMode = 'none'): number {
    const transactionId = this.nextTransaction++;
    const frame = new Uint8Array(20 + (mode === 'v4' ? QMAP_V4_DL_TRAILER_LENGTH : 0));
    encodeQmapCommand(frame, 0, muxId, {
      name: enable ? QmapCommandName.FLOW_ENABLE : QmapCommandName.FLOW_DISABLE,
      type: QmapCommandType.REQUEST,
      transactionId,
      flow: { ipFamily: 0, sequence: transactionId & 0xffff, qosId: 0 },
    });
    this.sendData(channel, frame);
    return transactionId;
  }

  /** Generates traffic; resolves with the count once every packet is in a host buffer. */
  generate(spec: ModemTrafficSpec): Promise<number> {
    return new Promise<number>((resolve) => {
      this.generators.push({ spec, sent: 0, resolve });
      this.scheduleFill();
    });
  }

  /** Consumes up to `max` host transfers now (manual mode); returns how many. */
  consumeTx(max = Infinity): number {
    let done = 0;
    while (done < max) {
      const frame = this.transport.peekTx();
      if (!frame) break;
      // Answering needs a posted buffer: wait for one instead of dropping (the host's backpressure).
      if ((this.echo || (this.network && this.networkLatencyMs === 0)) && this.isEchoable(frame) && this.transport.rxAvailable === 0) break;
      this.inspect(frame);
      this.transport.completeTx();
      this.counters.txConsumed++;
      done++;
    }
    return done;
  }

  stats(): ModemSimulatorStats {
    return { powered: this.powered, outboxLength: this.outbox.length, ...this.counters };
  }

  dispose(): void {
    for (const aggregator of this.aggregators.values()) aggregator.close();
    this.subscriptions.unsubscribe();
    this.hostCommandSubject.complete();
    this.qmapAckSubject.complete();
  }

  // ---- internals ----------------------------------------------------------------------

  private onVote(vote: boolean): void {
    this.counters.votesSeen++;
    if (this.missAcks > 0) {
      this.missAcks--;
      this.counters.acksMissed++;
      return;
    }
    this.scheduler.schedule(() => {
      if (vote && this.powerUpOnVote) this.setPower(true);
      this.counters.acksSent++;
      this.lines.ack();
    }, this.ackDelayMs);
  }

  private sendCommand(command: BamDmuxCommand, channel: number): void {
    const frame = new Uint8Array(BAM_DMUX_HEADER_LENGTH);
    writeBamDmuxHeader(frame, 0, command, channel, 0, 0);
    this.enqueue(frame);
  }

  private enqueue(transfer: Uint8Array): void {
    this.outbox.push(transfer);
    this.scheduleFill();
  }

  private scheduleFill(): void {
    if (this.fillScheduled || (this.outbox.length === 0 && this.generators.length === 0)) return;
    this.fillScheduled = true;
    this.defer(() => {
      this.fillScheduled = false;
      this.fill();
    });
  }

  private fill(): void {
    while (this.outbox.length > 0) {
      if (!this.transport.fillRx(this.outbox[0])) {
        this.counters.rxStalls++;
        return;
      }
      this.outbox.shift();
      this.counters.buffersFilled++;
    }
    while (this.generators.length > 0) {
      const generator = this.generators[0];
      while (generator.sent < generator.spec.count) {
        if (!this.transport.fillRxWith((buffer) => this.produce(generator, buffer))) {
          this.counters.rxStalls++;
          return;
        }
        this.counters.buffersFilled++;
      }
      this.generators.shift();
      generator.resolve(generator.sent);
    }
  }

  /** Writes one transfer of generated traffic into a posted buffer; returns its length. */
  private produce(generator: Generator, buffer: Uint8Array): number {
    const spec = generator.spec;
    const size = spec.size ?? 100;
    const kind = spec.kind ?? 'ipv4-udp';
    const base = spec.firstSequence ?? 0;
    let length = 0;
    if (spec.qmap) {
      const { muxIds, checksum } = spec.qmap;
      const limit = Math.min(spec.qmap.maxBytes ?? BAM_DMUX_MAX_PAYLOAD, buffer.length - BAM_DMUX_HEADER_LENGTH);
      const payload = buffer.subarray(BAM_DMUX_HEADER_LENGTH);
      do {
        const seq = base + generator.sent;
        const off = length + qmapDlPayloadOffset(checksum);
        const ipLength = this.writePacket(payload, off, kind, size, seq, spec);
        length += finishDlQmapFrame(payload, length, muxIds[generator.sent % muxIds.length], ipLength, checksum);
        generator.sent++;
        this.counters.packetsGenerated++;
      } while (generator.sent < spec.count && length + qmapDlFrameLength(size, checksum) <= limit);
    } else {
      length = this.writePacket(buffer, BAM_DMUX_HEADER_LENGTH, kind, size, base + generator.sent, spec);
      generator.sent++;
      this.counters.packetsGenerated++;
    }
    const pad = Math.min(bamDmuxPad(length, this.padding), buffer.length - BAM_DMUX_HEADER_LENGTH - length);
    writeBamDmuxHeader(buffer, 0, BamDmuxCommand.DATA, spec.channel, length, pad);
    buffer.fill(0, BAM_DMUX_HEADER_LENGTH + length, BAM_DMUX_HEADER_LENGTH + length + pad);
    return BAM_DMUX_HEADER_LENGTH + length + pad;
  }

  private writePacket(target: Uint8Array, offset: number, kind: SimPacketKind | 'raw', size: number, seq: number, spec: ModemTrafficSpec): number {
    if (kind === 'raw') {
      // A payload whose first nibble is 4 (typed IPv4) carrying the sequence number; no IP semantics.
      target[offset] = 0x45;
      target[offset + 1] = 0;
      target[offset + 2] = size >> 8;
      target[offset + 3] = size & 0xff;
      target[offset + 4] = seq >>> 24;
      target[offset + 5] = (seq >>> 16) & 0xff;
      target[offset + 6] = (seq >>> 8) & 0xff;
      target[offset + 7] = seq & 0xff;
      return size;
    }
    const every = spec.invalidChecksumEvery ?? 0;
    const valid = every === 0 || (seq + 1) % every !== 0;
    return writeSimPacket(target, offset, kind, size, seq, valid);
  }

  private scheduleConsume(): void {
    if (!this.autoConsumeTx || this.consumeScheduled) return;
    this.consumeScheduled = true;
    this.defer(() => {
      this.consumeScheduled = false;
      if (this.autoConsumeTx) this.consumeTx();
    });
  }

  private isEchoable(frame: Uint8Array): boolean {
    return frame.length > BAM_DMUX_HEADER_LENGTH && frame[3] === BamDmuxCommand.DATA;
  }

  /** Records what the host sent, echoing DATA if configured. */
  private inspect(frame: Uint8Array): void {
    let header;
    try {
      header = decodeBamDmuxHeader(frame);
    } catch {
      return; // the host never sends malformed frames; nothing to record
    }
    if (header.command !== BamDmuxCommand.DATA) {
      this.counters.hostCommands++;
      this.hostCommandSubject.next({ command: header.command, channel: header.channel });
      return;
    }
    const payload = frame.subarray(BAM_DMUX_HEADER_LENGTH, BAM_DMUX_HEADER_LENGTH + header.length);
    if ((payload[0] & QMAP_FLAG_CD) !== 0 && payload.length >= 12) {
      try {
        const command = decodeQmapCommand(payload.subarray(4, 4 + ((payload[2] << 8) | payload[3])));
        if (command.type === QmapCommandType.ACK) {
          this.counters.qmapAcksReceived++;
          this.qmapAckSubject.next({ muxId: payload[1], command });
          return;
        }
      } catch {
        // not a well-formed command: treat as data below
      }
    }
    // Echo (WDA loopback) takes precedence over the network behind the calls.
    if (this.network && !this.echo) {
      this.answerFromNetwork(header.channel, payload);
      return;
    }
    if (this.echo) {
      this.counters.echoed++;
      const length = header.length;
      const pad = bamDmuxPad(length, this.padding);
      this.transport.fillRxWith((buffer) => {
        writeBamDmuxHeader(buffer, 0, BamDmuxCommand.DATA, header.channel, length, pad);
        buffer.set(payload, BAM_DMUX_HEADER_LENGTH);
        buffer.fill(0, BAM_DMUX_HEADER_LENGTH + length, BAM_DMUX_HEADER_LENGTH + length + pad);
        return BAM_DMUX_HEADER_LENGTH + length + pad;
      });
    }
  }

  /** Hands each IP packet of a host transfer to the network and sends its answers back. */
  private answerFromNetwork(channel: number, payload: Uint8Array): void {
    const network = this.network!;
    const scratch = this.networkScratch;
    const qmap = this.networkQmap;
    if (!qmap) {
      const n = network.answer(channel, payload, 0, payload.length, scratch, 0);
      if (n > 0) this.sendAnswer(channel, scratch, n);
      return;
    }
    // Uplink QMAP (rmnet_map_egress_handler): MAP header (pad in the low 6 bits, mux id, pkt_len
    // incl. pad), then the v4/v5 UL checksum header, which pkt_len does not count.
    const ulHeader = qmap.ul === 'none' ? 0 : 4;
    const dlOffset = qmapDlPayloadOffset(qmap.dl);
    let o = 0;
    while (o + 4 <= payload.length) {
      const pktLen = (payload[o + 2] << 8) | payload[o + 3];
      const muxId = payload[o + 1];
      const ip = o + 4 + ulHeader;
      const ipLength = pktLen - (payload[o] & 0x3f);
      if ((payload[o] & QMAP_FLAG_CD) === 0 && pktLen > 0 && ip + ipLength <= payload.length) {
        const n = network.answer(muxId, payload, ip, ipLength, scratch, dlOffset);
        if (n > 0) this.sendAnswer(channel, scratch, finishDlQmapFrame(scratch, 0, muxId, n, qmap.dl));
      }
      if (pktLen === 0) break;
      o += 4 + ulHeader + pktLen;
    }
  }

  private sendAnswer(channel: number, answer: Uint8Array, length: number): void {
    const pad = bamDmuxPad(length, this.padding);
    const write = (buffer: Uint8Array, from: Uint8Array): number => {
      writeBamDmuxHeader(buffer, 0, BamDmuxCommand.DATA, channel, length, pad);
      buffer.set(from.subarray(0, length), BAM_DMUX_HEADER_LENGTH);
      buffer.fill(0, BAM_DMUX_HEADER_LENGTH + length, BAM_DMUX_HEADER_LENGTH + length + pad);
      return BAM_DMUX_HEADER_LENGTH + length + pad;
    };
    this.counters.echoed++;
    if (this.networkLatencyMs === 0 && this.outbox.length === 0 && this.transport.fillRxWith((buffer) => write(buffer, answer))) {
      this.counters.buffersFilled++;
      return;
    }
    if (this.delayedAnswers >= MAX_DELAYED_ANSWERS) {
      this.network!.count('delay-queue-full');
      return;
    }
    const transfer = new Uint8Array(BAM_DMUX_HEADER_LENGTH + length + pad);
    write(transfer, answer);
    this.delayedAnswers++;
    this.scheduler.schedule(() => {
      this.delayedAnswers--;
      this.enqueue(transfer);
    }, this.networkLatencyMs);
  }
}

/** Answers in flight through the network's latency (bounded memory: at most this many transfers). */
const MAX_DELAYED_ANSWERS = 1024;
