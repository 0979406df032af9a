/**
 * Declarative QMI message schemas.
 *
 * A schema is plain data (so the interpreter can walk it and the compiler can turn it into
 * source code) that also carries its TypeScript value type as a phantom parameter, so
 * `QmiValue<typeof schema>` is inferred rather than written twice.
 *
 * Wire rules follow the kernel's qmi_encdec.c (reference qmi.md §2): little-endian scalars,
 * struct members packed without padding, fixed arrays without a count, variable arrays with a
 * 1- or 2-byte count, top-level strings filling the whole TLV, nested strings with a 1-byte
 * length prefix when max <= 255, else 2 bytes.
 */
import { InvalidArgumentError } from '../../common/errors';

/** Every element kind the kernel encoder knows, plus the aospm fork's signed scalars. */
export type QmiKind =
  | 'u8' | 'u16' | 'u32' | 'u64'
  | 'i8' | 'i16' | 'i32' | 'i64'
  | 'enum16' | 'enum32'
  | 'string' | 'array' | 'struct';

/** Common shape of all element types. `__value` is a type-only marker, never set at run time. */
export interface QmiTypeBase<V> {
  readonly kind: QmiKind;
  /** Phantom: the decoded JavaScript value type. */
  readonly __value?: V;
}

/** Integers up to 32 bits, decoded as `number`. */
export interface QmiIntType<K extends 'u8' | 'u16' | 'u32' | 'i8' | 'i16' | 'i32' | 'enum16' | 'enum32'> extends QmiTypeBase<number> {
  readonly kind: K;
  readonly size: 1 | 2 | 4;
  readonly signed: boolean;
}

/** 64-bit integers, decoded as `bigint`. */
export interface QmiInt64Type<K extends 'u64' | 'i64'> extends QmiTypeBase<bigint> {
  readonly kind: K;
  readonly size: 8;
  readonly signed: boolean;
}

/** A byte string (characters map 1:1 to bytes, latin1); `max` is the kernel's elem_len. */
export interface QmiStringType extends QmiTypeBase<string> {
  readonly kind: 'string';
  readonly max: number;
}

/** Fixed (`fixed: true`, exactly `length` elements, no count) or variable array. */
export interface QmiArrayType<V> extends QmiTypeBase<V> {
  readonly kind: 'array';
  readonly of: QmiType;
  readonly fixed: boolean;
  /** Element count for fixed arrays, maximum count for variable arrays. */
  readonly length: number;
  /** Wire width of the count of a variable array (0 for fixed arrays). */
  readonly countWidth: 0 | 1 | 2;
}

/** Members packed back-to-back without TLV headers; key order is wire order. */
export interface QmiStructType<V> extends QmiTypeBase<V> {
  readonly kind: 'struct';
  readonly name: string;
  readonly fields: Readonly<Record<string, QmiType>>;
}

export type QmiScalarType =
  | QmiIntType<'u8' | 'u16' | 'u32' | 'i8' | 'i16' | 'i32' | 'enum16' | 'enum32'>
  | QmiInt64Type<'u64' | 'i64'>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type QmiType = QmiScalarType | QmiStringType | QmiArrayType<any> | QmiStructType<any>;

/** The decoded value type of an element type. */
export type QmiValueOf<T> = T extends QmiTypeBase<infer V> ? V : never;

function int<K extends 'u8' | 'u16' | 'u32' | 'i8' | 'i16' | 'i32' | 'enum16' | 'enum32'>(kind: K, size: 1 | 2 | 4, signed: boolean): QmiIntType<K> {
  return Object.freeze({ kind, size, signed });
}

export const u8: QmiIntType<'u8'> = int('u8', 1, false);
export const u16: QmiIntType<'u16'> = int('u16', 2, false);
export const u32: QmiIntType<'u32'> = int('u32', 4, false);
export const i8: QmiIntType<'i8'> = int('i8', 1, true);
export const i16: QmiIntType<'i16'> = int('i16', 2, true);
export const i32: QmiIntType<'i32'> = int('i32', 4, true);
/** QMI_SIGNED_2_BYTE_ENUM: wire-identical to i16. */
export const enum16: QmiIntType<'enum16'> = int('enum16', 2, true);
/** QMI_SIGNED_4_BYTE_ENUM: wire-identical to i32. */
export const enum32: QmiIntType<'enum32'> = int('enum32', 4, true);
export const u64: QmiInt64Type<'u64'> = Object.freeze({ kind: 'u64', size: 8, signed: false });
export const i64: QmiInt64Type<'i64'> = Object.freeze({ kind: 'i64', size: 8, signed: true });

/** qmic gives every string elem_len 256; pass the kernel table's elem_len - 1 for WLFW-style limits. */
export const QMIC_STRING_MAX = 256;

function checkLimit(what: string, value: number, lo: number, hi: number): void {
  if (!Number.isInteger(value) || value < lo || value > hi) {
    throw new InvalidArgumentError(what, `an integer in ${lo}..${hi}`, value);
  }
}

/** A string of at most `max` bytes (default: qmic's 256). */
export function str(max: number = QMIC_STRING_MAX): QmiStringType {
  checkLimit('string max', max, 0, 0xffff);
  return Object.freeze({ kind: 'string', max });
}

type ArrayValue<E extends QmiType> = E extends QmiIntType<'u8'> ? Uint8Array : QmiValueOf<E>[];

/** `T name[N]`: exactly `length` elements, no count on the wire. u8 arrays decode to Uint8Array views. */
export function fixedArray<E extends QmiType>(of: E, length: number): QmiArrayType<ArrayValue<E>> {
  checkLimit('fixed array length', length, 0, 0xffff);
  return Object.freeze({ kind: 'array', of, fixed: true, length, countWidth: 0 });
}

