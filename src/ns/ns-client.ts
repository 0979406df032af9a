import { Observable } from 'rxjs';
import { QRTR_PORT_CTRL, QrtrType } from '../wire/constants';
import { decodeControl, encodeControl, instanceWord, splitInstanceWord } from '../wire/control';
import { QrtrWireError } from '../wire/errors';
import { NO_ENDPOINT_ID, type QrtrMessage, type QrtrSocket, type QrtrSocketProvider } from '../router/socket';
import { NsServiceTimeoutError } from './errors';
import { matches } from './server-registry';
import { describeFilter, type LookupEvent, type LookupFilter, type ServerInfo } from './types';

/** A name-service notification as a socket receives it from (local node, CTRL). */
export type NameServiceNotification =
  | { readonly type: 'new-server'; readonly server: ServerInfo }
  | { readonly type: 'del-server'; readonly server: ServerInfo }
  | { readonly type: 'end-of-listing' }
  | { readonly type: 'bye'; readonly node: number; readonly endpoint: number }
  | { readonly type: 'del-client'; readonly node: number; readonly port: number; readonly endpoint: number };

/**
 * Reads a datagram as a name-service notification. Control traffic is told from
 * data by its source, (local node, QRTR_PORT_CTRL), exactly as the kernel's
 * qmi_interface does; anything else, or a malformed control packet, gives null.
 */
export function parseNameServiceMessage(message: QrtrMessage, localNode: number): NameServiceNotification | null {
  if (message.from.port !== QRTR_PORT_CTRL || message.from.node !== localNode) return null;
  let packet;
  try {
    packet = decodeControl(message.data);
  } catch (err) {
    if (err instanceof QrtrWireError) return null;
    throw err;
  }
  switch (packet.type) {
    case QrtrType.NEW_SERVER:
    case QrtrType.DEL_SERVER: {
      // QMI clients treat node 0 and port 0 as the end of the listing (qmi_interface.c).
      if (packet.node === 0 && packet.port === 0) return packet.type === QrtrType.NEW_SERVER ? { type: 'end-of-listing' } : null;
      const { version, instance } = splitInstanceWord(packet.instance);
      const server: ServerInfo = { service: packet.service, version, instance, node: packet.node, port: packet.port, endpoint: message.endpoint };
      return { type: packet.type === QrtrType.NEW_SERVER ? 'new-server' : 'del-server', server };
    }
    case QrtrType.BYE:
      return { type: 'bye', node: packet.node, endpoint: message.endpoint };
    case QrtrType.DEL_CLIENT:
      return { type: 'del-client', node: packet.node, port: packet.port, endpoint: message.endpoint };
    default:
      return null;
  }
}

/** The instance word a lookup sends: 0 (any) unless both version and instance are fixed. */
export function lookupInstanceWord(filter: LookupFilter): number {
  return filter.version !== undefined && filter.instance !== undefined ? instanceWord(filter.version, filter.instance) : 0;
}

function control(socket: QrtrSocket, type: number, service: number, word: number): Promise<void> {
  return socket.send({ node: socket.address.node, port: QRTR_PORT_CTRL }, encodeControl({ type, service, instance: word }));
}

/** NEW_LOOKUP from this socket (libqrtr's qrtr_new_lookup). */
export function sendNewLookup(socket: QrtrSocket, filter: LookupFilter): Promise<void> {
  return control(socket, QrtrType.NEW_LOOKUP, filter.service, lookupInstanceWord(filter));
}

export function sendDelLookup(socket: QrtrSocket, filter: LookupFilter): Promise<void> {
  return control(socket, QrtrType.DEL_LOOKUP, filter.service, lookupInstanceWord(filter));
}

/** NEW_SERVER for this socket's port (libqrtr's qrtr_new_server / qrtr_publish). */
export function sendNewServer(socket: QrtrSocket, service: number, version: number, instance: number): Promise<void> {
  return control(socket, QrtrType.NEW_SERVER, service, instanceWord(version, instance));
}

export function sendDelServer(socket: QrtrSocket, service: number, version: number, instance: number): Promise<void> {
  return control(socket, QrtrType.DEL_SERVER, service, instanceWord(version, instance));
}

/**
 * Watches the servers matching `filter` through any socket provider (in-process
 * router, kernel AF_QIPCRTR, or a qrtrd daemon): NEW_LOOKUP on a socket of its
 * own, a `snapshot` once the end-of-listing sentinel arrives, then `add` and
 * `remove` events. Finer filters than the wire allows (version alone, an
 * endpoint) are applied on arrival. Errors with NsServiceTimeoutError when the
 * listing does not finish within `timeoutMs`.
 */
export function watchServers$(provider: QrtrSocketProvider, filter: LookupFilter, timeoutMs = 1000): Observable<LookupEvent> {
  return new Observable<LookupEvent>((subscriber) => {
    let socket: QrtrSocket | undefined;
    let closed = false;
    let timer: NodeJS.Timeout | undefined;
    const snapshot: ServerInfo[] = [];
    let listed = false;
    const key = (s: ServerInfo) => `${s.endpoint}:${s.node}:${s.port}`;
    const known = new Map<string, ServerInfo>();
    const forget = (predicate: (s: ServerInfo) => boolean): void => {
      for (const [k, s] of known) {
        if (!predicate(s)) continue;
        known.delete(k);
        if (listed) subscriber.next({ type: 'remove', server: s });
      }
    };
    provider
      .openSocket()
      .then(async (s) => {
        socket = s;
        if (closed) return s.close();
        if (filter.endpoint) s.bindEndpoint(filter.endpoint);
        s.messages$.subscribe({
          next: (message) => {
            const n = parseNameServiceMessage(message, provider.localNode);
            if (!n) return;
            if (n.type === 'end-of-listing') {
              if (listed) return;
              listed = true;
              clearTimeout(timer);
              subscriber.next({ type: 'snapshot', servers: snapshot.splice(0) });
            } else if (n.type === 'new-server') {
              if (!matches(filter, n.server) || known.has(key(n.server))) return;
              known.set(key(n.server), n.server);
              if (listed) subscriber.next({ type: 'add', server: n.server });
              else snapshot.push(n.server);
            } else if (n.type === 'del-server') {
              forget((s) => s.endpoint === n.server.endpoint && s.node === n.server.node && s.port === n.server.port);
            } else if (n.type === 'bye') {
              forget((s) => s.node === n.node && (n.endpoint === NO_ENDPOINT_ID || s.endpoint === n.endpoint));
            }
          },
          error: (err: unknown) => subscriber.error(err),
        });
        timer = setTimeout(() => subscriber.error(new NsServiceTimeoutError(`the listing of ${describeFilter(filter)}`, timeoutMs)), timeoutMs);
        await sendNewLookup(s, filter);
      })
      .catch((err: unknown) => subscriber.error(err));
    return () => {
      closed = true;
      clearTimeout(timer);
      socket?.close();
    };
  });
}

/** The servers matching `filter` now, through any socket provider. */
export function lookupServers(provider: QrtrSocketProvider, filter: LookupFilter, timeoutMs = 1000): Promise<ServerInfo[]> {
  return new Promise<ServerInfo[]>((resolve, reject) => {
    const subscription = watchServers$(provider, filter, timeoutMs).subscribe({
      next: (event) => {
        if (event.type !== 'snapshot') return;
        resolve([...event.servers]);
        queueMicrotask(() => subscription.unsubscribe());
      },
      error: reject,
    });
  });
}
