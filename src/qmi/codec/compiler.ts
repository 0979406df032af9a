/**
 * Schema compiler: turns a message schema, once, into specialised encode/decode functions
 * built with `new Function` (the approach of fast JS serialisers). The generated code has no
 * schema walking and no per-field closures: TLV ids, offsets, limits and error sites are
 * literals; fixed-size structs get one reader function each.
 *
 * It implements exactly the rules of interpreter.ts (same check order, same error classes
 * and sites); property tests over random schemas hold the two together.
 */
import type { QmiBodyCodec } from './body-codec';
import * as E from './errors';
import { fixedSize, isStructLike, stringPrefixWidth } from './layout';
import { readI64, readLatin1, readU64, writeLatin1, writeU64 } from './primitives';
import { QmiResultError, resultFieldOf } from './result';
import type { QmiMessageSchema, QmiType, QmiValue } from './schema';

const INT_CHECK: Record<string, (x: string) => string> = {
  u8: (x) => `(${x} & 255) !== ${x}`,
  u16: (x) => `(${x} & 65535) !== ${x}`,
  u32: (x) => `${x} >>> 0 !== ${x}`,
  i8: (x) => `(${x} << 24 >> 24) !== ${x}`,
  i16: (x) => `(${x} << 16 >> 16) !== ${x}`,
  enum16: (x) => `(${x} << 16 >> 16) !== ${x}`,
  i32: (x) => `(${x} | 0) !== ${x}`,
  enum32: (x) => `(${x} | 0) !== ${x}`,
};

function isScalar(type: QmiType): boolean {
  return type.kind !== 'string' && type.kind !== 'array' && type.kind !== 'struct';
}

/** Source-building state for one message. */
class Gen {
  readonly consts: unknown[] = [];
  readonly helpers: string[] = [];
  private readonly readers = new Map<QmiType, string>();
  private n = 0;

  constructor(readonly msg: string) {}

  k(value: unknown): string {
    this.consts.push(value);
    return `K[${this.consts.length - 1}]`;
  }

  tmp(prefix = 't'): string {
    return `${prefix}${this.n++}`;
  }

  site(tlv: number, path: string): string {
    return this.k(Object.freeze({ message: this.msg, tlv, path }));
  }

  /** Expression reading fixed-size `type` at offset expression `at` (bytes already checked). */
  readExpr(type: QmiType, at: string): string {
    switch (type.kind) {
      case 'u8': return `b[${at}]`;
      case 'i8': return `(b[${at}] << 24 >> 24)`;
      case 'u16': return `(b[${at}] | b[${at} + 1] << 8)`;
      case 'i16': case 'enum16': return `((b[${at}] | b[${at} + 1] << 8) << 16 >> 16)`;
      case 'u32': return `((b[${at}] | b[${at} + 1] << 8 | b[${at} + 2] << 16 | b[${at} + 3] << 24) >>> 0)`;
      case 'i32': case 'enum32': return `(b[${at}] | b[${at} + 1] << 8 | b[${at} + 2] << 16 | b[${at} + 3] << 24)`;
      case 'u64': return `readU64(b, ${at})`;
      case 'i64': return `readI64(b, ${at})`;
      case 'array':
        if (type.of.kind === 'u8') return `b.subarray(${at}, ${at} + ${type.length})`;
        return `${this.reader(type)}(b, ${at})`;
      case 'struct':
        return `${this.reader(type)}(b, ${at})`;
      default:
        throw new Error(`unreachable: ${type.kind} is not fixed-size`);
    }
  }

  /** A named helper `rN(b, o)` for a fixed-size struct or array, generated once per type. */
  private reader(type: QmiType): string {
    const known = this.readers.get(type);
    if (known) return known;
    const name = this.tmp('r');
    this.readers.set(type, name);
    let body: string;
    if (type.kind === 'struct') {
      let off = 0;
      const parts: string[] = [];
      for (const [k, member] of Object.entries(type.fields)) {
        parts.push(`${JSON.stringify(k)}: ${this.readExpr(member, off === 0 ? 'o' : `o + ${off}`)}`);
        off += fixedSize(member)!;
      }
      body = `return { ${parts.join(', ')} };`;
    } else if (type.kind === 'array') {
      const each = fixedSize(type.of)!;
      body = `const a = []; for (let i = 0; i < ${type.length}; i++) a.push(${this.readExpr(type.of, `o + i * ${each}`)}); return a;`;
    } else {
      throw new Error('unreachable');
    }
    this.helpers.push(`function ${name}(b, o) { ${body} }`);
    return name;
  }

