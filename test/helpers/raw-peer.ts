import {
  QRTR_NODE_BCAST,
  QRTR_PORT_CTRL,
  QrtrType,
  decodeControl,
  decodePacket,
  encodeControl,
  encodePacket,
  type QrtrControlPacket,
  type QrtrPacket,
} from '../../src/wire';
import { createMemoryLink, type AttachedEndpoint, type BackendKey, type MemoryEndpoint, type Router } from '../../src/router';

/** Lets queued microtasks and immediates run (memory links deliver on microtasks). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A remote node written by hand: attaches to a router over a memory link and
 * speaks raw QRTR packets, so tests can play firmware, including hostile firmware.
 */
export class RawPeer {
  readonly link: MemoryEndpoint;
  readonly attached: AttachedEndpoint;
  readonly received: QrtrPacket[] = [];

  constructor(
    readonly router: Router,
    readonly key: BackendKey,
    readonly node: number,
  ) {
    const [near, far] = createMemoryLink(key);
    this.link = far;
    far.packets$.subscribe((packet) => this.received.push(decodePacket(packet)));
    this.attached = router.attach(near);
  }

  get id(): number {
    return this.attached.id;
  }

  sendRaw(bytes: Uint8Array): void {
    this.link.transmit(bytes);
  }

  send(fields: { type?: number; srcNode?: number; srcPort: number; dstNode?: number; dstPort: number; confirmRx?: boolean; version?: 1 | 2 }, payload: Uint8Array): void {
    this.link.transmit(
      encodePacket(
        {
          version: fields.version,
          type: fields.type ?? QrtrType.DATA,
          srcNode: fields.srcNode ?? this.node,
          srcPort: fields.srcPort,
          dstNode: fields.dstNode ?? this.router.localNode,
          dstPort: fields.dstPort,
          confirmRx: fields.confirmRx,
        },
        payload,
      ),
    );
  }

  /** Sends a control packet from (node, CTRL) to (router, CTRL). */
  control(packet: Partial<QrtrControlPacket> & { type: number }, options: { srcNode?: number; dstPort?: number } = {}): void {
    this.send(
      { type: packet.type, srcNode: options.srcNode, srcPort: QRTR_PORT_CTRL, dstPort: options.dstPort ?? QRTR_PORT_CTRL },
      encodeControl(packet),
    );
  }

  hello(): void {
    this.control({ type: QrtrType.HELLO });
  }

  announce(service: number, instanceWord: number, port: number, node = this.node): void {
    this.control({ type: QrtrType.NEW_SERVER, service, instance: instanceWord, node, port });
  }

  /** Control packets received, decoded. */
  controls(type?: number): (QrtrControlPacket & { header: QrtrPacket })[] {
    return this.received
      .filter((p) => p.type !== QrtrType.DATA && (type === undefined || p.type === type))
      .map((p) => ({ ...decodeControl(p.payload), header: p }));
  }

  data(): QrtrPacket[] {
    return this.received.filter((p) => p.type === QrtrType.DATA);
  }

  detach(): void {
    this.attached.detach();
  }
}

export { QRTR_NODE_BCAST, QRTR_PORT_CTRL };
