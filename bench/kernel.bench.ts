/**
 * AF_QIPCRTR through the real kernel (Linux 6.1 under QEMU TCG, one boot): round-trip
 * latency and datagrams/s between two sockets, for the native addon (event-loop driven)
 * vs Python's socket module vs a C program with blocking syscalls (the baseline,
 * compiled here with gcc and run in the guest over the 9p root).
 * Target: addon throughput >= 0.7x the C path's. Absolute numbers are TCG numbers: only
 * the ratios mean something. Without QEMU and the Debian packages it prints why and exits 0.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { guestJobPrologue } from '../test/kernel/harness/kernel-suite';
import { prepareKernelArtefacts } from '../test/kernel/harness/kernel-artefacts';
import { buildRoot, cacheRoot, repoRoot } from '../test/kernel/harness/paths';
import { checkPrerequisites, describeMissing } from '../test/kernel/harness/prerequisites';
import { runVm } from '../test/kernel/harness/vm';
import { printTable, verdict } from './lib';

interface BenchResult {
  impl: 'c' | 'python' | 'addon';
  rttUs: number;
  trips: number;
  datagramsPerSecond: number;
  datagrams: number;
}

const SECONDS = Number(process.env.QRTRD_KERNEL_BENCH_SECONDS ?? 1);
// The host's other work steals time from QEMU's vCPUs: the three paths run interleaved,
// several rounds, and each keeps its best round.
const ROUNDS = Number(process.env.QRTRD_KERNEL_BENCH_ROUNDS ?? 3);
const TARGET = 0.7;

async function main(): Promise<void> {
  const prerequisites = checkPrerequisites();
  if (prerequisites.missing.length > 0 || !prerequisites.kernelPackage) {
    console.log(`kernel bench skipped: ${describeMissing(prerequisites.missing)}`);
    return;
  }
  const artefacts = prepareKernelArtefacts(prerequisites.kernelPackage);
  const benchDir = join(cacheRoot(), 'bench');
  mkdirSync(benchDir, { recursive: true });
  const cProgram = join(benchDir, 'qrtr-pingpong');
  const source = join(repoRoot(), 'test', 'kernel', 'bench', 'qrtr-pingpong.c');
  const gcc = spawnSync('gcc', ['-O2', '-Wall', '-o', cProgram, source], { encoding: 'utf8' });
  if (gcc.status !== 0) throw new Error(`gcc failed: ${gcc.stderr}`);

  const round = [
    `${cProgram} ${SECONDS}`,
    `/usr/bin/python3 ${join(repoRoot(), 'test', 'kernel', 'bench', 'qrtr_pingpong.py')} ${SECONDS}`,
    `node ${join(buildRoot(), 'test', 'kernel', 'bench', 'addon-pingpong.js')} ${SECONDS}`,
  ];
  const job = [guestJobPrologue(), ...Array.from({ length: ROUNDS }, () => round).flat(), ''].join('\n');
  const results = new Map<string, BenchResult>();
  const counts = new Map<string, number>();
  const vm = await runVm({
    artefacts,
    job,
    timeoutMs: 240_000,
    onConsoleLine: (line) => {
      const match = /QRTRD-BENCH (\{.*\})/.exec(line);
      if (match) {
        const result = JSON.parse(match[1]) as BenchResult;
        const best = results.get(result.impl);
        counts.set(result.impl, (counts.get(result.impl) ?? 0) + 1);
        results.set(result.impl, {
          ...result,
          rttUs: Math.min(result.rttUs, best?.rttUs ?? Infinity),
          datagramsPerSecond: Math.max(result.datagramsPerSecond, best?.datagramsPerSecond ?? 0),
        });
      }
    },
  });
  rmSync(vm.shareDir, { recursive: true, force: true });
  const c = results.get('c');
  if (!c || results.size < 3 || [...counts.values()].some((n) => n < ROUNDS)) {
    throw new Error(`the guest produced ${JSON.stringify([...counts])} of ${ROUNDS} rounds (exit ${String(vm.exitStatus)}); console tail:\n${vm.console.slice(-3000)}`);
  }
  const rows = (['c', 'python', 'addon'] as const).map((impl) => {
    const r = results.get(impl) as BenchResult;
    return {
      path: impl === 'c' ? 'C, blocking syscalls (baseline)' : impl === 'python' ? 'Python socket module' : 'qrtrd addon (AfQipcrtrSocket: trySendLocal, messages$)',
      'rtt µs': r.rttUs,
      'datagrams/s': Math.round(r.datagramsPerSecond),
      'throughput vs C': r.datagramsPerSecond / c.datagramsPerSecond,
      'latency vs C': c.rttUs / r.rttUs,
    };
  });
  printTable(`AF_QIPCRTR under QEMU TCG, kernel ${artefacts.release}, 64-byte datagrams, best of ${ROUNDS} interleaved rounds of ${SECONDS} s (VM ${vm.seconds.toFixed(1)} s)`, rows);
  const ratio = (results.get('addon') as BenchResult).datagramsPerSecond / c.datagramsPerSecond;
  console.log(`\ntarget: addon throughput >= ${TARGET}x C: ${ratio.toFixed(2)}x ${verdict(ratio >= TARGET)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
