import {
  QRTR_CONTROL_PACKET_LENGTH,
  QRTR_PORT_CTRL,
  QrtrType,
  decodeControlInto,
  decodeHeaderInto,
  newControlPacket,
  newHeader,
} from '../wire';

/** A server seen in a NEW_SERVER packet. */
export interface ServiceEntry {
  readonly service: number;
  readonly version: number;
  readonly instance: number;
}

/**
 * What a trace reader knows about servers: (endpoint, node, port) -> service,
 * learned from the NEW_SERVER / DEL_SERVER / DEL_CLIENT / BYE packets of the
 * same capture. A DATA packet does not name its service, so this is the only
 * way to name its messages. Identical cards can present the same node id, so
 * entries are kept per endpoint; a lookup falls back to the last server seen at
 * (node, port) on any endpoint (local traffic carries the endpoint of the
 * socket, not of the server).
 */
export class QrtrServiceTable {
  private readonly byEndpoint = new Map<string, ServiceEntry>();
  private readonly byAddress = new Map<string, ServiceEntry>();
  private readonly header = newHeader();
  private readonly control = newControlPacket();

  /** Learns from one trace; malformed or non-control packets are ignored. */
  observe(trace: { readonly endpoint: number; readonly packet: Uint8Array }): void {
    try {
      decodeHeaderInto(trace.packet, this.header);
    } catch {
      return;
    }
    const h = this.header;
    if (!isControl(h.type, h.srcPort, h.dstPort) || h.size < QRTR_CONTROL_PACKET_LENGTH) return;
    const c = decodeControlInto(trace.packet.subarray(h.headerLength, h.headerLength + h.size), this.control);
    if (c.type === QrtrType.NEW_SERVER) {
      if (c.node === 0 && c.port === 0) return; // end-of-listing sentinel
      const entry = { service: c.service, version: c.instance & 0xff, instance: c.instance >>> 8 };
      this.byEndpoint.set(key3(trace.endpoint, c.node, c.port), entry);
      this.byAddress.set(key2(c.node, c.port), entry);
    } else if (c.type === QrtrType.DEL_SERVER || c.type === QrtrType.DEL_CLIENT) {
      this.byEndpoint.delete(key3(trace.endpoint, c.node, c.port));
      this.byAddress.delete(key2(c.node, c.port));
    } else if (c.type === QrtrType.BYE) {
      const prefix = `${trace.endpoint}/${h.srcNode}/`;
      for (const k of [...this.byEndpoint.keys()]) if (k.startsWith(prefix)) this.byEndpoint.delete(k);
    }
  }

  /** The server at (node, port) as seen on `endpoint`, else anywhere; undefined if never announced. */
  lookup(endpoint: number, node: number, port: number): ServiceEntry | undefined {
    return this.byEndpoint.get(key3(endpoint, node, port)) ?? this.byAddress.get(key2(node, port));
  }

  clear(): void {
    this.byEndpoint.clear();
    this.byAddress.clear();
  }
}

/**
 * True when a packet's payload is a control message: any non-DATA type, or DATA
 * from or to the control port (local sockets send control messages as DATA).
 */
export function isControl(type: number, srcPort: number, dstPort: number): boolean {
  return type !== QrtrType.DATA || srcPort === QRTR_PORT_CTRL || dstPort === QRTR_PORT_CTRL;
}

function key3(endpoint: number, node: number, port: number): string {
  return `${endpoint}/${node}/${port}`;
}

function key2(node: number, port: number): string {
  return `${node}/${port}`;
}
