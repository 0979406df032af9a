/**
 * Byte-level helpers shared by the interpreter and by compiled codecs (which receive them
 * through their factory's scope). All little-endian, no bounds checks: callers check first.
 */

const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;

/** Decodes bytes [start, end) as latin1 (one character per byte). Works on any Uint8Array. */
export function readLatin1(b: Uint8Array, start: number, end: number): string {
  return latin1Slice.call(b, start, end);
}

/** Writes a string of code units <= 0xFF; returns -1 (nothing meaningful written) if one is above. */
export function writeLatin1(b: Uint8Array, o: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return -1;
    b[o + i] = c;
  }
  return o + s.length;
}

export function readU64(b: Uint8Array, o: number): bigint {
  const lo = (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
  const hi = (b[o + 4]! | (b[o + 5]! << 8) | (b[o + 6]! << 16) | (b[o + 7]! << 24)) >>> 0;
  return hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
}

export function readI64(b: Uint8Array, o: number): bigint {
  return BigInt.asIntN(64, readU64(b, o));
}

/** Writes the low 64 bits of `v` (two's complement for negatives). */
export function writeU64(b: Uint8Array, o: number, v: bigint): void {
  const u = v < 0n ? BigInt.asUintN(64, v) : v;
  const lo = Number(u & 0xffffffffn);
  const hi = Number(u >> 32n);
  b[o] = lo; b[o + 1] = lo >>> 8; b[o + 2] = lo >>> 16; b[o + 3] = lo >>> 24;
  b[o + 4] = hi; b[o + 5] = hi >>> 8; b[o + 6] = hi >>> 16; b[o + 7] = hi >>> 24;
}

/** True if `v` is a valid value of the integer kind (shared range rule of both encoders). */
export function intInRange(kind: string, v: unknown): boolean {
  if (typeof v !== 'number') return false;
  switch (kind) {
    case 'u8': return (v & 0xff) === v;
    case 'u16': return (v & 0xffff) === v;
    case 'u32': return v >>> 0 === v;
    case 'i8': return (v << 24) >> 24 === v;
    case 'i16': case 'enum16': return (v << 16) >> 16 === v;
    default: return (v | 0) === v; // i32, enum32
  }
}

export function bigintInRange(kind: string, v: unknown): boolean {
  if (typeof v !== 'bigint') return false;
  return kind === 'u64' ? BigInt.asUintN(64, v) === v : BigInt.asIntN(64, v) === v;
}

/** True for anything with a numeric length the encoders may index (arrays and typed arrays). */
export function isArrayLike(v: unknown): v is ArrayLike<unknown> {
  return Array.isArray(v) || v instanceof Uint8Array;
}
