/**
 * Reference engine: walks the schema for every message. Slow but obviously correct; the
 * compiler is checked against it by property tests over random schemas.
 */
import type { QmiBodyCodec } from './body-codec';
import {
  QmiArrayTooLongError, QmiEncodeArrayLengthError, QmiEncodeMissingFieldError, QmiEncodeOverflowError,
  QmiEncodeRangeError, QmiEncodeStringError, QmiEncodeStructError, QmiMissingTlvError, QmiStringTooLongError,
  QmiStructLengthMismatchError, QmiTlvOverflowError, QmiTrailingBytesError, QmiTruncatedTlvError,
  QmiTruncatedValueError, QmiUnknownMandatoryTlvError, type QmiErrorSite,
} from './errors';
import { fixedSize, isStructLike, stringPrefixWidth } from './layout';
import { bigintInRange, intInRange, isArrayLike, readI64, readLatin1, readU64, writeLatin1, writeU64 } from './primitives';
import { QmiResultError, resultFieldOf } from './result';
import type { QmiField, QmiMessageSchema, QmiType, QmiValue } from './schema';

type Rec = Record<string, unknown>;

/** Decoding cursor: read position and the end of the current TLV. */
interface Cursor { p: number; readonly e: number; readonly b: Uint8Array; readonly msg: string; readonly tlv: number }

function site(c: Cursor, path: string): QmiErrorSite {
  return { message: c.msg, tlv: c.tlv, path };
}

function readInt(b: Uint8Array, o: number, type: QmiType): unknown {
  switch (type.kind) {
    case 'u8': return b[o];
    case 'i8': return (b[o]! << 24) >> 24;
    case 'u16': return b[o]! | (b[o + 1]! << 8);
    case 'i16': case 'enum16': return ((b[o]! | (b[o + 1]! << 8)) << 16) >> 16;
    case 'u32': return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
    case 'i32': case 'enum32': return b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24);
    case 'u64': return readU64(b, o);
    default: return readI64(b, o);
  }
}

/** Reads a fixed-size value whose bytes were already checked to be present. */
function readFixed(c: Cursor, type: QmiType): unknown {
  if (type.kind === 'array') {
    if (type.of.kind === 'u8') {
      const v = c.b.subarray(c.p, c.p + type.length);
      c.p += type.length;
      return v;
    }
    const out: unknown[] = [];
    for (let i = 0; i < type.length; i++) out.push(readFixed(c, type.of));
    return out;
  }
  if (type.kind === 'struct') {
    const out: Rec = {};
    for (const [k, member] of Object.entries(type.fields)) out[k] = readFixed(c, member);
    return out;
  }
  const v = readInt(c.b, c.p, type);
  c.p += (type as { size: number }).size;
  return v;
}

function need(c: Cursor, path: string, n: number): void {
  if (c.p + n > c.e) throw new QmiTruncatedValueError(site(c, path), n, c.e - c.p);
}

function readCount(c: Cursor, path: string, width: number): number {
  need(c, path, width);
  const n = width === 1 ? c.b[c.p]! : c.b[c.p]! | (c.b[c.p + 1]! << 8);
  c.p += width;
  return n;
}

function decodeValue(c: Cursor, type: QmiType, path: string): unknown {
  const size = fixedSize(type);
  if (size !== undefined) {
    need(c, path, size);
    return readFixed(c, type);
  }
  if (type.kind === 'string') {
    const len = readCount(c, path, stringPrefixWidth(type.max));
    if (len > type.max) throw new QmiStringTooLongError(site(c, path), len, type.max);
    need(c, path, len);
    const s = readLatin1(c.b, c.p, c.p + len);
    c.p += len;
    return s;
  }
  if (type.kind === 'struct') {
    const out: Rec = {};
    for (const [k, member] of Object.entries(type.fields)) out[k] = decodeValue(c, member, `${path}.${k}`);
    return out;
  }
  if (type.kind !== 'array') throw new Error('unreachable: scalars are fixed-size');
  let count = type.length;
  if (!type.fixed) {
    count = readCount(c, path, type.countWidth);
    if (count > type.length) throw new QmiArrayTooLongError(site(c, path), count, type.length);
  }
  const each = fixedSize(type.of);
  if (each !== undefined) {
    need(c, path, count * each);
    if (type.of.kind === 'u8') {
      const v = c.b.subarray(c.p, c.p + count);
      c.p += count;
      return v;
    }
    const out: unknown[] = [];
    for (let i = 0; i < count; i++) out.push(readFixed(c, type.of));
    return out;
  }
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) out.push(decodeValue(c, type.of, path));
  return out;
}

