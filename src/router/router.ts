import { Subscriber, type Observable, type Subscription } from 'rxjs';
import { QrtrdError } from '../common/errors';
import {
  QRTR_CONTROL_PACKET_LENGTH,
  QRTR_EPHEMERAL_PORT_MAX,
  QRTR_EPHEMERAL_PORT_MIN,
  QRTR_MAX_PAYLOAD,
  QRTR_NODE_BCAST,
  QRTR_PORT_CTRL,
  QrtrType,
  isKnownQrtrType,
} from '../wire/constants';
import { decodeControlInto, encodeControl, newControlPacket } from '../wire/control';
import { QrtrWireError } from '../wire/errors';
import { decodeHeaderInto, encodePacket, newHeader, type QrtrHeader, type QrtrHeaderFields } from '../wire/packet';
import type { DeviceControl } from './device-control';
import { formatBackendKey, type BackendDevice, type BackendKey, type Endpoint } from './endpoint';
import { EndpointIdRegistry, type EndpointReservation, type ReserveOptions } from './endpoint-ids';
import {
  EndpointKeyInUseError,
  QrtrAbortedError,
  QrtrAddressInUseError,
  QrtrBadDestinationError,
  QrtrEndpointBindingError,
  QrtrEndpointGoneError,
  QrtrMessageSizeError,
  QrtrNoRouteError,
  QrtrNoSuchPortError,
  QrtrPortPermissionError,
  QrtrPortsExhaustedError,
  QrtrRemotePortGoneError,
  QrtrWouldBlockError,
} from './errors';
import { FlowTable, MUST_WAIT } from './flow-control';
import { Datagram, RouterSocket, type SocketHost, type SocketStats } from './router-socket';
import { SinkList } from './sink-list';
import {
  LOCAL_ENDPOINT_ID,
  NO_ENDPOINT_ID,
  SEND_COMPLETED,
  type OpenSocketOptions,
  type QrtrAddress,
  type QrtrSocket,
  type QrtrSocketProvider,
  type SendOptions,
} from './socket';
import { DEFAULT_ROUTER_OPTIONS, type RouterOptions } from './options';
import { ContainedFailureError } from '../common/containment';

// Module-local copies for the receive path: in the CommonJS output an imported constant is
// a load of the module object plus a property load, bytecode that counts against V8's
// inlining budget (see Router.receiveFromLink).
const TYPE_DATA: number = QrtrType.DATA;
const NODE_BCAST: number = QRTR_NODE_BCAST;
const PORT_CTRL: number = QRTR_PORT_CTRL;

/** Why the router dropped a received packet; each has a counter per endpoint. */
export type DropReason =
  | 'malformed'
  | 'spoofedNode'
  | 'nodeLimit'
  | 'unknownType'
  | 'controlNotToControlPort'
  | 'controlTypeMismatch'
  | 'dataToControlPort'
  | 'remoteLookup'
  | 'noSuchPort'
  | 'endpointFiltered'
  | 'queueFull'
  | 'misaddressed'
  /** Handling the packet threw (a bug): the packet is dropped and its link detached, nothing else. */
  | 'internalError';

export const DROP_REASONS: readonly DropReason[] = [
  'malformed',
  'spoofedNode',
  'nodeLimit',
  'unknownType',
  'controlNotToControlPort',
  'controlTypeMismatch',
  'dataToControlPort',
  'remoteLookup',
  'noSuchPort',
  'endpointFiltered',
  'queueFull',
  'misaddressed',
  'internalError',
];

export interface EndpointCounters {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  txErrors: number;
  dropped: Record<DropReason, number>;
}

/** A snapshot row of {@link Router.endpoints}. */
export interface EndpointInfo {
  readonly id: number;
  readonly key: BackendKey;
  /** What the backend knows of the device (Endpoint.device). */
  readonly device?: BackendDevice;
  /** Endpoint.control: host memory and reset of the device (serialises as a summary). */
  readonly control?: DeviceControl;
  /** The first node id learned on this endpoint, if any yet. */
  readonly primaryNode: number | undefined;
  /** Every node id reachable through it (bridged ones included). */
  readonly nodes: readonly number[];
  readonly attachedAt: number;
  readonly counters: Readonly<EndpointCounters>;
  readonly flows: number;
}

export interface EndpointEvent {
  readonly type: 'attached' | 'detached';
  readonly id: number;
  readonly key: BackendKey;
}

/** One packet seen by the router, for tracing and capture. */
export interface PacketTrace {
  /** rx: from a link; tx: to a link; local: between local sockets (synthesised v1 packet). */
  readonly direction: 'rx' | 'tx' | 'local';
  readonly endpoint: number;
  readonly backendKind: string;
  readonly packet: Uint8Array;
  readonly timestamp: number;
}

