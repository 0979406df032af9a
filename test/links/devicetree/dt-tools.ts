import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** dtc and fdtget (device-tree-compiler, .ci/apt.d/devicetree.txt) are installed. */
export function haveDtc(): boolean {
  return ['dtc', 'fdtget'].every((tool) => {
    const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
    return !r.error && r.status === 0;
  });
}

/** Skips (with the reason) without dtc, or fails under CI=true, where .ci/apt.d installs it. */
export function requireDtc(ctx: Mocha.Context): void {
  if (haveDtc()) return;
  if (process.env.CI === 'true') throw new Error('dtc/fdtget are not installed, but CI=true requires them (.ci/apt.d/devicetree.txt)');
  console.log('    (pending: dtc is not installed; apt-get install device-tree-compiler to run these tests)');
  ctx.skip();
}

function run(tool: string, args: string[], input?: string): Buffer {
  const r = spawnSync(tool, args, { input, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
}

/** Compiles DTS source with dtc into a .dtb at `out`. */
export function compileDts(source: string, out: string): string {
  run('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', out, '-'], source);
  return out;
}

/**
 * Writes the kernel's directory form of `dtb` (what /sys/firmware/devicetree/base shows: one
 * directory per node, one file per property with its raw bytes) under `dir`, node by node and
 * property by property as fdtget reads them out of the blob. dtc 1.6 writes no such tree itself
 * (-O fs does not exist; -I fs reads one), so the directory is checked by reading it back with
 * `dtc -I fs` ({@link fsToDtb}).
 */
export function dtbToDirectory(dtb: string, dir: string, node = '/'): void {
  fs.mkdirSync(dir, { recursive: true });
  const lines = (args: string[]): string[] => run('fdtget', args).toString('utf8').split('\n').filter(Boolean);
  for (const prop of lines(['-p', dtb, node])) {
    const hex = run('fdtget', ['-t', 'bx', dtb, node, prop]).toString('utf8').trim();
    const bytes = hex.length ? Uint8Array.from(hex.split(/\s+/).map((b) => parseInt(b, 16))) : new Uint8Array(0);
    fs.writeFileSync(path.join(dir, prop), bytes);
  }
  for (const child of lines(['-l', dtb, node])) dtbToDirectory(dtb, path.join(dir, child), node === '/' ? `/${child}` : `${node}/${child}`);
}

/** dtc's own reading of a directory-form tree (`dtc -I fs`, as it reads /proc/device-tree), compiled to a .dtb. */
export function fsToDtb(dir: string, out: string): string {
  run('dtc', ['-q', '-I', 'fs', '-O', 'dtb', '-o', out, dir]);
  return out;
}
