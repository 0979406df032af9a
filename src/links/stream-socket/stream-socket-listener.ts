import * as net from 'node:net';
import { Subject, type Observable } from 'rxjs';
import type { QrtrdError } from '../../common/errors';
import type { BackendKey } from '../../router/endpoint';
import type { AttachedEndpoint, Router } from '../../router/router';
import { SILENT_LOGGER, errorFields, type BackendLogger } from '../logger';
import { closeServer, listenOnPath } from './socket-path';
import { StreamSocketEndpoint, connectionIdentity, type StreamLinkCloseReason, type StreamLinkOptions } from './stream-socket-endpoint';

export interface StreamSocketListenerOptions extends StreamLinkOptions {
  /** Filesystem path of the listening UNIX socket. */
  readonly path: string;
  /** Connections served at once; further ones are refused (closed at once, logged). */
  readonly maxConnections?: number;
  /** File mode of the socket file, e.g. 0o660 (who may attach remote nodes). */
  readonly mode?: number;
}

export const DEFAULT_MAX_REMOTE_CONNECTIONS = 64;

export type StreamSocketEvent =
  | { readonly type: 'attached'; readonly endpoint: number; readonly key: BackendKey }
  | { readonly type: 'detached'; readonly endpoint: number; readonly key: BackendKey; readonly reason: StreamLinkCloseReason; readonly error?: QrtrdError }
  | { readonly type: 'refused'; readonly key: BackendKey; readonly reason: string; readonly error?: QrtrdError };

/**
 * Accepts remote QRTR nodes on a UNIX stream socket: every accepted connection is
 * one endpoint of the router, keyed `{ kind: 'socket', key: <socket inode> }`.
 * A connection that sends garbage is cut and detached (its nodes get a BYE at the
 * name service); other connections are not affected.
 */
export class StreamSocketListener {
  private readonly server: net.Server;
  private readonly links = new Map<StreamSocketEndpoint, AttachedEndpoint | null>();
  private readonly eventsSubject = new Subject<StreamSocketEvent>();
  private readonly logger: BackendLogger;
  /** Connection lifecycle events (for the daemon's log and for tests). */
  readonly events$: Observable<StreamSocketEvent> = this.eventsSubject.asObservable();

  constructor(
    private readonly router: Router,
    private readonly options: StreamSocketListenerOptions,
  ) {
    this.logger = options.logger ?? SILENT_LOGGER;
    this.server = net.createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
  }

  get path(): string {
    return this.options.path;
  }

  /** Live connections. */
  get connections(): number {
    return this.links.size;
  }

  async listen(): Promise<void> {
    await listenOnPath(this.server, this.options.path, this.options.mode);
    this.logger.info({ path: this.options.path }, 'listening for remote QRTR nodes');
  }

  /** Stops accepting, detaches every connection and removes the socket file. */
  async close(): Promise<void> {
    const closing = closeServer(this.server, this.options.path);
    for (const [link, attached] of [...this.links]) {
      if (attached) attached.detach();
      else link.close();
    }
    await closing;
    this.eventsSubject.complete();
  }

  private accept(socket: net.Socket): void {
    const key: BackendKey = { kind: 'socket', key: connectionIdentity(socket) };
    const limit = this.options.maxConnections ?? DEFAULT_MAX_REMOTE_CONNECTIONS;
    if (this.links.size >= limit) {
      this.refuse(key, `${limit} remote connections are already attached`);
      socket.destroy();
      return;
    }
    const link = new StreamSocketEndpoint(socket, key, { ...this.options, logger: this.logger });
    this.links.set(link, null);
    let attached: AttachedEndpoint;
    try {
      attached = this.router.attach(link);
    } catch (err) {
      this.links.delete(link);
      link.close();
      this.refuse(key, 'the router refused the endpoint', err as QrtrdError);
      return;
    }
    this.links.set(link, attached);
    this.logger.info({ endpoint: attached.id, key: `${key.kind}:${key.key}` }, 'remote QRTR node connected');
    this.eventsSubject.next({ type: 'attached', endpoint: attached.id, key });
    link.onClosed((reason, error) => {
      this.links.delete(link);
      // The router detaches on packets$ completion; calling it again is harmless and
      // covers a link that ended before the router subscribed.
      attached.detach();
      this.logger.info({ endpoint: attached.id, key: `${key.kind}:${key.key}`, reason, error: error && errorFields(error) }, 'remote QRTR node disconnected');
      this.eventsSubject.next({ type: 'detached', endpoint: attached.id, key, reason, error });
    });
  }

  private refuse(key: BackendKey, reason: string, error?: QrtrdError): void {
    this.logger.warn({ key: `${key.kind}:${key.key}`, reason, error: error && errorFields(error) }, 'remote QRTR connection refused');
    this.eventsSubject.next({ type: 'refused', key, reason, error });
  }
}