/** A drop, with its reason and the error that explains it (for malformed packets). */
export interface DropEvent {
  readonly endpoint: number;
  readonly reason: DropReason;
  readonly error?: QrtrdError;
}

/** Handle returned by {@link Router.attach}. */
export interface AttachedEndpoint {
  readonly id: number;
  readonly key: BackendKey;
  /**
   * Hands the router one whole received packet (qrtr_endpoint_post), for backends
   * that push instead of offering packets$. Malformed packets are counted and
   * dropped; nothing is thrown. Ignored after detach.
   */
  post(packet: Uint8Array): void;
  /** Detaches and closes the endpoint. Idempotent. */
  detach(): void;
}

interface EndpointState {
  readonly id: number;
  readonly endpoint: Endpoint;
  readonly key: BackendKey;
  readonly attachedAt: number;
  subscription: Subscription | null;
  primaryNode: number | undefined;
  readonly nodes: Set<number>;
  readonly flows: FlowTable;
  readonly counters: EndpointCounters;
  /** We sent HELLO since the last HELLO we received: do not answer the next one (no HELLO ping-pong). */
  helloSentSinceReceived: boolean;
  gone: boolean;
}

/** Options of {@link Router.openSocketSync}: rights only the router's owner (code in its process) can grant. */
export interface OpenSocketSyncOptions extends OpenSocketOptions {
  /** May bind ports below 0x4000 and the control port. */
  readonly trusted?: boolean;
  /**
   * May name, per message, an endpoint other than the one it is bound to
   * (SendOptions.endpoint). Without it a bound socket sends on its endpoint only and
   * naming another is a QrtrEndpointBindingError. For privileged callers that have
   * checked the right themselves (the local-client service for clients its policy
   * lets use the named endpoint). Receiving stays filtered by the binding either way.
   */
  readonly endpointOverride?: boolean;
}

/**
 * The router's subscriber to an endpoint's packets$: a Subscriber subclass, so rxjs
 * uses it as it is (no SafeSubscriber and ConsumerObserver around it) and a packet
 * costs Subscriber.next -> _next -> the router.
 */
class LinkSubscriber extends Subscriber<Uint8Array> {
  constructor(
    private readonly router: Router,
    private readonly state: EndpointState,
  ) {
    super();
  }

  protected override _next(packet: Uint8Array): void {
    this.router.receiveFromLink(this.state, packet);
  }

  protected override _error(): void {
    this.unsubscribe();
    this.router.detach(this.state.id);
  }

  protected override _complete(): void {
    this.unsubscribe();
    this.router.detach(this.state.id);
  }
}

function newCounters(): EndpointCounters {
  const dropped = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) dropped[reason] = 0;
  return { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, txErrors: 0, dropped };
}

/**
 * The QRTR router: the userspace counterpart of net/qrtr/af_qrtr.c, keyed by
 * endpoint. It learns node ids per endpoint (two cards both at node 7 coexist),
 * delivers by destination port, applies flow control per (endpoint, node, port),
 * isolates sockets bound to an endpoint, and hosts whatever binds the control
 * port (the name service) without knowing about it.
 */
export class Router implements QrtrSocketProvider, SocketHost {
  readonly localNode: number;
  readonly endpointIds: EndpointIdRegistry;
  private readonly options: RouterOptions;
  private readonly endpointsById = new Map<number, EndpointState>();
  /** node id -> endpoints that announced it, in claim order; [0] owns the legacy (endpoint-less) route. */
  private readonly nodeClaims = new Map<number, number[]>();
  private readonly ports = new Map<number, RouterSocket>();
  /** One-entry cache of `ports` for the receive path (a card talks to few ports at a time). */
  private cachedPort = -1;
  private cachedSocket: RouterSocket | undefined = undefined;
  private readonly rxHeader = newHeader();
  private readonly rxControl = newControlPacket();
  /** A local delivery is running: further local sends are deferred (see sendLocal). */
  private localDelivering = false;
  /** Deferred local deliveries as (socket, datagram) pairs, flat to avoid an object per pair. */
  private readonly deferredLocal: (RouterSocket | Datagram)[] = [];
  // Hot streams without rxjs Subject: one call per subscriber per event (see SinkList).
  private readonly endpointEventsSubject = new SinkList<EndpointEvent>();
  private readonly dropTotals = newCounters().dropped;
  /** Someone subscribes to packets$: one field read per packet instead of the list's length. */
  private tapping = false;
  private readonly tapSubject: SinkList<PacketTrace> = new SinkList<PacketTrace>({
    added: () => (this.tapping = true),
    removed: () => (this.tapping = this.tapSubject.observed),
  });
  private readonly dropsSubject = new SinkList<DropEvent>();
  private stopped = false;

