import { constants as osConstants } from 'node:os';
import { Observable, type Subscriber } from 'rxjs';
import { InvalidArgumentError } from '../common/errors';
import { QRTR_MAX_PAYLOAD } from '../wire/constants';
import {
  KernelBatchNotLentError,
  KernelOptionUnsupportedError,
  KernelSendAbortedError,
  KernelSocketClosedError,
  kernelSocketError,
  type KernelSocketError,
} from './errors';
import { contractSendError } from './contract-errors';
import { ensureAreas, receiveCopier, RX_AREA, RX_META, RX_SLOTS, txBatcher, type TxOwner } from './io-areas';
import {
  loadNativeBinding,
  NATIVE_POLL_READABLE,
  NATIVE_POLL_WRITABLE,
  type NativePoller,
  type NativeQrtrBinding,
} from './native-loader';

/** Socket level of the multi-endpoint patch set's options (not in mainline). */
export const SOL_QRTR = 288;
/** int boolean: report each datagram's endpoint in a QRTR_ENDPOINT cmsg. */
export const QRTR_REPORT_ENDPOINT = 1;
/** u32: receive only from (and send by default to) this endpoint; 0 unbinds. */
export const QRTR_BIND_ENDPOINT = 2;
/** cmsg type (level SOL_QRTR) carrying a u32 endpoint id. */
export const QRTR_CMSG_ENDPOINT = 1;

const { EAGAIN, ECANCELED, EINTR, ENOPROTOOPT, EOPNOTSUPP } = osConstants.errno;
/**
 * Datagrams read per readiness event. Reading on while batches come back full saves the
 * event-loop round trip (epoll_wait, callback, clock reads) for datagrams that arrived
 * during dispatch, e.g. replies a subscriber sent synchronously; the cap keeps other
 * I/O served (512 datagrams are well under a millisecond of work on hardware; under
 * TCG, 512 rather than 128 gained about 10% in bench/kernel.bench.ts).
 */
const DEFAULT_READS_PER_WAKEUP = 512;
const MAX_READS_PER_WAKEUP = 4096;
/**
 * A streaming drain whose slice is read, while no I/O or timer waits in the event loop
 * (native loopHasWork: no watched fd ready, no timer due), reads the next slice at once
 * instead of going through a loop iteration, up to this many datagrams per wake-up; then
 * it yields anyway, so that immediates, promise continuations and nextTicks queued
 * meanwhile wait no longer than that. Each iteration skipped is worth about 100 µs under
 * TCG (docs/performance.md, "AF_QIPCRTR datagrams/s", round 4).
 */
const IDLE_READS_PER_WAKEUP = 4096;
/** How often a cancelled blocking send is signalled again until its worker returns. */
const CANCEL_RETRY_MS = 20;

/** A received datagram (a class: one hidden class for every message on the hot path). */
class ReceivedDatagram implements KernelQrtrMessage {
  constructor(
    readonly data: Uint8Array,
    readonly node: number,
    readonly port: number,
    readonly endpoint: number,
  ) {}
}

/**
 * The datagrams of one recvmmsg, lent to `batches$` subscribers without a copy or an object
 * per datagram: datagram i is `bytes[offset(i) .. offset(i) + length(i))`. Everything here
 * is valid only until the subscriber returns (the next batch reuses the memory): copy what
 * must be kept (`datagram(i).slice()`).
 */
export interface KernelDatagramBatch {
  /** Datagrams in this batch (1..32). */
  readonly count: number;
  /** The receive area the batch is packed into, datagrams back to back. */
  readonly bytes: Uint8Array;
  offset(i: number): number;
  length(i: number): number;
  /** Source node and port of datagram i. */
  node(i: number): number;
  port(i: number): number;
  /** Endpoint id from QRTR_ENDPOINT, 0 when not reported. */
  endpoint(i: number): number;
  /** A view of datagram i (one allocation; valid until return like the rest). */
  datagram(i: number): Uint8Array;
}

/** The one batch object: its fields are rewritten per recvmmsg (RX_META is per process, like the area). */
class LentBatch implements KernelDatagramBatch {
  count = 0;
  readonly bytes: Uint8Array = RX_AREA;
  /** True only while batches$ subscribers run for this batch (trySendFrom checks it). */
  lent = false;
  /**
   * offsets[0..summed] are valid: prefix sums of the lengths, since the addon packed the
   * datagrams from the area's start. Computed on demand, so that a subscriber reading only
   * lengths (a counter) or forwarding whole batches pays nothing for them.
   */
  private readonly offsets = new Uint32Array(RX_SLOTS + 1);
  private summed = 0;

