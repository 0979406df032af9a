import { Observable, Subject, type Subscription } from 'rxjs';
import type { QrtrdError } from '../common/errors';
import { QRTR_NODE_BCAST, QRTR_PORT_CTRL, QrtrType, qrtrTypeName } from '../wire/constants';
import { decodeControl, encodeControl, instanceWord, splitInstanceWord } from '../wire/control';
import { QrtrWireError } from '../wire/errors';
import type { Router } from '../router/router';
import type { RouterSocket } from '../router/router-socket';
import { LOCAL_ENDPOINT_ID, NO_ENDPOINT_ID, type QrtrMessage } from '../router/socket';
import { ContainedFailureError, containSubscribers } from '../common/containment';
import { NameServiceError, NsNoSuchServerError, NsNodeZeroError, NsRejectedCommandError, NsServiceTimeoutError, NsSubscriberError } from './errors';
import { ServerRegistry, type Lookup } from './server-registry';
import { PerNodeAdmissionPolicy, type NsAdmissionPolicy } from './admission-policy';
import { DEFAULT_NS_LIMITS, describeFilter, type LookupEvent, type LookupFilter, type NameServiceLimits, type ServerInfo } from './types';

export interface NameServiceStats {
  readonly servers: number;
  readonly nodes: number;
  readonly lookups: number;
  readonly rejected: number;
  readonly malformed: number;
  /** Notifications whose subscriber threw (reported, the others still told). */
  readonly subscriberErrors: number;
  /** Commands whose handling threw a non-NS error (a bug), contained and reported. */
  readonly internalErrors: number;
}

/** Options of one in-process lookup. */
export interface NameServiceLookupOptions {
  /**
   * Who the lookup counts against (e.g. `uid 1000`): bounded together with the wire
   * lookups of every port attributed to the same origin ({@link NameService.attributePort}).
   * Absent: the daemon's own lookup, bounded only by the table.
   */
  readonly origin?: string;
}

/** A refused or failed command, for logs. */
export interface NameServiceIncident {
  readonly command: string;
  readonly endpoint: number;
  readonly from: { node: number; port: number };
  readonly error: QrtrdError;
}

/**
 * The QRTR name service (net/qrtr/ns.c semantics, reference §4.3-4.4), bound to
 * the router's control port and aware of endpoints: servers are keyed by
 * (endpoint, node, port), every notification is tagged with the endpoint it is
 * about, and lookups can be restricted to one endpoint (by the requesting
 * socket's endpoint binding on the wire, or by a filter in process).
 *
 * Differences from mainline, each closing a hostile input of reference §7.2:
 * every command needs the full 20 bytes; BYE is accepted only from the router
 * or the departing node itself; a remote endpoint can only touch servers in its
 * own (endpoint, node) space; limits raise typed errors and are counted.
 */
export class NameService {
  readonly registry: ServerRegistry;
  private readonly socket: RouterSocket;
  private readonly subscription: Subscription;
  private readonly endpointSubscription: Subscription;
  /** Origins of local ports (attributePort); a port without one is its own origin. */
  private readonly portOrigins = new Map<number, string>();
  /** Commands arriving while one is handled (a notification can trigger another). */
  private readonly backlog: QrtrMessage[] = [];
  private handling = false;
  private rejected = 0;
  private malformed = 0;
  private subscriberErrors = 0;
  private internalErrors = 0;
  private readonly incidentsSubject = new Subject<NameServiceIncident>();
  readonly incidents$ = this.incidentsSubject.asObservable();

  constructor(
    private readonly router: Router,
    limits: Partial<NameServiceLimits> | NsAdmissionPolicy = {},
  ) {
    const policy = isPolicy(limits) ? limits : new PerNodeAdmissionPolicy({ ...DEFAULT_NS_LIMITS, ...limits });
    this.registry = new ServerRegistry(policy, (lookup, err) => this.subscriberFailed(lookup.service, err));
    this.socket = router.openSocketSync({ port: QRTR_PORT_CTRL, trusted: true });
    this.subscription = this.socket.messages$.subscribe((message) => this.enqueue(message));
    // A link that leaves takes every row it created, including nodes the router never
    // learned from it (and so never said BYE for): no stale rows outlive a peer.
    this.endpointSubscription = router.endpointEvents$.subscribe((event) => {
      if (event.type === 'detached') this.onEndpointGone(event.id);
    });
    // Announce ourselves like the kernel NS does on start.
    this.send(QRTR_NODE_BCAST, QRTR_PORT_CTRL, encodeControl({ type: QrtrType.HELLO }), NO_ENDPOINT_ID);
  }