  /** Endpoint attach/detach events. */
  readonly endpointEvents$: Observable<EndpointEvent> = this.endpointEventsSubject.observable;
  /** Every packet in and out, while subscribed (free when nobody listens). */
  readonly packets$: Observable<PacketTrace> = this.tapSubject.observable;
  /** Every dropped packet with its reason. */
  readonly drops$: Observable<DropEvent> = this.dropsSubject.observable;

  constructor(options: Partial<RouterOptions> = {}) {
    this.options = { ...DEFAULT_ROUTER_OPTIONS, ...options, limits: { ...DEFAULT_ROUTER_OPTIONS.limits, ...options.limits } };
    this.localNode = this.options.localNode;
    this.endpointIds = new EndpointIdRegistry(this.options.limits);
  }

  // ---------------------------------------------------------------- endpoints

  /**
   * Connects a link. The endpoint gets its backend key's ID (a reservation made
   * before it appeared, or a new one), is greeted with HELLO, and its packets are
   * routed until packets$ completes or {@link AttachedEndpoint.detach} is called.
   * @throws EndpointKeyInUseError if an endpoint with the same key is attached.
   */
  attach(endpoint: Endpoint): AttachedEndpoint {
    const key = endpoint.backendKey;
    const existing = this.endpointIds.get(key);
    if (existing && this.endpointIds.isAttached(existing)) throw new EndpointKeyInUseError(key, existing);
    const id = this.endpointIds.markAttached(key);
    const state: EndpointState = {
      id,
      endpoint,
      key,
      attachedAt: Date.now(),
      subscription: null,
      primaryNode: undefined,
      nodes: new Set(),
      flows: new FlowTable(this.options.limits.sendWaitersPerFlow),
      counters: newCounters(),
      helloSentSinceReceived: false,
      gone: false,
    };
    this.endpointsById.set(id, state);
    this.endpointEventsSubject.emit({ type: 'attached', id, key });
    state.subscription = endpoint.packets$?.subscribe(new LinkSubscriber(this, state)) ?? null;
    if (!state.gone) this.sendHello(state);
    return { id, key, post: (packet) => this.receiveFromLink(state, packet), detach: () => this.detach(id) };
  }

  /**
   * Disconnects an endpoint: pending senders fail with QrtrEndpointGoneError,
   * the name service receives a BYE for every node learned through it, node
   * routes go, and the ID is reclaimed unless reserved.
   */
  detach(id: number): void {
    const state = this.endpointsById.get(id);
    if (!state || state.gone) return;
    state.gone = true;
    this.endpointsById.delete(id);
    state.subscription?.unsubscribe();
    state.flows.clear(() => new QrtrEndpointGoneError(id));
    for (const node of state.nodes) {
      this.releaseNodeClaim(node, id);
      this.deliverToControl(encodeControl({ type: QrtrType.BYE }), node, QRTR_PORT_CTRL, id);
    }
    state.nodes.clear();
    try {
      state.endpoint.close();
    } finally {
      this.endpointIds.markDetached(id, { keyReturns: state.endpoint.keyReturns !== false });
      this.endpointEventsSubject.emit({ type: 'detached', id, key: state.key });
    }
  }

  /** Claims the endpoint ID of a backend before (or after) it attaches; see EndpointIdRegistry. */
  reserveEndpoint(key: BackendKey, owner: string, options?: ReserveOptions): EndpointReservation {
    return this.endpointIds.reserve(key, owner, options);
  }

  /** Every attached endpoint, by ID (a snapshot: counters and node lists are copies). */
  endpoints(): EndpointInfo[] {
    return [...this.endpointsById.values()].sort((a, b) => a.id - b.id).map(endpointInfo);
  }

  /**
   * One attached endpoint's snapshot, or undefined. What a caller that knows the ID needs:
   * `endpoints().find()` copies every endpoint's counters, so a plugin asking per card
   * made O(cards²) objects in a fleet's bring-up (docs/performance.md).
   */
  endpoint(id: number): EndpointInfo | undefined {
    const state = this.endpointsById.get(id);
    return state ? endpointInfo(state) : undefined;
  }

  /** The endpoint a legacy (endpoint-less) send to `node` goes to: the first that claimed it. */
  legacyEndpointOf(node: number): number {
    return this.nodeClaims.get(node)?.[0] ?? NO_ENDPOINT_ID;
  }

  /** Endpoint binding of the socket on a local port (used by the name service to filter lookups). */
  endpointBindingOf(port: number): number {
    return this.ports.get(port)?.endpointBinding ?? NO_ENDPOINT_ID;
  }

  /** Counters of every bound socket, by port: receive queues and what each dropped (issue #18). */
  sockets(): SocketStats[] {
    return [...this.ports.values()].sort((a, b) => a.address.port - b.address.port).map((s) => s.stats());
  }

  /** Number of bound ports (for leak checks). */
  get portCount(): number {
    return this.ports.size;
  }

  // ------------------------------------------------------------------ sockets

