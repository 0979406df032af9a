import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Root of the compiled tree this file runs from (dist/, or a --outDir build). */
export function buildRoot(): string {
  return resolve(__dirname, '..', '..', '..');
}

function isRepoRoot(dir: string): boolean {
  return existsSync(join(dir, 'native', 'binding.gyp')) && existsSync(join(dir, 'test', 'kernel'));
}

/**
 * The source checkout (for guest shell/Python checks, the init script and the addon):
 * $QRTRD_REPO_ROOT, the parent of dist/, or the current directory.
 */
export function repoRoot(): string {
  const candidates = [process.env.QRTRD_REPO_ROOT, dirname(buildRoot()), process.cwd()];
  for (const candidate of candidates) if (candidate && isRepoRoot(resolve(candidate))) return resolve(candidate);
  throw new Error(`qrtrd checkout not found (tried ${candidates.filter(Boolean).join(', ')}); set QRTRD_REPO_ROOT`);
}

/** Kernel artefact cache: $QRTRD_KERNEL_CACHE or node_modules/.cache/qrtrd-kernel. */
export function cacheRoot(): string {
  return resolve(process.env.QRTRD_KERNEL_CACHE ?? join(repoRoot(), 'node_modules', '.cache', 'qrtrd-kernel'));
}

/** The addon the guest loads (built by native/build.js). */
export function addonPath(): string {
  return resolve(process.env.QRTRD_NATIVE_ADDON ?? join(repoRoot(), 'native', 'build', 'Release', 'qrtr_native.node'));
}
