import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { addonPath } from './paths';

/** One thing the real-kernel harness needs, and how to get it. */
export interface MissingPrerequisite {
  readonly what: string;
  readonly remedy: string;
}

export interface PrerequisiteReport {
  readonly missing: readonly MissingPrerequisite[];
  /** The kernel image package linux-image-amd64 depends on, e.g. linux-image-6.1.0-56-amd64. */
  readonly kernelPackage?: string;
  /** Its release string, e.g. 6.1.0-56-amd64. */
  readonly kernelRelease?: string;
}

/** Debian packages the harness installs (mirrors .ci/apt.d/kernel.txt). */
export const HARNESS_PACKAGES = [
  'qemu-system-x86',
  'busybox-static',
  'cpio',
  'qrtr-tools',
  'libqmi-utils',
  'python3',
  'make',
  'gcc',
  'linux-headers-amd64',
] as const;

function run(command: string, args: readonly string[]): { ok: boolean; stdout: string } {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return { ok: result.status === 0, stdout: result.stdout ?? '' };
}

function installed(pkg: string): boolean {
  const result = run('dpkg-query', ['-W', '-f=${Status}', pkg]);
  return result.ok && result.stdout.includes('install ok installed');
}

/** The versioned image package of the current linux-image-amd64, from apt's metadata. */
export function resolveKernelPackage(): string | undefined {
  if (process.env.QRTRD_KERNEL_PACKAGE) return process.env.QRTRD_KERNEL_PACKAGE;
  const result = run('apt-cache', ['depends', '--important', 'linux-image-amd64']);
  const match = /Depends:\s*(linux-image-(\d[^\s]*-amd64))\b/.exec(result.stdout);
  return match?.[1];
}

/** Checks everything the harness needs; never throws. */
export function checkPrerequisites(): PrerequisiteReport {
  const missing: MissingPrerequisite[] = [];
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    return { missing: [{ what: `linux/x64 host (this is ${process.platform}/${process.arch})`, remedy: 'run on a Debian x86-64 machine' }] };
  }
  if (!run('dpkg-query', ['--version']).ok || !run('apt-cache', ['--version']).ok) {
    return { missing: [{ what: 'dpkg and apt (a Debian system)', remedy: 'run on Debian 12 or newer' }] };
  }
  const absent = HARNESS_PACKAGES.filter((pkg) => !installed(pkg));
  if (absent.length > 0) {
    missing.push({ what: `Debian packages ${absent.join(', ')}`, remedy: `apt-get install --no-install-recommends ${absent.join(' ')}` });
  }
  const kernelPackage = resolveKernelPackage();
  const kernelRelease = kernelPackage?.replace(/^linux-image-/, '');
  if (!kernelPackage || !kernelRelease) {
    missing.push({ what: 'the kernel image package behind linux-image-amd64', remedy: 'run apt-get update' });
  } else if (!existsSync(`/usr/src/linux-headers-${kernelRelease}/Makefile`)) {
    missing.push({ what: `linux-headers-${kernelRelease}`, remedy: `apt-get install linux-headers-${kernelRelease} (or apt-get update && apt-get install linux-headers-amd64)` });
  }
  let addon: string;
  try {
    addon = addonPath();
  } catch (error) {
    missing.push({ what: 'the qrtrd checkout', remedy: (error as Error).message });
    return { missing, kernelPackage, kernelRelease };
  }
  if (!existsSync(addon)) missing.push({ what: `the AF_QIPCRTR addon at ${addon}`, remedy: 'node native/build.js' });
  return { missing, kernelPackage, kernelRelease };
}

/** One line per missing item, for pending/failure messages. */
export function describeMissing(missing: readonly MissingPrerequisite[]): string {
  return missing.map((m) => `${m.what} (${m.remedy})`).join('; ');
}
