import type * as net from 'node:net';
import type { Observer, Subscription } from 'rxjs';
import type { QrtrdError } from '../../common/errors';
import { InvalidArgumentError } from '../../common/errors';
import {
  FrameDecoder,
  FrameWriter,
  LOCAL_CLIENT_PROTOCOL_VERSION,
  MAX_CLIENT_FRAME_LENGTH,
  MAX_CLIENT_JSON_LENGTH,
  Op,
  SEND_FLAG_ABORTABLE,
  SEND_FLAG_ENDPOINT,
  SEND_FLAG_NONBLOCKING,
  SEND_FLAG_QUIET,
  LOCAL_CLIENT_CAPABILITIES,
  encodeFrame,
  encodeJsonFrame,
  hexOp,
  jsonBody,
  tail,
  u32,
  type Frame,
} from './protocol';
import {
  LocalClientLimitError,
  LocalClientMalformedFrameError,
  LocalClientUnknownHandleError,
  LocalClientUnknownQueryError,
  LocalClientVersionError,
} from './errors';
import { serializeError } from './revive-error';
import type { NameService } from '../../ns/name-service';
import type { LookupFilter } from '../../ns/types';
import type { EndpointReservation } from '../../router/endpoint-ids';
import { QrtrNetworkResetError } from '../../router/errors';
import type { Router } from '../../router/router';
import { formatBackendKey } from '../../router/endpoint';
import { Datagram, type RouterSocket } from '../../router/router-socket';
import { NO_ENDPOINT_ID, SEND_COMPLETED, type QrtrMessage, type SendOptions } from '../../router/socket';
import { errorFields, type BackendLogger } from '../../links/logger';
import { QRTR_NODE_BCAST, QRTR_PORT_CTRL, QRTR_PORT_CTRL_LEGACY, QrtrType } from '../../wire/constants';
import { decodeControl } from '../../wire/control';
import { FULL_RIGHTS, LocalClientPolicyDeniedError, LocalClientUidLimitError, UidUsage, DEFAULT_PER_UID_LIMITS, type ClientRights, type PerUidLimits, type PeerCredentials } from './policy';

/** The caller's identity, rights and the usage it shares with its uid's other connections. */
export interface ConnectionSecurity {
  readonly rights: ClientRights;
  readonly usage: UidUsage;
  readonly perUid: PerUidLimits;
  /** SO_PEERCRED, or null when the addon cannot read it. */
  readonly peer: PeerCredentials | null;
}

const UNRESTRICTED: ConnectionSecurity = { rights: FULL_RIGHTS, usage: new UidUsage(), perUid: DEFAULT_PER_UID_LIMITS, peer: null };

export interface LocalClientLimits {
  readonly socketsPerClient: number;
  readonly lookupsPerClient: number;
  readonly reservationsPerClient: number;
  /** Sends awaiting the router; above it the connection stops being read until half have finished. */
  readonly pendingSendsPerClient: number;
  /** Largest receive window (datagrams in flight to the client per socket). */
  readonly maxReceiveWindow: number;
  /** Bytes queued towards a client that does not read before it is disconnected. */
  readonly writeQueueLimitBytes: number;
  /** Live traces per client. */
  readonly tracesPerClient: number;
  /**
   * Bytes of datagrams waiting in one socket's queue for the client's credit; beyond
   * it (or beyond the uid's `perUid.queuedBytes` over all its sockets) a datagram is
   * dropped and counted on that socket, like a full kernel receive buffer.
   */
  readonly queuedBytesPerSocket: number;
}

/**
 * Named read-only queries the daemon answers over QUERY (e.g. `status` for
 * `qrtr endpoints` and `qrtr cards`); the composition root fills the map.
 */
export type LocalClientQueries = ReadonlyMap<string, () => unknown>;

export const DEFAULT_LOCAL_CLIENT_LIMITS: LocalClientLimits = {
  socketsPerClient: 256,
  lookupsPerClient: 64,
  reservationsPerClient: 64,
  pendingSendsPerClient: 256,
  maxReceiveWindow: 1024,
  writeQueueLimitBytes: 8 * 1024 * 1024,
  tracesPerClient: 4,
  queuedBytesPerSocket: 2 * 1024 * 1024,
};

/** The QUERY every connection answers about itself (LocalClientConnectionStats). */
export const CONNECTION_QUERY = 'connection';

/** Bookkeeping a queued datagram costs beyond its payload (the Datagram object, the queue slot). */
const DATAGRAM_OVERHEAD_BYTES = 64;

