import { BehaviorSubject, Observable, Subject, filter, map, type Subscription } from 'rxjs';
import { QRTR_PORT_CTRL } from '../wire/constants';
import { QrtrNetworkResetError } from '../router/errors';
import { NO_ENDPOINT_ID, type QrtrMessage, type QrtrSocket, type QrtrSocketProvider } from '../router/socket';
import { parseNameServiceMessage, sendNewLookup } from '../ns/ns-client';
import { matches } from '../ns/server-registry';
import { describeFilter, type LookupFilter, type ServerInfo } from '../ns/types';
import { qmiCodec, type QmiCodec } from './codec/codec';
import { QmiDecodeError } from './codec/errors';
import { QMI_HEADER_LENGTH, decodeQmiHeader } from './codec/header';
import { QmiMessageType, type QmiMessageSchema, type QmiValue } from './codec/schema';
import {
  QmiAbortedError,
  QmiHandleClosedError,
  QmiServiceLostError,
  QmiServiceUnavailableError,
  QmiTimeoutError,
  QmiTransactionsExhaustedError,
} from './handle-errors';

export interface QmiClientOptions {
  /** QMI service id (the QRTR service number). */
  readonly service: number;
  /** Service version; absent matches any. */
  readonly version?: number;
  /** Service instance; absent matches any. */
  readonly instance?: number;
  /**
   * Endpoint to bind to: the client then sees only servers and messages of this
   * endpoint, whatever other endpoints present the same node id and instance.
   * It may be reserved before its device attaches.
   */
  readonly endpoint?: number;
  /**
   * Node to use: the client then considers only servers on this node. Without endpoint
   * IDs (a mainline kernel reports endpoint 0 for everything), this is how a client
   * picks one of several identical devices that have distinct node ids.
   */
  readonly node?: number;
  /** Name for errors and logs. */
  readonly name?: string;
}

export interface QmiRequestOptions {
  /** Milliseconds to wait for the response (and for a server, if none yet). Default 10000, as ath11k. */
  readonly timeout?: number;
  readonly signal?: AbortSignal;
  /** Reject with QmiResultError when the result TLV reports failure (default true). */
  readonly checkResult?: boolean;
}

export interface QmiClientStats {
  readonly requests: number;
  readonly responses: number;
  readonly timeouts: number;
  readonly indications: number;
  /** Datagrams that failed to decode or matched nothing. */
  readonly discarded: number;
}

interface Pending {
  readonly msgId: number;
  readonly codec: QmiCodec;
  readonly server: ServerInfo;
  readonly checkResult: boolean;
  resolve(value: unknown): void;
  reject(err: Error): void;
  cleanup(): void;
}

/** A received indication, for raw access. */
export interface QmiIndication {
  readonly msgId: number;
  readonly txn: number;
  readonly body: Uint8Array;
  readonly server: ServerInfo;
}

const DEFAULT_TIMEOUT = 10_000;

function serverKey(s: ServerInfo): string {
  return `${s.endpoint}:${s.node}:${s.port}`;
}

/**
 * A QMI client handle (the userspace counterpart of the kernel's qmi_handle with
 * a lookup): finds its service through the name service on its own socket, sends
 * requests with 16-bit transaction ids, matches responses by (txn, msg id,
 * sender), and streams indications. When the service goes away (DEL_SERVER, BYE,
 * link loss, name-service restart) pending requests fail with
 * QmiServiceLostError and the lookup stays armed, so the next server that
 * appears is picked up: the net-reset behaviour of qmi_interface.c.
 */
export class QmiClient {
  private readonly filter: LookupFilter;
  private readonly known = new Map<string, ServerInfo>();
  private readonly serverSubject = new BehaviorSubject<ServerInfo | undefined>(undefined);
  private readonly indicationSubject = new Subject<QmiIndication>();
  private readonly pending = new Map<number, Pending>();
  private subscription: Subscription | null = null;
  private nextTxn = 1;
  private isClosed = false;
  private counters = { requests: 0, responses: 0, timeouts: 0, indications: 0, discarded: 0 };

  /** The server in use (undefined while searching); replays the current value. */
  readonly server$: Observable<ServerInfo | undefined> = this.serverSubject.asObservable();

  private constructor(
    private readonly socket: QrtrSocket,
    private readonly localNode: number,
    readonly options: QmiClientOptions,
  ) {
    this.filter = { service: options.service, version: options.version, instance: options.instance, endpoint: options.endpoint, node: options.node };
  }

