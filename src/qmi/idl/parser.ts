/**
 * Parser for linux-msm qmic `.qmi` files (reference qmi.md §3.2), producing a small AST.
 *
 * Grammar (qmic HEAD):
 *   file    := (package | const | struct | message)*
 *   package := 'package' ID ';'                      (exactly once)
 *   const   := 'const' ID '=' value ';'
 *   struct  := 'struct' ID '{' (TYPE ID ';')* '}' ';'
 *   message := ('request'|'response'|'indication'|'message') ID '{' field* '}' ['=' value] ';'
 *   field   := ('required'|'optional') TYPE ID ['[' value ']' | '(' value ')'] '=' value ';'
 *   value   := NUMBER (decimal, 0x hex, 0 octal; up to 64 bits) | const ID
 * `message` is the legacy spelling of `response`; `#` comments run to end of line.
 *
 * Extensions (rejected with QmiIdlExtensionError when `strict` is set; see docs/qmi-idl.md):
 *   - struct members may be arrays (`[N]`, `(N)`) and other structs (WLFW nests them);
 *   - signed scalars i8 i16 i32 i64 (the aospm fork) and enum16 enum32 (kernel enum kinds);
 *   - `string<N>`: a string of at most N bytes (qmic fixes every string at 256);
 *   - `(N:u16)` / `(N:u8)`: explicit count width of a variable array.
 */
import {
  QmiIdlBadNumberError, QmiIdlDuplicateError, QmiIdlExtensionError, QmiIdlPackageError, QmiIdlRangeError,
  QmiIdlSyntaxError, QmiIdlUnknownNameError, type QmiIdlLocation,
} from './errors';

export type IdlScalar = 'u8' | 'u16' | 'u32' | 'u64' | 'i8' | 'i16' | 'i32' | 'i64' | 'enum16' | 'enum32';
const QMIC_SCALARS = new Set(['u8', 'u16', 'u32', 'u64']);
const EXT_SCALARS = new Set(['i8', 'i16', 'i32', 'i64', 'enum16', 'enum32']);

/** A number as written: its value and, when it was a const name, that name. */
export interface IdlNumber {
  readonly value: bigint;
  readonly name?: string;
}

export type IdlTypeRef =
  | { readonly kind: 'scalar'; readonly name: IdlScalar }
  | { readonly kind: 'string'; readonly max?: IdlNumber }
  | { readonly kind: 'struct'; readonly name: string };

export interface IdlArray {
  readonly fixed: boolean;
  readonly size: IdlNumber;
  readonly countWidth?: 1 | 2;
}

export interface IdlMember {
  readonly name: string;
  readonly type: IdlTypeRef;
  readonly array?: IdlArray;
  readonly at: QmiIdlLocation;
}

export interface IdlField extends IdlMember {
  readonly required: boolean;
  readonly tlv: IdlNumber;
}

export interface IdlStruct {
  readonly name: string;
  readonly members: readonly IdlMember[];
  readonly at: QmiIdlLocation;
}

export type IdlMessageKind = 'request' | 'response' | 'indication';

export interface IdlMessage {
  readonly name: string;
  readonly kind: IdlMessageKind;
  readonly fields: readonly IdlField[];
  readonly msgId: IdlNumber;
  readonly at: QmiIdlLocation;
}

export interface IdlConst {
  readonly name: string;
  readonly value: bigint;
  readonly at: QmiIdlLocation;
}

/** A parsed .qmi file; declarations in source order. */
export interface IdlFile {
  readonly file: string;
  readonly package: string;
  readonly consts: readonly IdlConst[];
  readonly structs: readonly IdlStruct[];
  readonly messages: readonly IdlMessage[];
}

export interface IdlParseOptions {
  /** Reject everything qmic HEAD does not accept (see the extensions list above). */
  readonly strict?: boolean;
}

interface Token {
  readonly kind: 'id' | 'num' | 'punct' | 'eof';
  readonly text: string;
  readonly at: QmiIdlLocation;
}

function tokenize(source: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const at = (pos: number): QmiIdlLocation => ({ file, line, column: pos - lineStart + 1 });
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '\n') { i++; line++; lineStart = i; continue; }
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '#') { while (i < source.length && source[i] !== '\n') i++; continue; }
    const start = i;
    if (/[A-Za-z_]/.test(ch)) {
      while (i < source.length && /[A-Za-z0-9_]/.test(source[i]!)) i++;
      tokens.push({ kind: 'id', text: source.slice(start, i), at: at(start) });
    } else if (/[0-9]/.test(ch)) {
      while (i < source.length && /[0-9A-Za-z_]/.test(source[i]!)) i++;
      tokens.push({ kind: 'num', text: source.slice(start, i), at: at(start) });
    } else if ('{}()[];=<>:'.includes(ch)) {
      i++;
      tokens.push({ kind: 'punct', text: ch, at: at(start) });
    } else {
      throw new QmiIdlSyntaxError(at(start), 'a token', `'${ch}'`);
    }
  }
  tokens.push({ kind: 'eof', text: 'end of file', at: at(i) });
  return tokens;
}

