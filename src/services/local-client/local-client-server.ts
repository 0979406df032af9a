import 'reflect-metadata';
import { ContainerModule } from 'inversify';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Subject, type Observable } from 'rxjs';
import type { QrtrdError } from '../../common/errors';
import { NameService } from '../../ns/name-service';
import type { BackendContribution } from '../../router/backend-contribution';
import type { Router } from '../../router/router';
import { BACKEND_CONTRIBUTION } from '../../router/tokens';
import { SILENT_LOGGER, type BackendLogger } from '../../links/logger';
import { closeServer, listenOnPath } from '../../links/stream-socket/socket-path';
import { backendLoggerFrom } from '../../links/tokens';
import { encodeJsonFrame, Op } from './protocol';
import { serializeError } from './revive-error';
import { DEFAULT_POLICY, FULL_RIGHTS, LocalClientTooManyClientsError, UidUsage, resolveRights, type LocalClientPolicyConfig, type PeerCredentialsReader } from './policy';
import { DEFAULT_LOCAL_CLIENT_LIMITS, LocalClientConnection, type LocalClientCloseReason, type LocalClientConnectionStats, type LocalClientLimits, type LocalClientQueries } from './local-client-connection';

export interface LocalClientServerOptions {
  /** Filesystem path of the --socket. */
  readonly path: string;
  /** File mode of the socket file (who may use the router); default the policy's socketMode (0o660). */
  readonly mode?: number;
  /** Rights and per-uid limits (docs/security.md); default least privilege for every uid but root and the daemon's. */
  readonly policy?: LocalClientPolicyConfig;
  /**
   * Reads SO_PEERCRED of an accepted connection's fd (the daemon passes the native
   * addon's); absent or returning null, every client gets full rights and the socket
   * file's mode and group are the only control.
   */
  readonly peerCredentials?: PeerCredentialsReader | null;
  /** How long shutdown waits for clients to take their FIN before cutting them. */
  readonly shutdownDeadlineMs?: number;
  /** Clients served at once; further connections are closed at once. */
  readonly maxClients?: number;
  readonly limits?: Partial<LocalClientLimits>;
  readonly logger?: BackendLogger;
  /** Named queries clients may ask (QUERY); the map may be filled after the server starts. */
  readonly queries?: LocalClientQueries;
}

export type LocalClientEvent =
  | { readonly type: 'connected'; readonly owner: string }
  | { readonly type: 'disconnected'; readonly owner: string; readonly reason: LocalClientCloseReason; readonly error?: QrtrdError };

/**
 * Serves the local-client protocol (docs/local-client-protocol.md): other
 * processes get router sockets, name-service lookups and endpoint reservations
 * as if they ran inside qrtrd. Everything a client opened is released when its
 * connection ends, however it ends.
 */
export class LocalClientServer {
  private readonly server: net.Server;
  private readonly clients = new Set<LocalClientConnection>();
  /** Every accepted stream, refused ones included, so that shutdown can cut them all. */
  private readonly streams = new Set<net.Socket>();
  private readonly usage = new Map<number, UidUsage>();
  private readonly policy: LocalClientPolicyConfig;
  private readonly daemonUid = process.getuid?.() ?? 0;
  /** False when the addon cannot read SO_PEERCRED: the socket file's mode and group are then the only control. */
  readonly credentialsAvailable: boolean;
  private readonly limits: LocalClientLimits;
  private readonly logger: BackendLogger;
  private readonly eventsSubject = new Subject<LocalClientEvent>();
  private nextId = 1;
  readonly events$: Observable<LocalClientEvent> = this.eventsSubject.asObservable();

  constructor(
    private readonly router: Router,
    private readonly ns: NameService,
    private readonly options: LocalClientServerOptions,
  ) {
    this.limits = { ...DEFAULT_LOCAL_CLIENT_LIMITS, ...options.limits };
    this.policy = options.policy ?? DEFAULT_POLICY;
    this.credentialsAvailable = typeof options.peerCredentials === 'function';
    this.logger = options.logger ?? SILENT_LOGGER;
    this.server = net.createServer({ pauseOnConnect: true }, (conn) => this.accept(conn));
  }

