import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { GuestCheckResult } from './check-api';
import type { GuestCheckEntry } from './checks';
import type { GuestRunnerConfig } from './guest-runner';
import { prepareKernelArtefacts, type KernelArtefacts } from './kernel-artefacts';
import { addonPath, buildRoot, repoRoot } from './paths';
import { checkPrerequisites, describeMissing } from './prerequisites';
import { GUEST_SHARE, runVm, type VmRunResult } from './vm';

export interface KernelSuiteRun {
  readonly kernelRelease: string;
  readonly artefacts: KernelArtefacts;
  readonly vm: VmRunResult;
  readonly results: ReadonlyMap<string, GuestCheckResult>;
}

/** The harness cannot run here; `reason` lists what is missing and how to get it. */
export class KernelHarnessUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`real-kernel harness unavailable: ${reason}`);
    this.name = 'KernelHarnessUnavailable';
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Job prologue shared by every guest job: a sane environment inside the chroot. */
export function guestJobPrologue(): string {
  const repo = repoRoot();
  return [
    'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'export HOME=/run/qrtrd-home TMPDIR=/run/qrtrd-tmp QRTRD_GUEST=1',
    `export QRTRD_NATIVE_ADDON=${shellQuote(addonPath())} QRTRD_REPO_ROOT=${shellQuote(repo)}`,
    `export NODE_PATH=${shellQuote(join(repo, 'node_modules'))}`,
    'mkdir -p "$HOME" "$TMPDIR"',
    `cd ${shellQuote(repo)}`,
  ].join('\n');
}

/**
 * Prepares the kernel (cached) and boots it once to run the guest entry points in
 * `checks`. Throws KernelHarnessUnavailable when prerequisites are missing, and an
 * Error with the console tail when the guest did not run to completion.
 */
export async function runKernelSuite(checks: readonly GuestCheckEntry[], log: (line: string) => void = () => {}): Promise<KernelSuiteRun> {
  const prerequisites = checkPrerequisites();
  if (prerequisites.missing.length > 0 || !prerequisites.kernelPackage || !prerequisites.kernelRelease) {
    throw new KernelHarnessUnavailable(describeMissing(prerequisites.missing));
  }
  const artefacts = prepareKernelArtefacts(prerequisites.kernelPackage);
  const config: GuestRunnerConfig = {
    checks,
    resultsFile: `${GUEST_SHARE}/results.jsonl`,
    repoRoot: repoRoot(),
    buildRoot: buildRoot(),
    scratchRoot: '/run/qrtrd-tmp',
  };
  const job = [
    guestJobPrologue(),
    `exec node ${shellQuote(join(buildRoot(), 'test', 'kernel', 'harness', 'guest-runner.js'))} ${GUEST_SHARE}/config.json`,
    '',
  ].join('\n');
  const vm = await runVm({
    artefacts,
    job,
    files: { 'config.json': JSON.stringify(config) },
    timeoutMs: 240_000,
    onConsoleLine: log,
  });
  try {
    const resultsFile = join(vm.shareDir, 'results.jsonl');
    const results = new Map<string, GuestCheckResult>();
    if (existsSync(resultsFile)) {
      for (const line of readFileSync(resultsFile, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        const result = JSON.parse(line) as GuestCheckResult;
        results.set(result.name, result);
      }
    }
    if (results.size === 0 && (vm.exitStatus === undefined || vm.exitStatus > 1)) {
      const why = vm.timedOut ? 'timed out' : vm.guestError ? `guest init failed: ${vm.guestError}` : `guest job exited with ${String(vm.exitStatus)}`;
      throw new Error(`test VM ${why}; console tail:\n${vm.console.slice(-4000)}`);
    }
    return { kernelRelease: artefacts.release, artefacts, vm, results };
  } finally {
    rmSync(vm.shareDir, { recursive: true, force: true });
  }
}