/** One client socket's queue and drop counters (LocalClientServer.clientStats). */
export interface LocalClientSocketStats {
  readonly handle: number;
  readonly port: number;
  readonly queuedBytes: number;
  readonly dropped: number;
}

/** What one connection holds and has cost (LocalClientServer.clientStats). */
export interface LocalClientConnectionStats {
  readonly owner: string;
  readonly uid: number | null;
  /** Bytes received from the client. */
  readonly receivedBytes: number;
  /** Bytes the frame decoder copied to reassemble split frames (at most receivedBytes + 4 per frame). */
  readonly reassemblyCopiedBytes: number;
  readonly sockets: readonly LocalClientSocketStats[];
}

/** Trace events are dropped (and counted) while this many bytes wait to be written to the client. */
const TRACE_BACKLOG_BYTES = 1024 * 1024;

interface ServedSocket {
  readonly handle: number;
  readonly socket: RouterSocket;
  credits: number;
  /** The messages$ subscription while the client has window and the queue is empty. */
  listening: Subscription | null;
  /** Set when the window was used up during a delivery, so that listening stops. */
  exhausted: boolean;
  /** Built once per socket: delivery costs a call, not a closure. */
  observer: Partial<Observer<QrtrMessage>> | null;
  /** Bytes (payload + overhead) admitted into the router socket's queue and not yet taken. */
  queuedBytes: number;
  /** Datagrams dropped because this socket's or its uid's queued-bytes bound was reached. */
  dropped: number;
}

/** Why a client connection ended. */
export type LocalClientCloseReason = 'eof' | 'io-error' | 'protocol' | 'not-reading' | 'server';

/**
 * One client process on the qrtrd --socket: router sockets, lookups and endpoint
 * reservations opened on its behalf, all released when it goes. The client is
 * untrusted: ephemeral ports only, per-connection limits, and any frame that
 * breaks the protocol ends the connection with a FATAL frame naming the error.
 */
export class LocalClientConnection {
  readonly owner: string;
  private readonly decoder: FrameDecoder;
  private readonly writer: FrameWriter;
  private readonly sockets = new Map<number, ServedSocket>();
  private readonly lookups = new Map<number, Subscription>();
  private readonly traces = new Map<number, Subscription>();
  private readonly reservations = new Map<number, EndpointReservation>();
  private readonly aborts = new Map<number, AbortController>();
  private nextHandle = 1;
  private greeted = false;
  private pendingSends = 0;
  private readPaused = false;
  private ended: LocalClientCloseReason | null = null;
  pid: number | undefined;

  constructor(
    readonly id: number,
    private readonly conn: net.Socket,
    private readonly router: Router,
    private readonly ns: NameService,
    private readonly limits: LocalClientLimits,
    private readonly logger: BackendLogger,
    private readonly onEnd: (connection: LocalClientConnection, reason: LocalClientCloseReason, error?: QrtrdError) => void,
    private readonly queries: LocalClientQueries = new Map(),
    private readonly security: ConnectionSecurity = UNRESTRICTED,
  ) {
    this.owner = `client:${id}`;
    this.decoder = new FrameDecoder(this.onFrame, MAX_CLIENT_FRAME_LENGTH);
    this.writer = new FrameWriter(conn);
    conn.on('data', (chunk: Buffer) => {
      // Frames this chunk causes (to this client and to others) leave when it is handled.
      FrameWriter.beginBatch();
      try {
        this.decoder.push(chunk);
      } catch (err) {
        this.fatal(err as QrtrdError);
      } finally {
        FrameWriter.endBatch();
      }
    });
    conn.on('end', () => this.end('eof'));
    conn.on('close', () => this.end('eof'));
    conn.on('error', (err) => {
      this.logger.info({ client: this.owner, error: errorFields(err) }, 'local client connection failed');
      this.end('io-error');
    });
    conn.resume();
  }

  /** The name service's origin for this client's lookups: its uid, shared by all its connections (none for full rights). */
  private nsOrigin(): string | undefined {
    const { rights } = this.security;
    return rights.full || rights.uid === null ? undefined : `uid ${rights.uid}`;
  }

  /** Refuses (and counts, per uid) what the policy denies; full-rights clients pass. */
  private deny(action: string, details: Record<string, unknown> = {}): never {
    const refused = this.security.usage.refused;
    refused.set(action, (refused.get(action) ?? 0) + 1);
    this.logger.info({ client: this.owner, uid: this.security.rights.uid, action }, 'local client request refused by policy');
    throw new LocalClientPolicyDeniedError(action, this.security.rights.uid, details);
  }