function decodeField(c: Cursor, field: QmiField, path: string): unknown {
  const type = field.type;
  const length = c.e - c.p;
  if (type.kind === 'string') {
    // Level 1: the whole TLV is the string, no prefix.
    if (length > type.max) throw new QmiStringTooLongError(site(c, path), length, type.max);
    return readLatin1(c.b, c.p, c.e);
  }
  const size = fixedSize(type);
  if (size !== undefined) {
    if (length < size) throw new QmiTruncatedValueError(site(c, path), size, length);
    if (length > size) throw lengthMismatch(c, type, path, size, length);
    return readFixed(c, type);
  }
  const v = decodeValue(c, type, path);
  if (c.p !== c.e) throw lengthMismatch(c, type, path, length - (c.e - c.p), length);
  return v;
}

function lengthMismatch(c: Cursor, type: QmiType, path: string, consumed: number, length: number): Error {
  return isStructLike(type)
    ? new QmiStructLengthMismatchError(site(c, path), consumed, length)
    : new QmiTrailingBytesError(site(c, path), consumed, length);
}

function decodeBody(schema: QmiMessageSchema, byTlv: Map<number, [string, QmiField]>, resultKey: string | undefined, b: Uint8Array): Rec {
  const out: Rec = {};
  for (const k of Object.keys(schema.fields)) out[k] = undefined;
  const end = b.length;
  let o = 0;
  while (o < end) {
    if (end - o < 3) throw new QmiTruncatedTlvError(schema.name, o, end - o);
    const t = b[o]!;
    const l = b[o + 1]! | (b[o + 2]! << 8);
    const e = o + 3 + l;
    if (e > end) throw new QmiTlvOverflowError(schema.name, t, l, end - o - 3);
    const entry = byTlv.get(t);
    if (entry === undefined) {
      if (t < 0x10) throw new QmiUnknownMandatoryTlvError(schema.name, t);
    } else {
      const c: Cursor = { p: o + 3, e, b, msg: schema.name, tlv: t };
      out[entry[0]] = decodeField(c, entry[1], `${schema.name}.${entry[0]}`);
    }
    o = e;
  }
  for (const [k, field] of Object.entries(schema.fields)) {
    if (!field.mandatory || out[k] !== undefined) continue;
    const result = resultKey === undefined ? undefined : (out[resultKey] as Rec | undefined);
    if (result !== undefined) {
      const [rk, ek] = Object.keys(result);
      if (result[rk!] !== 0) throw new QmiResultError(schema.name, result[rk!] as number, result[ek!] as number);
    }
    throw new QmiMissingTlvError({ message: schema.name, tlv: field.tlv, path: `${schema.name}.${k}` });
  }
  return out;
}

// ---- encoding ---------------------------------------------------------------------------

function isScalar(type: QmiType): boolean {
  return type.kind !== 'string' && type.kind !== 'array' && type.kind !== 'struct';
}

function sizeOf(msg: string, type: QmiType, v: unknown, nested: boolean, path: string): number {
  switch (type.kind) {
    case 'string': {
      if (typeof v !== 'string') throw new QmiEncodeStringError(msg, path, `expected a string, got ${typeof v}`, type.max);
      if (v.length > type.max) throw new QmiEncodeStringError(msg, path, `string of ${v.length} bytes exceeds the maximum ${type.max}`, type.max);
      return nested ? stringPrefixWidth(type.max) + v.length : v.length;
    }
    case 'array': {
      if (!isArrayLike(v)) throw new QmiEncodeArrayLengthError(msg, path, undefined, 'an array');
      if (type.fixed ? v.length !== type.length : v.length > type.length) {
        throw new QmiEncodeArrayLengthError(msg, path, v.length, type.fixed ? `exactly ${type.length}` : `at most ${type.length}`);
      }
      if (isScalar(type.of)) return type.countWidth + v.length * (type.of as { size: number }).size;
      let total = type.countWidth;
      for (let i = 0; i < v.length; i++) total += sizeOf(msg, type.of, v[i], true, path);
      return total;
    }
    case 'struct': {
      if (typeof v !== 'object' || v === null) throw new QmiEncodeStructError(msg, path, v);
      let total = 0;
      for (const [k, member] of Object.entries(type.fields)) {
        const mv = (v as Rec)[k];
        if (mv === undefined) throw new QmiEncodeMissingFieldError(msg, `${path}.${k}`);
        total += sizeOf(msg, member, mv, true, `${path}.${k}`);
      }
      return total;
    }
    default:
      return type.size;
  }
}

