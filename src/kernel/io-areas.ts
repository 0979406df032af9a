import { constants as osConstants } from 'node:os';
import type { NativeQrtrBinding } from './native-loader';

const { EAGAIN } = osConstants.errno;

// Batched kernel I/O. Under emulation (and to a lesser degree on hardware) a native call
// costs as much as the syscall behind it, so datagrams cross in batches through two
// process-wide areas registered once with the addon. A batch call is synchronous and
// copies everything out before returning, so all sockets can share the areas.

/** Receive slot size: any QRTR datagram (<= 65535 bytes) fits one slot. */
export const RX_SLOT = 65536;
/** Datagrams per receive batch (one recvmmsg). */
export const RX_SLOTS = 32;
/** Receive area: RX_SLOTS slots (virtual memory; only touched pages are committed). */
export const RX_AREA = new Uint8Array(RX_SLOT * RX_SLOTS);
/** Per received datagram: [length, src node, src port, endpoint, flags]. */
export const RX_META = new Uint32Array(5 * RX_SLOTS);

/**
 * Received datagrams are copied out of RX_AREA into chunks of this size, batch after
 * batch, and handed out as views. Allocating an ArrayBuffer per batch instead costs more
 * than the receive syscall for small datagrams (an off-heap backing store each, under
 * emulation about 1 µs per datagram). A consumer that keeps one datagram's `data`
 * keeps its chunk (at most this size) alive, as with Node's Buffer pool.
 */
export const RX_CHUNK = 64 * 1024;
/** Batches larger than this get a buffer of their own (a chunk would fill too fast). */
const RX_OWN_BUFFER_OVER = RX_CHUNK / 4;

/**
 * Copies received batches out of RX_AREA. After copyOut(total), the batch is at
 * `buffer[offset..offset+total)`: two fields, not a returned object, so a batch allocates
 * nothing but its views (and a new chunk when the current one is full).
 */
class ReceiveCopier {
  buffer: ArrayBuffer = new ArrayBuffer(0);
  offset = 0;
  // Allocated on first use: a process that never receives holds no chunk.
  private chunk = new Uint8Array(0);
  private chunkBuffer = this.chunk.buffer;
  private used = 0;

  copyOut(total: number): void {
    if (total > RX_OWN_BUFFER_OVER) {
      this.buffer = RX_AREA.slice(0, total).buffer;
      this.offset = 0;
      return;
    }
    if (this.used + total > this.chunk.length) {
      this.chunk = new Uint8Array(RX_CHUNK);
      this.chunkBuffer = this.chunk.buffer;
      this.used = 0;
    }
    this.chunk.set(RX_AREA.subarray(0, total), this.used);
    // A cached field: `.buffer` on a typed array is a runtime call, once per batch.
    this.buffer = this.chunkBuffer;
    this.offset = this.used;
    // 8-aligned batch starts: consumers may lay wider typed views over a datagram's bytes.
    this.used += (total + 7) & ~7;
  }
}

/** The process-wide copier (batches are copied out synchronously, one at a time). */
export const receiveCopier = new ReceiveCopier();

const TX_MAX = 64;
const TX_AREA = new Uint8Array(256 * 1024);
const TX_META = new Uint32Array(5 * TX_MAX);

const registered = new WeakSet<NativeQrtrBinding>();

/** Registers the areas with `native` (once per binding). */
export function ensureAreas(native: NativeQrtrBinding): void {
  if (registered.has(native)) return;
  native.setAreas(RX_AREA, RX_META, TX_AREA, TX_META);
  registered.add(native);
}

/** What the batcher needs from the socket that queued a datagram. */
export interface TxOwner {
  readonly fd: number;
  /** The typed error for a failed datagram. */
  sendError(errno: number, node: number, port: number, endpoint: number): Error;
  /** Sends one datagram the slow way (waits for writability on EAGAIN). */
  sendLater(node: number, port: number, data: Uint8Array, endpoint: number): Promise<void>;
}

/**
 * Local-node datagrams queued by send() during one JavaScript turn, flushed with one
 * native call per run of same-socket datagrams when the turn's microtasks run (or
 * earlier, when the area fills). Order is preserved globally.
 */
class TxBatcher {
  private native?: NativeQrtrBinding;
  private count = 0;
  private offset = 0;
  private scheduled = false;
  private readonly owners: Array<TxOwner | undefined> = new Array(TX_MAX);
  private readonly resolvers: Array<(() => void) | undefined> = new Array(TX_MAX);
  private readonly rejecters: Array<((error: Error) => void) | undefined> = new Array(TX_MAX);
  private readonly flushNow = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** True if the datagram can go through a batch (it fits the area). */
  fits(length: number): boolean {
    return length <= TX_AREA.length;
  }

