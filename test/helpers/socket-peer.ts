import * as net from 'node:net';
import { QRTR_PORT_CTRL, QrtrStreamFramer, QrtrType, decodePacket, encodeControl, encodePacket, instanceWord, type QrtrPacket } from '../../src/wire';

/**
 * A remote QRTR node over a real UNIX stream socket (qrtrd's --listen), written by
 * hand so tests can play well-behaved and hostile peers: it frames what it sends
 * exactly as the remote-socket protocol says and decodes what it receives.
 */
export class SocketPeer {
  readonly received: QrtrPacket[] = [];
  /** Answer every DATA that asks for it (confirm_rx) with RESUME_TX, as a reading kernel socket does. */
  autoResume = false;
  /** Keep received packets in `received` (off for long-running peers, which count instead). */
  keepReceived = true;
  /** DATA packets received, whether kept or not. */
  dataReceived = 0;
  onData: ((packet: QrtrPacket) => void) | undefined;
  private readonly framer = new QrtrStreamFramer((bytes) => {
    const p = decodePacket(bytes);
    if (p.type === QrtrType.DATA) {
      this.dataReceived++;
      this.onData?.(p);
      if (this.autoResume && p.confirmRx) this.resume(p.dstPort, p.srcPort);
    }
    if (this.keepReceived) this.received.push(p);
    for (const waiter of [...this.waiters]) {
      if (!waiter.match(p)) continue;
      this.waiters.delete(waiter);
      waiter.resolve(p);
    }
  });
  private readonly waiters = new Set<{ match: (p: QrtrPacket) => boolean; resolve: (p: QrtrPacket) => void }>();
  private closedPromise: Promise<void>;

  private constructor(
    readonly socket: net.Socket,
    readonly node: number,
    readonly localNode: number,
  ) {
    socket.on('data', (chunk: Buffer) => this.framer.push(chunk));
    socket.on('error', () => undefined);
    this.closedPromise = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static connect(path: string, node: number, localNode = 1): Promise<SocketPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(path);
      socket.once('connect', () => resolve(new SocketPeer(socket, node, localNode)));
      socket.once('error', reject);
    });
  }

  packet(fields: { type?: number; srcPort: number; dstNode?: number; dstPort: number; confirmRx?: boolean }, payload: Uint8Array): Uint8Array {
    return encodePacket(
      { type: fields.type ?? QrtrType.DATA, srcNode: this.node, srcPort: fields.srcPort, dstNode: fields.dstNode ?? this.localNode, dstPort: fields.dstPort, confirmRx: fields.confirmRx },
      payload,
    );
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  control(packet: Parameters<typeof encodeControl>[0]): void {
    this.write(this.packet({ type: packet.type, srcPort: QRTR_PORT_CTRL, dstPort: QRTR_PORT_CTRL }, encodeControl(packet)));
  }

  hello(): void {
    this.control({ type: QrtrType.HELLO });
  }

  bye(): void {
    this.control({ type: QrtrType.BYE });
  }

  announce(service: number, version: number, instance: number, port: number): void {
    this.control({ type: QrtrType.NEW_SERVER, service, instance: instanceWord(version, instance), node: this.node, port });
  }

  withdraw(service: number, version: number, instance: number, port: number): void {
    this.control({ type: QrtrType.DEL_SERVER, service, instance: instanceWord(version, instance), node: this.node, port });
  }

  /** RESUME_TX for `port` (ours) to the sender's port: "I consumed your packets". */
  resume(port: number, senderPort: number): void {
    this.write(this.packet({ type: QrtrType.RESUME_TX, srcPort: port, dstPort: senderPort }, encodeControl({ type: QrtrType.RESUME_TX, node: this.node, port })));
  }

  data(srcPort: number, dstPort: number, payload: Uint8Array, confirmRx = false): void {
    this.write(this.packet({ srcPort, dstPort, confirmRx }, payload));
  }

  /** Sends the first half of a packet and cuts the connection (a peer dying mid-write). */
  cutMidPacket(srcPort: number, dstPort: number): void {
    const packet = this.packet({ srcPort, dstPort }, new Uint8Array(64));
    this.socket.end(packet.subarray(0, packet.length >> 1));
    this.socket.destroy();
  }

  /** The next packet received that matches (e.g. the router's HELLO, a QMI request). */
  next(match: (p: QrtrPacket) => boolean, timeoutMs = 5000): Promise<QrtrPacket> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no matching packet within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = {
        match,
        resolve: (p: QrtrPacket) => {
          clearTimeout(timer);
          resolve(p);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Ends the connection and resolves once it is closed. */
  close(): Promise<void> {
    this.socket.end();
    this.socket.destroySoon?.();
    return this.closedPromise;
  }

  destroy(): Promise<void> {
    this.socket.destroy();
    return this.closedPromise;
  }

  get closed(): Promise<void> {
    return this.closedPromise;
  }

  dataPackets(): QrtrPacket[] {
    return this.received.filter((p) => p.type === QrtrType.DATA);
  }
}
