import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KernelArtefacts } from './kernel-artefacts';

export interface VmRunOptions {
  readonly artefacts: KernelArtefacts;
  /** Shell script run as root in the guest, chrooted into the host's root (read-only). */
  readonly job: string;
  /** Extra files for the guest, written into the results share (guest path /run/qrtrd/<name>). */
  readonly files?: Readonly<Record<string, string>>;
  /** Whole-boot limit; the VM is killed after it. */
  readonly timeoutMs: number;
  readonly memoryMb?: number;
  readonly cpus?: number;
  /** Called with each console line as it arrives. */
  readonly onConsoleLine?: (line: string) => void;
}

export interface VmRunResult {
  /** Exit status of the job; undefined if the guest never reported one. */
  readonly exitStatus?: number;
  /** Set when the guest init failed before the job (module load, mounts). */
  readonly guestError?: string;
  readonly timedOut: boolean;
  readonly console: string;
  /** Host directory of the writable share (guest /run/qrtrd). */
  readonly shareDir: string;
  readonly seconds: number;
}

/** Guest path of the writable share. */
export const GUEST_SHARE = '/run/qrtrd';

/**
 * Boots the test kernel under QEMU TCG (no KVM: it does not work on the build machines)
 * with the host's root shared read-only and one writable share, runs `job`, and
 * resolves once the guest powers off or the timeout kills it.
 */
export function runVm(options: VmRunOptions): Promise<VmRunResult> {
  const shareDir = mkdtempSync(join(tmpdir(), 'qrtrd-vm-'));
  writeFileSync(join(shareDir, 'job.sh'), options.job, { mode: 0o755 });
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(join(shareDir, name), content);
  const args = [
    '-accel', 'tcg',
    '-m', String(options.memoryMb ?? 2048),
    '-smp', String(options.cpus ?? 2),
    '-nographic', '-no-reboot',
    '-kernel', options.artefacts.vmlinuz,
    '-initrd', options.artefacts.initrd,
    '-append', 'console=ttyS0 quiet loglevel=1 panic=-1 rdinit=/init mitigations=off',
    '-virtfs', 'local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap',
    '-virtfs', `local,path=${shareDir},mount_tag=results,security_model=none,multidevs=remap`,
  ];
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const qemu = spawn('qemu-system-x86_64', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let pending = '';
    let exitStatus: number | undefined;
    let guestError: string | undefined;
    let timedOut = false;
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8').replace(/\r/g, '');
      output += text;
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const exit = /QRTRD-GUEST-EXIT (\d+)/.exec(line);
        if (exit) exitStatus = Number(exit[1]);
        const error = /QRTRD-GUEST-ERROR (.*)/.exec(line);
        if (error) guestError = error[1];
        options.onConsoleLine?.(line);
      }
    };
    qemu.stdout.on('data', onData);
    qemu.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      qemu.kill('SIGKILL');
    }, options.timeoutMs);
    qemu.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    qemu.on('close', () => {
      clearTimeout(timer);
      resolve({
        exitStatus,
        guestError,
        timedOut,
        console: output,
        shareDir,
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
    });
  });
}