  get localNode(): number {
    return this.router.localNode;
  }

  stats(): NameServiceStats {
    return {
      servers: this.registry.servers,
      nodes: this.registry.nodes,
      lookups: this.registry.lookups,
      rejected: this.rejected,
      malformed: this.malformed,
      subscriberErrors: this.subscriberErrors,
      internalErrors: this.internalErrors,
    };
  }

  /** Servers matching a filter, now. */
  servers(filter: LookupFilter = { service: 0 }): ServerInfo[] {
    return this.registry.find(filter);
  }

  /**
   * The current matching servers (one `snapshot` event), then an `add` or
   * `remove` event per change, until unsubscribed.
   * @throws NsLookupLimitError (as an error notification) when the lookup limit is reached.
   */
  lookup$(filter: LookupFilter, options: NameServiceLookupOptions = {}): Observable<LookupEvent> {
    const source = new Observable<LookupEvent>((subscriber) => {
      const lookup: Lookup = {
        service: filter.service,
        version: filter.version,
        instance: filter.instance,
        endpoint: filter.endpoint ?? 0,
        node: filter.node,
        ownerPort: 0,
        origin: options.origin,
        notify: (type, server) => subscriber.next({ type, server }),
      };
      try {
        this.registry.addLookup(lookup);
      } catch (err) {
        subscriber.error(err);
        return undefined;
      }
      subscriber.next({ type: 'snapshot', servers: this.registry.find(lookup) });
      return () => {
        this.registry.removeLookup(lookup);
      };
    });
    return containSubscribers(source, (err) => this.subscriberFailed(filter.service, err));
  }

  /**
   * Counts the wire lookups of a local port against `origin` (the user or client that
   * opened it), together with that origin's in-process lookups, so one origin is bounded
   * by `lookupsPerOrigin` whatever path its lookups take. Forgotten when the port closes
   * (its DEL_CLIENT). Lookups the port already holds keep their origin.
   */
  attributePort(port: number, origin: string): void {
    this.portOrigins.set(port, origin);
  }

  /** The origin a port's wire lookups count against. */
  originOfPort(port: number): string {
    return this.portOrigins.get(port) ?? `local port ${port}`;
  }

  /** The containment boundary of NS notifications: a subscriber threw; report it, go on. */
  private subscriberFailed(service: number, err: unknown): void {
    this.subscriberErrors++;
    if (this.incidentsSubject.observed) {
      this.incidentsSubject.next({ command: 'notification', endpoint: LOCAL_ENDPOINT_ID, from: { node: this.localNode, port: 0 }, error: new NsSubscriberError(service, err) });
    }
  }

