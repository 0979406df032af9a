import type { QmiBodyCodec } from './body-codec';
import { compileBody } from './compiler';
import { QmiEncodeOverflowError, QmiMessageMismatchError } from './errors';
import { QMI_HEADER_LENGTH, decodeQmiHeader, encodeQmiHeader, type QmiHeader } from './header';
import { interpretBody } from './interpreter';
import { maxEncodedLength } from './layout';
import { checkMessageResult } from './result';
import type { QmiMessageSchema, QmiValue } from './schema';

/** `compiled` (generated code, the default) or `interpreted` (schema walk, the reference). */
export type QmiEngine = 'compiled' | 'interpreted';

/** A decoded datagram: its header and the message value. */
export interface QmiDecodedMessage<S extends QmiMessageSchema> {
  readonly header: QmiHeader;
  readonly value: QmiValue<S>;
}

/**
 * Everything a client or service needs for one message type: body codec plus whole-datagram
 * helpers that add/check the 7-byte header. Get instances from `qmiCodec(schema)`.
 */
export class QmiCodec<S extends QmiMessageSchema = QmiMessageSchema> implements QmiBodyCodec<S> {
  /** The message's `*_MSG_V01_MAX_LEN`: largest TLV body; a receive buffer needs 7 more. */
  readonly maxLength: number;

  constructor(readonly schema: S, readonly body: QmiBodyCodec<S>, readonly engine: QmiEngine) {
    this.maxLength = maxEncodedLength(schema);
  }

  encodedLength(value: QmiValue<S>): number {
    return this.body.encodedLength(value);
  }

  encodeInto(value: QmiValue<S>, target: Uint8Array, offset: number): number {
    return this.body.encodeInto(value, target, offset);
  }

  encode(value: QmiValue<S>): Uint8Array {
    return this.body.encode(value);
  }

  encodeWithHeadroom(value: QmiValue<S>, headroom: number): Uint8Array {
    return this.body.encodeWithHeadroom(value, headroom);
  }

  decode(body: Uint8Array): QmiValue<S> {
    return this.body.decode(body);
  }

  /** A whole datagram (header with the schema's type and msg id, then TLVs) in one allocation. */
  encodeMessage(value: QmiValue<S>, txn: number): Uint8Array {
    const out = this.body.encodeWithHeadroom(value, QMI_HEADER_LENGTH);
    if (out.length - QMI_HEADER_LENGTH > 0xffff) {
      throw new QmiEncodeOverflowError(this.schema.name, this.schema.name, out.length - QMI_HEADER_LENGTH, 0xffff);
    }
    encodeQmiHeader({ type: this.schema.type, txn, msgId: this.schema.msgId, msgLen: out.length - QMI_HEADER_LENGTH }, out, 0);
    return out;
  }

  /**
   * Decodes a whole datagram: validates the header (QmiDecodeError subclasses) and that its
   * type and msg id are this schema's (QmiMessageMismatchError), then the body.
   */
  decodeMessage(datagram: Uint8Array): QmiDecodedMessage<S> {
    const header = decodeQmiHeader(datagram);
    if (header.type !== this.schema.type || header.msgId !== this.schema.msgId) {
      throw new QmiMessageMismatchError(this.schema.name, { type: this.schema.type, msgId: this.schema.msgId }, { type: header.type, msgId: header.msgId });
    }
    return { header, value: this.body.decode(datagram.subarray(QMI_HEADER_LENGTH)) };
  }

  /** Throws QmiResultError if the value's result TLV (0x02) reports failure; no-op without one. */
  checkResult(value: QmiValue<S>): void {
    checkMessageResult(this.schema, value as Record<string, unknown>);
  }
}

const caches: Record<QmiEngine, WeakMap<QmiMessageSchema, QmiCodec>> = { compiled: new WeakMap(), interpreted: new WeakMap() };

/** The codec of a schema, built once per schema and engine and cached. */
export function qmiCodec<S extends QmiMessageSchema>(schema: S, engine: QmiEngine = 'compiled'): QmiCodec<S> {
  const cache = caches[engine];
  let codec = cache.get(schema) as QmiCodec<S> | undefined;
  if (codec === undefined) {
    codec = new QmiCodec(schema, engine === 'compiled' ? compileBody(schema) : interpretBody(schema), engine);
    cache.set(schema, codec as unknown as QmiCodec);
  }
  return codec;
}
