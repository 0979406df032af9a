import { BehaviorSubject, Observable, filter, firstValueFrom } from 'rxjs';
import type { QrtrdError } from '../../../src/common/errors';
import {
  BAM_DMUX_BUFFER_SIZE,
  BAM_DMUX_MAX_PAYLOAD,
  BamDmuxCommand,
  encodeBamDmuxCommand,
  encodeBamDmuxData,
  type BamDmuxPadding,
} from './bam-dmux-header';
import type { BamTransport } from './bam-transport';
import { BamDmuxDisposedError, BamDmuxPayloadTooLargeError, BamDmuxTxAbortedError } from './errors';
import { IndexQueue } from './index-queue';

const FREE = 0;
const DEFERRED = 1;
const IN_FLIGHT = 2;

/** What the ring needs from the power machine: pm_runtime get/put. */
export interface BamDmuxTxPower {
  /** Takes a usage reference; true when the link is active now. */
  get(): boolean;
  put(): void;
}

/** Transmit counters. */
export interface BamDmuxTxStats {
  txPackets: number;
  txBytes: number;
  txCommands: number;
  txInFlight: number;
  txDeferred: number;
  txQueueStops: number;
  txQueueWakes: number;
}

/**
 * The 32-descriptor TX ring of the driver. Frames are written into the next
 * slot in ring order; when that slot is still busy the queue stops, and it
 * wakes when the completion frees the slot the ring fills next. Each frame
 * holds a power reference until it completes; frames framed while the link
 * is not active wait in their slots (deferred) and go out in order on resume.
 */
export class BamDmuxTxRing {
  private readonly buffers: Uint8Array[] = [];
  private readonly state: Uint8Array;
  private readonly length: Uint16Array;
  private readonly channelOf: Int8Array;
  private readonly waiters: ({ resolve(): void; reject(e: Error): void } | undefined)[];
  private readonly deferred: IndexQueue;
  private readonly writableSubject = new BehaviorSubject<boolean>(true);
  private next = 0;
  private disposed = false;
  private readonly counters = { txPackets: 0, txBytes: 0, txCommands: 0, txInFlight: 0, txQueueStops: 0, txQueueWakes: 0 };

  /** Ring-level readiness: false while stopped. */
  readonly writable$: Observable<boolean> = this.writableSubject.asObservable();

  constructor(
    readonly size: number,
    private readonly transport: BamTransport,
    private readonly power: BamDmuxTxPower,
    private readonly padding: BamDmuxPadding,
    private readonly onAbort: (error: BamDmuxTxAbortedError, channel: number) => void,
  ) {
    const memory = new ArrayBuffer(size * BAM_DMUX_BUFFER_SIZE);
    for (let i = 0; i < size; i++) this.buffers.push(new Uint8Array(memory, i * BAM_DMUX_BUFFER_SIZE, BAM_DMUX_BUFFER_SIZE));
    this.state = new Uint8Array(size);
    this.length = new Uint16Array(size);
    this.channelOf = new Int8Array(size).fill(-1);
    this.waiters = new Array(size).fill(undefined);
    this.deferred = new IndexQueue(size);
  }

  get writable(): boolean {
    return this.writableSubject.value;
  }

  stats(): BamDmuxTxStats {
    return { ...this.counters, txDeferred: this.deferred.length };
  }

  /** Frames DATA; false (nothing sent) when the ring is full. */
  sendData(channel: number, payload: Uint8Array): boolean {
    if (payload.length > BAM_DMUX_MAX_PAYLOAD) throw new BamDmuxPayloadTooLargeError(payload.length, BAM_DMUX_MAX_PAYLOAD);
    const slot = this.reserve();
    if (slot < 0) return false;
    const length = encodeBamDmuxData(this.buffers[slot], channel, payload, this.padding);
    this.counters.txPackets++;
    this.counters.txBytes += payload.length;
    this.dispatch(slot, length, channel);
    return true;
  }

  /** Frames a command; resolves when the modem consumed it, waiting for ring room first. */
  async sendCommand(channel: number, command: BamDmuxCommand): Promise<void> {
    for (;;) {
      if (this.disposed) throw new BamDmuxDisposedError();
      const slot = this.reserve();
      if (slot >= 0) {
        const length = encodeBamDmuxCommand(this.buffers[slot], command, channel);
        this.counters.txCommands++;
        const done = new Promise<void>((resolve, reject) => {
          this.waiters[slot] = { resolve, reject };
        });
        this.dispatch(slot, length, channel);
        return done;
      }
      const woke = await firstValueFrom(this.writableSubject.pipe(filter((w) => w)), { defaultValue: false });
      if (!woke) throw new BamDmuxDisposedError();
    }
  }

  /** Transport completion of `slot`; false if the slot was not in flight (a transport bug). */
  complete(slot: number): boolean {
    if (!(slot >= 0 && slot < this.size) || this.state[slot] !== IN_FLIGHT) return false;
    this.counters.txInFlight--;
    this.finish(slot, undefined);
    return true;
  }

  /** The link became active: submit deferred frames in order. */
  flushDeferred(): void {
    for (let slot = this.deferred.shift(); slot >= 0; slot = this.deferred.shift()) this.submit(slot);
  }

  /** Drops every deferred frame (resume failed, dispose). */
  abortDeferred(cause: QrtrdError): void {
    for (let slot = this.deferred.shift(); slot >= 0; slot = this.deferred.shift()) {
      this.onAbort(new BamDmuxTxAbortedError(cause.code), this.channelOf[slot]);
      this.finish(slot, cause);
    }
  }

  /** Cancels every in-flight transfer (the modem powered down, dispose). */
  abortInFlight(reason: string): void {
    if (this.counters.txInFlight === 0) return;
    this.transport.cancelTx();
    for (let slot = 0; slot < this.size; slot++) {
      if (this.state[slot] !== IN_FLIGHT) continue;
      this.counters.txInFlight--;
      const error = new BamDmuxTxAbortedError(reason);
      this.onAbort(error, this.channelOf[slot]);
      this.finish(slot, error);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.writableSubject.complete();
  }

  private reserve(): number {
    const slot = this.next;
    if (this.state[slot] !== FREE) {
      this.stop();
      return -1;
    }
    this.state[slot] = DEFERRED;
    this.next = slot + 1 === this.size ? 0 : slot + 1;
    if (this.state[this.next] !== FREE) this.stop();
    return slot;
  }

  private dispatch(slot: number, length: number, channel: number): void {
    this.length[slot] = length;
    this.channelOf[slot] = channel;
    if (this.power.get() && this.deferred.length === 0) this.submit(slot);
    else this.deferred.push(slot);
  }

  private submit(slot: number): void {
    this.state[slot] = IN_FLIGHT;
    this.counters.txInFlight++;
    this.transport.submitTx(slot, this.buffers[slot].subarray(0, this.length[slot]));
  }

  private finish(slot: number, error: Error | undefined): void {
    this.state[slot] = FREE;
    this.channelOf[slot] = -1;
    const waiter = this.waiters[slot];
    this.waiters[slot] = undefined;
    this.power.put();
    if (waiter) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
    // Wake only when the slot the ring fills next is free again (bam_dmux_tx_done).
    if (!this.writableSubject.value && this.state[this.next] === FREE && !this.disposed) {
      this.counters.txQueueWakes++;
      this.writableSubject.next(true);
    }
  }

  private stop(): void {
    if (!this.writableSubject.value) return;
    this.counters.txQueueStops++;
    this.writableSubject.next(false);
  }
}
