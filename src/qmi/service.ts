import { Subject, type Observable, type Subscription } from 'rxjs';
import { QrtrdError } from '../common/errors';
import { QRTR_PORT_CTRL } from '../wire/constants';
import { QrtrNetworkResetError } from '../router/errors';
import { NO_ENDPOINT_ID, type QrtrMessage, type QrtrSocket, type QrtrSocketProvider } from '../router/socket';
import { parseNameServiceMessage, sendNewServer } from '../ns/ns-client';
import { qmiCodec, type QmiCodec } from './codec/codec';
import { QMI_HEADER_LENGTH, decodeQmiHeader, encodeQmiHeader } from './codec/header';
import { QMI_RESULT_FAILURE, QMI_RESULT_TLV, QmiResultError, resultFieldOf } from './codec/result';
import { QmiMessageType, type QmiMessageSchema, type QmiValue } from './codec/schema';
import { QmiHandleClosedError } from './handle-errors';

/** A client of a service, as the service sees it. */
export interface QmiPeer {
  readonly node: number;
  readonly port: number;
  readonly endpoint: number;
}

export interface QmiRequestContext {
  readonly peer: QmiPeer;
  readonly txn: number;
  /** Per-client state, freed when the client goes away (DEL_CLIENT or BYE). */
  readonly state: Map<string, unknown>;
}

export interface QmiServiceOptions {
  readonly service: number;
  readonly version: number;
  readonly instance: number;
  /** Bind the service's socket to one endpoint (serve only that endpoint's clients). */
  readonly endpoint?: number;
  readonly name?: string;
}

/** QMI error numbers the handle answers with on its own (reference §1.2). */
export const QMI_ERR_MALFORMED_MSG = 1;
export const QMI_ERR_INTERNAL = 3;
export const QMI_ERR_INVALID_QMI_COMMAND = 71;

interface Handler {
  readonly request: QmiCodec;
  readonly response: QmiCodec;
  readonly resultKey: string | undefined;
  readonly fn: (request: unknown, context: QmiRequestContext) => unknown;
}

export interface QmiServiceStats {
  readonly requests: number;
  readonly malformed: number;
  readonly unknown: number;
  readonly failures: number;
  readonly clients: number;
}

function peerKey(p: QmiPeer): string {
  return `${p.endpoint}:${p.node}:${p.port}`;
}

/**
 * A QMI service handle: registers with the name service (NEW_SERVER with
 * version and instance), dispatches requests to handlers by message id and
 * answers them, sends indications to one client or all, and frees per-client
 * state when a client goes away. Unknown message ids are answered with
 * INVALID_QMI_COMMAND, undecodable requests with MALFORMED_MSG, handler
 * failures with the QmiResultError's error or INTERNAL; a handle never crashes on input.
 */
export class QmiService {
  private readonly handlers = new Map<number, Handler>();
  private readonly clients = new Map<string, { peer: QmiPeer; state: Map<string, unknown> }>();
  private readonly clientGoneSubject = new Subject<QmiPeer>();
  private readonly errorsSubject = new Subject<QrtrdError>();
  private subscription: Subscription | null = null;
  private isClosed = false;
  private counters = { requests: 0, malformed: 0, unknown: 0, failures: 0 };

  /** Clients that went away; their per-client state is already freed. */
  readonly clientGone$: Observable<QmiPeer> = this.clientGoneSubject.asObservable();
  /** Requests that could not be decoded or handled, for logs. */
  readonly errors$: Observable<QrtrdError> = this.errorsSubject.asObservable();

  private constructor(
    private readonly socket: QrtrSocket,
    private readonly localNode: number,
    readonly options: QmiServiceOptions,
  ) {}

  /**
   * Opens the service's socket, lets `setup` register handlers, and only then
   * announces the service (NEW_SERVER), so no client can reach it half-built.
   */
  static async start(provider: QrtrSocketProvider, options: QmiServiceOptions, setup?: (service: QmiService) => void): Promise<QmiService> {
    const socket = await provider.openSocket();
    try {
      if (options.endpoint) socket.bindEndpoint(options.endpoint);
      const service = new QmiService(socket, provider.localNode, options);
      setup?.(service);
      await service.listen();
      return service;
    } catch (err) {
      socket.close();
      throw err;
    }
  }

  get name(): string {
    return this.options.name ?? `QMI service ${this.options.service}`;
  }

  get address(): { node: number; port: number } {
    return this.socket.address;
  }

  stats(): QmiServiceStats {
    return { ...this.counters, clients: this.clients.size };
  }

  peers(): QmiPeer[] {
    return [...this.clients.values()].map((c) => c.peer);
  }

  /** Serves one request message; the response's result TLV defaults to success. */
  handle<Req extends QmiMessageSchema, Resp extends QmiMessageSchema>(
    request: Req,
    response: Resp,
    handler: (request: QmiValue<Req>, context: QmiRequestContext) => Partial<QmiValue<Resp>> | Promise<Partial<QmiValue<Resp>>>,
  ): this {
    this.handlers.set(request.msgId, {
      request: qmiCodec(request),
      response: qmiCodec(response),
      resultKey: resultFieldOf(response),
      fn: handler as (request: unknown, context: QmiRequestContext) => unknown,
    });
    return this;
  }

