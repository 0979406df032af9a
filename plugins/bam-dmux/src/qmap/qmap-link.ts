import { BehaviorSubject, Observable, Subject, Subscriber, combineLatest, distinctUntilChanged, filter, firstValueFrom, map } from 'rxjs';

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
  private views: (Uint8Array | undefined)[] = new Array(16).fill(undefined);
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
        return undefined;
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
   * Delivers up to `budget` packets, pulling more aggregates from the lower
   * channel when the queue runs dry. Each lower buffer is released once all of
   * its frames have been consumed.
   */
  poll(budget: number, handler: (data: Uint8Array, checksum: QmapChecksumStatus) => void): number {
    let done = 0;
    while (done < budget) {
      if (this.count === 0) {
        this.host.pumpFor(this);
        if (this.count === 0) break;
      }
      const index = this.head;
      const view = this.views[index]!;
      const owner = this.owners[index];
      const status = STATUS[this.statuses[index]];
      this.views[index] = undefined;
      this.head = (index + 1) & (this.views.length - 1);
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

  /** Sends one IP packet; false (nothing sent) while flow is disabled or the uplink is backed up. */
  send(packet: Uint8Array, options?: { offloadChecksum?: boolean }): boolean {
    if (this.removed || !this.flowSubject.value) return false;
    return this.host.transmit(this.muxId, packet, options?.offloadChecksum ?? false);
  }

  /** Resolves when {@link send} may succeed. */
  async whenWritable(): Promise<void> {
    await firstValueFrom(this.writable$.pipe(filter((w) => w)));
  }

  /** {@link send}, waiting for flow and uplink room first. */
  async write(packet: Uint8Array, options?: { offloadChecksum?: boolean }): Promise<void> {
    while (!this.send(packet, options)) await this.whenWritable();
  }

  /** @internal Queues a frame view pinned to lower buffer `owner`. */
  enqueue(view: Uint8Array, owner: number, status: 0 | 1 | 2): void {
    if (this.count === this.views.length) this.grow();
    const tail = (this.head + this.count) & (this.views.length - 1);
    this.views[tail] = view;
    this.owners[tail] = owner;
    this.statuses[tail] = status;
    this.count++;
    if (this.subscribers.size > 0) this.drain();
    else if (this.count === 1) this.readableSubject.next();
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
      this.views[index] = undefined;
      this.head = (index + 1) & (this.views.length - 1);
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
        const packet: QmapPacket = { muxId: this.muxId, data: this.views[index]!, checksum: STATUS[this.statuses[index]] };
        const owner = this.owners[index];
        this.views[index] = undefined;
        this.head = (index + 1) & (this.views.length - 1);
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
    const size = this.views.length;
    const views: (Uint8Array | undefined)[] = new Array(size * 2).fill(undefined);
    const owners = new Int32Array(size * 2);
    const statuses = new Uint8Array(size * 2);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & (size - 1);
      views[i] = this.views[from];
      owners[i] = this.owners[from];
      statuses[i] = this.statuses[from];
    }
    this.views = views;
    this.owners = owners;
    this.statuses = statuses;
    this.head = 0;
  }
}