  get path(): string {
    return this.options.path;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  async listen(): Promise<void> {
    const mode = this.options.mode ?? this.policy.socketMode;
    await listenOnPath(this.server, this.options.path, mode);
    if (this.policy.socketGroup !== null) fs.chownSync(this.options.path, -1, this.policy.socketGroup);
    this.logger.info({ path: this.options.path, mode: mode.toString(8), group: this.policy.socketGroup }, 'serving local clients');
    if (!this.credentialsAvailable) {
      this.logger.warn({ path: this.options.path }, 'peer credentials unavailable (native addon missing): the socket file mode and group are the only access control, every client gets full rights');
    }
  }

  /** What each connection holds and has cost: bytes received and copied by reassembly, queued bytes and drops per socket. */
  clientStats(): LocalClientConnectionStats[] {
    return [...this.clients].map((c) => c.stats());
  }

  /** Bytes queued for a uid's sockets and the datagrams dropped by the queued-bytes bounds. */
  queueUsage(uid: number): { readonly queuedBytes: number; readonly dropped: number } {
    const usage = this.usage.get(uid);
    return { queuedBytes: usage?.queuedBytes ?? 0, dropped: usage?.dropped ?? 0 };
  }

  /** Refused requests per uid (what the policy denied, by action). */
  refusals(uid: number): ReadonlyMap<string, number> {
    return this.usage.get(uid)?.refused ?? new Map();
  }

  /**
   * Ends every client with a FIN, then cuts (destroys) whatever has not gone within
   * the deadline: a stopped or frozen client cannot keep the daemon from exiting.
   */
  async close(): Promise<void> {
    const closing = closeServer(this.server, this.options.path);
    for (const client of [...this.clients]) client.close();
    const deadline = setTimeout(() => {
      for (const stream of this.streams) stream.destroy();
    }, this.options.shutdownDeadlineMs ?? 2000);
    try {
      await closing;
    } finally {
      clearTimeout(deadline);
    }
    this.eventsSubject.complete();
  }

  private refuse(conn: net.Socket, error: LocalClientTooManyClientsError): void {
    this.logger.warn({ uid: error.details.uid, limit: error.details.limit }, `local client refused: ${error.message}`);
    conn.resume();
    conn.on('error', () => undefined);
    // Typed FATAL, so that the SDK and `qrtr` say why instead of "no daemon".
    conn.end(encodeJsonFrame(Op.FATAL, 0, serializeError(error)));
  }

  private accept(conn: net.Socket): void {
    this.streams.add(conn);
    conn.once('close', () => this.streams.delete(conn));
    const limit = this.options.maxClients ?? 64;
    if (this.clients.size >= limit) return this.refuse(conn, new LocalClientTooManyClientsError(null, limit));
    const fd = (conn as unknown as { _handle?: { fd?: number } })._handle?.fd;
    const peer = this.options.peerCredentials && fd !== undefined ? this.options.peerCredentials(fd) : null;
    const rights = peer ? resolveRights(this.policy, peer, this.daemonUid) : FULL_RIGHTS;
    let usage: UidUsage | undefined;
    if (peer) {
      usage = this.usage.get(peer.uid);
      if (!usage) this.usage.set(peer.uid, (usage = new UidUsage()));
      if (!rights.full && usage.connections >= this.policy.perUid.connections) {
        return this.refuse(conn, new LocalClientTooManyClientsError(peer.uid, this.policy.perUid.connections));
      }
      usage.connections++;
    }
    const uidUsage = usage;
    const client = new LocalClientConnection(this.nextId++, conn, this.router, this.ns, this.limits, this.logger, (c, reason, error) => {
      this.clients.delete(c);
      if (uidUsage) uidUsage.connections--;
      this.eventsSubject.next({ type: 'disconnected', owner: c.owner, reason, error });
    }, this.options.queries, { rights, usage: uidUsage ?? new UidUsage(), perUid: this.policy.perUid, peer });
    this.clients.add(client);
    this.eventsSubject.next({ type: 'connected', owner: client.owner });
  }
}

/** The local-client server as a backend the daemon starts and stops (it needs the NameService). */
export class LocalClientBackend implements BackendContribution {
  readonly kind = 'local-client';
  private server: LocalClientServer | null = null;

  constructor(
    private readonly ns: NameService,
    private readonly options: LocalClientServerOptions,
  ) {}

  get current(): LocalClientServer | null {
    return this.server;
  }

  async start(router: Router): Promise<void> {
    if (this.server) return;
    const server = new LocalClientServer(router, this.ns, this.options);
    await server.listen();
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await server?.close();
  }
}

/** Binds a LocalClientBackend to BACKEND_CONTRIBUTION; needs NameService bound (nameServiceModule). */
export function localClientBackendModule(options: LocalClientServerOptions): ContainerModule {
  return new ContainerModule((bind) => {
    bind(BACKEND_CONTRIBUTION)
      .toDynamicValue((ctx) => new LocalClientBackend(ctx.container.get(NameService), { logger: backendLoggerFrom(ctx.container), ...options }))
      .inSingletonScope();
  });
}
