/** fast-check generators of random QMI schemas and of values that conform to them. */
import fc from 'fast-check';
import {
  enum16, enum32, fixedArray, i16, i32, i64, i8, opt, qmiMessage, req, str, struct, u16, u32, u64, u8, varArray,
  type QmiField, type QmiMessageSchema, type QmiType,
} from '../../../src/qmi';

const SCALARS: QmiType[] = [u8, u16, u32, u64, i8, i16, i32, i64, enum16, enum32];

let structSeq = 0;

/** A random element type, nesting structs and arrays up to `depth` levels. */
export function arbType(depth = 2): fc.Arbitrary<QmiType> {
  const leaf = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...SCALARS) },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 300 }).map((max) => str(max)) },
  );
  if (depth === 0) return leaf;
  const inner = arbType(depth - 1);
  return fc.oneof(
    { weight: 4, arbitrary: leaf },
    { weight: 1, arbitrary: fc.tuple(inner, fc.integer({ min: 1, max: 4 })).map(([t, n]) => fixedArray(t, n)) },
    {
      weight: 1,
      arbitrary: fc.tuple(inner, fc.integer({ min: 0, max: 300 }), fc.constantFrom<(1 | 2 | undefined)[]>(undefined, 2))
        .map(([t, max, w]) => varArray(t, w === undefined ? max : Math.max(max, 0), w)),
    },
    {
      weight: 1,
      arbitrary: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { minLength: 1, maxLength: 4 })
        .chain((keys) => fc.tuple(...keys.map(() => inner)).map((types) => struct(`s${structSeq++}`, Object.fromEntries(keys.map((k, i) => [k, types[i]!]))))),
    },
  );
}

/** A random message schema with 0..6 TLVs (mandatory ones below 0x10, optional above). */
export function arbSchema(): fc.Arbitrary<QmiMessageSchema> {
  return fc.uniqueArray(fc.integer({ min: 1, max: 0x30 }), { maxLength: 6 }).chain((ids) =>
    fc.tuple(...ids.map(() => arbType(2))).map((types) => {
      const fields: Record<string, QmiField> = {};
      ids.forEach((id, i) => { fields[`f${id}`] = id < 0x10 ? req(id, types[i]!) : opt(id, types[i]!); });
      return qmiMessage('rnd_msg', 0x42, fields);
    }),
  );
}

function smallCount(max: number): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: Math.min(max, 6) });
}

/** A random value of `type`. Large arrays/strings stay small to keep runs fast. */
export function arbValue(type: QmiType): fc.Arbitrary<unknown> {
  switch (type.kind) {
    case 'u8': return fc.integer({ min: 0, max: 0xff });
    case 'u16': return fc.integer({ min: 0, max: 0xffff });
    case 'u32': return fc.integer({ min: 0, max: 0xffffffff });
    case 'i8': return fc.integer({ min: -128, max: 127 });
    case 'i16': case 'enum16': return fc.integer({ min: -32768, max: 32767 });
    case 'i32': case 'enum32': return fc.integer({ min: -0x80000000, max: 0x7fffffff });
    case 'u64': return fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
    case 'i64': return fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n });
    case 'string': return fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: Math.min(type.max, 40) });
    case 'struct': {
      const entries = Object.entries(type.fields);
      return fc.tuple(...entries.map(([, t]) => arbValue(t))).map((vs) => Object.fromEntries(entries.map(([k], i) => [k, vs[i]])));
    }
    case 'array': {
      const len = type.fixed ? fc.constant(type.length) : smallCount(type.length);
      if (type.of.kind === 'u8') return len.chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
      return len.chain((n) => fc.array(arbValue(type.of), { minLength: n, maxLength: n }));
    }
  }
}

/** A random value of a message: mandatory fields always, optional ones sometimes. */
export function arbMessageValue(schema: QmiMessageSchema): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(schema.fields);
  return fc.tuple(...entries.map(([, f]) => (f.mandatory ? arbValue(f.type) : fc.option(arbValue(f.type), { nil: undefined }))))
    .map((vs) => Object.fromEntries(entries.map(([k], i) => [k, vs[i]])));
}

/** A random schema together with a conforming value. */
export function arbSchemaAndValue(): fc.Arbitrary<[QmiMessageSchema, Record<string, unknown>]> {
  return arbSchema().chain((s) => arbMessageValue(s).map((v) => [s, v] as [QmiMessageSchema, Record<string, unknown>]));
}

/** Uint8Array/Buffer views become plain number arrays so deep equality ignores the view class. */
export function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalize(x)]));
  return v;
}

/** Runs `fn` and returns the thrown error (or undefined). */
export function catchError(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e;
  }
}
