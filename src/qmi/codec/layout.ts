import type { QmiMessageSchema, QmiType } from './schema';

/**
 * Bytes of a nested string's length prefix: 1 if max <= 255 (U8_MAX), else 2. This is the
 * kernel's rule; linux-msm libqrtr switches at 256 instead, so a qmic string (elem_len 256)
 * gets a 1-byte prefix there and a 2-byte prefix here and in the kernel.
 */
export function stringPrefixWidth(max: number): 1 | 2 {
  return max <= 0xff ? 1 : 2;
}

/**
 * Encoded size of a type if every value has the same size (scalars, fixed arrays of such,
 * structs of such), else undefined. Both decoders precheck a fixed-size block against the
 * TLV end with this one number, so they fail at the same place with the same error.
 */
export function fixedSize(type: QmiType): number | undefined {
  switch (type.kind) {
    case 'string':
      return undefined;
    case 'array': {
      if (!type.fixed) return undefined;
      const each = fixedSize(type.of);
      return each === undefined ? undefined : each * type.length;
    }
    case 'struct': {
      let total = 0;
      for (const member of Object.values(type.fields)) {
        const size = fixedSize(member);
        if (size === undefined) return undefined;
        total += size;
      }
      return total;
    }
    default:
      return type.size;
  }
}

/** Largest encoding of a value of `type` (TLV value bytes only). */
export function maxTypeLength(type: QmiType, nested: boolean): number {
  switch (type.kind) {
    case 'string':
      return nested ? stringPrefixWidth(type.max) + type.max : type.max;
    case 'array':
      return type.countWidth + type.length * maxTypeLength(type.of, true);
    case 'struct': {
      let total = 0;
      for (const member of Object.values(type.fields)) total += maxTypeLength(member, true);
      return total;
    }
    default:
      return type.size;
  }
}

/**
 * Largest TLV body (`msg_len`, header excluded) a message can have: the kernel's
 * `*_MSG_V01_MAX_LEN`. Receive buffers need 7 more bytes for the QMI header.
 */
export function maxEncodedLength(schema: QmiMessageSchema): number {
  let total = 0;
  for (const field of Object.values(schema.fields)) total += 3 + maxTypeLength(field.type, false);
  return total;
}

/** True when a TLV's length mismatch is reported as a struct mismatch (struct or array of structs). */
export function isStructLike(type: QmiType): boolean {
  return type.kind === 'struct' || (type.kind === 'array' && type.of.kind === 'struct');
}