/**
 * `T name(N)`: up to `max` elements preceded by a count. The count width defaults to qmic's
 * rule (1 byte if max < 256, else 2); kernel tables may choose it explicitly (DATA_LEN elem_size).
 */
export function varArray<E extends QmiType>(of: E, max: number, countWidth?: 1 | 2): QmiArrayType<ArrayValue<E>> {
  const width = countWidth ?? (max < 256 ? 1 : 2);
  if (width !== 1 && width !== 2) throw new InvalidArgumentError('countWidth', '1 or 2', countWidth);
  checkLimit('variable array max', max, 0, width === 1 ? 0xff : 0xffff);
  return Object.freeze({ kind: 'array', of, fixed: false, length: max, countWidth: width });
}

/** A counted byte blob (u8 variable array), decoded as a Uint8Array view. */
export function bytes(max: number, countWidth?: 1 | 2): QmiArrayType<Uint8Array> {
  return varArray(u8, max, countWidth);
}

/** A fixed-size byte blob, decoded as a Uint8Array view. */
export function fixedBytes(length: number): QmiArrayType<Uint8Array> {
  return fixedArray(u8, length);
}

/** Member names become object keys in generated code: identifiers only, and never `__proto__`. */
function checkKey(key: string): void {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) || key === '__proto__') throw new InvalidArgumentError('field name', 'an identifier other than __proto__', key);
}

type StructValue<F extends Record<string, QmiType>> = { -readonly [K in keyof F]: QmiValueOf<F[K]> };

/** A packed struct; `name` is used in error paths and generated C/TS. */
export function struct<F extends Record<string, QmiType>>(name: string, fields: F): QmiStructType<StructValue<F>> {
  if (Object.keys(fields).length === 0) throw new InvalidArgumentError('struct fields', 'at least one member', 0);
  for (const key of Object.keys(fields)) checkKey(key);
  return Object.freeze({ kind: 'struct', name, fields: Object.freeze({ ...fields }) });
}

/** One TLV of a message. `M` records at type level whether it is mandatory. */
export interface QmiField<T extends QmiType = QmiType, M extends boolean = boolean> {
  readonly tlv: number;
  readonly mandatory: M;
  readonly type: T;
}

/** A mandatory TLV (ids 0x01..0x0F by convention; 0x02 is the result). */
export function req<T extends QmiType>(tlv: number, type: T): QmiField<T, true> {
  checkLimit('TLV id', tlv, 0, 0xff);
  return Object.freeze({ tlv, mandatory: true as const, type });
}

/** An optional TLV (ids >= 0x10 by convention); absent means the property is undefined. */
export function opt<T extends QmiType>(tlv: number, type: T): QmiField<T, false> {
  checkLimit('TLV id', tlv, 0, 0xff);
  return Object.freeze({ tlv, mandatory: false as const, type });
}

/** QMI header type byte values (reference §1.1). */
export const QmiMessageType = Object.freeze({ REQUEST: 0, RESPONSE: 2, INDICATION: 4 } as const);
export type QmiMessageType = (typeof QmiMessageType)[keyof typeof QmiMessageType];
export type QmiMessageKind = 'request' | 'response' | 'indication';

export type QmiFields = Readonly<Record<string, QmiField>>;

/** A complete message description: name, message id, header type and TLVs in wire order. */
export interface QmiMessageSchema<F extends QmiFields = QmiFields> {
  readonly name: string;
  readonly msgId: number;
  readonly kind: QmiMessageKind;
  readonly type: QmiMessageType;
  readonly fields: F;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type MandatoryKeys<F> = { [K in keyof F]: F[K] extends QmiField<QmiType, true> ? K : never }[keyof F];
type OptionalKeys<F> = Exclude<keyof F, MandatoryKeys<F>>;
type FieldValue<T> = T extends QmiField<infer E, boolean> ? QmiValueOf<E> : never;

/** The JavaScript value of a message: mandatory TLVs required, optional ones `?:` (undefined = absent). */
export type QmiValue<S> = S extends QmiMessageSchema<infer F>
  ? Simplify<{ -readonly [K in MandatoryKeys<F>]: FieldValue<F[K]> } & { -readonly [K in OptionalKeys<F>]?: FieldValue<F[K]> }>
  : never;

const KIND_TYPE: Record<QmiMessageKind, QmiMessageType> = { request: 0, response: 2, indication: 4 };

/**
 * Declares a message. TLV order in `fields` is the encode order (the kernel emits TLVs in
 * descriptor-table order). Duplicate TLV ids are rejected.
 */
export function qmiMessage<F extends QmiFields>(name: string, msgId: number, fields: F, kind: QmiMessageKind = 'request'): QmiMessageSchema<F> {
  checkLimit('message id', msgId, 0, 0xffff);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new InvalidArgumentError('message name', 'an identifier', name);
  const seen = new Set<number>();
  for (const [key, field] of Object.entries(fields)) {
    checkKey(key);
    if (seen.has(field.tlv)) throw new InvalidArgumentError(`TLV id of ${name}.${key}`, 'an id unique within the message', field.tlv);
    seen.add(field.tlv);
  }
  return Object.freeze({ name, msgId, kind, type: KIND_TYPE[kind], fields: Object.freeze({ ...fields }) as F });
}

export const qmiRequest = <F extends QmiFields>(name: string, msgId: number, fields: F): QmiMessageSchema<F> => qmiMessage(name, msgId, fields, 'request');
export const qmiResponse = <F extends QmiFields>(name: string, msgId: number, fields: F): QmiMessageSchema<F> => qmiMessage(name, msgId, fields, 'response');
export const qmiIndication = <F extends QmiFields>(name: string, msgId: number, fields: F): QmiMessageSchema<F> => qmiMessage(name, msgId, fields, 'indication');
