import * as net from 'node:net';
import { Observable, type Subscriber } from 'rxjs';
import type { QrtrdError } from '../common/errors';
import { InvalidArgumentError } from '../common/errors';
import type { LookupEvent, LookupFilter } from '../ns/types';
import { QrtrAbortedError } from '../router/errors';
import type { BackendKey } from '../router/endpoint';
import type { EndpointInfo, PacketTrace } from '../router/router';
import { SEND_COMPLETED, type OpenSocketOptions, type QrtrAddress, type QrtrSocketProvider } from '../router/socket';
import { LocalClientConnectError, LocalClientDisconnectedError, LocalClientMalformedFrameError } from '../services/local-client/errors';
import {
  DecodedFrame,
  FrameDecoder,
  FrameWriter,
  LOCAL_CLIENT_PROTOCOL_VERSION,
  MAX_SERVER_FRAME_LENGTH,
  Op,
  SEND_FLAG_ABORTABLE,
  SEND_FLAG_ENDPOINT,
  SEND_FLAG_NONBLOCKING,
  SEND_FLAG_QUIET,
  CAPABILITY_QUIET_SEND,
  TRACE_DIRECTIONS,
  encodeFrame,
  encodeJsonFrame,
  hexOp,
  jsonBody,
  tail,
  u32,
  type Frame,
} from '../services/local-client/protocol';
import { PendingRequests } from './pending-requests';
import { RemoteQrtrSocket, type RemoteSendOptions, type RemoteSocketHost } from './remote-socket';
import { reviveError } from '../services/local-client/revive-error';

export interface ConnectQrtrdOptions {
  /** Datagrams each socket lets the server push ahead of consumption (1..1024; default 64). */
  readonly receiveWindow?: number;
  /** Give up connecting after this long (default 5000 ms). */
  readonly timeoutMs?: number;
}

/** OpenSocketOptions, plus `quietSends`: every send of the socket is quiet unless its options say `quiet: false`. */
export interface RemoteOpenSocketOptions extends OpenSocketOptions {
  readonly quietSends?: boolean;
}

/**
 * Bytes the connection's stream may hold unsent (the kernel not taking them: the daemon
 * stopped reading, e.g. at its pending-sends bound) before a quiet send waits for them
 * to drain, so that quiet sends keep the daemon's backpressure instead of queueing
 * without bound in this process.
 */
const QUIET_SEND_HIGH_WATER_BYTES = 256 * 1024;

/** The buffer the connection reads into (net's onread), the size of a stream's own reads. */
const READ_BUFFER_BYTES = 64 * 1024;

/** An endpoint reservation held by this connection; released on release() or disconnect. */
export interface RemoteEndpointReservation {
  readonly id: number;
  readonly key: BackendKey;
  readonly owner: string;
  release(): Promise<void>;
}

interface Pending {
  readonly op: number;
  /** Called with the reply frame, or with nothing for a SEND (whose promise is void). */
  resolve(frame: Frame | undefined): void;
  reject(err: QrtrdError): void;
}

/**
 * A connection to a qrtrd daemon's --socket. It is a QrtrSocketProvider, so QMI
 * handles and plugins open sockets from it exactly as from the in-process router,
 * and it offers the daemon's name-service lookups, endpoint list and endpoint
 * reservations. Everything it holds is released by the daemon when it closes.
 */
export class QrtrdConnection implements QrtrSocketProvider, RemoteSocketHost {
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  /**
   * Every read lands here (net's `onread`), so a read costs no Buffer and no stream
   * machinery (Readable push, 'data' emit); what outlives the read is copied out of it
   * (a MESSAGE's payload, a reply's body). A frame cut at the end of a read is copied
   * by the decoder.
   */
  private readonly readBuffer: Buffer;
  private readonly pending = new PendingRequests<Pending>();
  /** Id and op of the request whose promise `settleLater` is creating (it runs synchronously in new Promise). */
  private nextPendingId = 0;
  private nextPendingOp = 0;
  /** One executor for every request promise: no closure per request. */
  private readonly settleLater = (resolve: (value: never) => void, reject: (err: QrtrdError) => void): void => {
    // A SEND's promise is void: its resolve is called with undefined (see onFrame).
    this.pending.set(this.nextPendingId, { op: this.nextPendingOp, resolve: resolve as (frame: Frame | undefined) => void, reject });
  };
  private readonly sockets = new Map<number, RemoteQrtrSocket>();
  private readonly lookups = new Map<number, { next(event: LookupEvent): void; error(err: QrtrdError): void; complete(): void }>();
  private readonly traces = new Map<number, Subscriber<PacketTrace & { readonly dropped: number }>>();
  private nextId = 1;
  private closeError: QrtrdError | null = null;
  private readonly closeWaiters: ((reason: QrtrdError) => void)[] = [];
  /** The daemon's owner label for this connection (e.g. `client:3`). */
  owner = '';
  localNode = 0;
  /** The daemon offered `quiet-send` in WELCOME: quiet sends are honoured (else they are awaited as before). */
  quietSendSupported = false;
  /** Request id of the latest socketSend (RemoteQrtrSocket.lastSendId). */
  lastRequestId = 0;
  /** While the stream holds more than QUIET_SEND_HIGH_WATER_BYTES: resolves on its 'drain' (one promise for every quiet send waiting). */
  private drained: Promise<void> | null = null;
  private rejectDrained: ((reason: QrtrdError) => void) | null = null;

