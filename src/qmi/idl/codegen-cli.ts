#!/usr/bin/env node
/**
 * qmic-compatible code generator: `node dist/src/qmi/idl/codegen-cli.js in.qmi -o out.ts
 * [--import <module>] [--strict]` writes a typed TS module built on the QMI schema builders.
 * Exit status 1 with `file:line:column: message` on a parse error, 2 on bad usage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { QmiIdlError } from './errors';
import { generateTs } from './codegen';
import { parseQmi } from './parser';

const USAGE = 'usage: codegen-cli <in.qmi> -o <out.ts> [--import <module>] [--strict] [--source-name <name>]';

/** Runs the CLI with `argv` (without node and script); returns the exit status. */
export function main(argv: readonly string[], log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): number {
  let input: string | undefined;
  let output: string | undefined;
  let importFrom: string | undefined;
  let sourceName: string | undefined;
  let strict = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-o' || a === '--output') output = argv[++i];
    else if (a === '--import') importFrom = argv[++i];
    else if (a === '--source-name') sourceName = argv[++i];
    else if (a === '--strict') strict = true;
    else if (a === '-h' || a === '--help') { log(USAGE); return 0; }
    else if (a.startsWith('-') || input !== undefined) { log(USAGE); return 2; }
    else input = a;
  }
  if (input === undefined || output === undefined) { log(USAGE); return 2; }
  let source: string;
  try {
    source = readFileSync(input, 'utf8');
  } catch (e) {
    log(`cannot read ${input}: ${(e as Error).message}`);
    return 1;
  }
  try {
    const file = parseQmi(source, input, { strict });
    const opts = { ...(importFrom !== undefined ? { importFrom } : {}), sourceName: sourceName ?? input };
    writeFileSync(output, generateTs(file, opts));
    return 0;
  } catch (e) {
    if (e instanceof QmiIdlError) { log(e.message); return 1; }
    throw e;
  }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