  /** Statements decoding variable-size (or any) `type` at cursor `p` bounded by `e` into `target`. */
  decodeStmts(type: QmiType, target: string, tlv: number, path: string): string {
    const site = this.site(tlv, path);
    const size = fixedSize(type);
    const trunc = (n: string): string => `throw new E.QmiTruncatedValueError(${site}, ${n}, e - p);`;
    if (size !== undefined) {
      return `if (p + ${size} > e) ${trunc(String(size))}\n${target} = ${this.readExpr(type, 'p')}; p += ${size};\n`;
    }
    const count = (width: number, n: string): string =>
      `if (p + ${width} > e) ${trunc(String(width))}\n${n} = ${width === 1 ? 'b[p]' : '(b[p] | b[p + 1] << 8)'}; p += ${width};\n`;
    if (type.kind === 'string') {
      const n = this.tmp('n');
      return `let ${n};\n${count(stringPrefixWidth(type.max), n)}` +
        `if (${n} > ${type.max}) throw new E.QmiStringTooLongError(${site}, ${n}, ${type.max});\n` +
        `if (p + ${n} > e) ${trunc(n)}\n${target} = readLatin1(b, p, p + ${n}); p += ${n};\n`;
    }
    if (type.kind === 'struct') {
      const names: string[] = [];
      let code = '';
      for (const [k, member] of Object.entries(type.fields)) {
        const m = this.tmp('m');
        names.push(`${JSON.stringify(k)}: ${m}`);
        code += `let ${m};\n${this.decodeStmts(member, m, tlv, `${path}.${k}`)}`;
      }
      return `${code}${target} = { ${names.join(', ')} };\n`;
    }
    if (type.kind !== 'array') throw new Error('unreachable');
    const n = this.tmp('n');
    let code = `let ${n} = ${type.length};\n`;
    if (!type.fixed) {
      code += count(type.countWidth, n);
      code += `if (${n} > ${type.length}) throw new E.QmiArrayTooLongError(${site}, ${n}, ${type.length});\n`;
    }
    const each = fixedSize(type.of);
    const a = this.tmp('a');
    const i = this.tmp('i');
    if (each !== undefined) {
      code += `if (p + ${n} * ${each} > e) ${trunc(`${n} * ${each}`)}\n`;
      if (type.of.kind === 'u8') return `${code}${target} = b.subarray(p, p + ${n}); p += ${n};\n`;
      return `${code}const ${a} = [];\nfor (let ${i} = 0; ${i} < ${n}; ${i}++) { ${a}.push(${this.readExpr(type.of, 'p')}); p += ${each}; }\n${target} = ${a};\n`;
    }
    const x = this.tmp('x');
    return `${code}const ${a} = [];\nfor (let ${i} = 0; ${i} < ${n}; ${i}++) {\nlet ${x};\n${this.decodeStmts(type.of, x, tlv, path)}${a}.push(${x});\n}\n${target} = ${a};\n`;
  }

  /** Statements adding the encoded size of `x` to `s` while validating containers. */
  sizeStmts(type: QmiType, x: string, nested: boolean, path: string): string {
    const msg = this.k(this.msg);
    const p = this.k(path);
    switch (type.kind) {
      case 'string':
        return `if (typeof ${x} !== 'string') throw new E.QmiEncodeStringError(${msg}, ${p}, 'expected a string, got ' + typeof ${x}, ${type.max});\n` +
          `if (${x}.length > ${type.max}) throw new E.QmiEncodeStringError(${msg}, ${p}, 'string of ' + ${x}.length + ' bytes exceeds the maximum ${type.max}', ${type.max});\n` +
          `s += ${nested ? `${stringPrefixWidth(type.max)} + ` : ''}${x}.length;\n`;
      case 'array': {
        const cond = type.fixed ? `${x}.length !== ${type.length}` : `${x}.length > ${type.length}`;
        let code = `if (!Array.isArray(${x}) && !(${x} instanceof Uint8Array)) throw new E.QmiEncodeArrayLengthError(${msg}, ${p}, undefined, 'an array');\n` +
          `if (${cond}) throw new E.QmiEncodeArrayLengthError(${msg}, ${p}, ${x}.length, ${JSON.stringify(type.fixed ? `exactly ${type.length}` : `at most ${type.length}`)});\n`;
        if (isScalar(type.of)) return `${code}s += ${type.countWidth} + ${x}.length * ${(type.of as { size: number }).size};\n`;
        const i = this.tmp('i');
        const y = this.tmp('y');
        code += `s += ${type.countWidth};\nfor (let ${i} = 0; ${i} < ${x}.length; ${i}++) {\nconst ${y} = ${x}[${i}];\n${this.sizeStmts(type.of, y, true, path)}}\n`;
        return code;
      }
      case 'struct': {
        let code = `if (typeof ${x} !== 'object' || ${x} === null) throw new E.QmiEncodeStructError(${msg}, ${p}, ${x});\n`;
        for (const [k, member] of Object.entries(type.fields)) {
          const y = this.tmp('y');
          const mp = `${path}.${k}`;
          code += `const ${y} = ${x}[${JSON.stringify(k)}];\nif (${y} === undefined) throw new E.QmiEncodeMissingFieldError(${msg}, ${this.k(mp)});\n${this.sizeStmts(member, y, true, mp)}`;
        }
        return code;
      }
      default:
        return `s += ${type.size};\n`;
    }
  }

