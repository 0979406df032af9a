import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestCheck } from './check-api';
import { buildRoot, repoRoot } from './paths';

export type GuestCheckKind = 'js' | 'sh' | 'py';

/** A check file found on the host; the same list is handed to the guest runner. */
export interface GuestCheckEntry {
  /** File name without `.check.<ext>`, e.g. `datagram-exchange`; results are keyed on it. */
  readonly name: string;
  readonly kind: GuestCheckKind;
  readonly file: string;
  readonly title: string;
}

const CHECK_FILE = /^(.+)\.check\.(js|sh|py)$/;

function scriptTitle(file: string, name: string): string {
  const match = /^\s*#\s*check:\s*(.+)$/m.exec(readFileSync(file, 'utf8'));
  return match ? match[1].trim() : `should pass ${name}`;
}

/**
 * All guest checks, sorted by name: compiled JS checks from the build tree and shell/
 * Python checks from the source tree (tsc does not copy those).
 */
export function discoverChecks(): GuestCheckEntry[] {
  const entries: GuestCheckEntry[] = [];
  const dirs: Array<[string, GuestCheckKind[]]> = [
    [join(buildRoot(), 'test', 'kernel', 'guest'), ['js']],
    [join(repoRoot(), 'test', 'kernel', 'guest'), ['sh', 'py']],
  ];
  for (const [dir, kinds] of dirs) {
    if (!existsSync(dir)) continue;
    for (const fileName of readdirSync(dir).sort()) {
      const match = CHECK_FILE.exec(fileName);
      if (!match || !kinds.includes(match[2] as GuestCheckKind)) continue;
      const file = join(dir, fileName);
      const kind = match[2] as GuestCheckKind;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const title = kind === 'js' ? (require(file) as { check: GuestCheck }).check.title : scriptTitle(file, match[1]);
      entries.push({ name: match[1], kind, file, title });
    }
  }
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}
