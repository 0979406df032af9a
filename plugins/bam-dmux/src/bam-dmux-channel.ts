import { BehaviorSubject, Observable, Subject, Subscriber, filter, firstValueFrom, map, merge } from 'rxjs';
import type { BamDmuxPayloadType } from './bam-dmux-header';
import { BamDmuxChannelClosedError, BamDmuxStaleReleaseError } from './errors';
import { IndexQueue } from './index-queue';

/** One received packet as delivered to `packets$` subscribers and `poll` callbacks. */
export interface BamDmuxPacket {
  readonly channel: number;
  readonly type: BamDmuxPayloadType;
  /** A view into the receive buffer; valid until the callback that delivered it returns. */
  readonly data: Uint8Array;
}

/**
 * What the channel needs from the data plane that owns the rings. Kept as an
 * interface so the channel file does not import the data plane (no cycles).
 */
export interface BamDmuxChannelHost {
  rxView(slot: number): Uint8Array;
  rxType(slot: number): BamDmuxPayloadType;
  rxGeneration(slot: number): number;
  releaseRx(slot: number, generation: number): boolean;
  transmit(channel: number, payload: Uint8Array): boolean;
  sendCommand(channel: number, open: boolean): Promise<void>;
  readonly txWritable$: Observable<boolean>;
  readonly txWritable: boolean;
}

/**
 * A received packet whose buffer the consumer holds. The buffer stays out of
 * the RX ring (the modem cannot reuse it) until {@link release} is called.
 */
export class BamDmuxHeldPacket implements BamDmuxPacket {
  constructor(
    private readonly host: BamDmuxChannelHost,
    private readonly slot: number,
    private readonly generation: number,
    readonly channel: number,
    readonly type: BamDmuxPayloadType,
    readonly data: Uint8Array,
  ) {}

  /** Returns the buffer to the RX ring. Throws BAM_DMUX_STALE_RELEASE on a second call. */
  release(): void {
    if (!this.host.releaseRx(this.slot, this.generation)) throw new BamDmuxStaleReleaseError(this.slot);
  }
}

/**
 * A BAM-DMUX channel the modem has opened (a "wwan" netdev in the driver).
 *
 * Receive is pull-capable. Packets wait in a per-channel queue that holds ring
 * slots, so an unconsumed packet keeps its 2 KiB buffer out of the RX ring and
 * the modem runs out of posted buffers: that is the backpressure, and memory is
 * bounded by the ring. Consume by:
 * - {@link poll}: up to `budget` packets per call (NAPI style), each buffer
 *   re-posted when its callback returns; {@link readable$} says when to poll;
 * - {@link take}: one packet whose buffer you hold until `release()`;
 * - {@link packets$}: push delivery while subscribed, buffer re-posted after
 *   every subscriber's `next` returned.
 *
 * Transmit copies the payload into a TX ring buffer; {@link send} returns false
 * while the ring is full (queue stopped) and {@link writable$} says when it wakes.
 */
export class BamDmuxChannel {
  private readonly queue: IndexQueue;
  private readonly readableSubject = new Subject<void>();
  private readonly closedSubject = new BehaviorSubject<boolean>(false);
  private readonly subscribers = new Set<Subscriber<BamDmuxPacket>>();
  private localOpen = false;
  private delivering = false;
  private closed = false;

  /** Emits when the queue goes from empty to non-empty: time to poll. */
  readonly readable$: Observable<void> = this.readableSubject.asObservable();
  /** Emits true once, when the modem closes the channel (then completes). */
  readonly closed$: Observable<boolean> = this.closedSubject.asObservable().pipe(filter((c) => c));
  /** Push delivery; completes when the channel closes. See the class doc for buffer lifetime. */
  readonly packets$: Observable<BamDmuxPacket>;
  /** Transmit readiness: false while the TX ring is full (stopped), true after it wakes. */
  readonly writable$: Observable<boolean>;

  constructor(
    private readonly host: BamDmuxChannelHost,
    readonly id: number,
    ringSize: number,
  ) {
    this.queue = new IndexQueue(ringSize);
    this.writable$ = host.txWritable$;
    this.packets$ = new Observable<BamDmuxPacket>((subscriber) => {
      if (this.closed) {
        subscriber.complete();
        return () => undefined;
      }
      this.subscribers.add(subscriber);
      this.drainToSubscribers();
      return () => {
        this.subscribers.delete(subscriber);
      };
    });
  }

  /** False after the modem sent CLOSE; a later OPEN creates a new channel object. */
  get isOpen(): boolean {
    return !this.closed;
  }

  /** True between a successful {@link open} and {@link close}. */
  get isLocallyOpen(): boolean {
    return this.localOpen;
  }

