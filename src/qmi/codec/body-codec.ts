import type { QmiMessageSchema, QmiValue } from './schema';

/**
 * Encoder/decoder of a message's TLV body (everything after the 7-byte QMI header).
 * Produced by both engines: `interpretBody` (walks the schema) and `compileBody`
 * (generated code); they give identical bytes, values and error codes.
 */
export interface QmiBodyCodec<S extends QmiMessageSchema = QmiMessageSchema> {
  readonly schema: S;
  /**
   * Exact body length of `value`. Validates strings, arrays and structs (throws QmiEncodeError);
   * scalar ranges are checked while writing.
   */
  encodedLength(value: QmiValue<S>): number;
  /**
   * Writes the body at `target[offset..]`; returns the offset after it. Throws
   * QmiEncodeOverflowError if it does not fit. On QmiEncodeError the target bytes are unspecified.
   */
  encodeInto(value: QmiValue<S>, target: Uint8Array, offset: number): number;
  /** A new buffer holding exactly the body. */
  encode(value: QmiValue<S>): Uint8Array;
  /**
   * A new buffer of `headroom` uninitialised bytes followed by the body: lets callers put a
   * QMI (or transport) header in front without a second copy.
   */
  encodeWithHeadroom(value: QmiValue<S>, headroom: number): Uint8Array;
  /**
   * Decodes a body. Byte arrays in the result are views into `body` (no copy): copy them if
   * the buffer is reused. Throws only QmiDecodeError subclasses (and QmiResultError when a
   * failed response lacks a mandatory TLV).
   */
  decode(body: Uint8Array): QmiValue<S>;
}
