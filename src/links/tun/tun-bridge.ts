import { Subscription } from 'rxjs';
import { QrtrdError } from '../../common/errors';
import { QRTR_PORT_CTRL, QrtrType } from '../../wire/constants';
import { decodeControl, encodeControl, instanceWord } from '../../wire/control';
import { QrtrWireError } from '../../wire/errors';
import { decodePacket, encodePacket, type QrtrPacket } from '../../wire/packet';
import type { BackendKey, Endpoint } from '../../router/endpoint';
import type { Router } from '../../router/router';
import { LOCAL_ENDPOINT_ID, type QrtrMessage, type QrtrSocket } from '../../router/socket';
import type { NameService } from '../../ns/name-service';
import type { ServerInfo } from '../../ns/types';
import { SILENT_LOGGER, errorFields, type BackendLogger } from '../logger';
import { TunBridgeConfigError } from './errors';
import { NodeTranslationTable, type NodeTranslation } from './node-translation';

/** The packet device the bridge speaks through: /dev/qrtr-tun (one packet per read/write) or a test stand-in. */
export type TunPacketDevice = Pick<Endpoint, 'packets$' | 'transmit' | 'close'>;

export interface TunBridgeOptions {
  readonly router: Router;
  readonly nameService: NameService;
  readonly device: TunPacketDevice;
  /** `{ kind: 'tun', key: '<inode of the device>' }`. */
  readonly backendKey: BackendKey;
  /** The bridge's own node id on the kernel side (its HELLO). Default 99; never the kernel's node. */
  readonly bridgeNode?: number;
  /** Node ids presented to the kernel for (endpoint, node) pairs behind qrtrd. Default 100..199. */
  readonly nodeRange?: { readonly first: number; readonly last: number };
  /** The kernel's own node id, until its HELLO says otherwise. Default 1. */
  readonly kernelNode?: number;
  /** Kernel clients served at once (one proxy socket each). Default 256. */
  readonly maxProxies?: number;
  /** Datagrams waiting per proxy for the in-process router. Default 64. */
  readonly proxyQueueLimit?: number;
  /** How long stop() waits for the kernel to answer its HELLO before closing the device anyway. Default 1000 ms. */
  readonly closeTimeoutMs?: number;
  readonly logger?: BackendLogger;
}

export const DEFAULT_TUN_BRIDGE_NODE = 99;
export const DEFAULT_TUN_NODE_RANGE = { first: 100, last: 199 } as const;

/** Why the bridge dropped something; counted in {@link TunBridgeStats.drops}. */
export type TunDropReason =
  | 'malformed'
  | 'unknown-node'
  | 'to-bridge-node'
  | 'proxy-limit'
  | 'proxy-queue-full'
  | 'send-failed'
  | 'write-failed'
  | 'unexpected-type'
  | 'range-exhausted';

export interface TunBridgeStats {
  readonly packetsIn: number;
  readonly packetsOut: number;
  readonly drops: Readonly<Record<TunDropReason, number>>;
  readonly proxies: number;
  readonly translations: readonly NodeTranslation[];
  readonly kernelNode: number;
  readonly helloReceived: boolean;
}

interface Proxy {
  readonly socket: QrtrSocket;
  readonly kernelNode: number;
  readonly kernelPort: number;
  /** Sends to the router go in arrival order. */
  tail: Promise<void>;
  pending: number;
  readonly subscription: Subscription;
}

/**
 * Presents qrtrd to the kernel as a remote node through /dev/qrtr-tun.
 *
 * The router does not forward between endpoints, so this is not a router endpoint:
 * - every server the in-process name service knows (local services and servers on
 *   other endpoints) is announced to the kernel as a forwarded service, its
 *   (endpoint, node) translated to a node id of the configured range, so two devices
 *   presenting the same node id appear as two kernel nodes;
 * - a kernel client's DATA to (translated node, port) goes out of a proxy socket on
 *   the in-process router, one per kernel (node, port), to (real node, port) on the
 *   right endpoint; answers come back with the translated source;
 * - a confirm_rx packet gets RESUME_TX once its proxy send settled;
 * - DEL_CLIENT and BYE from the kernel close the proxies concerned; an endpoint that
 *   detaches releases its node ids with BYE.
 * Malformed or unexpected packets are counted and dropped; nothing from the device
 * throws out of the bridge.
 */
