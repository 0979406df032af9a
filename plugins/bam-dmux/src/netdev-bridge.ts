import { Subscription, type Observable } from 'rxjs';

/**
 * An OS network interface carrying raw IP packets (an IP TUN: src/kernel/net-tun.ts
 * implements it). The data plane sees only this shape, so it imports nothing of the kernel.
 */
export interface IpPacketDevice {
  readonly name: string;
  /** Reads up to `max` packets, each as (area, offset, length) valid until the next read; returns the count. */
  read(max: number, handler: (area: Uint8Array, offset: number, length: number) => void): number;
  /** Hands one packet to the OS; false if the OS refused it. */
  write(data: Uint8Array, offset: number, length: number): boolean;
  /** Calls `callback` while packets wait to be read; null stops. */
  watch(callback: (() => void) | null): void;
  /** Suspends readiness callbacks (backpressure) without dropping the watcher. */
  setPaused(paused: boolean): void;
  close(): void;
}

/** The data-plane side of one interface: a BAM-DMUX channel (raw IP) or a QMAP link. */
export interface IpPacketPort {
  send(packet: Uint8Array): boolean;
  readonly writable$: Observable<boolean>;
  readonly readable$: Observable<void>;
  poll(budget: number, handler: (data: Uint8Array) => void): number;
}

/** Why a packet crossing the bridge was dropped (a stable code per reason). */
export type NetdevDropCode =
  /** From the OS: longer than the data plane can carry (the interface MTU was raised behind our back). */
  | 'NETDEV_OVERSIZE'
  /** From the OS: neither IPv4 nor IPv6 by its first nibble (BAM-DMUX and QMAP type payloads by it). */
  | 'NETDEV_NOT_IP'
  /** To the OS: write() refused the packet (e.g. the interface is down). */
  | 'NETDEV_OS_REFUSED';

export interface NetdevBridgeStats {
  readonly name: string;
  /** OS → modem. */
  readonly txPackets: number;
  readonly txBytes: number;
  /** Modem → OS. */
  readonly rxPackets: number;
  readonly rxBytes: number;
  /** Times reading from the OS stopped because the data plane's TX ring was full, and resumed. */
  readonly stops: number;
  readonly wakes: number;
  /** Packets read from the OS while the ring filled mid-batch, held until it drains (≤ one batch). */
  readonly pending: number;
  readonly drops: Readonly<Partial<Record<NetdevDropCode, number>>>;
}

export interface NetdevBridgeOptions {
  /** Largest packet accepted from the OS; default 2040 (the BAM-DMUX payload limit). */
  readonly maxPacket?: number;
  /** Packets read from the OS per readiness event, and held at most; default 32 (the TX ring). */
  readonly batch?: number;
  /** Packets delivered to the OS per turn of the event loop (the poll budget); default 64. */
  readonly rxBudget?: number;
}

/**
 * Moves IP packets between an OS interface and the data plane, with backpressure both
 * ways and no unbounded queue:
 * - OS → modem: the interface is read only while the TX ring has room. A batch that
 *   fills the ring midway keeps its remainder in a preallocated area (one batch at
 *   most) and reading pauses until the ring wakes: the kernel's own queue then fills and
 *   drops, exactly as a netdev whose driver stopped its queue.
 * - modem → OS: packets are polled under a budget per event-loop turn; the RX buffers
 *   they occupy are re-posted only after the write, so a slow OS stalls the modem.
 */
export class NetdevBridge {
  private readonly subscriptions = new Subscription();
  private readonly maxPacket: number;
  private readonly batch: number;
  private readonly rxBudget: number;
  private readonly slot: number;
  private readonly pendingArea: Uint8Array;
  private readonly pendingLengths: Uint32Array;
  private pendingHead = 0;
  private pendingCount = 0;
  private writable = true;
  private paused = false;
  private rxScheduled = false;
  private disposed = false;
  private readonly counters = { txPackets: 0, txBytes: 0, rxPackets: 0, rxBytes: 0, stops: 0, wakes: 0 };
  private readonly drops: Partial<Record<NetdevDropCode, number>> = {};
  private readonly forward = (area: Uint8Array, offset: number, length: number): void => this.fromOs(area, offset, length);
  private readonly toOs = (data: Uint8Array): void => {
    if (this.device.write(data, 0, data.length)) {
      this.counters.rxPackets++;
      this.counters.rxBytes += data.length;
    } else {
      this.drop('NETDEV_OS_REFUSED');
    }
  };