  private endpointKey(id: number): string | undefined {
    const info = this.router.endpoint(id);
    return info ? formatBackendKey(info.key) : undefined;
  }

  /** Whether this client may use endpoint `id` (bind to it or name it on a send). */
  private mayUseEndpoint(id: number): boolean {
    const { rights } = this.security;
    if (rights.full) return true;
    const key = this.endpointKey(id);
    return key !== undefined && rights.endpoint(key);
  }

  /** Per-uid bound: `used` of `limit` across the user's connections (root and the daemon's uid are not bounded). */
  private checkUidLimit(what: string, used: number, limit: number): void {
    if (this.security.rights.full || this.security.rights.uid === null) return;
    if (used >= limit) {
      const refused = this.security.usage.refused;
      refused.set(what, (refused.get(what) ?? 0) + 1);
      throw new LocalClientUidLimitError(what, this.security.rights.uid, limit);
    }
  }

  get openSockets(): number {
    return this.sockets.size;
  }

  /** Closes the connection from the server side (shutdown). */
  close(): void {
    this.end('server');
  }

  private readonly onFrame = (frame: Frame): void => {
    if (this.ended) return;
    if (!this.greeted) {
      if (frame.op !== Op.HELLO) throw new LocalClientMalformedFrameError(`expected HELLO first, got op ${hexOp(frame.op)}`, { op: frame.op });
      return this.hello(frame);
    }
    switch (frame.op) {
      case Op.OPEN:
        return this.request(frame.id, () => this.open(frame));
      case Op.BIND:
        return this.request(frame.id, () => this.bind(frame));
      case Op.SEND:
        return this.send(frame);
      case Op.CLOSE:
        return this.request(frame.id, () => this.closeSocket(frame.id, u32(frame, 0)));
      case Op.CREDIT:
        return this.credit(frame.id, u32(frame, 0));
      case Op.RESERVE:
        return this.request(frame.id, () => this.reserve(frame));
      case Op.RELEASE:
        return this.request(frame.id, () => this.release(frame.id, u32(frame, 0)));
      case Op.ENDPOINTS:
        return this.request(frame.id, () => this.write(encodeJsonFrame(Op.RESULT, frame.id, this.router.endpoints())));
      case Op.LOOKUP:
        return this.lookup(frame);
      case Op.UNLOOKUP:
        this.lookups.get(frame.id)?.unsubscribe();
        if (this.lookups.delete(frame.id)) this.security.usage.lookups--;
        return;
      case Op.ABORT:
        this.aborts.get(frame.id)?.abort();
        return;
      case Op.QUERY:
        return this.query(frame);
      case Op.TRACE:
        return this.request(frame.id, () => this.trace(frame));
      case Op.UNTRACE:
        this.traces.get(frame.id)?.unsubscribe();
        this.traces.delete(frame.id);
        return;
      default:
        throw new LocalClientMalformedFrameError(`unknown op ${hexOp(frame.op)}`, { op: frame.op });
    }
  };

  private hello(frame: Frame): void {
    const hello = jsonBody(frame, MAX_CLIENT_JSON_LENGTH);
    if (hello.protocol !== LOCAL_CLIENT_PROTOCOL_VERSION) {
      throw new LocalClientVersionError(hello.protocol, LOCAL_CLIENT_PROTOCOL_VERSION);
    }
    if (typeof hello.pid === 'number' && Number.isInteger(hello.pid)) this.pid = hello.pid;
    this.greeted = true;
    this.logger.info({ client: this.owner, pid: this.pid }, 'local client connected');
    this.write(encodeJsonFrame(Op.WELCOME, 0, { protocol: LOCAL_CLIENT_PROTOCOL_VERSION, localNode: this.router.localNode, owner: this.owner, capabilities: LOCAL_CLIENT_CAPABILITIES }));
  }

  /** Runs a request; a typed failure is answered with ERROR (the connection stays up). */
  private request(id: number, run: () => void): void {
    try {
      run();
    } catch (err) {
      if (err instanceof LocalClientMalformedFrameError) throw err;
      this.write(encodeJsonFrame(Op.ERROR, id, serializeError(err)));
    }
  }