  /** Packets waiting (each holding one RX buffer). */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * Sends OPEN to the modem (the driver's ndo_open), resuming power if needed.
   * Data for a channel not opened locally is dropped as BAM_DMUX_INACTIVE_CHANNEL.
   */
  async open(): Promise<void> {
    this.assertOpen();
    // Like netif_running during ndo_open: data arriving while OPEN is in flight is accepted.
    this.localOpen = true;
    try {
      await this.host.sendCommand(this.id, true);
    } catch (err) {
      this.localOpen = false;
      throw err;
    }
  }

  /** Sends CLOSE to the modem (the driver's ndo_stop). */
  async close(): Promise<void> {
    this.assertOpen();
    this.localOpen = false;
    await this.host.sendCommand(this.id, false);
  }

  /**
   * Delivers up to `budget` queued packets to `handler`, re-posting each buffer
   * after the handler returns. Returns the number delivered; fewer than
   * `budget` means the queue is empty (re-arm on {@link readable$}).
   */
  poll(budget: number, handler: (data: Uint8Array, type: BamDmuxPayloadType) => void): number {
    let done = 0;
    while (done < budget) {
      const slot = this.queue.shift();
      if (slot < 0) break;
      const generation = this.host.rxGeneration(slot);
      try {
        handler(this.host.rxView(slot), this.host.rxType(slot));
      } finally {
        this.host.releaseRx(slot, generation);
      }
      done++;
    }
    return done;
  }

  /** Takes the oldest queued packet; its buffer is held until `release()`. */
  take(): BamDmuxHeldPacket | undefined {
    const slot = this.queue.shift();
    if (slot < 0) return undefined;
    return new BamDmuxHeldPacket(
      this.host,
      slot,
      this.host.rxGeneration(slot),
      this.id,
      this.host.rxType(slot),
      this.host.rxView(slot),
    );
  }

  /**
   * Frames and queues `payload` (copied; the caller keeps its buffer). Returns
   * false, sending nothing, while the TX ring is full. While the link is
   * suspended the frame waits in the ring and goes out after resume.
   * @throws BAM_DMUX_CHANNEL_CLOSED, BAM_DMUX_INACTIVE_CHANNEL, BAM_DMUX_PAYLOAD_TOO_LARGE
   */
  send(payload: Uint8Array): boolean {
    this.assertOpen();
    return this.host.transmit(this.id, payload);
  }

  /** Waits until the TX ring has room; rejects with BAM_DMUX_CHANNEL_CLOSED if the channel closes first. */
  async whenWritable(): Promise<void> {
    if (this.closed) throw new BamDmuxChannelClosedError(this.id);
    if (this.host.txWritable) return;
    // One subscription, dropped on the first value, so waiting writers leave nothing behind.
    const woke = await firstValueFrom(
      merge(this.host.txWritable$.pipe(filter((w) => w)), this.closedSubject.pipe(filter((c) => c), map(() => false))),
      { defaultValue: false },
    );
    if (!woke || this.closed) throw new BamDmuxChannelClosedError(this.id);
  }

  /** {@link send}, waiting for ring space first: the Promise form of backpressure. */
  async write(payload: Uint8Array): Promise<void> {
    while (!this.send(payload)) await this.whenWritable();
  }

  /** @internal Called by the data plane for a received DATA buffer. Returns false if the queue is full. */
  enqueue(slot: number): boolean {
    if (!this.queue.push(slot)) return false;
    if (this.subscribers.size > 0) this.drainToSubscribers();
    else if (this.queue.length === 1 && this.readableSubject.observed) this.readableSubject.next();
    return true;
  }

  /** @internal Data plane: the modem closed the channel. Queued buffers go back to the ring. */
  terminate(onDropped: (slot: number) => void): void {
    if (this.closed) return;
    this.closed = true;
    this.localOpen = false;
    for (let slot = this.queue.shift(); slot >= 0; slot = this.queue.shift()) onDropped(slot);
    this.closedSubject.next(true);
    this.closedSubject.complete();
    this.readableSubject.complete();
    for (const subscriber of [...this.subscribers]) subscriber.complete();
    this.subscribers.clear();
  }

  /** @internal Whether DATA for this channel is accepted (remote and local open). */
  get accepting(): boolean {
    return !this.closed && this.localOpen;
  }

  private drainToSubscribers(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.subscribers.size > 0) {
        const slot = this.queue.shift();
        if (slot < 0) break;
        const generation = this.host.rxGeneration(slot);
        const packet: BamDmuxPacket = { channel: this.id, type: this.host.rxType(slot), data: this.host.rxView(slot) };
        try {
          for (const subscriber of this.subscribers) subscriber.next(packet);
        } finally {
          this.host.releaseRx(slot, generation);
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new BamDmuxChannelClosedError(this.id);
  }
}
