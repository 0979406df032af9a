import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { QrtrdError } from '../common/errors';
import { serviceNameTable } from '../ns';

/** A command line qrtr or qrtrd cannot run (unknown option, stray argument, bad value): exit status 2. */
export class CliUsageError extends QrtrdError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('QRTR_USAGE', message, details);
  }
}

/** Commander's multi-line messages (`error: unknown option '--x'\n(Did you mean --y?)`) as one line. */
export function oneLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

/** The package's version (package.json two levels above dist/src/cli, as installed). */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Service names accepted wherever a service number is: libqmi's short names (dms, wds, wlfw, ...) and one-word names (TFTP). */
function serviceNames(): Map<string, number> {
  const names = new Map<string, number>();
  for (const e of serviceNameTable()) {
    if (e.short) names.set(e.short.toLowerCase(), e.id);
    if (e.name && !/\s/.test(e.name)) names.set(e.name.toLowerCase(), e.id);
  }
  return names;
}

/** `2`, `0x45` or a name (`dms`, `WLFW`): the service id. @throws CliUsageError */
export function parseService(text: string, option = '--service'): number {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(text)) return parseUnsigned(text, option);
  const id = serviceNames().get(text.toLowerCase());
  if (id === undefined) {
    throw new CliUsageError(`${option} '${text}' is neither a number nor a known service name (e.g. dms, wds, nas, wda, wlfw, test; 'qrtr services' lists them)`, { service: text });
  }
  return id;
}

/** A non-negative integer 0..0xffffffff, decimal or 0x hex. @throws CliUsageError */
export function parseUnsigned(text: string, option: string): number {
  const n = /^(0x[0-9a-f]+|\d+)$/i.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CliUsageError(`${option} must be a non-negative integer, got '${text}'`);
  return n;
}

/** The services a name is accepted for, for `qrtr services`. */
export function serviceNameList(): { id: number; short?: string; name: string }[] {
  return serviceNameTable().map((e) => ({ id: e.id, ...(e.short ? { short: e.short.toLowerCase() } : {}), name: e.name ?? `${e.short} service` }));
}