  private open(frame: Frame): void {
    const port = u32(frame, 0);
    const window = u32(frame, 1);
    if (window === 0 || window > this.limits.maxReceiveWindow) {
      throw new InvalidArgumentError('receive window', `1..${this.limits.maxReceiveWindow}`, window);
    }
    if (this.sockets.size >= this.limits.socketsPerClient) throw new LocalClientLimitError('sockets', this.limits.socketsPerClient);
    this.checkUidLimit('sockets', this.security.usage.sockets, this.security.perUid.sockets);
    // Never trusted: ports below 0x4000 and the control port stay with the daemon.
    const socket = this.router.openSocketSync({ port, trusted: false, endpointOverride: this.security.rights.full });
    // Wire NEW_LOOKUPs from this socket count against the user's share of the lookup table, like its LOOKUP frames.
    const origin = this.nsOrigin();
    if (origin !== undefined) this.ns.attributePort(socket.address.port, origin);
    const handle = this.nextHandle++;
    const served: ServedSocket = { handle, socket, credits: window, listening: null, exhausted: false, observer: null, queuedBytes: 0, dropped: 0 };
    socket.admit = (datagram) => this.admitQueued(served, datagram.data.length);
    this.sockets.set(handle, served);
    this.security.usage.sockets++;
    this.frame(Op.RESULT, 0, frame.id, 3, handle, socket.address.node, socket.address.port);
    this.pull(served);
  }

  /**
   * Bounds what waits for a client's credit: per socket (every client) and per uid
   * over all of the user's sockets (unprivileged users), so a client that reads but
   * never returns credit cannot grow the daemon's memory. A drop is counted on this
   * client's socket and its uid, and logged once per socket.
   */
  private admitQueued(served: ServedSocket, length: number): boolean {
    const cost = length + DATAGRAM_OVERHEAD_BYTES;
    const usage = this.security.usage;
    const uidBound = !this.security.rights.full && this.security.rights.uid !== null;
    if (served.queuedBytes + cost > this.limits.queuedBytesPerSocket || (uidBound && usage.queuedBytes + cost > this.security.perUid.queuedBytes)) {
      if (served.dropped++ === 0) {
        this.logger.warn(
          { client: this.owner, uid: this.security.rights.uid, port: served.socket.address.port, queuedBytes: served.queuedBytes, uidQueuedBytes: usage.queuedBytes },
          'local client socket is not returning credit: dropping datagrams beyond its queued-bytes bound',
        );
      }
      usage.dropped++;
      return false;
    }
    served.queuedBytes += cost;
    usage.queuedBytes += cost;
    return true;
  }

  /** A queued datagram was taken for the client; an empty queue resynchronises the count (the router may refuse one by its datagram bound after admission). */
  private takenQueued(served: ServedSocket, length: number): void {
    const cost = served.socket.queued === 0 ? served.queuedBytes : Math.min(served.queuedBytes, length + DATAGRAM_OVERHEAD_BYTES);
    served.queuedBytes -= cost;
    this.security.usage.queuedBytes -= cost;
  }

  /** Gives back what a closing socket still had queued. */
  private forgetQueued(served: ServedSocket): void {
    served.socket.admit = null;
    this.security.usage.queuedBytes -= served.queuedBytes;
    served.queuedBytes = 0;
  }

  /** The `connection` query: this connection's stats and its uid's queued bytes and drops. */
  private ownStats(): LocalClientConnectionStats & { readonly uidQueuedBytes: number; readonly uidDropped: number } {
    return { ...this.stats(), uidQueuedBytes: this.security.usage.queuedBytes, uidDropped: this.security.usage.dropped };
  }

  stats(): LocalClientConnectionStats {
    return {
      owner: this.owner,
      uid: this.security.peer?.uid ?? null,
      receivedBytes: this.decoder.receivedBytes,
      reassemblyCopiedBytes: this.decoder.copiedBytes,
      sockets: [...this.sockets.values()].map((s) => ({ handle: s.handle, port: s.socket.address.port, queuedBytes: s.queuedBytes, dropped: s.dropped })),
    };
  }

  private served(handle: number): ServedSocket {
    const served = this.sockets.get(handle);
    if (!served) throw new LocalClientUnknownHandleError('socket', handle);
    return served;
  }

  private bind(frame: Frame): void {
    const served = this.served(u32(frame, 0));
    const endpoint = u32(frame, 1);
    if (!this.mayUseEndpoint(endpoint)) this.deny('bind to an endpoint the policy does not grant', { endpoint, key: this.endpointKey(endpoint) });
    served.socket.bindEndpoint(endpoint);
    this.frame(Op.RESULT, 0, frame.id, 0);
  }

