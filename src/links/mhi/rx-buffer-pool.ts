/**
 * The DL buffers of the QRTR MHI driver. net/qrtr/mhi.c allocates one buffer of
 * mhi_cntrl->buffer_len per free DL descriptor when the channels start, requeues each
 * after its completion, and frees it when the channel is reset (the -ENOTCONN
 * completion of mhi_unprepare_from_transfer). Here "free" returns the buffer to this
 * pool, at once and without waiting for a garbage collection, so a card that goes away
 * gives its buffers to the next one probed instead of leaving them to the collector.
 * Free buffers are kept up to `maxFreeBytes` (default 8 MiB: 256 cards of the `small`
 * profile, 4 of the kernel one); past that they are dropped and left to the collector.
 */
export class MhiRxBufferPool {
  private readonly free = new Map<number, Uint8Array[]>();
  private freeTotal = 0;

  constructor(public maxFreeBytes = 8 * 1024 * 1024) {}

  /** A buffer of `length` bytes: a freed one when there is one, else a new one. Its contents are unspecified. */
  acquire(length: number): Uint8Array {
    const list = this.free.get(length);
    const buffer = list?.pop();
    if (buffer) {
      this.freeTotal -= length;
      return buffer;
    }
    return new Uint8Array(length);
  }

  /** Gives a buffer back (the kfree of the driver). The caller must not touch it afterwards. */
  release(buffer: Uint8Array): void {
    const length = buffer.length;
    if (this.freeTotal + length > this.maxFreeBytes) return;
    let list = this.free.get(length);
    if (!list) this.free.set(length, (list = []));
    list.push(buffer);
    this.freeTotal += length;
  }

  /** Bytes held in free buffers. */
  get freeBytes(): number {
    return this.freeTotal;
  }

  /** Drops every free buffer (for a process that is done with simulated cards). */
  clear(): void {
    this.free.clear();
    this.freeTotal = 0;
  }
}

/** The pool MhiQrtrEndpoint uses unless given another. */
export const MHI_RX_BUFFERS = new MhiRxBufferPool();