export class TunBridge {
  readonly backendKey: BackendKey;
  readonly bridgeNode: number;
  readonly table: NodeTranslationTable;
  private kernelNode: number;
  private helloReceived = false;
  private readonly subscriptions = new Subscription();
  private readonly proxies = new Map<string, Proxy>();
  private readonly logger: BackendLogger;
  private readonly maxProxies: number;
  private readonly proxyQueueLimit: number;
  private packetsIn = 0;
  private packetsOut = 0;
  private readonly drops: Record<TunDropReason, number> = {
    'malformed': 0,
    'unknown-node': 0,
    'to-bridge-node': 0,
    'proxy-limit': 0,
    'proxy-queue-full': 0,
    'send-failed': 0,
    'write-failed': 0,
    'unexpected-type': 0,
    'range-exhausted': 0,
  };
  private started = false;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private deviceSubscription: Subscription | undefined;
  private deviceClosed: (() => void) | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: TunBridgeOptions) {
    const range = options.nodeRange ?? DEFAULT_TUN_NODE_RANGE;
    this.table = new NodeTranslationTable(range.first, range.last);
    this.kernelNode = options.kernelNode ?? 1;
    this.bridgeNode = options.bridgeNode ?? DEFAULT_TUN_BRIDGE_NODE;
    if (!Number.isInteger(this.bridgeNode) || this.bridgeNode < 2 || this.bridgeNode >= QRTR_PORT_CTRL || this.bridgeNode === this.kernelNode) {
      throw new TunBridgeConfigError('bridgeNode', 'must be an integer >= 2 other than the kernel node', this.bridgeNode);
    }
    if (this.bridgeNode >= range.first && this.bridgeNode <= range.last) {
      throw new TunBridgeConfigError('bridgeNode', `must lie outside the translated range ${range.first}..${range.last}`, this.bridgeNode);
    }
    if (this.kernelNode >= range.first && this.kernelNode <= range.last) {
      throw new TunBridgeConfigError('nodeRange', `must not contain the kernel's node ${this.kernelNode}`, range);
    }
    this.backendKey = options.backendKey;
    this.logger = options.logger ?? SILENT_LOGGER;
    this.maxProxies = options.maxProxies ?? 256;
    this.proxyQueueLimit = options.proxyQueueLimit ?? 64;
  }

  /** Says HELLO, announces every known server, then follows the name service. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const { device, nameService, router } = this.options;
    if (device.packets$) {
      this.deviceSubscription = device.packets$.subscribe({
        next: (packet) => (this.stopped ? this.closeDevice() : this.onPacket(packet)),
        error: (err: unknown) => this.logger.warn({ link: this.linkName, error: errorFields(err) }, 'qrtr-tun link failed'),
        complete: () => this.logger.info({ link: this.linkName }, 'qrtr-tun link closed'),
      });
    }
    this.writeControl(this.bridgeNode, { type: QrtrType.HELLO });
    this.subscriptions.add(
      router.endpointEvents$.subscribe((event) => {
        if (event.type === 'detached') this.releaseEndpoint(event.id);
      }),
    );
    this.subscriptions.add(
      nameService.lookup$({ service: 0 }).subscribe((event) => {
        if (event.type === 'snapshot') for (const server of event.servers) this.announce(server);
        else if (event.type === 'add') this.announce(event.server);
        else this.withdraw(event.server);
      }),
    );
  }

  /**
   * Closes every proxy and the device. Closing /dev/qrtr-tun unregisters the kernel
   * endpoint, which removes every node id learned through it (BYE to the kernel's NS).
   * Resolves once the device is closed.
   */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopped = true;
    this.subscriptions.unsubscribe();
    for (const proxy of [...this.proxies.values()]) this.closeProxy(proxy);
    this.stopping = new Promise<void>((resolve) => {
      this.deviceClosed = resolve;
      if (!this.deviceSubscription || this.deviceSubscription.closed) return this.closeDevice();
      // A read of /dev/qrtr-tun blocks in the thread pool until the kernel sends something,
      // and the fd must not close under it. The kernel's name service answers HELLO: the
      // device is closed from inside that packet's delivery, before the read is re-armed.
      this.closeTimer = setTimeout(() => this.closeDevice(), this.options.closeTimeoutMs ?? 1000);
      this.closeTimer.unref?.();
      void this.write(this.bridgeNode, QRTR_PORT_CTRL, this.kernelNode, QRTR_PORT_CTRL, QrtrType.HELLO, encodeControl({ type: QrtrType.HELLO })).catch(() =>
        this.closeDevice(),
      );
    });
    return this.stopping;
  }

  private closeDevice(): void {
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.closeTimer = undefined;
    this.deviceSubscription?.unsubscribe();
    this.options.device.close();
    const done = this.deviceClosed;
    this.deviceClosed = undefined;
    done?.();
  }

  stats(): TunBridgeStats {
    return {
      packetsIn: this.packetsIn,
      packetsOut: this.packetsOut,
      drops: { ...this.drops },
      proxies: this.proxies.size,
      translations: this.table.entries(),
      kernelNode: this.kernelNode,
      helloReceived: this.helloReceived,
    };
  }

  private get linkName(): string {
    return `${this.backendKey.kind}:${this.backendKey.key}`;
  }

  private onPacket(buffer: Uint8Array): void {
    this.packetsIn++;
    let packet: QrtrPacket;
    try {
      packet = decodePacket(buffer);
    } catch (err) {
      if (!(err instanceof QrtrWireError)) throw err;
      this.drop('malformed', err);
      return;
    }
    try {
      switch (packet.type) {
        case QrtrType.DATA:
          this.onData(packet);
          return;
        case QrtrType.HELLO:
          // The kernel's name service answers our HELLO with its own, from (its node, CTRL).
          // A later HELLO means it restarted and forgot our servers: announce them again.
          this.kernelNode = packet.srcNode;
          if (this.helloReceived) for (const server of this.options.nameService.servers()) this.announce(server);
          this.helloReceived = true;
          return;
        case QrtrType.BYE:
          this.closeProxies((p) => p.kernelNode === packet.srcNode);
          return;
        case QrtrType.DEL_CLIENT: {
          const control = decodeControl(packet.payload);
          const proxy = this.proxies.get(proxyKey(control.node, control.port));
          if (proxy) this.closeProxy(proxy);
          return;
        }
        case QrtrType.RESUME_TX:
        case QrtrType.NEW_SERVER:
        case QrtrType.DEL_SERVER:
          // Kernel-side services are not imported, and the bridge never asks for confirm_rx.
          return;
        default:
          this.drop('unexpected-type');
      }
    } catch (err) {
      if (err instanceof QrtrdError) this.drop('malformed', err);
      else {
        this.logger.error({ link: this.linkName, error: errorFields(err) }, 'qrtr-tun packet handling failed');
        this.drops.malformed++;
      }
    }
  }

  private onData(packet: QrtrPacket): void {
    const { srcNode, srcPort, dstNode, dstPort } = packet;
    if (dstNode === this.bridgeNode) return this.dataDropped('to-bridge-node', packet);
    const target = this.table.resolve(dstNode);
    if (!target) return this.dataDropped('unknown-node', packet);
    const proxy = this.proxyFor(srcNode, srcPort);
    if (!proxy) return this.dataDropped('proxy-limit', packet);
    if (proxy.pending >= this.proxyQueueLimit) return this.dataDropped('proxy-queue-full', packet);
    proxy.pending++;
    const payload = packet.payload;
    const endpoint = target.endpoint > LOCAL_ENDPOINT_ID ? target.endpoint : undefined;
    proxy.tail = proxy.tail.then(() =>
      proxy.socket.send({ node: target.node, port: dstPort }, payload, endpoint ? { endpoint } : undefined).then(
        () => this.dataSent(proxy, packet, target),
        (err: unknown) => {
          this.drop('send-failed', err);
          this.dataSent(proxy, packet, target);
        },
      ),
    );
  }

  private dataSent(proxy: Proxy, packet: QrtrPacket, target: NodeTranslation): void {
    proxy.pending--;
    if (!packet.confirmRx) return;
    // The kernel holds this flow at 10 unconfirmed packets until told to resume.
    const payload = encodeControl({ type: QrtrType.RESUME_TX, node: target.kernelNode, port: packet.dstPort });
    void this.write(target.kernelNode, packet.dstPort, packet.srcNode, packet.srcPort, QrtrType.RESUME_TX, payload).catch(() => undefined);
  }

  /** A confirm_rx packet that is dropped still gets its RESUME_TX, or the kernel sender stays stuck. */
  private dataDropped(reason: TunDropReason, packet: QrtrPacket): void {
    this.drop(reason);
    if (!packet.confirmRx) return;
    const payload = encodeControl({ type: QrtrType.RESUME_TX, node: packet.dstNode, port: packet.dstPort });
    void this.write(packet.dstNode, packet.dstPort, packet.srcNode, packet.srcPort, QrtrType.RESUME_TX, payload).catch(() => undefined);
  }

  private proxyFor(kernelNode: number, kernelPort: number): Proxy | undefined {
    const key = proxyKey(kernelNode, kernelPort);
    const existing = this.proxies.get(key);
    if (existing) return existing;
    if (this.proxies.size >= this.maxProxies) return undefined;
    const socket = this.options.router.openSocketSync();
    const subscription = new Subscription();
    const proxy: Proxy = { socket, kernelNode, kernelPort, tail: Promise.resolve(), pending: 0, subscription };
    const localNode = this.options.router.localNode;
    subscription.add(
      socket.messages$.subscribe((message) => {
        // The in-process name service's notifications (DEL_CLIENT, BYE) are not for the kernel client.
        if (message.from.port === QRTR_PORT_CTRL && message.from.node === localNode) return;
        this.toKernel(proxy, message);
      }),
    );
    this.proxies.set(key, proxy);
    return proxy;
  }

  private toKernel(proxy: Proxy, message: QrtrMessage): void {
    let translation: NodeTranslation;
    try {
      translation = this.table.acquire(message.endpoint, message.from.node);
    } catch (err) {
      this.drop('range-exhausted', err);
      return;
    }
    void this.write(translation.kernelNode, message.from.port, proxy.kernelNode, proxy.kernelPort, QrtrType.DATA, message.data).catch(() => undefined);
  }

  private closeProxies(predicate: (proxy: Proxy) => boolean): void {
    for (const proxy of [...this.proxies.values()]) if (predicate(proxy)) this.closeProxy(proxy);
  }

  private closeProxy(proxy: Proxy): void {
    this.proxies.delete(proxyKey(proxy.kernelNode, proxy.kernelPort));
    proxy.subscription.unsubscribe();
    proxy.socket.close();
  }

  private announce(server: ServerInfo): void {
    let translation: NodeTranslation;
    try {
      translation = this.table.acquire(server.endpoint, server.node);
    } catch (err) {
      this.drop('range-exhausted', err);
      this.logger.warn({ link: this.linkName, error: errorFields(err) }, 'server not announced to the kernel');
      return;
    }
    this.writeControl(translation.kernelNode, {
      type: QrtrType.NEW_SERVER,
      service: server.service,
      instance: instanceWord(server.version, server.instance),
      node: translation.kernelNode,
      port: server.port,
    });
  }

  private withdraw(server: ServerInfo): void {
    const translation = this.table.find(server.endpoint, server.node);
    if (!translation) return;
    this.writeControl(translation.kernelNode, {
      type: QrtrType.DEL_SERVER,
      service: server.service,
      instance: instanceWord(server.version, server.instance),
      node: translation.kernelNode,
      port: server.port,
    });
  }

  private releaseEndpoint(endpoint: number): void {
    for (const translation of this.table.releaseEndpoint(endpoint)) {
      // The kernel's name service drops every server of a node on its BYE.
      this.writeControl(translation.kernelNode, { type: QrtrType.BYE });
      this.logger.info({ link: this.linkName, endpoint, node: translation.node, kernelNode: translation.kernelNode }, 'translated node released');
    }
  }

  /** Control packets go from (node, CTRL) to the kernel's name service. */
  private writeControl(srcNode: number, control: Parameters<typeof encodeControl>[0]): void {
    void this.write(srcNode, QRTR_PORT_CTRL, this.kernelNode, QRTR_PORT_CTRL, control.type, encodeControl(control)).catch(() => undefined);
  }

  private write(srcNode: number, srcPort: number, dstNode: number, dstPort: number, type: number, payload: Uint8Array): Promise<void> {
    // Always a whole v1 packet: what the kernel's qrtr_endpoint_post parses from a tun.
    const packet = encodePacket({ version: 1, type, srcNode, srcPort, dstNode, dstPort }, payload);
    let result: void | Promise<void>;
    try {
      result = this.options.device.transmit(packet);
    } catch (err) {
      this.drop('write-failed', err);
      return Promise.reject(err as Error);
    }
    return Promise.resolve(result).then(
      () => {
        this.packetsOut++;
      },
      (err: unknown) => {
        this.drop('write-failed', err);
        throw err;
      },
    );
  }

  private drop(reason: TunDropReason, err?: unknown): void {
    this.drops[reason]++;
    if (err !== undefined) this.logger.debug({ link: this.linkName, reason, error: errorFields(err) }, 'qrtr-tun packet dropped');
  }
}

function proxyKey(node: number, port: number): string {
  return `${node}:${port}`;
}