  private send(frame: Frame): void {
    const id = frame.id;
    // Quiet (SEND_FLAG_QUIET): success is answered with nothing, a failure with SEND_FAILED.
    const quiet = (frame.flags & SEND_FLAG_QUIET) !== 0;
    let promise: Promise<void>;
    let handle = 0;
    let node = 0;
    let port = 0;
    try {
      // Same order of checks as before quiet sends: the handle, then the other fields.
      handle = u32(frame, 0);
      const served = this.served(handle);
      node = u32(frame, 1);
      port = u32(frame, 2);
      const endpoint = u32(frame, 3);
      const to = { node, port };
      const data = tail(frame, 16);
      let options: SendOptions | undefined;
      if ((frame.flags & (SEND_FLAG_ENDPOINT | SEND_FLAG_NONBLOCKING | SEND_FLAG_ABORTABLE)) !== 0) {
        let signal: AbortSignal | undefined;
        if (frame.flags & SEND_FLAG_ABORTABLE) {
          const controller = new AbortController();
          this.aborts.set(id, controller);
          signal = controller.signal;
        }
        options = {
          endpoint: frame.flags & SEND_FLAG_ENDPOINT ? endpoint : undefined,
          nonBlocking: (frame.flags & SEND_FLAG_NONBLOCKING) !== 0,
          signal,
        };
      }
      this.authorizeSend(served, to, frame.flags & SEND_FLAG_ENDPOINT ? endpoint : undefined, data);
      promise = to.port === QRTR_PORT_CTRL && to.node === this.router.localNode ? this.sendToNameService(served, to, data, options) : served.socket.send(to, data, options);
    } catch (err) {
      if (err instanceof LocalClientMalformedFrameError) throw err;
      if (frame.flags & SEND_FLAG_ABORTABLE) this.aborts.delete(id);
      if (quiet && frame.body.length >= 12) {
        // An unknown handle fails before the destination is read; SEND_FAILED still names it.
        node = u32(frame, 1);
        port = u32(frame, 2);
      }
      this.sendFailed(id, quiet, handle, node, port, err);
      return;
    }
    if (promise === SEND_COMPLETED) {
      // The router completed it synchronously: RESULT now (none for a quiet send), no continuation, no pending count.
      if (frame.flags & SEND_FLAG_ABORTABLE) this.aborts.delete(id);
      if (!quiet) this.frame(Op.RESULT, 0, id, 0);
      return;
    }
    this.pendingSends++;
    if (this.pendingSends >= this.limits.pendingSendsPerClient && !this.readPaused) {
      // Backpressure: stop reading this client until its sends drain (quiet ones included).
      this.readPaused = true;
      this.conn.pause();
    }
    promise.then(
      () => this.sendDone(id, null, quiet),
      (err) => this.sendDone(id, err, quiet, handle, node, port),
    );
  }

  /**
   * A send failed: ERROR with its id, or for a quiet send SEND_FAILED with its id, the
   * socket handle and the destination, so that a client that did not wait for the
   * send can tell which one failed and on which socket.
   */
  private sendFailed(id: number, quiet: boolean, handle: number, node: number, port: number, err: unknown): void {
    if (quiet) this.write(encodeFrame(Op.SEND_FAILED, 0, id, [handle, node, port], Buffer.from(JSON.stringify(serializeError(err)), 'utf8')));
    else this.write(encodeJsonFrame(Op.ERROR, id, serializeError(err)));
  }

  /**
   * DATA to the local router's control port is a command for the name service, which
   * handles it synchronously during the send. A command it refuses (BYE from a local
   * socket, DEL_CLIENT for another client's port, ...) is reported as an incident;
   * the send then fails with that error, so the client sees ERROR with the name
   * service's code rather than RESULT (issue #18 item 6; root included).
   */
  private sendToNameService(served: ServedSocket, to: { node: number; port: number }, data: Uint8Array, options: SendOptions | undefined): Promise<void> {
    let refusal: unknown = null;
    const port = served.socket.address.port;
    const watch = this.ns.incidents$.subscribe((incident) => {
      if (refusal === null && incident.from.node === this.router.localNode && incident.from.port === port) refusal = incident.error;
    });
    try {
      const sent = served.socket.send(to, data, options);
      return refusal !== null ? Promise.reject(refusal) : sent;
    } finally {
      watch.unsubscribe();
    }
  }