  /** Statements writing `x` at `o` (validating scalar ranges). */
  writeStmts(type: QmiType, x: string, nested: boolean, path: string): string {
    const msg = this.k(this.msg);
    const p = this.k(path);
    switch (type.kind) {
      case 'string': {
        let code = '';
        if (nested) code += stringPrefixWidth(type.max) === 1 ? `b[o++] = ${x}.length;\n` : `b[o++] = ${x}.length; b[o++] = ${x}.length >>> 8;\n`;
        return `${code}if ((o = writeLatin1(b, o, ${x})) < 0) throw new E.QmiEncodeStringError(${msg}, ${p}, 'character above U+00FF (QMI strings are bytes)', ${type.max});\n`;
      }
      case 'array': {
        let code = '';
        if (type.countWidth === 1) code += `b[o++] = ${x}.length;\n`;
        if (type.countWidth === 2) code += `b[o++] = ${x}.length; b[o++] = ${x}.length >>> 8;\n`;
        const i = this.tmp('i');
        const y = this.tmp('y');
        const loop = `for (let ${i} = 0; ${i} < ${x}.length; ${i}++) {\nconst ${y} = ${x}[${i}];\n${this.writeStmts(type.of, y, true, path)}}\n`;
        if (type.of.kind === 'u8') return `${code}if (${x} instanceof Uint8Array) { b.set(${x}, o); o += ${x}.length; } else {\n${loop}}\n`;
        return code + loop;
      }
      case 'struct': {
        let code = '';
        for (const [k, member] of Object.entries(type.fields)) {
          const y = this.tmp('y');
          code += `const ${y} = ${x}[${JSON.stringify(k)}];\n${this.writeStmts(member, y, true, `${path}.${k}`)}`;
        }
        return code;
      }
      case 'u64': case 'i64': {
        const fn = type.kind === 'u64' ? 'asUintN' : 'asIntN';
        return `if (typeof ${x} !== 'bigint' || BigInt.${fn}(64, ${x}) !== ${x}) throw new E.QmiEncodeRangeError(${msg}, ${p}, '${type.kind}', ${x});\nwriteU64(b, o, ${x}); o += 8;\n`;
      }
      default: {
        let code = `if (typeof ${x} !== 'number' || ${INT_CHECK[type.kind]!(x)}) throw new E.QmiEncodeRangeError(${msg}, ${p}, '${type.kind}', ${x});\nb[o] = ${x};`;
        if (type.size >= 2) code += ` b[o + 1] = ${x} >>> 8;`;
        if (type.size === 4) code += ` b[o + 2] = ${x} >>> 16; b[o + 3] = ${x} >>> 24;`;
        return `${code} o += ${type.size};\n`;
      }
    }
  }
}

