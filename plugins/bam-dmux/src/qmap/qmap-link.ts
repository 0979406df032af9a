import { BehaviorSubject, Observable, Subject, Subscriber, combineLatest, distinctUntilChanged, filter, firstValueFrom, map } from 'rxjs';
import { QmapLinkRemovedError } from './errors';

/** How a received packet's TCP/UDP checksum was established. */
export type QmapChecksumStatus = 'hw' | 'sw' | 'unverified';

/** One received IP packet on a link, as delivered to `packets$` subscribers. */
export interface QmapPacket {
  readonly muxId: number;
  /** View into the lower receive buffer; valid until the delivering callback returns. */
  readonly data: Uint8Array;
  readonly checksum: QmapChecksumStatus;
}

/** What a link needs from its mux (interface, so the link file does not import the mux). */
export interface QmapLinkHost {
  pumpFor(link: QmapLink): void;
  /** The lower buffer a queued frame lives in. */
  bufferOf(owner: number): Uint8Array;
  unref(owner: number): void;
  transmit(muxId: number, packet: Uint8Array, offload: boolean): boolean;
  readonly egressReady$: Observable<boolean>;
}

const STATUS: readonly QmapChecksumStatus[] = ['hw', 'sw', 'unverified'];

/**
 * One rmnet-style link (mux id) of a {@link QmapMux}. Received frames wait in a
 * queue of views that pin their lower receive buffer, so an unconsumed link
 * holds buffers and the lower ring backs up: no drop, bounded by that ring.
 */
export class QmapLink {
  private offsets = new Int32Array(16);
  private lengths = new Int32Array(16);
  private owners = new Int32Array(16);
  private statuses = new Uint8Array(16);
  private head = 0;
  private count = 0;
  private readonly readableSubject = new Subject<void>();
  private readonly flowSubject = new BehaviorSubject<boolean>(true);
  private readonly subscribers = new Set<Subscriber<QmapPacket>>();
  private delivering = false;
  private removed = false;

  /** Emits when the queue goes from empty to non-empty. */
  readonly readable$: Observable<void> = this.readableSubject.asObservable();
  /** Modem flow control for this mux id: false after FLOW_DISABLE, true after FLOW_ENABLE. */
  readonly flowEnabled$: Observable<boolean> = this.flowSubject.asObservable();
  /** Transmit readiness: flow enabled and the uplink not backed up. */
  readonly writable$: Observable<boolean>;
  /** Push delivery while subscribed; completes when the link is removed. */
  readonly packets$: Observable<QmapPacket>;

  constructor(
    private readonly host: QmapLinkHost,
    readonly muxId: number,
  ) {
    this.writable$ = combineLatest([this.flowSubject, host.egressReady$]).pipe(
      map(([flow, ready]) => flow && ready),
      distinctUntilChanged(),
    );
    this.packets$ = new Observable<QmapPacket>((subscriber) => {
      if (this.removed) {
        subscriber.complete();
        return () => undefined;
      }
      this.subscribers.add(subscriber);
      this.drain();
      return () => {
        this.subscribers.delete(subscriber);
      };
    });
  }

  get flowEnabled(): boolean {
    return this.flowSubject.value;
  }

  /** Packets waiting on this link. */
  get pending(): number {
    return this.count;
  }

  /**
   * Delivers up to `budget` packets as views, pulling more aggregates from the
   * lower channel when the queue runs dry. Each lower buffer is released once
   * all of its frames have been consumed; a view is valid until its handler returns.
   */
  poll(budget: number, handler: (data: Uint8Array, checksum: QmapChecksumStatus) => void): number {
    let done = 0;
    while (done < budget) {
      if (this.count === 0) {
        this.host.pumpFor(this);
        if (this.count === 0) break;
      }
      const index = this.head;
      const owner = this.owners[index];
      const buffer = this.host.bufferOf(owner);
      const view = new Uint8Array(buffer.buffer, buffer.byteOffset + this.offsets[index], this.lengths[index]);
      const status = STATUS[this.statuses[index]];
      this.head = (index + 1) & (this.owners.length - 1);
      this.count--;
      try {
        handler(view, status);
      } finally {
        this.host.unref(owner);
      }
      done++;
    }
    return done;
  }