  /**
   * Binding isolates: a bound socket sends on its endpoint, naming another needs the
   * right to it; control ports (a card's, broadcast, the router's) need the control
   * right; an unprivileged unbound socket reaches only the local node.
   */
  private authorizeSend(served: ServedSocket, to: { node: number; port: number }, named: number | undefined, data: Uint8Array): void {
    const { rights } = this.security;
    if (to.port === QRTR_PORT_CTRL || to.port === QRTR_PORT_CTRL_LEGACY || to.node === QRTR_NODE_BCAST) {
      if (!rights.control && !this.mayPublish(served, to, data)) this.deny('send to a control port or broadcast', { node: to.node, port: to.port });
    }
    if (rights.full) return;
    if (to.node === this.router.localNode) return;
    // What the router will route by: the named endpoint, else the binding; 0 (named or
    // unbound) means "the node's owner", which the policy cannot vouch for.
    const bound = served.socket.endpointBinding;
    const wanted = named ?? bound;
    if (wanted === NO_ENDPOINT_ID) {
      this.deny('send off-node without a granted endpoint (bind the socket to one)', { node: to.node, named, bound });
    }
    if (wanted !== bound && !this.mayUseEndpoint(wanted)) {
      this.deny('send on an endpoint the policy does not grant', { endpoint: wanted, bound });
    }
  }

  /**
   * The one control message a user with a `publish` grant may send: NEW_SERVER or DEL_SERVER of
   * a granted service, to the router's own control port, naming the sending socket itself
   * (so it can neither publish for another port nor withdraw another client's server).
   */
  private mayPublish(served: ServedSocket, to: { node: number; port: number }, data: Uint8Array): boolean {
    const { publish } = this.security.rights;
    if (publish.size === 0 || to.node !== this.router.localNode || to.port !== QRTR_PORT_CTRL) return false;
    let packet;
    try {
      packet = decodeControl(data);
    } catch {
      return false;
    }
    if (packet.type !== QrtrType.NEW_SERVER && packet.type !== QrtrType.DEL_SERVER) return false;
    return publish.has(packet.service) && packet.node === this.router.localNode && packet.port === served.socket.address.port;
  }

  private sendDone(id: number, err: unknown, quiet: boolean, handle = 0, node = 0, port = 0): void {
    this.pendingSends--;
    this.aborts.delete(id);
    if (this.ended) return;
    if (err) this.sendFailed(id, quiet, handle, node, port, err);
    else if (!quiet) this.frame(Op.RESULT, 0, id, 0);
    if (this.readPaused && this.pendingSends <= this.limits.pendingSendsPerClient >> 1) {
      this.readPaused = false;
      this.conn.resume();
    }
  }

  private closeSocket(id: number, handle: number): void {
    const served = this.served(handle);
    this.sockets.delete(handle);
    this.security.usage.sockets--;
    this.forgetQueued(served);
    served.socket.close();
    this.frame(Op.RESULT, 0, id, 0);
  }

  private credit(handle: number, count: number): void {
    const served = this.sockets.get(handle);
    if (!served) return; // a credit racing a close is harmless
    served.credits = Math.min(served.credits + count, this.limits.maxReceiveWindow);
    this.pull(served);
  }

  /**
   * Moves datagrams from the router socket to the client while the client has window
   * left, synchronously and without a promise each: queued ones are taken with
   * tryReceive(), and while the queue is empty the connection listens on messages$
   * (a direct call per datagram) until the window is used up, then stops listening so
   * that further datagrams wait in the router socket's (bounded) queue. The router
   * sends RESUME_TX (if asked for) when a datagram is handed over here, i.e. when it
   * enters the client's window.
   */
  private pull(served: ServedSocket): void {
    if (served.listening !== null || served.credits <= 0 || served.socket.closed || this.ended) return;
    let message: QrtrMessage | undefined;
    while (served.credits > 0 && (message = served.socket.tryReceive()) !== undefined) {
      served.credits--;
      this.takenQueued(served, message.data.length);
      this.message(served.handle, message);
      if (this.ended) return;
    }
    if (served.credits <= 0 || served.socket.closed) return;
    served.exhausted = false;
    const subscription = served.socket.messages$.subscribe(served.observer ?? (served.observer = this.observerFor(served)));
    // The window may have been used up during subscribe (it hands over what is queued).
    if (served.exhausted || subscription.closed) subscription.unsubscribe();
    else served.listening = subscription;
  }

  private observerFor(served: ServedSocket): Partial<Observer<QrtrMessage>> {
    const stopListening = (): void => {
      served.exhausted = true;
      const listening = served.listening;
      served.listening = null;
      listening?.unsubscribe();
    };
    return {
      next: (message) => {
        if (this.ended) return;
        served.credits--;
        this.message(served.handle, message);
        if (served.credits <= 0) stopListening();
      },
      complete: () => {
        served.listening = null;
        if (this.ended) return;
        // Closed by the daemon (router shutdown), not by a CLOSE request (that removes it first).
        if (this.sockets.get(served.handle) === served) {
          this.sockets.delete(served.handle);
          this.security.usage.sockets--;
          this.forgetQueued(served);
          this.frame(Op.SOCKET_CLOSED, 0, served.handle, 0);
        }
      },
      error: (err: unknown) => {
        served.listening = null;
        if (this.ended) return;
        if (err instanceof QrtrNetworkResetError) {
          this.write(encodeJsonFrame(Op.SOCKET_ERROR, served.handle, serializeError(err)));
          this.pull(served);
        }
      },
    };
  }