  load(count: number): void {
    this.count = count;
    this.summed = 0;
  }

  offset(i: number): number {
    if (i > this.summed) this.sumTo(i);
    return this.offsets[i];
  }

  length(i: number): number {
    return RX_META[i * 5];
  }

  node(i: number): number {
    return RX_META[i * 5 + 1];
  }

  port(i: number): number {
    return RX_META[i * 5 + 2];
  }

  endpoint(i: number): number {
    return RX_META[i * 5 + 3];
  }

  datagram(i: number): Uint8Array {
    const at = this.offset(i);
    return RX_AREA.subarray(at, at + RX_META[i * 5]);
  }

  /** Extends the prefix sums to offsets[i] (i <= count). */
  private sumTo(i: number): void {
    const offsets = this.offsets;
    let k = this.summed;
    let at = offsets[k]; // offsets[0] is always 0
    for (; k < i; k++) {
      at += RX_META[k * 5];
      offsets[k + 1] = at;
    }
    this.summed = i;
  }
}

/** A kernel QRTR address. */
export interface KernelQrtrAddress {
  readonly node: number;
  readonly port: number;
}

/** One received datagram. `data` is owned by the receiver (a copy). */
export interface KernelQrtrMessage {
  readonly data: Uint8Array;
  /** Source node and port. Control traffic comes from (local node, 0xfffffffe). */
  readonly node: number;
  readonly port: number;
  /** Endpoint id from the kernel's QRTR_ENDPOINT cmsg; 0 when not reported. */
  readonly endpoint: number;
}

export interface KernelSendOptions {
  /** Route a remote destination through this endpoint (QRTR_ENDPOINT cmsg, 1..2^32-1). */
  readonly endpoint?: number;
  /**
   * Abandons a send still queued or waiting in the kernel's flow control (rejects with
   * KernelSendAbortedError). A datagram the kernel has already taken is not recalled.
   */
  readonly signal?: AbortSignal;
}

export interface AfQipcrtrSocketOptions {
  /** The addon; default the process-wide one from the loader. */
  readonly binding?: NativeQrtrBinding;
  /**
   * Datagrams read per readiness event before yielding to the event loop (default 512,
   * 1..4096). They are read in batches of up to 32 (one recvmmsg each); another batch
   * is read only while the previous one came back full and someone is still subscribed.
   * With continueStreams, a stream reads on past this share while no I/O or timer waits
   * in the event loop (no other fd ready, no timer due), up to 4096 datagrams per wake-up
   * in all; immediates and promise continuations run at least that often.
   */
  readonly maxReadsPerWakeup?: number;
  /**
   * When a wake-up has read its maxReadsPerWakeup datagrams and the last batch was still
   * full (the socket streams), read on in the next event-loop iteration (setImmediate),
   * still out of the poll set, instead of re-entering the poll set and waiting for its
   * readiness event (default true). Timers and other I/O run in between either way; the
   * continuation skips the re-arm and the readiness round trip, which under emulation
   * cost a few hundred microseconds per wake-up. false restores the old behaviour
   * (kept for A/B measurements, bench/kernel.bench.ts with QRTRD_KERNEL_BENCH_AB=1).
   */
  readonly continueStreams?: boolean;
  /**
   * Report failed sends with the socket contract's classes (QrtrNoSuchPortError,
   * QrtrNoRouteError; src/kernel/contract-errors.ts) instead of the errno classes:
   * KernelSocketProvider's sockets do, so they fail like the router's.
   */
  readonly contractErrors?: boolean;
}

function checkU32(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(name, 'an integer in 0..0xffffffff', value);
  }
  return value;
}

function hex32(value: number): string {
  return '0x' + value.toString(16);
}

