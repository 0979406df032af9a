import { InvalidArgumentError } from '../../common/errors';
import { QmiTlvOverflowError, QmiTruncatedTlvError } from './errors';

/**
 * Walks the TLVs of a message body without copying: after each successful `next()`,
 * `type`, `offset` and `length` describe the current TLV and `value` is a view of it.
 *
 * ```ts
 * const r = new QmiTlvReader(body);
 * while (r.next()) if (r.type === 0x02) result = r.value;
 * ```
 */
export class QmiTlvReader {
  type = -1;
  /** Offset of the current value inside `body`. */
  offset = 0;
  length = 0;
  private pos = 0;

  constructor(readonly body: Uint8Array, private readonly messageName = 'qmi_message') {}

  /** Advances to the next TLV; false at the end. Throws QmiTruncatedTlvError / QmiTlvOverflowError. */
  next(): boolean {
    const b = this.body;
    const o = this.pos;
    if (o >= b.length) return false;
    if (b.length - o < 3) throw new QmiTruncatedTlvError(this.messageName, o, b.length - o);
    const t = b[o]!;
    const l = b[o + 1]! | (b[o + 2]! << 8);
    if (o + 3 + l > b.length) throw new QmiTlvOverflowError(this.messageName, t, l, b.length - o - 3);
    this.type = t;
    this.offset = o + 3;
    this.length = l;
    this.pos = o + 3 + l;
    return true;
  }

  /** View of the current value. */
  get value(): Uint8Array {
    return this.body.subarray(this.offset, this.offset + this.length);
  }

  /** Restarts from the first TLV. */
  reset(): void {
    this.pos = 0;
    this.type = -1;
  }
}

/**
 * Appends TLVs to a caller-provided buffer. For values of unknown length, `begin(type)`
 * reserves the header and `end()` patches the length in afterwards.
 */
export class QmiTlvWriter {
  private pos: number;
  private open = -1;

  constructor(readonly target: Uint8Array, offset = 0) {
    this.pos = offset;
  }

  /** Offset just past the last written byte. */
  get offset(): number {
    return this.pos;
  }

  /** Writes one TLV holding `value` (copied with Uint8Array.set). */
  write(type: number, value: Uint8Array): this {
    this.begin(type);
    this.raw(value);
    return this.end();
  }

  /** Starts a TLV whose length is filled in by `end()`. */
  begin(type: number): this {
    if ((type & 0xff) !== type) throw new InvalidArgumentError('TLV type', 'an integer in 0..255', type);
    if (this.open >= 0) throw new InvalidArgumentError('begin()', 'no TLV already open', this.open);
    this.ensure(3);
    this.target[this.pos] = type;
    this.open = this.pos;
    this.pos += 3;
    return this;
  }

  /** Appends raw bytes to the open TLV. */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.target.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  u8(v: number): this {
    return this.int(v, 1);
  }

  u16(v: number): this {
    return this.int(v, 2);
  }

  u32(v: number): this {
    return this.int(v, 4);
  }

  /** Closes the open TLV by writing its length. */
  end(): this {
    if (this.open < 0) throw new InvalidArgumentError('end()', 'an open TLV', 'none');
    const length = this.pos - this.open - 3;
    if (length > 0xffff) throw new InvalidArgumentError('TLV length', 'at most 65535', length);
    this.target[this.open + 1] = length;
    this.target[this.open + 2] = length >>> 8;
    this.open = -1;
    return this;
  }

  private int(v: number, size: 1 | 2 | 4): this {
    const max = size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    if (!Number.isInteger(v) || v < 0 || v > max) throw new InvalidArgumentError('value', `an unsigned ${size * 8}-bit integer`, v);
    this.ensure(size);
    for (let i = 0; i < size; i++) this.target[this.pos + i] = Math.floor(v / 2 ** (8 * i)) & 0xff;
    this.pos += size;
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n > this.target.length) throw new InvalidArgumentError('target', `room for ${n} more bytes at ${this.pos}`, this.target.length);
  }
}