  constructor(
    readonly device: IpPacketDevice,
    private readonly port: IpPacketPort,
    options: NetdevBridgeOptions = {},
  ) {
    this.maxPacket = options.maxPacket ?? 2040;
    this.batch = options.batch ?? 32;
    this.rxBudget = options.rxBudget ?? 64;
    this.slot = (this.maxPacket + 63) & ~63;
    this.pendingArea = new Uint8Array(this.slot * this.batch);
    this.pendingLengths = new Uint32Array(this.batch);
    this.subscriptions.add(port.writable$.subscribe((w) => this.onWritable(w)));
    this.subscriptions.add(port.readable$.subscribe(() => this.pumpRx()));
    device.watch(() => this.pumpTx());
    this.pumpRx();
  }

  stats(): NetdevBridgeStats {
    return { name: this.device.name, ...this.counters, pending: this.pendingCount, drops: { ...this.drops } };
  }

  /** Stops moving packets and closes the interface (the netdev goes away with its fd). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.subscriptions.unsubscribe();
    this.device.close();
  }

  private pumpTx(): void {
    if (this.disposed || this.pendingCount > 0 || !this.writable) return;
    this.device.read(this.batch, this.forward);
    if (this.pendingCount > 0) this.pause(true);
  }

  private fromOs(area: Uint8Array, offset: number, length: number): void {
    if (length > this.maxPacket) return this.drop('NETDEV_OVERSIZE');
    const version = length > 0 ? area[offset] >> 4 : 0;
    if (version !== 4 && version !== 6) return this.drop('NETDEV_NOT_IP');
    if (this.pendingCount === 0 && this.writable && this.port.send(area.subarray(offset, offset + length))) {
      this.counters.txPackets++;
      this.counters.txBytes += length;
      return;
    }
    // The ring filled within this batch: hold the rest (at most one batch) until it wakes.
    const index = (this.pendingHead + this.pendingCount) % this.batch;
    this.pendingArea.set(area.subarray(offset, offset + length), index * this.slot);
    this.pendingLengths[index] = length;
    this.pendingCount++;
  }

  private onWritable(writable: boolean): void {
    this.writable = writable;
    if (this.disposed) return;
    // The ring is full (netif_stop_queue): stop polling the TUN, or a level-triggered
    // readiness would call back at once, over and over, with nothing we may read.
    if (!writable) return this.pause(true);
    while (this.pendingCount > 0) {
      const index = this.pendingHead;
      const length = this.pendingLengths[index];
      const at = index * this.slot;
      if (!this.port.send(this.pendingArea.subarray(at, at + length))) return;
      this.counters.txPackets++;
      this.counters.txBytes += length;
      this.pendingHead = (this.pendingHead + 1) % this.batch;
      this.pendingCount--;
    }
    this.pendingHead = 0;
    if (this.paused) this.pause(false);
  }

  private pause(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (paused) this.counters.stops++;
    else this.counters.wakes++;
    this.device.setPaused(paused);
  }

  private pumpRx(): void {
    if (this.disposed) return;
    const done = this.port.poll(this.rxBudget, this.toOs);
    if (done === this.rxBudget && !this.rxScheduled) {
      // More may wait: continue on the next turn so other I/O (and the TX side) gets served.
      this.rxScheduled = true;
      setImmediate(() => {
        this.rxScheduled = false;
        this.pumpRx();
      });
    }
  }

  private drop(code: NetdevDropCode): void {
    this.drops[code] = (this.drops[code] ?? 0) + 1;
  }
}
