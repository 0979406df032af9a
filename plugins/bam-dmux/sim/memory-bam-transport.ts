import { Observable, Subject } from 'rxjs';
import type { BamTransport, BamTransportSink } from '../src/bam-transport';
import { IndexQueue } from '../src/index-queue';

const MAX_SLOTS = 1024;

/**
 * An in-memory pair of BAM pipes. The host side is the {@link BamTransport}
 * interface; the modem side (methods below the divider) fills posted receive
 * buffers and consumes transmit descriptors, like the BAM hardware would.
 * Filling copies into the host's buffer, as DMA does; nothing else is copied.
 */
export class MemoryBamTransport implements BamTransport {
  private sink: BamTransportSink | undefined;
  private readonly rxQueue = new IndexQueue(MAX_SLOTS);
  private readonly rxBuffers: (Uint8Array | undefined)[] = new Array(MAX_SLOTS).fill(undefined);
  private readonly txQueue = new IndexQueue(MAX_SLOTS);
  private readonly txFrames: (Uint8Array | undefined)[] = new Array(MAX_SLOTS).fill(undefined);
  private readonly rxPostedSubject = new Subject<void>();
  private readonly txSubmittedSubject = new Subject<void>();

  /** Modem side: a receive buffer was posted. */
  readonly rxPosted$: Observable<void> = this.rxPostedSubject.asObservable();
  /** Modem side: a transmit descriptor was submitted. */
  readonly txSubmitted$: Observable<void> = this.txSubmittedSubject.asObservable();

  attach(sink: BamTransportSink): () => void {
    this.sink = sink;
    return () => {
      if (this.sink === sink) this.sink = undefined;
    };
  }

  postRx(slot: number, buffer: Uint8Array): void {
    this.rxBuffers[slot] = buffer;
    this.rxQueue.push(slot);
    this.rxPostedSubject.next();
  }

  cancelRx(): void {
    for (let slot = this.rxQueue.shift(); slot >= 0; slot = this.rxQueue.shift()) this.rxBuffers[slot] = undefined;
  }

  submitTx(slot: number, frame: Uint8Array): void {
    this.txFrames[slot] = frame;
    this.txQueue.push(slot);
    this.txSubmittedSubject.next();
  }

  cancelTx(): void {
    for (let slot = this.txQueue.shift(); slot >= 0; slot = this.txQueue.shift()) this.txFrames[slot] = undefined;
  }

  // ---- modem side -----------------------------------------------------------------------

  /** Receive buffers currently posted by the host. */
  get rxAvailable(): number {
    return this.rxQueue.length;
  }

  /** Transmit descriptors waiting for the modem. */
  get txPending(): number {
    return this.txQueue.length;
  }

  /** DMA of one transfer into the oldest posted buffer; false when none is posted. Longer transfers are cut to the buffer. */
  fillRx(transfer: Uint8Array): boolean {
    return this.fillRxWith((buffer) => {
      const length = Math.min(transfer.length, buffer.length);
      buffer.set(transfer.subarray(0, length));
      return length;
    });
  }

  /** Lets `writer` produce the transfer directly in the oldest posted buffer; it returns the length written. */
  fillRxWith(writer: (buffer: Uint8Array) => number): boolean {
    const slot = this.rxQueue.shift();
    if (slot < 0) return false;
    const buffer = this.rxBuffers[slot]!;
    this.rxBuffers[slot] = undefined;
    const length = writer(buffer);
    this.sink?.rxComplete(slot, length);
    return true;
  }

  /** The oldest submitted transfer, without consuming it. */
  peekTx(): Uint8Array | undefined {
    const slot = this.txQueue.peek();
    return slot < 0 ? undefined : this.txFrames[slot];
  }

  /** Consumes the oldest submitted transfer and signals its completion. */
  completeTx(): boolean {
    const slot = this.txQueue.shift();
    if (slot < 0) return false;
    this.txFrames[slot] = undefined;
    this.sink?.txComplete(slot);
    return true;
  }
}