  add(native: NativeQrtrBinding, owner: TxOwner, node: number, port: number, data: Uint8Array, endpoint: number): Promise<void> {
    if (this.count === TX_MAX || this.offset + data.length > TX_AREA.length || (this.native !== undefined && this.native !== native)) {
      this.flush();
    }
    this.native = native;
    const i = this.count;
    const m = i * 5;
    TX_META[m] = node;
    TX_META[m + 1] = port;
    TX_META[m + 2] = endpoint;
    TX_META[m + 3] = this.offset;
    TX_META[m + 4] = data.length;
    TX_AREA.set(data, this.offset);
    this.offset += data.length;
    this.owners[i] = owner;
    this.count = i + 1;
    const promise = new Promise<void>((resolve, reject) => {
      this.resolvers[i] = resolve;
      this.rejecters[i] = reject;
    });
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushNow);
    }
    return promise;
  }

  /**
   * Sends `datagrams[0..count)` to (node, port) from `fd` at once, in one native call per
   * area-full, after flushing what is already queued (global order holds). Returns how
   * many the kernel took (a failure after the first datagram ends the batch early), or
   * the -errno of the first datagram's failure. Every datagram must fit the area.
   */
  sendNow(native: NativeQrtrBinding, fd: number, node: number, port: number, datagrams: readonly Uint8Array[], count: number): number {
    this.flush();
    let sent = 0;
    while (sent < count) {
      let n = 0;
      let offset = 0;
      for (let i = sent; i < count && n < TX_MAX; i++, n++) {
        const data = datagrams[i];
        if (offset + data.length > TX_AREA.length) break;
        const m = n * 5;
        TX_META[m] = node;
        TX_META[m + 1] = port;
        TX_META[m + 2] = 0;
        TX_META[m + 3] = offset;
        TX_META[m + 4] = data.length;
        TX_AREA.set(data, offset);
        offset += data.length;
      }
      const rc = native.sendBatch(fd, 0, n);
      if (rc < 0) return sent > 0 ? sent : rc;
      sent += rc;
      if (rc < n) break;
    }
    return sent;
  }

  /**
   * Sends datagrams first..first+count-1 of the last recvBatch to (node, port) from `fd`
   * straight from RX_AREA (no copy into the tx area), in one native call, after flushing
   * what is queued (global order holds). `offset` is datagram `first`'s offset in the
   * area; count <= RX_SLOTS. Returns how many the kernel took, or the -errno of the
   * first datagram's failure. The caller guarantees the area still holds that batch.
   */
  sendReceived(native: NativeQrtrBinding, fd: number, node: number, port: number, first: number, count: number, offset: number): number {
    this.flush();
    let at = offset;
    for (let i = 0, r = first * 5, m = 0; i < count; i++, r += 5, m += 5) {
      const length = RX_META[r];
      TX_META[m] = node;
      TX_META[m + 1] = port;
      TX_META[m + 2] = 0;
      TX_META[m + 3] = at;
      TX_META[m + 4] = length;
      at += length;
    }
    return native.sendBatchRx(fd, 0, count);
  }

  /** Sends everything queued; each datagram's promise settles with its own outcome. */
  flush(): void {
    const native = this.native;
    const count = this.count;
    if (!native || count === 0) return;
    this.count = 0;
    this.offset = 0;
    let i = 0;
    while (i < count) {
      const owner = this.owners[i] as TxOwner;
      let end = i + 1;
      while (end < count && this.owners[end] === owner) end++;
      while (i < end) {
        const rc = native.sendBatch(owner.fd, i, end - i);
        if (rc > 0) {
          for (const stop = i + rc; i < stop; i++) this.settle(i);
        } else if (rc === -EAGAIN) {
          // No send-buffer space: the rest of this run waits for writability, in order.
          for (; i < end; i++) this.handOff(i, owner);
        } else {
          const m = i * 5;
          this.settle(i, owner.sendError(-rc, TX_META[m], TX_META[m + 1], TX_META[m + 2]));
          i++;
        }
      }
    }
  }

  private handOff(i: number, owner: TxOwner): void {
    const m = i * 5;
    const data = TX_AREA.slice(TX_META[m + 3], TX_META[m + 3] + TX_META[m + 4]);
    const resolve = this.resolvers[i] as () => void;
    const reject = this.rejecters[i] as (error: Error) => void;
    this.owners[i] = this.resolvers[i] = this.rejecters[i] = undefined;
    owner.sendLater(TX_META[m], TX_META[m + 1], data, TX_META[m + 2]).then(resolve, reject);
  }

  private settle(i: number, error?: Error): void {
    const resolve = this.resolvers[i] as () => void;
    const reject = this.rejecters[i] as (error: Error) => void;
    this.owners[i] = this.resolvers[i] = this.rejecters[i] = undefined;
    if (error) reject(error);
    else resolve();
  }
}

/** The process-wide batcher (the tx area is process-wide). */
export const txBatcher = new TxBatcher();