  private constructor(
    private readonly conn: net.Socket,
    private readonly window: number,
    readBuffer: Buffer,
  ) {
    this.readBuffer = readBuffer;
    this.decoder = new FrameDecoder(this.onFrame, MAX_SERVER_FRAME_LENGTH);
    this.writer = new FrameWriter(conn);
    conn.on('close', () => this.shutdown(new LocalClientDisconnectedError('the daemon closed the connection')));
    conn.on('error', (err) => this.shutdown(new LocalClientDisconnectedError(err.message)));
  }

  /** `size` bytes were read into readBuffer (net's onread callback; true: keep reading). */
  private onRead(size: number): boolean {
    // Sends made by subscribers while this chunk is delivered leave in one write at its end.
    FrameWriter.beginBatch();
    try {
      this.decoder.push(this.readBuffer, size);
    } catch (err) {
      this.shutdown(err as QrtrdError);
      this.conn.destroy();
    } finally {
      FrameWriter.endBatch();
    }
    return true;
  }

  /** Connects and completes the HELLO/WELCOME exchange. */
  static connect(path: string, options: ConnectQrtrdOptions = {}): Promise<QrtrdConnection> {
    const window = options.receiveWindow ?? 64;
    if (!Number.isInteger(window) || window < 1 || window > 1024) throw new InvalidArgumentError('receiveWindow', 'an integer in 1..1024', window);
    return new Promise<QrtrdConnection>((resolve, reject) => {
      let connection: QrtrdConnection | undefined;
      const buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
      const conn = net.createConnection({ path, onread: { buffer, callback: (size: number) => connection!.onRead(size) } });
      connection = new QrtrdConnection(conn, window, buffer);
      const timer = setTimeout(() => {
        conn.destroy();
        reject(new LocalClientConnectError(path, new Error(`no answer within ${options.timeoutMs ?? 5000} ms`)));
      }, options.timeoutMs ?? 5000);
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(new LocalClientConnectError(path, err));
      };
      conn.once('error', onError);
      conn.once('connect', () => {
        conn.off('error', onError);
        connection.pending.set(0, {
          op: Op.HELLO,
          resolve: () => {
            clearTimeout(timer);
            resolve(connection);
          },
          reject: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        });
        connection!.writer.write(encodeJsonFrame(Op.HELLO, 0, { protocol: LOCAL_CLIENT_PROTOCOL_VERSION, pid: process.pid }));
      });
    });
  }

  get closed(): boolean {
    return this.closeError !== null;
  }

  /** Resolves with the reason once the connection has ended. */
  whenClosed(): Promise<QrtrdError> {
    if (this.closeError) return Promise.resolve(this.closeError);
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  async openSocket(options: RemoteOpenSocketOptions = {}): Promise<RemoteQrtrSocket> {
    const port = options.port ?? 0;
    if (!Number.isInteger(port) || port < 0 || port > 0xffffffff) throw new InvalidArgumentError('port', 'an integer in 0..0xffffffff', port);
    const result = await this.request(Op.OPEN, 0, [port, this.window]);
    const handle = u32(result, 0);
    const socket = new RemoteQrtrSocket(this, handle, { node: u32(result, 1), port: u32(result, 2) }, this.window, options.quietSends === true);
    this.sockets.set(handle, socket);
    return socket;
  }

  /** Servers matching `filter` now (a `snapshot`), then `add`/`remove` events, from the daemon's name service. */
  lookup$(filter: LookupFilter): Observable<LookupEvent> {
    return new Observable<LookupEvent>((subscriber) => {
      if (this.closeError) {
        subscriber.error(this.closeError);
        return undefined;
      }
      const id = this.allocateId();
      this.lookups.set(id, { next: (event) => subscriber.next(event), error: (err) => subscriber.error(err), complete: () => subscriber.complete() });
      this.writer.write(encodeJsonFrame(Op.LOOKUP, id, filter));
      return () => {
        if (this.lookups.delete(id) && !this.closeError) this.writer.write(encodeFrame(Op.UNLOOKUP, 0, id, []));
      };
    });
  }

  /** Asks the daemon a named query (e.g. `status`); rejects with QRTRD_CLIENT_UNKNOWN_QUERY if it serves none by that name. */
  async query(name: string): Promise<unknown> {
    const result = await this.request(Op.QUERY, 0, [], Buffer.from(JSON.stringify({ name })));
    return (JSON.parse(Buffer.from(result.body).toString('utf8')) as { result: unknown }).result;
  }

  /**
   * Every packet the daemon's router sees, optionally of one endpoint, as
   * PacketTrace records plus `dropped`: events the daemon discarded because
   * this client read too slowly.
   */
  trace$(options: { endpoint?: number } = {}): Observable<PacketTrace & { readonly dropped: number }> {
    return new Observable<PacketTrace & { readonly dropped: number }>((subscriber) => {
      if (this.closeError) {
        subscriber.error(this.closeError);
        return undefined;
      }
      const id = this.allocateId();
      this.traces.set(id, subscriber);
      this.expect(id, Op.TRACE).catch((err: QrtrdError) => {
        this.traces.delete(id);
        subscriber.error(err);
      });
      this.writer.write(encodeJsonFrame(Op.TRACE, id, options));
      return () => {
        if (this.traces.delete(id) && !this.closeError) this.writer.write(encodeFrame(Op.UNTRACE, 0, id, []));
      };
    });
  }

  /** The daemon's endpoints (router.endpoints()). */
  async endpoints(): Promise<EndpointInfo[]> {
    const result = await this.request(Op.ENDPOINTS, 0, []);
    return JSON.parse(Buffer.from(result.body).toString('utf8')) as EndpointInfo[];
  }

  /** Claims the endpoint ID of a backend for this connection; released on release() or when the connection ends. */
  async reserveEndpoint(key: BackendKey, owner?: string): Promise<RemoteEndpointReservation> {
    const result = await this.request(Op.RESERVE, 0, [], Buffer.from(JSON.stringify({ kind: key.kind, key: key.key, owner })));
    const body = jsonBody(result);
    const handle = body.reservation as number;
    let released = false;
    return {
      id: body.id as number,
      key: { kind: key.kind, key: key.key },
      owner: body.owner as string,
      release: async () => {
        if (released) return;
        released = true;
        await this.request(Op.RELEASE, 0, [handle]);
      },
    };
  }

  /** Closes the connection; the daemon closes every socket and releases every reservation and lookup. */
  close(): void {
    this.shutdown(new LocalClientDisconnectedError('closed by the client'), true);
    this.writer.end();
  }

  // ---------------------------------------------------------- RemoteSocketHost

  socketSend(handle: number, to: QrtrAddress, data: Uint8Array, options: RemoteSendOptions | undefined, quietByDefault: boolean): Promise<void> {
    if (this.closeError) return Promise.reject(this.closeError);
    const quiet = options?.quiet ?? quietByDefault;
    // A send with a signal stays awaited: its abort listener needs the reply to be removed.
    if (quiet && this.quietSendSupported && options?.signal === undefined) return this.quietSend(handle, to, data, options);
    let flags = 0;
    if (options?.endpoint !== undefined) flags |= SEND_FLAG_ENDPOINT;
    if (options?.nonBlocking) flags |= SEND_FLAG_NONBLOCKING;
    const signal = options?.signal;
    if (signal) {
      if (signal.aborted) return Promise.reject(new QrtrAbortedError('send'));
      flags |= SEND_FLAG_ABORTABLE;
    }
    const id = this.allocateId();
    this.lastRequestId = id;
    // One promise per send: the reply settles it directly (no chained .then, no wrapper closure).
    this.nextPendingId = id;
    this.nextPendingOp = Op.SEND;
    const promise = new Promise<void>(this.settleLater);
    this.writer.frame(Op.SEND, flags, id, 4, handle, to.node, to.port, options?.endpoint ?? 0, data);
    if (!signal) return promise;
    // The server aborts its wait and answers QrtrAbortedError; the reply settles the promise.
    const onAbort = (): void => {
      if (!this.closeError) this.writer.write(encodeFrame(Op.ABORT, 0, id, []));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    return promise.finally(() => signal.removeEventListener('abort', onAbort));
  }

  /**
   * SEND with SEND_FLAG_QUIET: nothing waits for a reply, so the send resolves once the
   * frame is queued (the shared settled SEND_COMPLETED: no promise, no pending entry);
   * a failure comes back as SEND_FAILED and is handed to the socket (sendFailed). What
   * is queued here is bounded: past QUIET_SEND_HIGH_WATER_BYTES the frames are handed
   * to the stream at once, and when the daemon stops reading (its pending-sends bound,
   * router flow control behind it) and the kernel stops taking them, the send resolves
   * only when the stream drains, which is how the daemon's backpressure still reaches
   * a caller that awaits each send.
   */
  private quietSend(handle: number, to: QrtrAddress, data: Uint8Array, options: RemoteSendOptions | undefined): Promise<void> {
    let flags = SEND_FLAG_QUIET;
    const endpoint = options?.endpoint;
    if (endpoint !== undefined) flags |= SEND_FLAG_ENDPOINT;
    if (options?.nonBlocking) flags |= SEND_FLAG_NONBLOCKING;
    const id = this.allocateId();
    this.lastRequestId = id;
    this.writer.frame(Op.SEND, flags, id, 4, handle, to.node, to.port, endpoint ?? 0, data);
    if (this.writer.queuedBytes <= QUIET_SEND_HIGH_WATER_BYTES) return SEND_COMPLETED;
    // A caller that awaits each quiet send never leaves the microtask queue, so the turn's
    // flush would never run: hand the bytes to the stream now, and wait only for what the
    // kernel did not take.
    this.writer.flush();
    if (this.conn.writableLength <= QUIET_SEND_HIGH_WATER_BYTES) return SEND_COMPLETED;
    return (this.drained ??= new Promise<void>((resolve, reject) => {
      this.rejectDrained = reject;
      this.conn.once('drain', () => {
        this.drained = null;
        this.rejectDrained = null;
        resolve();
      });
    }));
  }

  socketBind(handle: number, endpointId: number): void {
    if (this.closeError) return;
    const id = this.allocateId();
    // Ordered before any later SEND on the stream; a failure means the socket is gone.
    this.expect(id, Op.BIND).catch((err: QrtrdError) => this.sockets.get(handle)?.fail(err));
    this.writer.write(encodeFrame(Op.BIND, 0, id, [handle, endpointId]));
  }

  socketCredit(handle: number, count: number): void {
    if (!this.closeError) this.writer.frame(Op.CREDIT, 0, handle, 1, count);
  }

  socketClose(handle: number): void {
    this.sockets.delete(handle);
    if (this.closeError) return;
    const id = this.allocateId();
    this.expect(id, Op.CLOSE).catch(noop);
    this.writer.write(encodeFrame(Op.CLOSE, 0, id, [handle]));
  }

  // ------------------------------------------------------------------ frames

  private allocateId(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffffffff ? 1 : this.nextId + 1;
    return id;
  }

  private request(op: number, flags: number, fields: number[], tail?: Uint8Array): Promise<Frame> {
    if (this.closeError) return Promise.reject(this.closeError);
    const id = this.allocateId();
    const promise = this.expect(id, op);
    this.writer.write(encodeFrame(op, flags, id, fields, tail));
    return promise;
  }

  private expect(id: number, op: number): Promise<Frame> {
    this.nextPendingId = id;
    this.nextPendingOp = op;
    return new Promise<Frame>(this.settleLater);
  }

  private readonly onFrame = (frame: Frame): void => {
    switch (frame.op) {
      case Op.MESSAGE: {
        const socket = this.sockets.get(frame.id);
        if (socket === undefined) return;
        // A payload in the read buffer is copied out (the next read overwrites it); one the decoder reassembled is its own.
        const data = frame instanceof DecodedFrame && frame.bytes === this.readBuffer ? frame.copyTail(12) : tail(frame, 12);
        socket.deliver(u32(frame, 0), u32(frame, 1), u32(frame, 2), data);
        return;
      }
      case Op.RESULT:
      case Op.WELCOME:
      case Op.ERROR: {
        const pending = this.pending.take(frame.id);
        if (!pending) throw new LocalClientMalformedFrameError(`reply to unknown request ${frame.id}`, { id: frame.id, op: frame.op });
        if (frame.op === Op.ERROR) return pending.reject(reviveError(jsonBody(frame)));
        if (pending.op === Op.SEND) return pending.resolve(undefined);
        if (frame.op === Op.WELCOME) this.welcome(frame);
        // The frame object is reused by the decoder, and its bytes by the next read: hand over copies.
        return pending.resolve({ op: frame.op, flags: frame.flags, id: frame.id, body: Buffer.from(frame.body) });
      }
      case Op.SOCKET_ERROR:
        this.sockets.get(frame.id)?.fail(reviveError(jsonBody(frame)));
        return;
      case Op.SEND_FAILED: {
        // A quiet send failed; a socket closed meanwhile is no longer in the map (its failure goes with it).
        const socket = this.sockets.get(u32(frame, 0));
        const error = reviveError(jsonBody(frame, Infinity, 12));
        socket?.sendFailed({ sendId: frame.id, to: { node: u32(frame, 1), port: u32(frame, 2) }, error });
        return;
      }
      case Op.SOCKET_CLOSED:
        this.sockets.get(frame.id)?.terminate();
        this.sockets.delete(frame.id);
        return;
      case Op.LOOKUP_EVENT:
        this.lookups.get(frame.id)?.next(jsonBody(frame) as unknown as LookupEvent);
        return;
      case Op.TRACE_EVENT: {
        const subscriber = this.traces.get(frame.id);
        if (!subscriber) return;
        const rest = frame.body.subarray(20);
        const kindLength = rest[0] ?? 0;
        subscriber.next({
          direction: TRACE_DIRECTIONS[u32(frame, 0)] ?? 'local',
          endpoint: u32(frame, 1),
          timestamp: u32(frame, 2) + u32(frame, 3) * 0x100000000,
          dropped: u32(frame, 4),
          backendKind: Buffer.from(rest.subarray(1, 1 + kindLength)).toString('latin1'),
          // The decoder reuses its buffer: keep a copy of the packet.
          packet: Uint8Array.from(rest.subarray(1 + kindLength)),
        });
        return;
      }
      case Op.LOOKUP_ERROR: {
        const lookup = this.lookups.get(frame.id);
        this.lookups.delete(frame.id);
        lookup?.error(reviveError(jsonBody(frame)));
        return;
      }
      case Op.FATAL:
        this.shutdown(reviveError(jsonBody(frame)));
        this.conn.destroy();
        return;
      default:
        throw new LocalClientMalformedFrameError(`unknown op ${hexOp(frame.op)} from the daemon`, { op: frame.op });
    }
  };

  private welcome(frame: Frame): void {
    const welcome = jsonBody(frame);
    if (welcome.protocol !== LOCAL_CLIENT_PROTOCOL_VERSION) {
      throw new LocalClientMalformedFrameError(`the daemon speaks protocol ${String(welcome.protocol)}`, { protocol: welcome.protocol });
    }
    this.localNode = welcome.localNode as number;
    this.owner = welcome.owner as string;
    // A daemon before quiet sends sends no `capabilities`: every send is then awaited as before.
    this.quietSendSupported = Array.isArray(welcome.capabilities) && welcome.capabilities.includes(CAPABILITY_QUIET_SEND);
  }

  /** Fails everything pending; lookups complete on a deliberate close and error otherwise. */
  private shutdown(reason: QrtrdError, deliberate = false): void {
    if (this.closeError) return;
    this.closeError = reason;
    for (const pending of this.pending.drain()) pending.reject(reason);
    this.rejectDrained?.(reason);
    this.drained = null;
    this.rejectDrained = null;
    for (const socket of [...this.sockets.values()]) socket.terminate();
    this.sockets.clear();
    for (const lookup of [...this.lookups.values()]) {
      if (deliberate) lookup.complete();
      else lookup.error(reason);
    }
    this.lookups.clear();
    for (const trace of [...this.traces.values()]) {
      if (deliberate) trace.complete();
      else trace.error(reason);
    }
    this.traces.clear();
    for (const waiter of this.closeWaiters.splice(0)) waiter(reason);
  }
}

function noop(): void {}

/** Connects to a qrtrd daemon's --socket. */
export function connectQrtrd(path: string, options?: ConnectQrtrdOptions): Promise<QrtrdConnection> {
  return QrtrdConnection.connect(path, options);
}
