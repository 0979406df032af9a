import { QrtrdError } from '../common/errors';
import {
  QRTR_NODE_BCAST,
  QRTR_PORT_CTRL,
  QrtrType,
  decodeControlInto,
  decodeHeaderInto,
  newControlPacket,
  newHeader,
  qrtrTypeName,
  type QrtrHeader,
} from '../wire';
import { QmiNameRegistry, type QmiMessageNames } from './qmi-names';
import { qmiCodec, type QmiMessageSchema } from '../qmi';
import { QrtrServiceTable, isControl } from './service-table';

/** The fields of a router PacketTrace (or a CaptureRecord) that a trace line shows. */
export interface TraceLike {
  readonly direction: 'rx' | 'tx' | 'local';
  readonly endpoint: number;
  readonly backendKind: string;
  readonly packet: Uint8Array;
  readonly timestamp: number;
}

const QMI_TYPE_NAMES: Readonly<Record<number, string>> = { 0: 'req', 2: 'resp', 4: 'ind' };
const DEFAULT_NAMES = QmiNameRegistry.withDefaults();
const EMPTY_SERVICES = new QrtrServiceTable();

/**
 * One human-readable line for one traced packet, for `qrtr trace`:
 *
 * ```
 * 12:00:00.123 rx  ep1 mhi v1 NEW_SERVER 7:CTRL -> 1:CTRL service 69 version 1 instance 1 node 7 port 1
 * 12:00:00.125 tx  ep1 mhi v1 DATA 1:16384 -> 7:1 wlfw req txn 1 msg 0x0020 IND_REGISTER len 8 tlvs 0x10/1 0x11/1
 * ```
 *
 * Time is UTC. Control packets show their fields, the instance word split into
 * version and instance. DATA packets that carry a QMI header show type, txn,
 * message id and TLVs; the message is named when `services` knows which service
 * sits at the server's address (learned from NEW_SERVER, see QrtrServiceTable)
 * and `qmiSchemas` (default: the shipped WLFW table) knows the id. Never
 * throws: a malformed packet prints its error code and first bytes.
 */
export function formatTrace(trace: TraceLike, qmiSchemas: QmiMessageNames = DEFAULT_NAMES, services: QrtrServiceTable = EMPTY_SERVICES): string {
  const prefix = `${formatTime(trace.timestamp)} ${trace.direction.padEnd(5)} ep${trace.endpoint} ${trace.backendKind || '-'}`;
  const header = newHeader();
  try {
    decodeHeaderInto(trace.packet, header);
  } catch (error) {
    const code = error instanceof QrtrdError ? error.code : 'ERROR';
    return `${prefix} MALFORMED ${code} len ${trace.packet.length} [${hexBytes(trace.packet, 32)}]`;
  }
  const payload = trace.packet.subarray(header.headerLength, header.headerLength + header.size);
  const flags = header.confirmRx ? ' confirm_rx' : '';
  const route = `${node(header.srcNode)}:${port(header.srcPort)} -> ${node(header.dstNode)}:${port(header.dstPort)}`;
  const head = `${prefix} v${header.version} ${qrtrTypeName(header.type)}`;
  if (isControl(header.type, header.srcPort, header.dstPort)) {
    return `${head} ${route}${flags} ${formatControl(header, payload)}`.trimEnd();
  }
  return `${head} ${route}${flags} ${formatData(trace.endpoint, header, payload, qmiSchemas, services)}`;
}

/**
 * formatTrace with memory: learns servers from every trace it formats, so
 * later DATA lines name their service and messages.
 */
export class TraceFormatter {
  readonly services = new QrtrServiceTable();

  constructor(private readonly qmiSchemas: QmiMessageNames = DEFAULT_NAMES) {}

  format(trace: TraceLike): string {
    this.services.observe(trace);
    return formatTrace(trace, this.qmiSchemas, this.services);
  }
}

