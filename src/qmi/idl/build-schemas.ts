import * as S from '../codec/schema';
import type { QmiField, QmiMessageSchema, QmiStructType, QmiType } from '../codec/schema';
import type { IdlFile, IdlMember, IdlTypeRef } from './parser';

/** Runtime schemas of a parsed .qmi file, keyed by their .qmi names. */
export interface QmiIdlModule {
  readonly package: string;
  readonly consts: Readonly<Record<string, number | bigint>>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly structs: Readonly<Record<string, QmiStructType<any>>>;
  readonly messages: Readonly<Record<string, QmiMessageSchema>>;
}

/** A const value as JavaScript: a number when it is a safe integer, else a bigint. */
export function constValue(v: bigint): number | bigint {
  return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

function baseType(ref: IdlTypeRef, structs: Record<string, QmiType>): QmiType {
  switch (ref.kind) {
    case 'scalar': return S[ref.name];
    case 'string': return S.str(ref.max === undefined ? S.QMIC_STRING_MAX : Number(ref.max.value));
    default: return structs[ref.name]!;
  }
}

function memberType(m: IdlMember, structs: Record<string, QmiType>): QmiType {
  const base = baseType(m.type, structs);
  if (!m.array) return base;
  const n = Number(m.array.size.value);
  return m.array.fixed ? S.fixedArray(base, n) : S.varArray(base, n, m.array.countWidth);
}

/**
 * Turns a parsed file into the same runtime schemas the builder API makes (the generated
 * TS modules call the builders identically; a test holds the two together).
 */
export function buildSchemas(file: IdlFile): QmiIdlModule {
  const consts: Record<string, number | bigint> = {};
  for (const c of file.consts) consts[c.name] = constValue(c.value);
  const structs: Record<string, QmiStructType<unknown>> = {};
  for (const s of file.structs) {
    const fields: Record<string, QmiType> = {};
    for (const m of s.members) fields[m.name] = memberType(m, structs);
    structs[s.name] = S.struct(s.name, fields);
  }
  const messages: Record<string, QmiMessageSchema> = {};
  for (const msg of file.messages) {
    const fields: Record<string, QmiField> = {};
    for (const f of msg.fields) {
      const type = memberType(f, structs);
      fields[f.name] = f.required ? S.req(Number(f.tlv.value), type) : S.opt(Number(f.tlv.value), type);
    }
    messages[msg.name] = S.qmiMessage(msg.name, Number(msg.msgId.value), fields, msg.kind);
  }
  return { package: file.package, consts, structs, messages };
}
