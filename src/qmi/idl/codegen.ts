import type { IdlFile, IdlMember, IdlNumber, IdlTypeRef } from './parser';
import { QmiIdlDuplicateError } from './errors';

export interface CodegenOptions {
  /** Module specifier the generated file imports the schema builders from. */
  readonly importFrom?: string;
  /** Shown in the header comment (e.g. the .qmi path relative to the repository). */
  readonly sourceName?: string;
}

const BUILDER_OF = { request: 'qmiRequest', response: 'qmiResponse', indication: 'qmiIndication' } as const;

function hexish(n: bigint): string {
  return n < 10n ? n.toString() : `0x${n.toString(16).toUpperCase().padStart(2, '0')}`;
}

function num(n: IdlNumber, asHex = false): string {
  if (n.name) return n.name;
  return asHex ? `0x${n.value.toString(16).toUpperCase().padStart(2, '0')}` : n.value.toString();
}

function pascal(name: string): string {
  return name.split(/_+/).filter(Boolean).map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
}

function baseExpr(t: IdlTypeRef, used: Set<string>): string {
  switch (t.kind) {
    case 'scalar': used.add(t.name); return t.name;
    case 'string': used.add('str'); return t.max === undefined ? 'str()' : `str(${num(t.max)})`;
    default: return t.name;
  }
}

function typeExpr(m: IdlMember, used: Set<string>): string {
  const base = baseExpr(m.type, used);
  if (!m.array) return base;
  const size = num(m.array.size);
  if (m.array.fixed) { used.add('fixedArray'); return `fixedArray(${base}, ${size})`; }
  used.add('varArray');
  return m.array.countWidth ? `varArray(${base}, ${size}, ${m.array.countWidth})` : `varArray(${base}, ${size})`;
}

/**
 * Writes a TypeScript module declaring the file's consts, structs and messages with the
 * schema builders, plus a `QmiValue` type per message and a `messages` table.
 * Output is deterministic, so regenerating a committed module must reproduce it exactly.
 */
export function generateTs(file: IdlFile, options: CodegenOptions = {}): string {
  const used = new Set<string>(['struct']);
  const names = new Set<string>();
  const claim = (name: string, at: IdlFile['messages'][number]['at']): void => {
    if (names.has(name)) throw new QmiIdlDuplicateError(at, `generated identifier '${name}'`);
    names.add(name);
  };
  const out: string[] = [];
  for (const c of file.consts) {
    claim(c.name, c.at);
    const v = c.value <= BigInt(Number.MAX_SAFE_INTEGER) ? hexish(c.value) : `${c.value}n`;
    out.push(`export const ${c.name} = ${v};`);
  }
  if (file.consts.length) out.push('');
  for (const s of file.structs) {
    claim(s.name, s.at);
    const members = s.members.map((m) => `  ${m.name}: ${typeExpr(m, used)},`);
    out.push(`export const ${s.name} = struct('${s.name}', {`, ...members, '});', '');
  }
  const table: string[] = [];
  for (const m of file.messages) {
    claim(m.name, m.at);
    const typeName = pascal(m.name);
    claim(typeName, m.at);
    const builder = BUILDER_OF[m.kind];
    used.add(builder);
    const fields = m.fields.map((f) => {
      used.add(f.required ? 'req' : 'opt');
      return `  ${f.name}: ${f.required ? 'req' : 'opt'}(${num(f.tlv, true)}, ${typeExpr(f, used)}),`;
    });
    const id = num(m.msgId, true);
    if (fields.length === 0) out.push(`export const ${m.name} = ${builder}('${m.name}', ${id}, {});`);
    else out.push(`export const ${m.name} = ${builder}('${m.name}', ${id}, {`, ...fields, '});');
    out.push(`export type ${typeName} = QmiValue<typeof ${m.name}>;`, '');
    table.push(`  ${m.name},`);
  }
  out.push(`/** Every message of package ${file.package}, keyed by its .qmi name. */`);
  out.push('export const messages = {', ...table, '} as const;', '');
  const imports = [...used].sort();
  const header = [
    `// Generated from ${options.sourceName ?? file.file} (package ${file.package}) by src/qmi/idl/codegen-cli.ts. Do not edit.`,
    `import { ${imports.join(', ')}, type QmiValue } from '${options.importFrom ?? '../../codec'}';`,
    '',
    `export const PACKAGE = '${file.package}';`,
    '',
  ];
  return [...header, ...out].join('\n');
}