function parseNumber(tok: Token): bigint {
  const t = tok.text;
  let digits: string;
  let base: number;
  let re: RegExp;
  if (/^0[xX]/.test(t)) { digits = t.slice(2); base = 16; re = /^[0-9a-fA-F]+$/; }
  else if (t.length > 1 && t[0] === '0') { digits = t.slice(1); base = 8; re = /^[0-7]+$/; }
  else { digits = t; base = 10; re = /^[0-9]+$/; }
  if (!re.test(digits)) throw new QmiIdlBadNumberError(tok.at, t, `not a valid base-${base} number`);
  const prefix = base === 16 ? '0x' : base === 8 ? '0o' : '';
  const value = BigInt(prefix + digits);
  if (value > 0xffffffffffffffffn) throw new QmiIdlBadNumberError(tok.at, t, 'more than 64 bits');
  return value;
}

class Parser {
  private pos = 0;
  private pkg: string | undefined;
  private readonly consts = new Map<string, IdlConst>();
  private readonly structs = new Map<string, IdlStruct>();
  private readonly messages: IdlMessage[] = [];

  constructor(private readonly tokens: Token[], private readonly file: string, private readonly strict: boolean) {}

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  private accept(text: string): Token | undefined {
    const t = this.peek();
    if ((t.kind === 'punct' || t.kind === 'id') && t.text === text) return this.next();
    return undefined;
  }

  private expect(text: string): Token {
    const t = this.accept(text);
    if (!t) throw new QmiIdlSyntaxError(this.peek().at, `'${text}'`, describe(this.peek()));
    return t;
  }