  /**
   * Like {@link poll} without creating a view per packet: the handler gets the
   * lower buffer and the packet's offset and length in it (valid until it
   * returns). For consumers that parse in place or copy into their own ring.
   */
  pollFrames(
    budget: number,
    handler: (buffer: Uint8Array, offset: number, length: number, checksum: QmapChecksumStatus) => void,
  ): number {
    let done = 0;
    while (done < budget) {
      if (this.count === 0) {
        this.host.pumpFor(this);
        if (this.count === 0) break;
      }
      const index = this.head;
      const owner = this.owners[index];
      this.head = (index + 1) & (this.owners.length - 1);
      this.count--;
      try {
        handler(this.host.bufferOf(owner), this.offsets[index], this.lengths[index], STATUS[this.statuses[index]]);
      } finally {
        this.host.unref(owner);
      }
      done++;
    }
    return done;
  }

  /** Sends one IP packet; false (nothing sent) while flow is disabled or the uplink is backed up. */
  send(packet: Uint8Array, options?: { offloadChecksum?: boolean }): boolean {
    if (this.removed || !this.flowSubject.value) return false;
    return this.host.transmit(this.muxId, packet, options?.offloadChecksum ?? false);
  }

  /** Resolves when {@link send} may succeed; rejects with QMAP_LINK_REMOVED if the link goes away first. */
  async whenWritable(): Promise<void> {
    if (this.removed) throw new QmapLinkRemovedError(this.muxId);
    const woke = await firstValueFrom(this.writable$.pipe(filter((w) => w)), { defaultValue: false });
    if (!woke || this.removed) throw new QmapLinkRemovedError(this.muxId);
  }

  /** {@link send}, waiting for flow and uplink room first. */
  async write(packet: Uint8Array, options?: { offloadChecksum?: boolean }): Promise<void> {
    while (!this.send(packet, options)) await this.whenWritable();
  }

  /** @internal Queues a frame at `offset`/`length` of lower buffer `owner`, which it pins. */
  enqueue(owner: number, offset: number, length: number, status: 0 | 1 | 2): void {
    if (this.count === this.owners.length) this.grow();
    const tail = (this.head + this.count) & (this.owners.length - 1);
    this.offsets[tail] = offset;
    this.lengths[tail] = length;
    this.owners[tail] = owner;
    this.statuses[tail] = status;
    this.count++;
    if (this.subscribers.size > 0) this.drain();
    else if (this.count === 1 && this.readableSubject.observed) this.readableSubject.next();
  }

  /** @internal */
  setFlow(enabled: boolean): void {
    if (this.flowSubject.value !== enabled) this.flowSubject.next(enabled);
  }

  /** @internal The link was removed: queued frames are handed back for release. */
  terminate(onDropped: (owner: number) => void): void {
    if (this.removed) return;
    this.removed = true;
    while (this.count > 0) {
      const index = this.head;
      this.head = (index + 1) & (this.owners.length - 1);
      this.count--;
      onDropped(this.owners[index]);
    }
    this.readableSubject.complete();
    this.flowSubject.complete();
    for (const subscriber of [...this.subscribers]) subscriber.complete();
    this.subscribers.clear();
  }

  private drain(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      while (this.subscribers.size > 0 && this.count > 0) {
        const index = this.head;
        const owner = this.owners[index];
        const buffer = this.host.bufferOf(owner);
        const data = new Uint8Array(buffer.buffer, buffer.byteOffset + this.offsets[index], this.lengths[index]);
        const packet: QmapPacket = { muxId: this.muxId, data, checksum: STATUS[this.statuses[index]] };
        this.head = (index + 1) & (this.owners.length - 1);
        this.count--;
        try {
          for (const subscriber of this.subscribers) subscriber.next(packet);
        } finally {
          this.host.unref(owner);
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  /** Doubles the queue; its size is bounded by the frames the held lower buffers can contain. */
  private grow(): void {
    const size = this.owners.length;
    const offsets = new Int32Array(size * 2);
    const lengths = new Int32Array(size * 2);
    const owners = new Int32Array(size * 2);
    const statuses = new Uint8Array(size * 2);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & (size - 1);
      offsets[i] = this.offsets[from];
      lengths[i] = this.lengths[from];
      owners[i] = this.owners[from];
      statuses[i] = this.statuses[from];
    }
    this.offsets = offsets;
    this.lengths = lengths;
    this.owners = owners;
    this.statuses = statuses;
    this.head = 0;
  }
}