  /** Sends an indication to one client, or to every client that has talked to the service. */
  async indicate<S extends QmiMessageSchema>(schema: S, value: QmiValue<S>, to?: QmiPeer): Promise<void> {
    if (this.isClosed) throw new QmiHandleClosedError(this.name);
    const datagram = qmiCodec(schema).encodeMessage(value, 0);
    const targets = to ? [to] : this.peers();
    await Promise.all(targets.map((peer) => this.sendTo(peer, datagram)));
  }

  /** Unregisters (the socket's DEL_CLIENT removes the server everywhere) and stops serving. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.subscription?.unsubscribe();
    this.socket.close();
    this.clients.clear();
    this.clientGoneSubject.complete();
    this.errorsSubject.complete();
  }

  // ----------------------------------------------------------------- internals

  private async listen(): Promise<void> {
    this.subscription = this.socket.messages$.subscribe({
      next: (message) => this.onMessage(message),
      error: (err: unknown) => {
        if (err instanceof QrtrNetworkResetError && !this.isClosed) void this.listen().catch(() => this.close());
        else this.close();
      },
      complete: () => this.close(),
    });
    await sendNewServer(this.socket, this.options.service, this.options.version, this.options.instance);
  }

  private onMessage(message: QrtrMessage): void {
    const notification = parseNameServiceMessage(message, this.localNode);
    if (notification?.type === 'del-client') {
      this.dropClients((p) => p.node === notification.node && p.port === notification.port && sameEndpoint(p.endpoint, notification.endpoint));
      return;
    }
    if (notification?.type === 'bye') {
      this.dropClients((p) => p.node === notification.node && sameEndpoint(p.endpoint, notification.endpoint));
      return;
    }
    // Never answer control traffic: the name service would answer back, and so on forever.
    if (message.from.port === QRTR_PORT_CTRL) return;
    void this.onRequest(message);
  }

  private async onRequest(message: QrtrMessage): Promise<void> {
    const peer: QmiPeer = { node: message.from.node, port: message.from.port, endpoint: message.endpoint };
    let header;
    try {
      header = decodeQmiHeader(message.data);
    } catch (err) {
      this.counters.malformed++;
      this.report(err);
      // Without a header there is no txn to answer with.
      return;
    }
    if (header.type !== QmiMessageType.REQUEST) return;
    this.counters.requests++;
    const handler = this.handlers.get(header.msgId);
    if (!handler) {
      this.counters.unknown++;
      return this.sendTo(peer, errorResponse(header.msgId, header.txn, QMI_ERR_INVALID_QMI_COMMAND)).catch(() => undefined);
    }
    let request: unknown;
    try {
      request = handler.request.decode(message.data.subarray(QMI_HEADER_LENGTH));
    } catch (err) {
      this.counters.malformed++;
      this.report(err);
      return this.sendTo(peer, errorResponse(header.msgId, header.txn, QMI_ERR_MALFORMED_MSG)).catch(() => undefined);
    }
    const client = this.clientOf(peer);
    let datagram: Uint8Array;
    try {
      const value = (await handler.fn(request, { peer, txn: header.txn, state: client.state })) as Record<string, unknown>;
      const full = handler.resultKey && value[handler.resultKey] === undefined ? { ...value, [handler.resultKey]: { result: 0, error: 0 } } : value;
      datagram = handler.response.encodeMessage(full as never, header.txn);
    } catch (err) {
      this.counters.failures++;
      const code = err instanceof QmiResultError ? err.error : QMI_ERR_INTERNAL;
      if (!(err instanceof QmiResultError)) this.report(err);
      datagram = errorResponse(header.msgId, header.txn, code);
    }
    if (this.isClosed) return;
    await this.sendTo(peer, datagram).catch(() => undefined);
  }

  private clientOf(peer: QmiPeer): { peer: QmiPeer; state: Map<string, unknown> } {
    const key = peerKey(peer);
    let client = this.clients.get(key);
    if (!client) {
      client = { peer, state: new Map() };
      this.clients.set(key, client);
    }
    return client;
  }

  private dropClients(predicate: (p: QmiPeer) => boolean): void {
    for (const [key, client] of this.clients) {
      if (!predicate(client.peer)) continue;
      this.clients.delete(key);
      client.state.clear();
      this.clientGoneSubject.next(client.peer);
    }
  }

  private sendTo(peer: QmiPeer, datagram: Uint8Array): Promise<void> {
    return this.socket.send({ node: peer.node, port: peer.port }, datagram, {
      endpoint: peer.endpoint > 1 ? peer.endpoint : undefined,
    });
  }

  private report(err: unknown): void {
    if (!this.errorsSubject.observed) return;
    const error =
      err instanceof QrtrdError
        ? err
        : new QrtrdError('QMI_HANDLER_FAILED', `${this.name}: handler failed: ${String((err as Error)?.message ?? err)}`, {}, { cause: err });
    this.errorsSubject.next(error);
  }
}

function sameEndpoint(a: number, b: number): boolean {
  return a === NO_ENDPOINT_ID || b === NO_ENDPOINT_ID || a === b;
}

/** A response carrying only a failed result TLV: `02 04 00 01 00 EE EE`. */
function errorResponse(msgId: number, txn: number, error: number): Uint8Array {
  const out = new Uint8Array(QMI_HEADER_LENGTH + 7);
  encodeQmiHeader({ type: QmiMessageType.RESPONSE, txn, msgId, msgLen: 7 }, out, 0);
  out[7] = QMI_RESULT_TLV;
  out[8] = 4;
  out[9] = 0;
  out[10] = QMI_RESULT_FAILURE;
  out[11] = 0;
  out[12] = error & 0xff;
  out[13] = error >>> 8;
  return out;
}