  private reserve(frame: Frame): void {
    const body = jsonBody(frame, MAX_CLIENT_JSON_LENGTH);
    const { kind, key, owner } = body;
    if (typeof kind !== 'string' || !kind || typeof key !== 'string' || !key) {
      throw new InvalidArgumentError('backend key', "{ kind: string, key: string } with both non-empty", JSON.stringify(body));
    }
    if (owner !== undefined && (typeof owner !== 'string' || owner.length > 128)) throw new InvalidArgumentError('owner', 'a string of at most 128 characters', owner);
    if (this.reservations.size >= this.limits.reservationsPerClient) throw new LocalClientLimitError('endpoint reservations', this.limits.reservationsPerClient);
    this.checkUidLimit('endpoint reservations', this.security.usage.reservations, Math.min(this.security.rights.reservations, this.security.perUid.reservations));
    const reservation = this.router.reserveEndpoint({ kind, key }, owner ? `${this.owner}/${owner}` : this.owner);
    const handle = this.nextHandle++;
    this.reservations.set(handle, reservation);
    this.security.usage.reservations++;
    this.write(encodeJsonFrame(Op.RESULT, frame.id, { reservation: handle, id: reservation.id, owner: reservation.owner }));
  }

  private release(id: number, handle: number): void {
    const reservation = this.reservations.get(handle);
    if (!reservation) throw new LocalClientUnknownHandleError('reservation', handle);
    this.reservations.delete(handle);
    this.security.usage.reservations--;
    reservation.release();
    this.frame(Op.RESULT, 0, id, 0);
  }

  private lookup(frame: Frame): void {
    const id = frame.id;
    try {
      if (this.lookups.has(id)) throw new LocalClientMalformedFrameError(`lookup id ${id} is already in use`, { id });
      if (this.lookups.size >= this.limits.lookupsPerClient) throw new LocalClientLimitError('lookups', this.limits.lookupsPerClient);
      this.checkUidLimit('lookups', this.security.usage.lookups, this.security.perUid.lookups);
      const filter = parseFilter(jsonBody(frame, MAX_CLIENT_JSON_LENGTH));
      const subscription = this.ns.lookup$(filter, { origin: this.nsOrigin() }).subscribe({
        next: (event) => this.write(encodeJsonFrame(Op.LOOKUP_EVENT, id, event)),
        error: (err) => {
          if (this.lookups.delete(id)) this.security.usage.lookups--;
          this.write(encodeJsonFrame(Op.LOOKUP_ERROR, id, serializeError(err)));
        },
      });
      if (!subscription.closed) {
        this.lookups.set(id, subscription);
        this.security.usage.lookups++;
      }
    } catch (err) {
      if (err instanceof LocalClientMalformedFrameError) throw err;
      this.write(encodeJsonFrame(Op.LOOKUP_ERROR, id, serializeError(err)));
    }
  }

  private query(frame: Frame): void {
    const id = frame.id;
    const name = jsonBody(frame, MAX_CLIENT_JSON_LENGTH).name;
    this.request(id, () => {
      // `connection` is served by the connection itself: what it holds and what its bounds dropped (its own only).
      const handler = name === CONNECTION_QUERY ? () => this.ownStats() : typeof name === 'string' ? this.queries.get(name) : undefined;
      if (!handler) throw new LocalClientUnknownQueryError(String(name), [CONNECTION_QUERY, ...this.queries.keys()]);
      Promise.resolve()
        .then(handler)
        .then(
          (result) => this.write(encodeJsonFrame(Op.RESULT, id, { result })),
          (err: unknown) => this.write(encodeJsonFrame(Op.ERROR, id, serializeError(err))),
        );
    });
  }