function generate(schema: QmiMessageSchema): { source: string; consts: unknown[] } {
  const g = new Gen(schema.name);
  const entries = Object.entries(schema.fields);
  const MSG = g.k(schema.name);
  const vars = entries.map((_, idx) => `v${idx}`);
  const resultKey = resultFieldOf(schema);

  // ---- decode
  let cases = '';
  entries.forEach(([key, field], idx) => {
    const path = `${schema.name}.${key}`;
    const site = g.site(field.tlv, path);
    const type = field.type;
    const size = fixedSize(type);
    const mismatch = isStructLike(type) ? 'QmiStructLengthMismatchError' : 'QmiTrailingBytesError';
    let body: string;
    if (type.kind === 'string') {
      body = `if (l > ${type.max}) throw new E.QmiStringTooLongError(${site}, l, ${type.max});\n${vars[idx]} = readLatin1(b, p, e);\n`;
    } else if (size !== undefined) {
      body = `if (l !== ${size}) { if (l < ${size}) throw new E.QmiTruncatedValueError(${site}, ${size}, l); throw new E.${mismatch}(${site}, ${size}, l); }\n` +
        `${vars[idx]} = ${g.readExpr(type, 'p')};\n`;
    } else {
      body = g.decodeStmts(type, vars[idx]!, field.tlv, path) +
        `if (p !== e) throw new E.${mismatch}(${site}, l - (e - p), l);\n`;
    }
    cases += `case ${field.tlv}: {\n${body}break;\n}\n`;
  });
  let checks = '';
  const resultIdx = resultKey === undefined ? -1 : entries.findIndex(([k]) => k === resultKey);
  let failedResult = '';
  if (resultIdx >= 0) {
    const [rk, ek] = Object.keys((entries[resultIdx]![1].type as { fields: object }).fields).map((k) => JSON.stringify(k));
    const r = vars[resultIdx];
    failedResult = `if (${r} !== undefined && ${r}[${rk}] !== 0) throw new QmiResultError(${MSG}, ${r}[${rk}], ${r}[${ek}]);\n`;
  }
  entries.forEach(([key, field], idx) => {
    if (!field.mandatory) return;
    checks += `if (${vars[idx]} === undefined) {\n${failedResult}throw new E.QmiMissingTlvError(${g.site(field.tlv, `${schema.name}.${key}`)});\n}\n`;
  });
  const decode = `function decode(b) {
const end = b.length;
let o = 0;
${vars.length ? `let ${vars.join(', ')};` : ''}
while (o < end) {
if (end - o < 3) throw new E.QmiTruncatedTlvError(${MSG}, o, end - o);
const t = b[o], l = b[o + 1] | b[o + 2] << 8;
let p = o + 3;
const e = p + l;
if (e > end) throw new E.QmiTlvOverflowError(${MSG}, t, l, end - p);
switch (t) {
${cases}default:
if (t < 16) throw new E.QmiUnknownMandatoryTlvError(${MSG}, t);
}
o = e;
}
${checks}return { ${entries.map(([k], idx) => `${JSON.stringify(k)}: ${vars[idx]}`).join(', ')} };
}`;

  // ---- encode
  let size = '';
  let write = '';
  entries.forEach(([key, field]) => {
    const path = `${schema.name}.${key}`;
    const f = g.tmp('f');
    const missing = field.mandatory ? `throw new E.QmiEncodeMissingFieldError(${MSG}, ${g.k(path)});` : '';
    size += `const ${f} = v[${JSON.stringify(key)}];\nif (${f} === undefined) {${missing}} else {\ns = 0;\n${g.sizeStmts(field.type, f, false, path)}` +
      `if (s > 65535) throw new E.QmiEncodeOverflowError(${MSG}, ${g.k(path)}, s, 65535);\nn += 3 + s;\n}\n`;
    const fixed = field.type.kind === 'string' ? undefined : fixedSize(field.type);
    const w = g.writeStmts(field.type, f, false, path);
    write += `const ${f} = v[${JSON.stringify(key)}];\nif (${f} !== undefined) {\nb[o] = ${field.tlv};\n` +
      (fixed !== undefined
        ? `b[o + 1] = ${fixed & 0xff}; b[o + 2] = ${fixed >>> 8}; o += 3;\n${w}`
        : `const st = o; o += 3;\n${w}const L = o - st - 3; b[st + 1] = L; b[st + 2] = L >>> 8;\n`) + '}\n';
  });
  const source = `"use strict";
${g.helpers.join('\n')}
${decode}
function size(v) {
if (typeof v !== 'object' || v === null) throw new E.QmiEncodeStructError(${MSG}, ${MSG}, v);
let n = 0, s = 0;
${size}return n;
}
function write(v, b, o) {
${write}return o;
}
return { decode, size, write };`;
  return { source, consts: g.consts };
}

interface Compiled {
  decode(b: Uint8Array): unknown;
  size(v: unknown): number;
  write(v: unknown, b: Uint8Array, o: number): number;
}

/** The generated JavaScript for a schema (for debugging and for tests that inspect it). */
export function compiledSource(schema: QmiMessageSchema): string {
  return generate(schema).source;
}

/** Compiles a message schema into a specialised body codec. */
export function compileBody<S extends QmiMessageSchema>(schema: S): QmiBodyCodec<S> {
  const { source, consts } = generate(schema);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function('K', 'E', 'QmiResultError', 'readU64', 'readI64', 'writeU64', 'readLatin1', 'writeLatin1', source) as (...args: unknown[]) => Compiled;
  const c = factory(consts, E, QmiResultError, readU64, readI64, writeU64, readLatin1, writeLatin1);
  const { size, write, decode } = c;
  return {
    schema,
    encodedLength: (value) => size(value),
    encodeInto(value, target, offset) {
      const n = size(value);
      if (offset < 0 || offset + n > target.length) throw new E.QmiEncodeOverflowError(schema.name, schema.name, n, target.length - offset);
      return write(value, target, offset);
    },
    encode(value) {
      const out = Buffer.allocUnsafe(size(value));
      write(value, out, 0);
      return out;
    },
    encodeWithHeadroom(value, headroom) {
      const out = Buffer.allocUnsafe(headroom + size(value));
      write(value, out, headroom);
      return out;
    },
    decode: (body) => decode(body) as QmiValue<S>,
  };
}