function formatControl(header: QrtrHeader, payload: Uint8Array): string {
  if (payload.length < 20) return `control payload ${payload.length} bytes (short) [${hexBytes(payload, 20)}]`;
  const c = decodeControlInto(payload, newControlPacket());
  const cmd = header.type === QrtrType.DATA || c.type !== header.type ? `cmd ${qrtrTypeName(c.type)} ` : '';
  switch (c.type) {
    case QrtrType.NEW_SERVER:
    case QrtrType.DEL_SERVER:
    case QrtrType.NEW_LOOKUP:
    case QrtrType.DEL_LOOKUP: {
      if (c.type === QrtrType.NEW_SERVER && c.service === 0 && c.instance === 0 && c.node === 0 && c.port === 0) return `${cmd}end-of-list`;
      const server = `service ${c.service} version ${c.instance & 0xff} instance ${c.instance >>> 8}`;
      return c.type === QrtrType.NEW_LOOKUP || c.type === QrtrType.DEL_LOOKUP
        ? `${cmd}${server}`
        : `${cmd}${server} node ${node(c.node)} port ${port(c.port)}`;
    }
    case QrtrType.BYE:
    case QrtrType.DEL_CLIENT:
    case QrtrType.RESUME_TX:
      return `${cmd}node ${node(c.node)} port ${port(c.port)}`;
    case QrtrType.DEL_PROC:
      return `${cmd}node ${node(c.node)}`;
    case QrtrType.HELLO:
    case QrtrType.EXIT:
    case QrtrType.PING:
      return cmd.trimEnd();
    default:
      return `cmd ${c.type}`;
  }
}

function formatData(endpoint: number, header: QrtrHeader, payload: Uint8Array, names: QmiMessageNames, services: QrtrServiceTable): string {
  const len = payload.length;
  if (len < 7) return `len ${len} [${hexBytes(payload, 16)}]`;
  const type = payload[0]!;
  const typeName = QMI_TYPE_NAMES[type];
  const msgLen = payload[5]! | (payload[6]! << 8);
  if (typeName === undefined || msgLen !== len - 7) return `len ${len} not QMI [${hexBytes(payload, 16)}]`;
  const txn = payload[1]! | (payload[2]! << 8);
  const msgId = payload[3]! | (payload[4]! << 8);
  // A request goes to the server; responses and indications come from it.
  const server =
    type === 0
      ? services.lookup(endpoint, header.dstNode, header.dstPort)
      : services.lookup(endpoint, header.srcNode, header.srcPort);
  const serviceName = server ? names.serviceName(server.service) ?? `service ${server.service}` : undefined;
  const msgName = server ? names.messageName(server.service, msgId, type) : undefined;
  let line = `${serviceName ? serviceName + ' ' : ''}${typeName} txn ${txn} msg 0x${msgId.toString(16).padStart(4, '0')}`;
  if (msgName) line += ` ${msgName}`;
  line += ` len ${msgLen} ${formatTlvs(payload)}`;
  const schema = server ? names.schema?.(server.service, msgId, type) : undefined;
  if (schema) line += ` ${formatDecoded(schema, payload.subarray(7))}`;
  return line;
}

/** The message's fields as compact JSON; long byte arrays are summarised, a decode failure named. */
function formatDecoded(schema: QmiMessageSchema, body: Uint8Array): string {
  try {
    const value = qmiCodec(schema).decode(body);
    return JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'bigint') return `0x${v.toString(16)}`;
      if (v instanceof Uint8Array) return v.length > 16 ? `<${v.length} bytes>` : Buffer.from(v).toString('hex');
      return v;
    });
  } catch (err) {
    return `(does not decode as ${schema.name}: ${err instanceof QrtrdError ? err.code : String(err)})`;
  }
}

function formatTlvs(payload: Uint8Array): string {
  const parts: string[] = [];
  let o = 7;
  while (o < payload.length) {
    if (payload.length - o < 3) {
      parts.push(`(${payload.length - o} trailing bytes)`);
      break;
    }
    const t = payload[o]!;
    const l = payload[o + 1]! | (payload[o + 2]! << 8);
    if (o + 3 + l > payload.length) {
      parts.push(`0x${t.toString(16).padStart(2, '0')}/${l} (overruns by ${o + 3 + l - payload.length})`);
      break;
    }
    parts.push(`0x${t.toString(16).padStart(2, '0')}/${l}`);
    o += 3 + l;
  }
  return parts.length === 0 ? 'tlvs none' : `tlvs ${parts.join(' ')}`;
}

function node(n: number): string {
  return n === QRTR_NODE_BCAST ? 'BCAST' : String(n);
}

function port(p: number): string {
  return p === QRTR_PORT_CTRL ? 'CTRL' : String(p);
}

function formatTime(ms: number): string {
  const d = new Date(Math.floor(ms));
  const pad = (v: number, w = 2): string => String(v).padStart(w, '0');
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`;
}

function hexBytes(bytes: Uint8Array, max: number): string {
  let s = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) s += (i ? ' ' : '') + bytes[i]!.toString(16).padStart(2, '0');
  return bytes.length > max ? s + ' ...' : s;
}