  private ident(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'id' || t.text === '__proto__') throw new QmiIdlSyntaxError(t.at, what, describe(t));
    return this.next();
  }

  private extension(at: QmiIdlLocation, feature: string): void {
    if (this.strict) throw new QmiIdlExtensionError(at, feature);
  }

  private value(what: string): IdlNumber {
    const t = this.peek();
    if (t.kind === 'num') return { value: parseNumber(this.next()) };
    if (t.kind === 'id') {
      const c = this.consts.get(t.text);
      if (!c) throw new QmiIdlUnknownNameError(t.at, 'const', t.text);
      this.next();
      return { value: c.value, name: c.name };
    }
    throw new QmiIdlSyntaxError(t.at, what, describe(t));
  }

  private ranged(what: string, n: IdlNumber, at: QmiIdlLocation, lo: bigint, hi: bigint): IdlNumber {
    if (n.value < lo || n.value > hi) throw new QmiIdlRangeError(at, what, n.value, `${lo}..${hi}`);
    return n;
  }

  parse(): IdlFile {
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') break;
      if (t.kind !== 'id') throw new QmiIdlSyntaxError(t.at, 'package, const, struct or a message keyword', describe(t));
      switch (t.text) {
        case 'package': this.next(); this.parsePackage(t.at); break;
        case 'const': this.next(); this.parseConst(); break;
        case 'struct': this.next(); this.parseStruct(t.at); break;
        case 'request': case 'response': case 'indication': case 'message':
          this.next();
          this.parseMessage(t.text === 'message' ? 'response' : t.text, t.at);
          break;
        default:
          throw new QmiIdlSyntaxError(t.at, 'package, const, struct or a message keyword', describe(t));
      }
    }
    if (this.pkg === undefined) throw new QmiIdlPackageError(this.peek().at, 'missing package statement');
    return { file: this.file, package: this.pkg, consts: [...this.consts.values()], structs: [...this.structs.values()], messages: this.messages };
  }

  private parsePackage(at: QmiIdlLocation): void {
    if (this.pkg !== undefined) throw new QmiIdlPackageError(at, 'package declared twice');
    this.pkg = this.ident('a package name').text;
    this.expect(';');
  }

  private checkNewName(tok: Token): void {
    if (this.consts.has(tok.text) || this.structs.has(tok.text) || this.messages.some((m) => m.name === tok.text)) {
      throw new QmiIdlDuplicateError(tok.at, `name '${tok.text}'`);
    }
  }

  private parseConst(): void {
    const name = this.ident('a const name');
    this.checkNewName(name);
    this.expect('=');
    const v = this.value('a number');
    this.expect(';');
    this.consts.set(name.text, { name: name.text, value: v.value, at: name.at });
  }

  private parseType(inStruct: boolean): IdlTypeRef {
    const t = this.ident('a type');
    if (QMIC_SCALARS.has(t.text)) return { kind: 'scalar', name: t.text as IdlScalar };
    if (EXT_SCALARS.has(t.text)) {
      this.extension(t.at, `type ${t.text}`);
      return { kind: 'scalar', name: t.text as IdlScalar };
    }
    if (t.text === 'string') {
      if (this.peek().text === '<' && this.peek().kind === 'punct') {
        const lt = this.next();
        this.extension(lt.at, 'string<N>');
        const max = this.ranged('string max', this.value('a string max'), lt.at, 0n, 0xffffn);
        this.expect('>');
        return { kind: 'string', max };
      }
      return { kind: 'string' };
    }
    const s = this.structs.get(t.text);
    if (!s) throw new QmiIdlUnknownNameError(t.at, 'type', t.text);
    if (inStruct) this.extension(t.at, 'a struct member of struct type');
    return { kind: 'struct', name: t.text };
  }

  private parseArray(inStruct: boolean): IdlArray | undefined {
    const open = this.accept('[') ?? this.accept('(');
    if (!open) return undefined;
    if (inStruct) this.extension(open.at, 'an array inside a struct');
    const fixed = open.text === '[';
    const size = this.ranged('array size', this.value('an array size'), open.at, fixed ? 1n : 0n, 0xffffn);
    let countWidth: 1 | 2 | undefined;
    if (!fixed) {
      const colon = this.accept(':');
      if (colon) {
        this.extension(colon.at, 'an explicit count width');
        const w = this.ident('u8 or u16');
        if (w.text !== 'u8' && w.text !== 'u16') throw new QmiIdlSyntaxError(w.at, 'u8 or u16', describe(w));
        countWidth = w.text === 'u8' ? 1 : 2;
        if (countWidth === 1 && size.value > 0xffn) throw new QmiIdlRangeError(open.at, 'array size with a u8 count', size.value, '0..255');
      }
    }
    this.expect(fixed ? ']' : ')');
    return countWidth ? { fixed, size, countWidth } : { fixed, size };
  }

  private parseStruct(at: QmiIdlLocation): void {
    const name = this.ident('a struct name');
    this.checkNewName(name);
    this.expect('{');
    const members: IdlMember[] = [];
    while (!this.accept('}')) {
      const typeAt = this.peek().at;
      const type = this.parseType(true);
      const m = this.ident('a member name');
      if (members.some((x) => x.name === m.text)) throw new QmiIdlDuplicateError(m.at, `member '${m.text}'`);
      const array = this.parseArray(true);
      this.expect(';');
      members.push(array ? { name: m.text, type, array, at: typeAt } : { name: m.text, type, at: typeAt });
    }
    this.expect(';');
    if (members.length === 0) throw new QmiIdlSyntaxError(name.at, 'at least one struct member', 'an empty struct');
    this.structs.set(name.text, { name: name.text, members, at });
  }

  private parseMessage(kind: IdlMessageKind, at: QmiIdlLocation): void {
    const name = this.ident('a message name');
    this.checkNewName(name);
    this.expect('{');
    const fields: IdlField[] = [];
    while (!this.accept('}')) {
      const q = this.peek();
      const required = q.kind === 'id' && q.text === 'required';
      if (!required && !(q.kind === 'id' && q.text === 'optional')) throw new QmiIdlSyntaxError(q.at, "required, optional or '}'", describe(q));
      this.next();
      const type = this.parseType(false);
      const f = this.ident('a field name');
      if (fields.some((x) => x.name === f.text)) throw new QmiIdlDuplicateError(f.at, `field '${f.text}'`);
      const array = this.parseArray(false);
      const eq = this.expect('=');
      const tlv = this.ranged('TLV id', this.value('a TLV id'), eq.at, 0n, 0xffn);
      if (fields.some((x) => x.tlv.value === tlv.value)) throw new QmiIdlDuplicateError(eq.at, `TLV id ${tlv.value} in ${name.text}`);
      this.expect(';');
      const base = { name: f.text, type, at: q.at, required, tlv };
      fields.push(array ? { ...base, array } : base);
    }
    let msgId: IdlNumber = { value: 0n };
    const eq = this.accept('=');
    if (eq) msgId = this.ranged('message id', this.value('a message id'), eq.at, 0n, 0xffffn);
    this.expect(';');
    this.messages.push({ name: name.text, kind, fields, msgId, at });
  }
}

function describe(t: Token): string {
  return t.kind === 'eof' ? 'end of file' : `'${t.text}'`;
}

/** Parses .qmi source. Throws QmiIdlError subclasses carrying file, line and column. */
export function parseQmi(source: string, file = '<input>', options: IdlParseOptions = {}): IdlFile {
  return new Parser(tokenize(source, file), file, options.strict === true).parse();
}