  /**
   * Streams every packet the router sees (optionally of one endpoint) as
   * TRACE_EVENT frames: [direction, endpoint, time ms low, time ms high, dropped]
   * then [u8 kind length][kind][packet]. A client that falls behind loses events,
   * counted in `dropped`, rather than slowing the router.
   */
  private trace(frame: Frame): void {
    const id = frame.id;
    if (this.traces.has(id)) throw new LocalClientMalformedFrameError(`trace id ${id} is already in use`, { id });
    if (!this.security.rights.trace) this.deny('trace');
    if (this.traces.size >= this.limits.tracesPerClient) throw new LocalClientLimitError('traces', this.limits.tracesPerClient);
    const options = jsonBody(frame, MAX_CLIENT_JSON_LENGTH);
    const endpoint = options.endpoint;
    if (endpoint !== undefined && (typeof endpoint !== 'number' || !Number.isInteger(endpoint) || endpoint < 0)) {
      throw new InvalidArgumentError('trace endpoint', 'an endpoint id', endpoint);
    }
    let dropped = 0;
    const subscription = this.router.packets$.subscribe((trace) => {
      if (endpoint !== undefined && trace.endpoint !== endpoint) return;
      if (this.writer.queuedBytes > TRACE_BACKLOG_BYTES) {
        dropped++;
        return;
      }
      const kind = Buffer.from(trace.backendKind.slice(0, 255), 'latin1');
      const packet = Buffer.allocUnsafe(1 + kind.length + trace.packet.length);
      packet[0] = kind.length;
      kind.copy(packet, 1);
      packet.set(trace.packet, 1 + kind.length);
      const direction = trace.direction === 'rx' ? 0 : trace.direction === 'tx' ? 1 : 2;
      this.write(encodeFrame(Op.TRACE_EVENT, 0, id, [direction, trace.endpoint, trace.timestamp % 0x100000000, Math.floor(trace.timestamp / 0x100000000), dropped], packet));
    });
    this.traces.set(id, subscription);
    this.frame(Op.RESULT, 0, id, 0);
  }

  private write(frame: Buffer): void {
    if (this.ended) return;
    this.writer.write(frame);
    this.checkBacklog();
  }

  /** Encodes a frame straight into the writer's arena (no Buffer per frame); see FrameWriter.frame. */
  private frame(op: number, flags: number, id: number, count: number, f0 = 0, f1 = 0, f2 = 0, f3 = 0, tail?: Uint8Array): void {
    if (this.ended) return;
    this.writer.frame(op, flags, id, count, f0, f1, f2, f3, tail);
    this.checkBacklog();
  }

  private message(handle: number, message: QrtrMessage): void {
    // The router's Datagram carries the source as numbers; reading `from` would build an object.
    if (message instanceof Datagram) this.frame(Op.MESSAGE, 0, handle, 3, message.srcNode, message.srcPort, message.endpoint, 0, message.data);
    else this.frame(Op.MESSAGE, 0, handle, 3, message.from.node, message.from.port, message.endpoint, 0, message.data);
  }

  private checkBacklog(): void {
    const queued = this.writer.queuedBytes;
    if (queued > this.limits.writeQueueLimitBytes) {
      this.logger.warn({ client: this.owner, queued }, 'local client is not reading; disconnecting it');
      this.end('not-reading');
    }
  }

  private fatal(error: QrtrdError): void {
    if (this.ended) return;
    this.logger.warn({ client: this.owner, pid: this.pid, error: errorFields(error) }, `local client broke the protocol: ${error.message}`);
    this.writer.write(encodeJsonFrame(Op.FATAL, 0, serializeError(error)));
    this.end('protocol', error);
  }

  private end(reason: LocalClientCloseReason, error?: QrtrdError): void {
    if (this.ended) return;
    this.ended = reason;
    for (const subscription of this.lookups.values()) subscription.unsubscribe();
    this.security.usage.lookups -= this.lookups.size;
    this.lookups.clear();
    for (const subscription of this.traces.values()) subscription.unsubscribe();
    this.traces.clear();
    for (const controller of this.aborts.values()) controller.abort();
    this.aborts.clear();
    for (const served of this.sockets.values()) {
      this.forgetQueued(served);
      served.socket.close();
    }
    this.security.usage.sockets -= this.sockets.size;
    this.sockets.clear();
    for (const reservation of this.reservations.values()) reservation.release();
    this.security.usage.reservations -= this.reservations.size;
    this.reservations.clear();
    if (reason === 'protocol' || reason === 'server') this.writer.end();
    else this.conn.destroy();
    this.onEnd(this, reason, error);
  }
}

function parseFilter(body: Record<string, unknown>): LookupFilter {
  const field = (name: string, required: boolean): number | undefined => {
    const value = body[name];
    if (value === undefined && !required) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new InvalidArgumentError(`lookup ${name}`, 'an integer in 0..0xffffffff', value);
    }
    return value;
  };
  return { service: field('service', true)!, version: field('version', false), instance: field('instance', false), endpoint: field('endpoint', false), node: field('node', false) };
}