function writeValue(msg: string, b: Uint8Array, o: number, type: QmiType, v: unknown, nested: boolean, path: string): number {
  switch (type.kind) {
    case 'string': {
      const s = v as string;
      if (nested) {
        b[o++] = s.length;
        if (stringPrefixWidth(type.max) === 2) b[o++] = s.length >>> 8;
      }
      const next = writeLatin1(b, o, s);
      if (next < 0) throw new QmiEncodeStringError(msg, path, 'character above U+00FF (QMI strings are bytes)', type.max);
      return next;
    }
    case 'array': {
      const a = v as ArrayLike<unknown>;
      if (type.countWidth > 0) {
        b[o++] = a.length;
        if (type.countWidth === 2) b[o++] = a.length >>> 8;
      }
      if (type.of.kind === 'u8' && a instanceof Uint8Array) {
        b.set(a, o);
        return o + a.length;
      }
      for (let i = 0; i < a.length; i++) o = writeValue(msg, b, o, type.of, a[i], true, path);
      return o;
    }
    case 'struct':
      for (const [k, member] of Object.entries(type.fields)) o = writeValue(msg, b, o, member, (v as Rec)[k], true, `${path}.${k}`);
      return o;
    case 'u64': case 'i64':
      if (!bigintInRange(type.kind, v)) throw new QmiEncodeRangeError(msg, path, type.kind, v);
      writeU64(b, o, v as bigint);
      return o + 8;
    default: {
      if (!intInRange(type.kind, v)) throw new QmiEncodeRangeError(msg, path, type.kind, v);
      const n = v as number;
      b[o] = n;
      if (type.size >= 2) b[o + 1] = n >>> 8;
      if (type.size === 4) { b[o + 2] = n >>> 16; b[o + 3] = n >>> 24; }
      return o + type.size;
    }
  }
}

function bodyLength(schema: QmiMessageSchema, value: Rec): number {
  if (typeof value !== 'object' || value === null) throw new QmiEncodeStructError(schema.name, schema.name, value);
  let total = 0;
  for (const [k, field] of Object.entries(schema.fields)) {
    const v = value[k];
    const path = `${schema.name}.${k}`;
    if (v === undefined) {
      if (field.mandatory) throw new QmiEncodeMissingFieldError(schema.name, path);
      continue;
    }
    const n = sizeOf(schema.name, field.type, v, false, path);
    if (n > 0xffff) throw new QmiEncodeOverflowError(schema.name, path, n, 0xffff);
    total += 3 + n;
  }
  return total;
}

function writeBody(schema: QmiMessageSchema, value: Rec, b: Uint8Array, o: number): number {
  for (const [k, field] of Object.entries(schema.fields)) {
    const v = value[k];
    if (v === undefined) continue;
    const start = o;
    b[o] = field.tlv;
    o = writeValue(schema.name, b, o + 3, field.type, v, false, `${schema.name}.${k}`);
    const l = o - start - 3;
    b[start + 1] = l;
    b[start + 2] = l >>> 8;
  }
  return o;
}

/** Builds the reference (schema-walking) codec of a message. */
export function interpretBody<S extends QmiMessageSchema>(schema: S): QmiBodyCodec<S> {
  const byTlv = new Map<number, [string, QmiField]>();
  for (const [k, field] of Object.entries(schema.fields)) byTlv.set(field.tlv, [k, field]);
  const resultKey = resultFieldOf(schema);
  const encodedLength = (value: QmiValue<S>): number => bodyLength(schema, value as Rec);
  return {
    schema,
    encodedLength,
    encodeInto(value, target, offset) {
      const n = encodedLength(value);
      if (offset < 0 || offset + n > target.length) throw new QmiEncodeOverflowError(schema.name, schema.name, n, target.length - offset);
      return writeBody(schema, value as Rec, target, offset);
    },
    encode(value) {
      const out = Buffer.allocUnsafe(encodedLength(value));
      writeBody(schema, value as Rec, out, 0);
      return out;
    },
    encodeWithHeadroom(value, headroom) {
      const out = Buffer.allocUnsafe(headroom + encodedLength(value));
      writeBody(schema, value as Rec, out, headroom);
      return out;
    },
    decode: (body) => decodeBody(schema, byTlv, resultKey, body) as QmiValue<S>,
  };
}