  /** Resolves with the first matching server, waiting up to `timeoutMs`. */
  waitForService(filter: LookupFilter, timeoutMs: number, signal?: AbortSignal): Promise<ServerInfo> {
    return new Promise<ServerInfo>((resolve, reject) => {
      let subscription: Subscription | undefined;
      let done = false;
      const finish = (err: Error | null, server?: ServerInfo): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        subscription?.unsubscribe();
        if (err) reject(err);
        else resolve(server!);
      };
      const onAbort = (): void => finish(new NsServiceTimeoutError(`${describeFilter(filter)} (aborted)`, timeoutMs));
      const timer = setTimeout(() => finish(new NsServiceTimeoutError(describeFilter(filter), timeoutMs)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      subscription = this.lookup$(filter).subscribe({
        next: (event) => {
          if (event.type === 'snapshot' && event.servers.length > 0) finish(null, event.servers[0]);
          else if (event.type === 'add') finish(null, event.server);
        },
        error: (err: Error) => finish(err),
      });
      if (done) subscription.unsubscribe();
    });
  }

  /** Stops serving the control port. */
  close(): void {
    this.subscription.unsubscribe();
    this.endpointSubscription.unsubscribe();
    this.socket.close();
    this.incidentsSubject.complete();
  }

  // ------------------------------------------------------------- wire commands

  private enqueue(message: QrtrMessage): void {
    this.backlog.push(message);
    if (this.handling) return;
    this.handling = true;
    try {
      for (let i = 0; i < this.backlog.length; i++) this.handle(this.backlog[i]);
    } finally {
      this.backlog.length = 0;
      this.handling = false;
    }
  }

  private handle(message: QrtrMessage): void {
    const { from, endpoint } = message;
    let command = 'command';
    try {
      const packet = decodeControl(message.data);
      command = qrtrTypeName(packet.type);
      const local = endpoint === LOCAL_ENDPOINT_ID && from.node === this.localNode;
      switch (packet.type) {
        case QrtrType.HELLO:
          if (!local) this.onHello(endpoint, from.node);
          return;
        case QrtrType.BYE:
          if (local) throw new NsRejectedCommandError(command, 'BYE from a local socket', { port: from.port });
          this.onBye(endpoint, from.node);
          return;
        case QrtrType.DEL_CLIENT:
          this.onDelClient(endpoint, local, from.node, from.port, packet.node, packet.port);
          return;
        case QrtrType.NEW_SERVER:
          if (local) this.onNewServer(LOCAL_ENDPOINT_ID, packet.service, packet.instance, this.localNode, from.port);
          // Node 0 only from a peer that is node 0 itself (a modem at node 0, learned from its
          // header): naming it from another node is a row no BYE would ever remove.
          else if (packet.node === 0 && from.node !== 0) throw new NsNodeZeroError(endpoint, from.node, packet.service, packet.port);
          else this.onNewServer(endpoint, packet.service, packet.instance, packet.node, packet.port);
          return;
        case QrtrType.DEL_SERVER:
          if (local) this.onDelServer(LOCAL_ENDPOINT_ID, this.localNode, from.port);
          else this.onDelServer(endpoint, packet.node, packet.port);
          return;
        case QrtrType.NEW_LOOKUP:
          if (!local) throw new NsRejectedCommandError(command, 'lookups are only accepted from local sockets', { endpoint });
          this.onNewLookup(from.port, packet.service, packet.instance);
          return;
        case QrtrType.DEL_LOOKUP:
          if (!local) throw new NsRejectedCommandError(command, 'lookups are only accepted from local sockets', { endpoint });
          this.onDelLookup(from.port, packet.service, packet.instance);
          return;
        default:
          return; // EXIT, PING, RESUME_TX and unknown commands are ignored, as in ns.c
      }
    } catch (err) {
      let error = err as QrtrdError;
      if (err instanceof QrtrWireError) this.malformed++;
      else if (err instanceof NameServiceError) this.rejected++;
      else {
        // A bug handling one command must not stop the name service for everyone else.
        this.internalErrors++;
        error = new ContainedFailureError('ns', command, err);
      }
      if (this.incidentsSubject.observed) {
        this.incidentsSubject.next({ command, endpoint, from: { node: from.node, port: from.port }, error });
      }
    }
  }

  /** A remote node said hello: tell it about every local server. */
  private onHello(endpoint: number, node: number): void {
    for (const server of this.registry.serversOf(LOCAL_ENDPOINT_ID)) {
      this.send(node, QRTR_PORT_CTRL, serverPacket(QrtrType.NEW_SERVER, server), endpoint);
    }
  }

  private onBye(endpoint: number, node: number): void {
    for (const server of this.registry.removeNode(endpoint, node)) this.registry.notify('remove', server);
    const bye = encodeControl({ type: QrtrType.BYE, node });
    for (const server of this.registry.serversOf(LOCAL_ENDPOINT_ID)) this.send(this.localNode, server.port, bye, endpoint);
  }

  private onEndpointGone(endpoint: number): void {
    if (endpoint === LOCAL_ENDPOINT_ID) return;
    for (const server of this.registry.removeEndpoint(endpoint)) this.registry.notify('remove', server);
  }

  private onDelClient(endpoint: number, local: boolean, fromNode: number, fromPort: number, node: number, port: number): void {
    if (node !== fromNode) {
      throw new NsRejectedCommandError('DEL_CLIENT', `node ${node} was sent by node ${fromNode}`, { endpoint, node, fromNode });
    }
    if (local && port !== fromPort) {
      throw new NsRejectedCommandError('DEL_CLIENT', `port ${port} was sent by local port ${fromPort}`, { port, fromPort });
    }
    if (local) {
      for (const lookup of this.registry.lookupsOwnedBy(port)) this.registry.removeLookup(lookup);
      this.portOrigins.delete(port);
    }
    // Neighbours already got the DEL_CLIENT broadcast; only local lookups hear DEL_SERVER.
    const server = this.registry.remove(endpoint, node, port);
    if (server) this.registry.notify('remove', server);
    const packet = encodeControl({ type: QrtrType.DEL_CLIENT, node, port });
    for (const local of this.registry.serversOf(LOCAL_ENDPOINT_ID)) {
      if (endpoint === LOCAL_ENDPOINT_ID && local.port === port) continue;
      this.send(this.localNode, local.port, packet, endpoint);
    }
  }

  private onNewServer(endpoint: number, service: number, word: number, node: number, port: number): void {
    if (service === 0 || port === 0) {
      throw new NsRejectedCommandError('NEW_SERVER', 'service 0 and port 0 are invalid', { service, port });
    }
    const { version, instance } = splitInstanceWord(word);
    const server: ServerInfo = { service, version, instance, node, port, endpoint };
    const replaced = this.registry.add(server);
    if (endpoint === LOCAL_ENDPOINT_ID) {
      this.send(QRTR_NODE_BCAST, QRTR_PORT_CTRL, serverPacket(QrtrType.NEW_SERVER, server), NO_ENDPOINT_ID);
    }
    if (replaced && !sameServer(replaced, server)) this.registry.notify('remove', replaced);
    if (!replaced || !sameServer(replaced, server)) this.registry.notify('add', server);
  }

  private onDelServer(endpoint: number, node: number, port: number): void {
    const server = this.registry.remove(endpoint, node, port);
    if (!server) {
      // A peer deleting what it never registered (a DEL_SERVER storm) is refused and counted.
      if (endpoint !== LOCAL_ENDPOINT_ID) throw new NsNoSuchServerError(endpoint, node, port);
      return;
    }
    if (endpoint === LOCAL_ENDPOINT_ID) {
      this.send(QRTR_NODE_BCAST, QRTR_PORT_CTRL, serverPacket(QrtrType.DEL_SERVER, server), NO_ENDPOINT_ID);
    }
    this.registry.notify('remove', server);
  }

  private onNewLookup(ownerPort: number, service: number, word: number): void {
    const exact = word !== 0 ? splitInstanceWord(word) : undefined;
    // A socket bound to an endpoint would drop other endpoints' answers anyway: filter at the source.
    const endpoint = this.router.endpointBindingOf(ownerPort);
    const lookup: Lookup = {
      service,
      version: exact?.version,
      instance: exact?.instance,
      endpoint,
      ownerPort,
      origin: this.originOfPort(ownerPort),
      notify: (kind, server) =>
        this.send(this.localNode, ownerPort, serverPacket(kind === 'add' ? QrtrType.NEW_SERVER : QrtrType.DEL_SERVER, server), server.endpoint),
    };
    this.registry.addLookup(lookup);
    for (const server of this.registry.find(lookup)) lookup.notify('add', server);
    this.send(this.localNode, ownerPort, encodeControl({ type: QrtrType.NEW_SERVER }), NO_ENDPOINT_ID);
  }

  private onDelLookup(ownerPort: number, service: number, word: number): void {
    const exact = word !== 0 ? splitInstanceWord(word) : undefined;
    const doomed = this.registry.lookupsOwnedBy(
      ownerPort,
      (l) => l.service === service && (l.instance === undefined || (l.version === exact?.version && l.instance === exact?.instance)),
    );
    for (const lookup of doomed) this.registry.removeLookup(lookup);
  }

  private send(node: number, port: number, payload: Uint8Array, endpoint: number): void {
    // Failures (a lookup owner that just closed, a link that just died) are normal races.
    this.socket.send({ node, port }, payload, { endpoint }).catch(() => undefined);
  }
}

function isPolicy(value: object): value is NsAdmissionPolicy {
  return typeof (value as NsAdmissionPolicy).admitServer === 'function';
}

function serverPacket(type: number, server: ServerInfo): Uint8Array {
  return encodeControl({
    type,
    service: server.service,
    instance: instanceWord(server.version, server.instance),
    node: server.node,
    port: server.port,
  });
}

function sameServer(a: ServerInfo, b: ServerInfo): boolean {
  return a.service === b.service && a.version === b.version && a.instance === b.instance;
}