  openSocket(options?: OpenSocketOptions): Promise<QrtrSocket> {
    try {
      return Promise.resolve(this.openSocketSync({ port: options?.port, trusted: false, endpointOverride: false }));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Opens a socket synchronously. `trusted` owners (code inside the router's
   * process that the operator configured) may bind ports below 0x4000 and the
   * control port; binding the control port resets every other socket (ENETRESET).
   */
  openSocketSync(options: OpenSocketSyncOptions = {}): RouterSocket {
    const trusted = options.trusted ?? false;
    let port = options.port ?? 0;
    if (port === 0) {
      port = this.allocatePort();
    } else {
      if (!Number.isInteger(port) || port < 0 || port > 0xffffffff) throw new QrtrBadDestinationError(this.localNode, port, 'not a port number');
      if ((port < QRTR_EPHEMERAL_PORT_MIN || port > 0x7fffffff) && !trusted) throw new QrtrPortPermissionError(port);
      if (this.ports.has(port)) throw new QrtrAddressInUseError(port);
    }
    const socket = new RouterSocket(
      this,
      { node: this.localNode, port },
      {
        trusted,
        endpointOverride: options.endpointOverride ?? false,
        queueLength: this.options.limits.socketQueueLength,
        queueBytes: this.options.limits.socketQueueBytes,
      },
    );
    this.ports.set(port, socket);
    this.cachedPort = -1;
    this.cachedSocket = undefined;
    if (port === QRTR_PORT_CTRL) {
      for (const other of this.ports.values()) if (other !== socket) other.networkReset();
    }
    return socket;
  }

  private allocatePort(): number {
    for (let port = QRTR_EPHEMERAL_PORT_MIN; port <= QRTR_EPHEMERAL_PORT_MAX; port++) {
      if (!this.ports.has(port)) return port;
    }
    throw new QrtrPortsExhaustedError();
  }

  socketBindEndpoint(socket: RouterSocket, endpointId: number): void {
    if (!Number.isInteger(endpointId) || endpointId < 0 || endpointId > 0x7fffffff) {
      throw new QrtrBadDestinationError(this.localNode, socket.address.port, `endpoint ${endpointId} is not an endpoint ID`);
    }
  }

  socketClose(socket: RouterSocket): void {
    const port = socket.address.port;
    if (this.ports.get(port) !== socket) return;
    this.ports.delete(port);
    this.cachedPort = -1;
    this.cachedSocket = undefined;
    if (port === QRTR_PORT_CTRL || this.stopped) return;
    // DEL_CLIENT to every link and to the name service; each link gets its own header.
    const payload = encodeControl({ type: QrtrType.DEL_CLIENT, node: this.localNode, port });
    this.broadcastControl(payload, port, false);
    this.deliverToControl(payload, this.localNode, port, LOCAL_ENDPOINT_ID);
  }

  datagramConsumed(socket: RouterSocket, datagram: Datagram): void {
    if (!datagram.confirmRx) return;
    this.sendResumeTx(datagram.endpoint, datagram.srcNode, datagram.srcPort, socket.address.port);
  }

  socketSend(socket: RouterSocket, to: QrtrAddress, data: Uint8Array, options: SendOptions | undefined): Promise<void> {
    try {
      if (data.length > QRTR_MAX_PAYLOAD) throw new QrtrMessageSizeError(data.length, `the maximum is ${QRTR_MAX_PAYLOAD}`);
      // Binding isolates: a bound socket names no other endpoint (0, "legacy route", included) without the right.
      const named = options?.endpoint;
      if (named !== undefined && named !== socket.endpointBinding && socket.endpointBinding !== NO_ENDPOINT_ID && !socket.endpointOverride) {
        throw new QrtrEndpointBindingError(socket.address.port, socket.endpointBinding, named);
      }
      const fromControl = socket.address.port === QRTR_PORT_CTRL;
      let type: number = QrtrType.DATA;
      if (fromControl) {
        if (data.length < 4) throw new QrtrMessageSizeError(data.length, 'a control packet needs its 4-byte command');
        type = (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0;
      }
      if (to.node === QRTR_NODE_BCAST) {
        if (to.port !== QRTR_PORT_CTRL) throw new QrtrBadDestinationError(to.node, to.port, 'broadcast is only allowed to the control port');
        this.broadcast(socket, type, data);
        return SEND_COMPLETED;
      }
      if (to.node === this.localNode) {
        this.sendLocal(socket, to.port, data, fromControl ? options?.endpoint ?? LOCAL_ENDPOINT_ID : LOCAL_ENDPOINT_ID);
        return SEND_COMPLETED;
      }
      return this.sendRemote(socket, to, type, data, options);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Local delivery is synchronous, but never recursive: a send made by a receiver
   * while a local delivery is running (two sockets answering each other from
   * their subscribers) is queued and delivered, in order, when the outer delivery
   * returns. The kernel gets the same effect by waking readers later.
   */
  private sendLocal(socket: RouterSocket, port: number, data: Uint8Array, tag: number): void {
    const target = this.ports.get(port);
    if (!target || target === socket) throw new QrtrNoSuchPortError(this.localNode, port);
    if (this.tapping) this.traceLocal(socket.address.port, port, data, tag);
    if (!target.accepts(tag)) {
      // A bound socket takes nothing of other endpoints (local traffic included); counted on it.
      target.filtered(data.length);
      return;
    }
    const datagram = new Datagram(socket.address.node, socket.address.port, tag, data, false);
    if (this.localDelivering) {
      // Dropped (and counted by the socket) if its queue is full by the time it is delivered.
      this.deferredLocal.push(target, datagram);
      return;
    }
    this.localDelivering = true;
    try {
      if (!target.deliver(datagram)) throw new QrtrWouldBlockError(LOCAL_ENDPOINT_ID, this.localNode, port, 'the receiving socket queue is full');
    } finally {
      const deferred = this.deferredLocal;
      for (let i = 0; i < deferred.length; i += 2) {
        const next = deferred[i] as RouterSocket;
        const pending = deferred[i + 1] as Datagram;
        if (next.closed) continue;
        // Checked again: the receiver may have rebound while this datagram waited.
        if (next.accepts(pending.endpoint)) next.deliver(pending);
        else next.filtered(pending.data.length);
      }
      deferred.length = 0;
      this.localDelivering = false;
    }
  }

  private sendRemote(socket: RouterSocket, to: QrtrAddress, type: number, data: Uint8Array, options: SendOptions | undefined): Promise<void> {
    const wanted = options?.endpoint ?? socket.endpointBinding;
    const state = this.route(to.node, wanted);
    if (!state) throw new QrtrNoRouteError(to.node, wanted);
    const fields: QrtrHeaderFields = {
      type,
      srcNode: this.localNode,
      srcPort: socket.address.port,
      dstNode: to.node,
      dstPort: to.port,
      confirmRx: false,
    };
    if (type !== QrtrType.DATA) {
      this.transmit(state, encodePacket(fields, data));
      return SEND_COMPLETED;
    }
    const slot = state.flows.tryAcquire(to.node, to.port);
    if (slot !== MUST_WAIT) {
      fields.confirmRx = slot === 1;
      return this.transmitData(state, fields, data);
    }
    if (options?.nonBlocking) throw new QrtrWouldBlockError(state.id, to.node, to.port, '10 packets are unconfirmed');
    if (!state.flows.canWait(to.node, to.port)) throw new QrtrWouldBlockError(state.id, to.node, to.port, 'too many senders are waiting');
    if (options?.signal?.aborted) throw new QrtrAbortedError('send');
    return state.flows.wait(to.node, to.port, options?.signal, () => new QrtrAbortedError('send')).then((confirmRx) => {
      if (state.gone) throw new QrtrEndpointGoneError(state.id);
      fields.confirmRx = confirmRx;
      return this.transmitData(state, fields, data);
    });
  }

  private transmitData(state: EndpointState, fields: QrtrHeaderFields, data: Uint8Array): Promise<void> {
    const packet = encodePacket(fields, data);
    try {
      const sent = this.transmit(state, packet);
      if (sent) {
        return sent.catch((err) => {
          state.flows.transmitFailed(fields.dstNode, fields.dstPort, fields.confirmRx!);
          throw err;
        });
      }
      return SEND_COMPLETED;
    } catch (err) {
      state.flows.transmitFailed(fields.dstNode, fields.dstPort, fields.confirmRx!);
      return Promise.reject(err);
    }
  }

  /** Picks the endpoint for a remote node: the requested one, or the legacy owner of the node id. */
  private route(node: number, endpointId: number): EndpointState | undefined {
    if (endpointId !== NO_ENDPOINT_ID) {
      const state = this.endpointsById.get(endpointId);
      return state && state.nodes.has(node) ? state : undefined;
    }
    const owner = this.nodeClaims.get(node)?.[0];
    return owner === undefined ? undefined : this.endpointsById.get(owner);
  }

  /** Returns a promise only for asynchronous links, so synchronous ones cost no allocation. */
  private transmit(state: EndpointState, packet: Uint8Array): Promise<void> | undefined {
    if (state.gone) throw new QrtrEndpointGoneError(state.id);
    if (this.tapping) this.trace('tx', state, packet);
    state.counters.txPackets++;
    state.counters.txBytes += packet.length;
    try {
      const result = state.endpoint.transmit(packet);
      if (result) {
        return result.catch((err) => {
          state.counters.txErrors++;
          throw err;
        });
      }
      return undefined;
    } catch (err) {
      state.counters.txErrors++;
      throw err;
    }
  }

  /** Transmit for router-originated control packets: failures are counted, never thrown. */
  private transmitQuietly(state: EndpointState, packet: Uint8Array): void {
    try {
      this.transmit(state, packet)?.catch(() => undefined);
    } catch {
      // counted in transmit(); a dead link is detached by its own packets$ ending
    }
  }

  private broadcast(socket: RouterSocket, type: number, data: Uint8Array): void {
    this.broadcastControlTyped(type, data, socket.address.port);
    // The control port never receives its own broadcasts ("do not send to self").
    if (socket.address.port !== QRTR_PORT_CTRL) this.deliverToControl(data, this.localNode, socket.address.port, LOCAL_ENDPOINT_ID);
  }

  private broadcastControl(payload: Uint8Array, srcPort: number, includeControl: boolean): void {
    const type = (payload[0] | (payload[1] << 8) | (payload[2] << 16) | (payload[3] << 24)) >>> 0;
    this.broadcastControlTyped(type, payload, srcPort);
    if (includeControl) this.deliverToControl(payload, this.localNode, srcPort, LOCAL_ENDPOINT_ID);
  }

  /** One freshly encoded packet per link, so each carries its own header (f011b313e8eb). */
  private broadcastControlTyped(type: number, payload: Uint8Array, srcPort: number): void {
    for (const state of this.endpointsById.values()) {
      const packet = encodePacket(
        { type, srcNode: this.localNode, srcPort, dstNode: state.primaryNode ?? QRTR_NODE_BCAST, dstPort: QRTR_PORT_CTRL },
        payload,
      );
      this.transmitQuietly(state, packet);
    }
  }

  private deliverToControl(payload: Uint8Array, fromNode: number, fromPort: number, endpoint: number): void {
    const control = this.ports.get(QRTR_PORT_CTRL);
    if (!control) return;
    if (this.tapping && endpoint === LOCAL_ENDPOINT_ID) this.traceLocal(fromPort, QRTR_PORT_CTRL, payload, endpoint);
    control.deliver(new Datagram(fromNode, fromPort, endpoint, payload, false));
  }

  /**
   * Greets a link. Before its node id is learned the header's dst_node is
   * 0xffffffff, as in mainline (node->nid is still QRTR_EP_NID_AUTO then).
   */
  private sendHello(state: EndpointState): void {
    state.helloSentSinceReceived = true;
    const packet = encodePacket(
      { type: QrtrType.HELLO, srcNode: this.localNode, srcPort: QRTR_PORT_CTRL, dstNode: QRTR_NODE_BCAST, dstPort: QRTR_PORT_CTRL },
      encodeControl({ type: QrtrType.HELLO }),
    );
    this.transmitQuietly(state, packet);
  }

  private sendResumeTx(endpoint: number, node: number, port: number, localPort: number): void {
    const state = this.endpointsById.get(endpoint);
    if (!state) return;
    const packet = encodePacket(
      { type: QrtrType.RESUME_TX, srcNode: this.localNode, srcPort: localPort, dstNode: node, dstPort: port },
      encodeControl({ type: QrtrType.RESUME_TX, node: this.localNode, port: localPort }),
    );
    this.transmitQuietly(state, packet);
  }

  // ------------------------------------------------------------------ receive

  /** Drops by reason over the router's life, detached endpoints included (per-endpoint counters go with them). */
  droppedTotals(): Record<DropReason, number> {
    return { ...this.dropTotals };
  }

  private drop(state: EndpointState, reason: DropReason, error?: QrtrdError): void {
    state.counters.dropped[reason]++;
    this.dropTotals[reason]++;
    if (this.dropsSubject.observed) this.dropsSubject.emit({ endpoint: state.id, reason, error });
  }

  /**
   * The receive path for one whole packet from a link (qrtr_endpoint_post), and the
   * containment boundary of that link: if handling its packet throws, that packet is
   * dropped (internalError) and that link detached; other links, the name service and
   * local sockets go on. Called by LinkSubscriber and AttachedEndpoint.post.
   *
   * Written for V8's inliner: this method, {@link deliverData}, `Datagram` and
   * `RouterSocket.deliver` together stay under its cumulative inlining budget (920
   * bytes of bytecode), so a DATA packet from a known node to a bound port is one
   * straight-line piece of machine code in the link's `post`/`_next`. Everything rare
   * (control packets, DATA to the control port, a new or bridged node, a misaddressed
   * packet, a malformed one, a drop, a throw) is a call to a method that stays out of
   * line; constants are module-local numbers (an imported one is two property loads
   * in the CommonJS output). One `try` serves malformed headers and containment both:
   * `decoding` says which.
   * @internal
   */
  receiveFromLink(state: EndpointState, buf: Uint8Array): void {
    let decoding = false;
    try {
      if (state.gone) return;
      const counters = state.counters;
      counters.rxPackets++;
      counters.rxBytes += buf.length;
      if (this.tapping) this.trace('rx', state, buf);
      const header = this.rxHeader;
      decoding = true;
      decodeHeaderInto(buf, header);
      decoding = false;
      const srcNode = header.srcNode;
      if (srcNode !== state.primaryNode && !this.learnNode(state, srcNode)) return;
      const dstNode = header.dstNode;
      if (dstNode !== this.localNode && dstNode !== NODE_BCAST && !this.misaddressed(state)) return;
      const dstPort = header.dstPort;
      if (header.type !== TYPE_DATA || dstPort === PORT_CTRL) return this.receiveNotData(state, buf, header);
      const start = header.headerLength;
      this.deliverData(state, srcNode, header.srcPort, dstPort, buf.subarray(start, start + header.size), header.confirmRx);
    } catch (err) {
      this.receiveFailed(state, err, decoding);
    }
  }

  /** What {@link receiveFromLink} caught: a malformed header (dropped) or a throw to contain. */
  private receiveFailed(state: EndpointState, err: unknown, decoding: boolean): void {
    if (state.gone) return;
    if (decoding && err instanceof QrtrWireError) return this.drop(state, 'malformed', err);
    this.drop(state, 'internalError', new ContainedFailureError('router', `endpoint ${state.id}`, err));
    this.detach(state.id);
  }

  /** A control packet, or DATA addressed to the control port (dropped). */
  private receiveNotData(state: EndpointState, buf: Uint8Array, header: QrtrHeader): void {
    if (header.type === QrtrType.DATA) return this.drop(state, 'dataToControlPort');
    const start = header.headerLength;
    this.receiveControl(state, header.type, header.srcNode, header.srcPort, header.dstPort, buf.subarray(start, start + header.size));
  }

  /** Counts a packet for another node; true if it is delivered anyway (not strictDestinationNode). */
  private misaddressed(state: EndpointState): boolean {
    state.counters.dropped.misaddressed++;
    return !this.options.strictDestinationNode;
  }

  /** The rest of the receive path, for control packets (everything but DATA). */
  private receiveControl(state: EndpointState, type: number, srcNode: number, srcPort: number, dstPort: number, payload: Uint8Array): void {
    if (!isKnownQrtrType(type) || type === QrtrType.DEL_PROC) return this.drop(state, 'unknownType');
    const control = this.rxControl;
    try {
      decodeControlInto(payload, control);
    } catch (err) {
      if (err instanceof QrtrWireError) return this.drop(state, 'malformed', err);
      throw err;
    }
    if (control.type !== type) return this.drop(state, 'controlTypeMismatch');
    if (type === QrtrType.RESUME_TX) {
      // Consumed here, whatever the destination port (the payload names the receiver).
      state.flows.resume(control.node, control.port);
      return;
    }
    if (dstPort !== QRTR_PORT_CTRL) return this.drop(state, 'controlNotToControlPort');
    switch (type) {
      case QrtrType.NEW_LOOKUP:
      case QrtrType.DEL_LOOKUP:
        return this.drop(state, 'remoteLookup');
      case QrtrType.HELLO:
        if (!state.helloSentSinceReceived) this.sendHello(state);
        state.helloSentSinceReceived = false;
        break;
      case QrtrType.NEW_SERVER:
        // A neighbour may announce servers on nodes behind it (forwarded services).
        if (control.node !== 0 && !this.learnNode(state, control.node)) return;
        break;
      case QrtrType.DEL_CLIENT:
        if (control.node === srcNode) {
          state.flows.removePort(control.node, control.port, () => new QrtrRemotePortGoneError(state.id, control.node, control.port));
        }
        break;
      case QrtrType.BYE:
        state.flows.removeNode(srcNode, (port) => new QrtrRemotePortGoneError(state.id, srcNode, port));
        break;
      default:
        break;
    }
    this.deliverToControl(payload, srcNode, srcPort, state.id);
  }

  /** DATA for a local port: the common case inline, every refusal in {@link undelivered}. */
  private deliverData(state: EndpointState, srcNode: number, srcPort: number, dstPort: number, payload: Uint8Array, confirmRx: boolean): void {
    let target = this.cachedSocket;
    if (dstPort !== this.cachedPort) target = this.lookupPort(dstPort);
    if (target !== undefined) {
      // Hoisted accepts(): a remote endpoint's id is never NO_ENDPOINT_ID (0).
      const binding = target.endpointBinding;
      if ((binding === 0 || binding === state.id) && target.deliver(new Datagram(srcNode, srcPort, state.id, payload, confirmRx))) return;
    }
    this.undelivered(state, target, srcNode, srcPort, dstPort, payload.length, confirmRx);
  }

  /** Fills the one-entry port cache (an unbound port is not cached). */
  private lookupPort(port: number): RouterSocket | undefined {
    const target = this.ports.get(port);
    this.cachedPort = target ? port : -1;
    this.cachedSocket = target;
    return target;
  }

  /** A DATA packet no socket took: no such port, filtered by the binding, or refused (queue full, closed). */
  private undelivered(
    state: EndpointState,
    target: RouterSocket | undefined,
    srcNode: number,
    srcPort: number,
    dstPort: number,
    bytes: number,
    confirmRx: boolean,
  ): void {
    let reason: DropReason;
    if (!target) reason = 'noSuchPort';
    else if (!target.accepts(state.id)) {
      reason = 'endpointFiltered';
      target.filtered(bytes);
    } else reason = 'queueFull';
    this.drop(state, reason);
    // Mainline leaves the sender stuck at 10 pending when a confirm_rx packet is
    // dropped (reference §7.1 #35); the drop is counted, the sender keeps going.
    if (confirmRx) this.sendResumeTx(state.id, srcNode, srcPort, dstPort);
  }

  /**
   * Records that `node` is reachable through `state`. The first node learned is
   * the endpoint's own; identical cards may each present the same node id as
   * their own. A further (bridged) node id is refused if another endpoint
   * already claims it, and the local and broadcast node ids are never accepted.
   */
  private learnNode(state: EndpointState, node: number): boolean {
    if (state.nodes.has(node)) return true;
    if (node === this.localNode || node === QRTR_NODE_BCAST) {
      this.drop(state, 'spoofedNode');
      return false;
    }
    const claims = this.nodeClaims.get(node);
    if (state.primaryNode !== undefined && claims && claims.length > 0) {
      this.drop(state, 'spoofedNode');
      return false;
    }
    if (state.nodes.size >= this.options.limits.nodesPerEndpoint) {
      this.drop(state, 'nodeLimit');
      return false;
    }
    if (state.primaryNode === undefined) state.primaryNode = node;
    state.nodes.add(node);
    if (claims) claims.push(state.id);
    else this.nodeClaims.set(node, [state.id]);
    return true;
  }

  private releaseNodeClaim(node: number, endpointId: number): void {
    const claims = this.nodeClaims.get(node);
    if (!claims) return;
    const i = claims.indexOf(endpointId);
    if (i >= 0) claims.splice(i, 1);
    if (claims.length === 0) this.nodeClaims.delete(node);
  }

  // ------------------------------------------------------------------ tracing

  private trace(direction: 'rx' | 'tx', state: EndpointState, packet: Uint8Array): void {
    this.tapSubject.emit({ direction, endpoint: state.id, backendKind: state.key.kind, packet, timestamp: Date.now() });
  }

  private traceLocal(srcPort: number, dstPort: number, data: Uint8Array, endpoint: number): void {
    // Traffic to or from the control port is control traffic: show its command as the type.
    const control = (dstPort === QRTR_PORT_CTRL || srcPort === QRTR_PORT_CTRL) && data.length >= QRTR_CONTROL_PACKET_LENGTH;
    const type = control ? (data[0] | (data[1] << 8) | (data[2] << 16) | (data[3] << 24)) >>> 0 : QrtrType.DATA;
    const packet = encodePacket({ type, srcNode: this.localNode, srcPort, dstNode: this.localNode, dstPort }, data);
    this.tapSubject.emit({ direction: 'local', endpoint, backendKind: 'local', packet, timestamp: Date.now() });
  }

  // ----------------------------------------------------------------- shutdown

  /**
   * Clean shutdown: DEL_CLIENT for every bound port, BYE to every endpoint, then
   * every endpoint is closed and every socket completes.
   */
  shutdown(): void {
    if (this.stopped) return;
    for (const socket of [...this.ports.values()]) if (socket.address.port !== QRTR_PORT_CTRL) socket.close();
    this.stopped = true;
    const bye = encodeControl({ type: QrtrType.BYE, node: this.localNode });
    this.broadcastControl(bye, QRTR_PORT_CTRL, false);
    for (const id of [...this.endpointsById.keys()]) this.detach(id);
    for (const socket of [...this.ports.values()]) socket.close();
    this.endpointEventsSubject.complete();
    this.tapSubject.complete();
    this.dropsSubject.complete();
  }

  describeEndpoint(id: number): string {
    const key = this.endpointsById.get(id)?.key ?? this.endpointIds.keyOf(id);
    return key ? `${id} (${formatBackendKey(key)})` : String(id);
  }
}

function endpointInfo(s: EndpointState): EndpointInfo {
  return {
    id: s.id,
    key: s.key,
    device: s.endpoint.device,
    control: s.endpoint.control,
    primaryNode: s.primaryNode,
    nodes: [...s.nodes],
    attachedAt: s.attachedAt,
    counters: { ...s.counters, dropped: { ...s.counters.dropped } },
    flows: s.flows.size,
  };
}