/**
 * An AF_QIPCRTR datagram socket of the running kernel.
 *
 * Receiving is driven by libuv readiness on the socket (no thread, no busy loop) and
 * happens only while `messages$` has subscribers: unsubscribing leaves datagrams in the
 * kernel's queue, which is what the kernel's flow control towards remote senders relies on.
 *
 * Sending to the local node is a non-blocking syscall. Sending to a remote node (or
 * broadcasting) runs on the libuv thread pool, one datagram at a time per socket,
 * because the kernel's outgoing flow control blocks the caller at 10 unconfirmed
 * packets even with MSG_DONTWAIT. Sends from one socket are delivered in call order.
 */
export class AfQipcrtrSocket {
  /**
   * Received datagrams; completes on close(), errors with a KernelSocketError on a receive
   * failure. `data` is a view of a copy owned by the consumers; it shares its ArrayBuffer
   * with other datagrams (a 64 KiB receive chunk, or the batch's own buffer for large ones).
   */
  readonly messages$: Observable<KernelQrtrMessage>;
  /**
   * The same datagrams, one emission per recvmmsg batch and lent rather than copied
   * (see KernelDatagramBatch): for consumers that look at each datagram once, such as a
   * bridge or a counter, without an object, a view and a Subscriber call per datagram.
   * Datagrams received while there are only `messages$` subscribers are not replayed here.
   */
  readonly batches$: Observable<KernelDatagramBatch>;

  private readonly binding?: NativeQrtrBinding;
  private readonly maxReads: number;
  private readonly continueStreams: boolean;
  /** Out of the poll set (Poller.suspend) while a stream is read; resumed when it pauses. */
  private suspended = false;
  /** A drain continuation is scheduled (setImmediate). */
  private continuing = false;
  private readonly continueDrain = (): void => {
    this.continuing = false;
    this.drain();
  };
  private native?: NativeQrtrBinding;
  private fd = -1;
  private state: 'new' | 'open' | 'closed' = 'new';
  private poller?: NativePoller;
  private pollEvents = 0;
  private node = 0;
  private boundAddress?: KernelQrtrAddress;
  private endpointBound = 0;
  private endpointSupport?: boolean;
  // An array, not a Set: the per-datagram dispatch loop allocates no iterator.
  private subscribers: Array<Subscriber<KernelQrtrMessage>> = [];
  private batchSubscribers: Array<Subscriber<KernelDatagramBatch>> = [];
  private readonly batch = new LentBatch();
  private readonly writableWaiters: Array<() => void> = [];
  private readonly backlog: KernelQrtrMessage[] = [];
  private readonly scratch = new Uint32Array(2);
  private sendTail: Promise<void> = Promise.resolve();
  private sendsQueued = 0;
  /** Cancels the blocking send on the thread pool, if one is in flight. */
  private cancelInFlight?: () => void;
  private readonly txOwner: TxOwner;
  private readonly contractErrors: boolean;

