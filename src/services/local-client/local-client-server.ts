import 'reflect-metadata';
import { ContainerModule } from 'inversify';
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
import { DEFAULT_LOCAL_CLIENT_LIMITS, LocalClientConnection, type LocalClientCloseReason, type LocalClientLimits, type LocalClientQueries } from './local-client-connection';

export interface LocalClientServerOptions {
  /** Filesystem path of the --socket. */
  readonly path: string;
  /** File mode of the socket file (who may use the router), e.g. 0o660. */
  readonly mode?: number;
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
    await listenOnPath(this.server, this.options.path, this.options.mode);
    this.logger.info({ path: this.options.path }, 'serving local clients');
  }

  async close(): Promise<void> {
    const closing = closeServer(this.server, this.options.path);
    for (const client of [...this.clients]) client.close();
    await closing;
    this.eventsSubject.complete();
  }

  private accept(conn: net.Socket): void {
    const limit = this.options.maxClients ?? 64;
    if (this.clients.size >= limit) {
      this.logger.warn({ limit }, 'local client refused: too many clients');
      conn.destroy();
      return;
    }
    const client = new LocalClientConnection(this.nextId++, conn, this.router, this.ns, this.limits, this.logger, (c, reason, error) => {
      this.clients.delete(c);
      this.eventsSubject.next({ type: 'disconnected', owner: c.owner, reason, error });
    }, this.options.queries);
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
