// Runs inside the test VM (see vm.ts): executes every guest check in order and appends
// one JSON line per check to the results file on the writable share, so that results
// written before a hang or crash still reach the host.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GuestCheckSkipped, SKIP_EXIT_STATUS, type GuestCheck, type GuestCheckContext, type GuestCheckResult } from './check-api';
import type { GuestCheckEntry } from './checks';

export interface GuestRunnerConfig {
  readonly checks: readonly GuestCheckEntry[];
  readonly resultsFile: string;
  readonly repoRoot: string;
  readonly buildRoot: string;
  readonly scratchRoot: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const OUTPUT_LIMIT = 16_000;

function tail(text: string): string {
  return text.length > OUTPUT_LIMIT ? '…' + text.slice(-OUTPUT_LIMIT) : text;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runJs(entry: GuestCheckEntry, config: GuestRunnerConfig): Promise<Omit<GuestCheckResult, 'name' | 'seconds'>> {
  const lines: string[] = [];
  const context: GuestCheckContext = {
    repoRoot: config.repoRoot,
    buildRoot: config.buildRoot,
    scratchDir: mkdtempSync(join(config.scratchRoot, `${entry.name}-`)),
    log: (message) => lines.push(message),
    skip: (reason) => {
      throw new GuestCheckSkipped(reason);
    },
  };
  try {
    const check = (require(entry.file) as { check: GuestCheck }).check;
    await withTimeout(check.run(context), check.timeoutMs ?? DEFAULT_TIMEOUT_MS, entry.name);
    return { status: 'pass', output: tail(lines.join('\n')) };
  } catch (error) {
    if (error instanceof GuestCheckSkipped) return { status: 'skip', message: error.reason, output: tail(lines.join('\n')) };
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const stack = error instanceof Error && error.stack ? `\n${error.stack}` : '';
    return { status: 'fail', message, output: tail(lines.join('\n') + stack) };
  }
}

function runProcess(entry: GuestCheckEntry, config: GuestRunnerConfig): Promise<Omit<GuestCheckResult, 'name' | 'seconds'>> {
  const command = entry.kind === 'py' ? '/usr/bin/python3' : '/bin/sh';
  return new Promise((resolve) => {
    const child = spawn(command, [entry.file], {
      cwd: config.repoRoot,
      env: { ...process.env, QRTRD_REPO_ROOT: config.repoRoot, QRTRD_BUILD_ROOT: config.buildRoot },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = tail(output + chunk.toString('utf8'));
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), DEFAULT_TIMEOUT_MS);
    child.on('error', (error) => resolve({ status: 'fail', message: `${command} could not start: ${error.message}` }));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lastLine = output.trim().split('\n').pop() ?? '';
      if (code === 0) resolve({ status: 'pass', output });
      else if (code === SKIP_EXIT_STATUS) resolve({ status: 'skip', message: lastLine, output });
      else resolve({ status: 'fail', message: signal ? `killed by ${signal} (timeout ${DEFAULT_TIMEOUT_MS} ms)` : `exit status ${code}: ${lastLine}`, output });
    });
  });
}

async function main(): Promise<void> {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as GuestRunnerConfig;
  let failures = 0;
  for (const entry of config.checks) {
    const started = process.hrtime.bigint();
    const outcome = entry.kind === 'js' ? await runJs(entry, config) : await runProcess(entry, config);
    const result: GuestCheckResult = { name: entry.name, seconds: Number(process.hrtime.bigint() - started) / 1e9, ...outcome };
    if (result.status === 'fail') failures++;
    appendFileSync(config.resultsFile, JSON.stringify(result) + '\n');
    console.log(`QRTRD-CHECK ${result.status} ${entry.name} (${result.seconds.toFixed(2)} s)${result.message ? `: ${result.message}` : ''}`);
  }
  process.exitCode = failures > 0 ? 1 : 0;
}

// A check that leaves a rejected promise behind must not take the other checks down.
process.on('unhandledRejection', (reason) => {
  console.error(`unhandled rejection in a guest check: ${reason instanceof Error ? reason.stack : String(reason)}`);
});

main().catch((error: unknown) => {
  console.error(`guest runner crashed: ${error instanceof Error ? error.stack : String(error)}`);
  process.exitCode = 2;
});