  constructor(options: AfQipcrtrSocketOptions = {}) {
    this.binding = options.binding;
    this.contractErrors = options.contractErrors === true;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    this.txOwner = {
      get fd() {
        return self.fd;
      },
      sendError: (errno, node, port, endpoint) => this.sendError(errno, node, port, endpoint),
      sendLater: (node, port, data, endpoint) => this.enqueueSend(node, port, data, endpoint, false, undefined),
    };
    this.maxReads = Math.max(1, Math.min(MAX_READS_PER_WAKEUP, options.maxReadsPerWakeup ?? DEFAULT_READS_PER_WAKEUP));
    this.continueStreams = options.continueStreams !== false;
    this.messages$ = new Observable<KernelQrtrMessage>((subscriber) => {
      if (this.state === 'closed') {
        subscriber.complete();
        return undefined;
      }
      // Datagrams dequeued in a batch after the last subscriber left go first, in order.
      while (this.backlog.length > 0 && !subscriber.closed) subscriber.next(this.backlog.shift() as KernelQrtrMessage);
      if (subscriber.closed) return undefined;
      this.subscribers = [...this.subscribers, subscriber];
      this.updatePolling();
      return () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
        this.updatePolling();
      };
    });
    this.batches$ = new Observable<KernelDatagramBatch>((subscriber) => {
      if (this.state === 'closed') {
        subscriber.complete();
        return undefined;
      }
      this.batchSubscribers = [...this.batchSubscribers, subscriber];
      this.updatePolling();
      return () => {
        this.batchSubscribers = this.batchSubscribers.filter((s) => s !== subscriber);
        this.updatePolling();
      };
    });
  }

  /**
   * Creates the kernel socket. Throws KernelBackendUnavailableError without the addon,
   * KernelQrtrUnsupportedError (EAFNOSUPPORT) when the kernel has no QRTR.
   */
  open(): this {
    if (this.state !== 'new') throw new KernelSocketClosedError('open()', 'closed');
    const native = this.binding ?? loadNativeBinding();
    ensureAreas(native);
    const fd = native.socket();
    if (fd < 0) throw kernelSocketError(-fd, 'socket(AF_QIPCRTR, SOCK_DGRAM)');
    // An unbound socket's name is (local node, 0): the kernel tells us its node id.
    const rc = native.getsockname(fd, this.scratch);
    if (rc < 0) {
      native.close(fd);
      throw kernelSocketError(-rc, 'getsockname(unbound socket)');
    }
    this.native = native;
    this.fd = fd;
    this.node = this.scratch[0];
    this.poller = new native.Poller(fd, (status, events) => this.onPoll(status, events));
    this.state = 'open';
    this.updatePolling();
    return this;
  }

  /** The kernel's local node id (1 on mainline). */
  get localNode(): number {
    this.requireOpen('localNode');
    return this.node;
  }

  /** The bound address, or undefined before bind()/the first send. */
  get address(): KernelQrtrAddress | undefined {
    return this.boundAddress;
  }

  /** The endpoint set with bindEndpoint(), 0 if none. */
  get endpointBinding(): number {
    return this.endpointBound;
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Binds to (local node, port); 0 picks the lowest free ephemeral port (0x4000-0x7fff).
   * Ports below 0x4000 need CAP_NET_ADMIN. Returns the bound address.
   */
  bind(port = 0): KernelQrtrAddress {
    checkU32('port', port);
    const native = this.requireOpen(`bind(port=${port})`);
    const operation = `bind(node=${this.node}, port=${port})`;
    const rc = native.bind(this.fd, this.node, port);
    if (rc < 0) throw kernelSocketError(-rc, operation);
    return this.refreshAddress(operation);
  }

  /**
   * Whether the kernel has the multi-endpoint socket options (SOL_QRTR). Probed once
   * with getsockopt; mainline kernels answer EOPNOTSUPP.
   */
  get endpointOptionsSupported(): boolean {
    const native = this.requireOpen('endpointOptionsSupported');
    if (this.endpointSupport === undefined) {
      const rc = native.getsockoptInt(this.fd, SOL_QRTR, QRTR_REPORT_ENDPOINT, this.scratch);
      if (rc < 0 && -rc !== ENOPROTOOPT && -rc !== EOPNOTSUPP) {
        throw kernelSocketError(-rc, 'getsockopt(SOL_QRTR, QRTR_REPORT_ENDPOINT)');
      }
      this.endpointSupport = rc === 0;
    }
    return this.endpointSupport;
  }

  /** Turns QRTR_REPORT_ENDPOINT on or off; throws KernelOptionUnsupportedError on mainline kernels. */
  setReportEndpoint(on: boolean): void {
    if (typeof on !== 'boolean') throw new InvalidArgumentError('on', 'a boolean', on);
    const native = this.requireOpen('setReportEndpoint()');
    const rc = native.setsockoptInt(this.fd, SOL_QRTR, QRTR_REPORT_ENDPOINT, on ? 1 : 0);
    if (rc < 0) throw kernelSocketError(-rc, `setsockopt(SOL_QRTR, QRTR_REPORT_ENDPOINT, ${on ? 1 : 0})`);
  }

  /** QRTR_BIND_ENDPOINT: receive only from this endpoint (0 unbinds); throws KernelOptionUnsupportedError on mainline. */
  bindEndpoint(endpointId: number): void {
    checkU32('endpointId', endpointId);
    const native = this.requireOpen('bindEndpoint()');
    const rc = native.setsockoptInt(this.fd, SOL_QRTR, QRTR_BIND_ENDPOINT, endpointId);
    if (rc < 0) throw kernelSocketError(-rc, `setsockopt(SOL_QRTR, QRTR_BIND_ENDPOINT, ${endpointId})`);
    this.endpointBound = endpointId;
  }

  /**
   * Sends one datagram to (node, port). Local-node datagrams sent in the same JavaScript
   * turn leave together (one native call) when the turn's microtasks run; remote ones may
   * wait in the kernel's flow control, interruptible by `options.signal` and close().
   * Resolves when the kernel accepted the datagram; rejects with a KernelSocketError
   * subclass (KernelPortUnreachableError, KernelQueueFullError, KernelNodeUnreachableError,
   * ...), KernelSendAbortedError or KernelSocketClosedError. An unbound socket is bound to
   * an ephemeral port first. The caller may reuse `data` as soon as this returns.
   */
  send(node: number, port: number, data: Uint8Array, options?: KernelSendOptions): Promise<void> {
    try {
      checkU32('node', node);
      checkU32('port', port);
      if (!(data instanceof Uint8Array)) throw new InvalidArgumentError('data', 'a Uint8Array', data);
      if (data.length > QRTR_MAX_PAYLOAD) {
        throw new InvalidArgumentError('data.length', `at most ${QRTR_MAX_PAYLOAD} bytes`, data.length);
      }
      const endpoint = options?.endpoint ?? 0;
      if (options?.endpoint !== undefined && (checkU32('options.endpoint', endpoint) === 0)) {
        throw new InvalidArgumentError('options.endpoint', 'an endpoint id in 1..0xffffffff', endpoint);
      }
      // Hot path: the operation string is built only when there is an error to report.
      if (this.state !== 'open') this.requireOpen(`send(node=${node}, port=${hex32(port)})`);
      if (endpoint !== 0 && !this.endpointOptionsSupported) {
        // Mainline ignores the cmsg; sending anyway could reach the wrong device.
        throw new KernelOptionUnsupportedError(ENOPROTOOPT, `send(node=${node}, port=${hex32(port)}, endpoint=${endpoint})`);
      }
      if (!this.boundAddress) this.bind(0);
      const blocking = node !== this.node;
      if (options?.signal?.aborted) {
        throw new KernelSendAbortedError(`send(node=${node}, port=${hex32(port)})`, options.signal.reason);
      }
      if (!blocking && this.sendsQueued === 0 && txBatcher.fits(data.length)) {
        // Local delivery never blocks: batch with this turn's other local sends.
        return txBatcher.add(this.native as NativeQrtrBinding, this.txOwner, node, port, data, endpoint);
      }
      // Queued sends run later: copy now so the caller may reuse its buffer.
      return this.enqueueSend(node, port, data.slice(), endpoint, blocking, options?.signal);
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * Sends datagrams to `port` on the local node synchronously, without a promise per
   * datagram: one native call (one sendmsg each) per up to 64 datagrams. Local delivery
   * never waits in the kernel, so this is the cheap path for bursts to local ports.
   * Datagrams queued by earlier send() calls go first.
   *
   * Returns how many datagrams, from the start, the kernel took:
   * - `count` when all were sent;
   * - fewer when the send buffer is full (EAGAIN), or when a datagram after the first
   *   failed: calling again with the rest reports that failure;
   * - 0 while earlier send()s still wait for send-buffer space or flow control
   *   (sending now would overtake them): use send() for the rest, which queues in order.
   *
   * Throws the typed KernelSocketError of the first datagram's failure
   * (KernelPortUnreachableError, KernelQueueFullError, ...), InvalidArgumentError for bad
   * arguments (before any syscall), KernelSocketClosedError. Binds an unbound socket
   * first. The caller may reuse the buffers as soon as this returns.
   */
  trySendLocal(port: number, datagrams: readonly Uint8Array[], count = datagrams.length): number {
    checkU32('port', port);
    if (!Array.isArray(datagrams)) throw new InvalidArgumentError('datagrams', 'an array of Uint8Array', datagrams);
    if (!Number.isInteger(count) || count < 0 || count > datagrams.length) {
      throw new InvalidArgumentError('count', `an integer in 0..${datagrams.length}`, count);
    }
    for (let i = 0; i < count; i++) {
      const data = datagrams[i];
      if (!(data instanceof Uint8Array)) throw new InvalidArgumentError(`datagrams[${i}]`, 'a Uint8Array', data);
      if (data.length > QRTR_MAX_PAYLOAD) {
        throw new InvalidArgumentError(`datagrams[${i}].length`, `at most ${QRTR_MAX_PAYLOAD} bytes`, data.length);
      }
    }
    if (this.state !== 'open') this.requireOpen(`trySendLocal(port=${hex32(port)})`);
    if (!this.boundAddress) this.bind(0);
    if (count === 0 || this.sendsQueued > 0) return 0;
    const native = this.native as NativeQrtrBinding;
    const rc = txBatcher.sendNow(native, this.fd, this.node, port, datagrams, count);
    // Flushing earlier local sends can hand some to the queue (EAGAIN): do not overtake.
    if (rc === -EAGAIN) return 0;
    if (rc < 0) throw this.sendError(-rc, this.node, port, 0);
    return rc;
  }

  /**
   * Sends datagrams first..first+count-1 of a batch lent by `batches$` (of this socket or
   * another) to `port` on the local node, straight from the receive area where the kernel
   * put them: no copy, one native call (one sendto each). For relays and echoes: call it
   * inside the batch's callback; the datagrams are sent before it returns, so the next
   * batch cannot overwrite them first. Per-datagram destinations: one call per run of
   * datagrams to the same port (count 1 for a single one). Datagrams queued by earlier
   * send() calls go first.
   *
   * Returns, throws and binds like trySendLocal (how many the kernel took; 0 while
   * earlier send()s still wait), plus KernelBatchNotLentError once the batch's callback
   * has returned, and InvalidArgumentError for `first`/`count` outside the batch.
   */
  trySendFrom(batch: KernelDatagramBatch, port: number, first = 0, count = batch.count - first): number {
    // Checked once per call, not per datagram: the lengths come from the kernel (each
    // <= 65535) and the offsets from the addon, so only the range needs checking.
    if (!(batch instanceof LentBatch) || !batch.lent) throw new KernelBatchNotLentError(`trySendFrom(port=${String(port)})`);
    checkU32('port', port);
    const n = batch.count;
    if (!Number.isInteger(first) || first < 0 || first > n) throw new InvalidArgumentError('first', `an integer in 0..${n}`, first);
    if (!Number.isInteger(count) || count < 0 || first + count > n) {
      throw new InvalidArgumentError('count', `an integer in 0..${n - first}`, count);
    }
    if (this.state !== 'open') this.requireOpen(`trySendFrom(port=${hex32(port)})`);
    if (!this.boundAddress) this.bind(0);
    if (count === 0 || this.sendsQueued > 0) return 0;
    const rc = txBatcher.sendReceived(this.native as NativeQrtrBinding, this.fd, this.node, port, first, count, batch.offset(first));
    if (rc === -EAGAIN) return 0;
    if (rc < 0) throw this.sendError(-rc, this.node, port, 0);
    return rc;
  }

  /**
   * Stops receiving, completes messages$, interrupts a send held by flow control (queued
   * remote sends reject with KernelSocketClosedError), and closes the fd once no send
   * uses it. The kernel then broadcasts DEL_CLIENT for the port. Idempotent.
   */
  close(): void {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.poller?.close();
    this.poller = undefined;
    // A pending drain continuation finds the socket closed and reads nothing.
    this.suspended = false;
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.complete();
    const batchSubscribers = this.batchSubscribers;
    this.batchSubscribers = [];
    for (const subscriber of batchSubscribers) subscriber.complete();
    this.backlog.length = 0;
    for (const wake of this.writableWaiters.splice(0)) wake();
    this.cancelInFlight?.();
    if (!wasOpen) return;
    const native = this.native as NativeQrtrBinding;
    const fd = this.fd;
    // A send still on the thread pool uses the fd number: closing now could let a new
    // socket reuse it under that send. It was just cancelled; close once it returns.
    void this.sendTail.then(() => native.close(fd));
  }

  private enqueueSend(
    node: number,
    port: number,
    data: Uint8Array,
    endpoint: number,
    blocking: boolean,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    this.sendsQueued++;
    const run = (): Promise<void> => this.sendQueued(node, port, data, endpoint, blocking, signal);
    const result = this.sendTail.then(run);
    this.sendTail = result.then(
      () => { this.sendsQueued--; },
      () => { this.sendsQueued--; },
    );
    return result;
  }

  private async sendQueued(
    node: number,
    port: number,
    data: Uint8Array,
    endpoint: number,
    blocking: boolean,
    signal: AbortSignal | undefined,
  ): Promise<void> {
    const operation = (): string => `send(node=${node}, port=${hex32(port)})`;
    for (;;) {
      if (this.state !== 'open') this.requireOpen(operation());
      if (signal?.aborted) throw new KernelSendAbortedError(operation(), signal.reason);
      const native = this.native as NativeQrtrBinding;
      const rc = blocking ? await this.sendBlocking(native, node, port, data, endpoint, signal) : native.sendto(this.fd, node, port, data, endpoint);
      if (rc >= 0) return;
      if (-rc === ECANCELED) continue; // aborted or closed: the checks above say which
      if (-rc === EINTR) continue;
      if (-rc !== EAGAIN) throw this.sendError(-rc, node, port, endpoint);
      await this.waitWritable();
    }
  }

  /** One sendmsg on the thread pool; close() and `signal` interrupt it. */
  private sendBlocking(native: NativeQrtrBinding, node: number, port: number, data: Uint8Array, endpoint: number, signal?: AbortSignal): Promise<number> {
    return new Promise<number>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const cancel = (): void => {
        // A signal can reach the worker just before it enters the kernel's wait: repeat.
        if (native.cancelSend(id) && !timer) timer = setInterval(() => native.cancelSend(id), CANCEL_RETRY_MS);
      };
      const id = native.sendAsync(this.fd, node, port, data, endpoint, (rc) => {
        if (timer) clearInterval(timer);
        signal?.removeEventListener('abort', cancel);
        this.cancelInFlight = undefined;
        resolve(rc);
      });
      this.cancelInFlight = cancel;
      signal?.addEventListener('abort', cancel, { once: true });
    });
  }

  private sendError(errno: number, node: number, port: number, endpoint: number): Error {
    const suffix = endpoint !== 0 ? `, endpoint=${endpoint}` : '';
    const error = kernelSocketError(errno, `sendto(node=${node}, port=${hex32(port)}${suffix})`);
    return this.contractErrors ? contractSendError(error, this.node, node, port, endpoint) : error;
  }

  private waitWritable(): Promise<void> {
    return new Promise((resolve) => {
      this.writableWaiters.push(resolve);
      this.updatePolling();
    });
  }

  private refreshAddress(operation: string): KernelQrtrAddress {
    const rc = (this.native as NativeQrtrBinding).getsockname(this.fd, this.scratch);
    if (rc < 0) throw kernelSocketError(-rc, `getsockname after ${operation}`);
    this.boundAddress = { node: this.scratch[0], port: this.scratch[1] };
    return this.boundAddress;
  }

  private requireOpen(operation: string): NativeQrtrBinding {
    if (this.state !== 'open') throw new KernelSocketClosedError(operation, this.state === 'new' ? 'not open' : 'closed');
    return this.native as NativeQrtrBinding;
  }

  private updatePolling(): void {
    if (!this.poller) return;
    const events = (this.subscribers.length > 0 || this.batchSubscribers.length > 0 ? NATIVE_POLL_READABLE : 0) | (this.writableWaiters.length > 0 ? NATIVE_POLL_WRITABLE : 0);
    if (events === this.pollEvents) return;
    this.pollEvents = events;
    const rc = this.poller.start(events);
    if (rc < 0) this.fail(kernelSocketError(-rc, 'uv_poll_start'));
  }

  private onPoll(status: number, events: number): void {
    if (status < 0) {
      this.fail(kernelSocketError(-status, 'poll'));
      return;
    }
    if (events & NATIVE_POLL_WRITABLE && this.writableWaiters.length > 0) {
      for (const wake of this.writableWaiters.splice(0)) wake();
      this.updatePolling();
    }
    if (events & NATIVE_POLL_READABLE) this.drain();
  }

  /**
   * Reads what is queued, in batches of up to 32, while someone is subscribed. A short
   * batch means the queue is empty: back into the poll set. Full batches mean datagrams
   * stream in (e.g. replies a subscriber sent synchronously): read on, out of the poll
   * set, for up to maxReads datagrams, then continue in the next event-loop iteration
   * (continueStreams) so that timers and other I/O run in between.
   */
  private drain(): void {
    const native = this.native as NativeQrtrBinding;
    const poller = this.poller as NativePoller;
    let yielded = false;
    try {
      // A continuation may find the socket closed or unsubscribed: what is queued stays
      // in the kernel (its flow control relies on that).
      if (this.state !== 'open' || (this.subscribers.length === 0 && this.batchSubscribers.length === 0)) return;
      for (let budget = this.maxReads, read = 0; ; ) {
        const max = budget < RX_SLOTS ? budget : RX_SLOTS;
        const count = native.recvBatch(this.fd, max);
        if (count < 0) {
          if (count !== -EAGAIN) this.fail(kernelSocketError(-count, `recv(port=${this.boundAddress ? hex32(this.boundAddress.port) : 'unbound'})`));
          return;
        }
        this.dispatch(count);
        budget -= count;
        read += count;
        // A short batch emptied the queue; without subscribers, the rest stays in the kernel.
        if (count < max || (this.subscribers.length === 0 && this.batchSubscribers.length === 0) || this.state !== 'open') return;
        // A full batch: datagrams are streaming in and this loop reads on. Out of the
        // poll set meanwhile, each one queued skips the kernel's poll wake-up (about a
        // tenth of a small datagram's cost under emulation).
        if (!this.suspended) this.suspended = poller.suspend() === 0;
        if (budget > 0) continue;
        // This wake-up's share is read and the socket still streams. Continue after one
        // event-loop iteration, still suspended, unless a writer waits for writability
        // (reported only from the poll set); or at once, while no I/O or timer waits in
        // the loop (IDLE_READS_PER_WAKEUP).
        if (this.continueStreams && this.writableWaiters.length === 0) {
          if (read < IDLE_READS_PER_WAKEUP && !native.loopHasWork()) {
            budget = this.maxReads;
            continue;
          }
          yielded = true;
          if (!this.continuing) {
            this.continuing = true;
            setImmediate(this.continueDrain);
          }
        }
        return;
      }
    } finally {
      // Back in the poll set before the event loop waits again; the set is level-
      // triggered, so whatever arrived meanwhile is reported at once.
      if (!yielded && this.suspended && this.poller === poller && poller !== undefined) {
        this.suspended = false;
        const rc = poller.resume();
        if (rc < 0) this.fail(kernelSocketError(-rc, 'resume polling'));
      }
    }
  }

  /** Delivers the `count` datagrams of the last recvBatch: lent to batch subscribers first, then copied for message subscribers. */
  private dispatch(count: number): void {
    const batchSubscribers = this.batchSubscribers;
    if (batchSubscribers.length > 0) {
      const batch = this.batch;
      batch.load(count);
      batch.lent = true;
      try {
        for (let k = 0; k < batchSubscribers.length; k++) batchSubscribers[k].next(batch);
      } finally {
        // From here on the next recvBatch (of any socket: the area is process-wide) may
        // overwrite the area: trySendFrom refuses the batch.
        batch.lent = false;
      }
      // Only batch subscribers: nothing is copied, nothing kept for messages$.
      if (this.subscribers.length === 0) return;
    }
    // The addon packed the datagrams back to back at the area's start: one copy out per
    // batch, then a view per datagram.
    let total = 0;
    for (let i = 0, m = 0; i < count; i++, m += 5) total += RX_META[m];
    const received = receiveCopier;
    received.copyOut(total);
    const buffer = received.buffer;
    for (let i = 0, m = 0, at = received.offset; i < count; i++, m += 5) {
      const length = RX_META[m];
      const message = new ReceivedDatagram(new Uint8Array(buffer, at, length), RX_META[m + 1], RX_META[m + 2], RX_META[m + 3]);
      at += length;
      // Already dequeued from the kernel: if every subscriber left (or the socket
      // closed) during this batch, keep the rest for the next subscriber.
      // Copy-on-write list: (un)subscribing during dispatch does not disturb this loop.
      const subscribers = this.subscribers;
      if (subscribers.length === 0) {
        if (this.state === 'open') this.backlog.push(message);
        continue;
      }
      for (let k = 0; k < subscribers.length; k++) subscribers[k].next(message);
    }
  }

  private fail(error: KernelSocketError): void {
    const subscribers = this.subscribers;
    this.subscribers = [];
    for (const subscriber of subscribers) subscriber.error(error);
    const batchSubscribers = this.batchSubscribers;
    this.batchSubscribers = [];
    for (const subscriber of batchSubscribers) subscriber.error(error);
    this.close();
  }
}