  /** Opens a socket (bound to `options.endpoint` if given) and starts looking for the service. */
  static async open(provider: QrtrSocketProvider, options: QmiClientOptions): Promise<QmiClient> {
    const socket = await provider.openSocket();
    try {
      if (options.endpoint) socket.bindEndpoint(options.endpoint);
      const client = new QmiClient(socket, provider.localNode, options);
      await client.listen();
      return client;
    } catch (err) {
      socket.close();
      throw err;
    }
  }

  get name(): string {
    return this.options.name ?? `QMI service ${this.options.service}`;
  }

  get server(): ServerInfo | undefined {
    return this.serverSubject.value;
  }

  get address(): { node: number; port: number } {
    return this.socket.address;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  stats(): QmiClientStats {
    return { ...this.counters };
  }

  /** Resolves with the server once one is known. */
  waitForServer(timeoutMs = DEFAULT_TIMEOUT, signal?: AbortSignal): Promise<ServerInfo> {
    if (this.isClosed) return Promise.reject(new QmiHandleClosedError(this.name));
    const current = this.serverSubject.value;
    if (current) return Promise.resolve(current);
    return new Promise<ServerInfo>((resolve, reject) => {
      let subscription: Subscription | undefined;
      const finish = (err: Error | null, server?: ServerInfo): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        subscription?.unsubscribe();
        if (err) reject(err);
        else resolve(server!);
      };
      const onAbort = (): void => finish(new QmiAbortedError(`waiting for ${describeFilter(this.filter)}`));
      const timer = setTimeout(() => finish(new QmiServiceUnavailableError(describeFilter(this.filter), timeoutMs)), timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      subscription = this.serverSubject.subscribe({
        next: (server) => {
          if (server) finish(null, server);
        },
        complete: () => finish(new QmiHandleClosedError(this.name)),
      });
    });
  }

  /**
   * Sends a request and resolves with the decoded response. Waits for a server
   * first if none is known yet (within the same timeout).
   * @throws QmiTimeoutError, QmiAbortedError, QmiServiceLostError, QmiResultError, QmiDecodeError
   */
  async request<Req extends QmiMessageSchema, Resp extends QmiMessageSchema>(
    request: Req,
    response: Resp,
    value: QmiValue<Req>,
    options: QmiRequestOptions = {},
  ): Promise<QmiValue<Resp>> {
    if (this.isClosed) throw new QmiHandleClosedError(this.name);
    const timeout = options.timeout ?? DEFAULT_TIMEOUT;
    const started = Date.now();
    const server = this.serverSubject.value ?? (await this.waitForServer(timeout, options.signal));
    const remaining = Math.max(1, timeout - (Date.now() - started));
    const txn = this.allocateTxn();
    const requestCodec = qmiCodec(request);
    const datagram = requestCodec.encodeMessage(value, txn);
    return new Promise<QmiValue<Resp>>((resolve, reject) => {
      const onAbort = (): void => {
        this.pending.get(txn)?.cleanup();
        reject(new QmiAbortedError(request.name));
      };
      const timer = setTimeout(() => {
        this.counters.timeouts++;
        this.pending.get(txn)?.cleanup();
        reject(new QmiTimeoutError(request.name, txn, timeout));
      }, remaining);
      if (options.signal?.aborted) {
        clearTimeout(timer);
        reject(new QmiAbortedError(request.name));
        return;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(txn, {
        msgId: request.msgId,
        codec: qmiCodec(response),
        server,
        checkResult: options.checkResult ?? true,
        resolve: resolve as (value: unknown) => void,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          this.pending.delete(txn);
        },
      });
      this.counters.requests++;
      this.socket
        .send({ node: server.node, port: server.port }, datagram, {
          endpoint: server.endpoint > NO_ENDPOINT_ID ? server.endpoint : undefined,
          signal: options.signal,
        })
        .catch((err: Error) => {
          const pending = this.pending.get(txn);
          if (!pending) return;
          pending.cleanup();
          reject(err);
        });
    });
  }

  /** Decoded indications of one message; malformed ones are counted and skipped. */
  indications$<S extends QmiMessageSchema>(schema: S): Observable<QmiValue<S>> {
    const codec = qmiCodec(schema);
    return new Observable<QmiValue<S>>((subscriber) =>
      this.indicationSubject
        .pipe(
          filter((ind) => ind.msgId === schema.msgId),
          map((ind) => {
            try {
              return { ok: true as const, value: codec.decode(ind.body) };
            } catch (err) {
              if (!(err instanceof QmiDecodeError)) throw err;
              this.counters.discarded++;
              return { ok: false as const };
            }
          }),
        )
        .subscribe({
          next: (r) => {
            if (r.ok) subscriber.next(r.value);
          },
          error: (err) => subscriber.error(err),
          complete: () => subscriber.complete(),
        }),
    );
  }

  /** Every indication, undecoded. */
  rawIndications$(): Observable<QmiIndication> {
    return this.indicationSubject.asObservable();
  }

  /** Closes the socket; pending requests fail with QmiHandleClosedError. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.subscription?.unsubscribe();
    this.failPending(() => new QmiHandleClosedError(this.name));
    this.socket.close();
    this.serverSubject.complete();
    this.indicationSubject.complete();
  }

  // ----------------------------------------------------------------- internals

  private async listen(): Promise<void> {
    this.subscription = this.socket.messages$.subscribe({
      next: (message) => this.onMessage(message),
      error: (err: unknown) => this.onSocketError(err),
      complete: () => this.close(),
    });
    await sendNewLookup(this.socket, this.filter);
  }

  private onSocketError(err: unknown): void {
    if (this.isClosed) return;
    if (!(err instanceof QrtrNetworkResetError)) {
      this.close();
      return;
    }
    // The name service restarted: everything it told us is void; look up again.
    this.known.clear();
    this.setServer(undefined);
    void this.listen().catch(() => this.close());
  }

  private onMessage(message: QrtrMessage): void {
    const notification = parseNameServiceMessage(message, this.localNode);
    if (notification) {
      switch (notification.type) {
        case 'new-server':
          if (!matches(this.filter, notification.server)) return;
          this.known.set(serverKey(notification.server), notification.server);
          if (!this.serverSubject.value) this.setServer(notification.server);
          return;
        case 'del-server':
          this.forget((s) => serverKey(s) === serverKey(notification.server));
          return;
        case 'bye':
          this.forget((s) => s.node === notification.node && (notification.endpoint === NO_ENDPOINT_ID || s.endpoint === notification.endpoint));
          return;
        default:
          return;
      }
    }
    if (message.from.port === QRTR_PORT_CTRL) return; // other control traffic is never QMI
    this.onDatagram(message);
  }

  private onDatagram(message: QrtrMessage): void {
    const server = this.serverSubject.value;
    if (
      !server ||
      message.from.node !== server.node ||
      message.from.port !== server.port ||
      (server.endpoint !== NO_ENDPOINT_ID && message.endpoint !== server.endpoint)
    ) {
      this.counters.discarded++;
      return;
    }
    let header;
    try {
      header = decodeQmiHeader(message.data);
    } catch (err) {
      if (!(err instanceof QmiDecodeError)) throw err;
      this.counters.discarded++;
      return;
    }
    if (header.type === QmiMessageType.INDICATION) {
      this.counters.indications++;
      this.indicationSubject.next({ msgId: header.msgId, txn: header.txn, body: message.data.subarray(QMI_HEADER_LENGTH), server });
      return;
    }
    const pending = this.pending.get(header.txn);
    if (header.type !== QmiMessageType.RESPONSE || !pending || pending.msgId !== header.msgId || serverKey(pending.server) !== serverKey(server)) {
      this.counters.discarded++;
      return;
    }
    pending.cleanup();
    this.counters.responses++;
    try {
      const value = pending.codec.decode(message.data.subarray(QMI_HEADER_LENGTH));
      if (pending.checkResult) pending.codec.checkResult(value);
      pending.resolve(value);
    } catch (err) {
      pending.reject(err as Error);
    }
  }

  private forget(predicate: (s: ServerInfo) => boolean): void {
    for (const [key, s] of this.known) if (predicate(s)) this.known.delete(key);
    const current = this.serverSubject.value;
    if (!current || !predicate(current)) return;
    this.failPending(() => new QmiServiceLostError(current.service, current.node, current.port, current.endpoint));
    this.setServer(this.known.values().next().value);
  }

  private setServer(server: ServerInfo | undefined): void {
    if (this.serverSubject.value !== server && !this.serverSubject.closed) this.serverSubject.next(server);
  }

  private failPending(reason: () => Error): void {
    for (const pending of [...this.pending.values()]) {
      pending.cleanup();
      pending.reject(reason());
    }
  }

  private allocateTxn(): number {
    for (let tries = 0; tries < 0xffff; tries++) {
      const txn = this.nextTxn;
      this.nextTxn = txn === 0xffff ? 1 : txn + 1;
      if (!this.pending.has(txn)) return txn;
    }
    throw new QmiTransactionsExhaustedError();
  }
}
