import { readFileSync } from 'node:fs';
import { QrtrdError } from '../common/errors';
import {
  QMI_HEADER_LENGTH,
  QmiMessageType,
  QmiTlvReader,
  buildSchemas,
  decodeQmiHeader,
  encodeQmiHeader,
  parseQmi,
  qmiCodec,
  qmiErrorName,
  type QmiMessageSchema,
} from '../qmi';

/** A `qrtr qmi` invocation that cannot be built from its arguments. */
export class QmiCommandError extends QrtrdError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('QRTR_QMI_USAGE', message, details);
  }
}

/** A request ready to send: the datagram plus how to read the answer. */
export interface PreparedRequest {
  readonly msgId: number;
  readonly datagram: Uint8Array;
  readonly response?: QmiMessageSchema;
  readonly description: string;
}

/** Parses `0x10=01020304` (TLV type = hex bytes). */
export function parseTlvArgument(text: string): { type: number; value: Uint8Array } {
  const m = /^(0x[0-9a-fA-F]{1,2}|\d{1,3})=([0-9a-fA-F]*)$/.exec(text);
  if (!m || m[2].length % 2 !== 0) throw new QmiCommandError(`--tlv '${text}' is not TYPE=HEXBYTES, e.g. 0x10=01020304`, { tlv: text });
  const type = Number(m[1]);
  if (type > 0xff) throw new QmiCommandError(`--tlv type ${type} does not fit a byte`, { tlv: text });
  return { type, value: Uint8Array.from(Buffer.from(m[2], 'hex')) };
}

/** A raw request: message id and TLVs given on the command line. */
export function prepareRawRequest(msgId: number, tlvs: readonly string[], txn: number): PreparedRequest {
  const parsed = tlvs.map(parseTlvArgument);
  const bodyLength = parsed.reduce((n, t) => n + 3 + t.value.length, 0);
  if (bodyLength > 0xffff) throw new QmiCommandError('the TLVs exceed 65535 bytes');
  const datagram = new Uint8Array(QMI_HEADER_LENGTH + bodyLength);
  encodeQmiHeader({ type: QmiMessageType.REQUEST, txn, msgId, msgLen: bodyLength }, datagram, 0);
  let o = QMI_HEADER_LENGTH;
  for (const t of parsed) {
    datagram[o] = t.type;
    datagram[o + 1] = t.value.length & 0xff;
    datagram[o + 2] = t.value.length >>> 8;
    datagram.set(t.value, o + 3);
    o += 3 + t.value.length;
  }
  return { msgId, datagram, description: `message 0x${msgId.toString(16)} with ${parsed.length} TLVs` };
}

/**
 * A request described by a .qmi file: `message` names a request of the file;
 * `json` gives its field values (numbers; strings; arrays of numbers for byte
 * arrays; bigint fields as decimal strings). The response is the file's
 * response with the same message id.
 */
export function prepareSchemaRequest(qmiFile: string, message: string, json: string, txn: number): PreparedRequest {
  let source: string;
  try {
    source = readFileSync(qmiFile, 'utf8');
  } catch (err) {
    throw new QmiCommandError(`cannot read ${qmiFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { file: qmiFile });
  }
  const schemas = buildSchemas(parseQmi(source, qmiFile));
  const all = Object.values(schemas.messages) as QmiMessageSchema[];
  const request = all.find((m) => m.name === message && m.kind === 'request');
  if (!request) {
    const names = all.filter((m) => m.kind === 'request').map((m) => m.name);
    throw new QmiCommandError(`${qmiFile} has no request named '${message}'; it has: ${names.join(', ') || 'none'}`, { message });
  }
  const response = all.find((m) => m.kind === 'response' && m.msgId === request.msgId);
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(json || '{}', (_k, v: unknown) => (Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0 && x <= 255) ? Uint8Array.from(v as number[]) : v)) as Record<string, unknown>;
  } catch (err) {
    throw new QmiCommandError(`--json is not valid JSON: ${(err as Error).message}`);
  }
  const datagram = qmiCodec(request).encodeMessage(value as never, txn);
  return { msgId: request.msgId, datagram, response, description: request.name };
}

/** A response decoded for printing: by its schema when known, else TLV by TLV. */
export function describeResponse(datagram: Uint8Array, response: QmiMessageSchema | undefined): Record<string, unknown> {
  const header = decodeQmiHeader(datagram);
  const body = datagram.subarray(QMI_HEADER_LENGTH);
  const out: Record<string, unknown> = { type: header.type, txn: header.txn, msgId: header.msgId };
  const tlvs: { type: number; length: number; value: string }[] = [];
  const reader = new QmiTlvReader(body);
  while (reader.next()) tlvs.push({ type: reader.type, length: reader.length, value: Buffer.from(reader.value).toString('hex') });
  const result = tlvs.find((t) => t.type === 2 && t.length === 4);
  if (result) {
    const bytes = Buffer.from(result.value, 'hex');
    const error = bytes.readUInt16LE(2);
    out.result = { result: bytes.readUInt16LE(0), error, errorName: qmiErrorName(error) };
  }
  if (response) {
    try {
      out.decoded = qmiCodec(response).decode(body);
      out.message = response.name;
    } catch (err) {
      out.decodeError = err instanceof QrtrdError ? { code: err.code, message: err.message } : String(err);
    }
  }
  out.tlvs = tlvs;
  return out;
}

/** JSON.stringify that prints bigints as decimal strings and byte arrays as hex. */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (typeof v === 'bigint') return v.toString();
      if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
      return v;
    },
    indent,
  );
}
