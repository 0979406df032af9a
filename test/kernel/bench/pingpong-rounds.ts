// Guest side of bench/kernel.bench.ts: starts the three ping-pong programs (C, Python,
// the addon) once, waits until each is ready (the addon warms up first), then runs
// `rounds` rounds in which each measures for `seconds` in turn, the order rotating.
// Whatever the host's other load does to QEMU, it then hits the three paths within
// seconds of each other, so per-round ratios compare like with like. Each result is
// echoed as QRTRD-BENCH {..., "round": r}.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { createInterface } from 'node:readline';

interface Runner {
  readonly name: string;
  readonly child: ChildProcessByStdio<Writable, Readable, null>;
  readonly lines: AsyncIterator<string>;
}

function start(name: string, command: string, args: readonly string[]): Runner {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { name, child, lines };
}

/** The next QRTRD-BENCH line of `runner` (other output is passed through). */
async function nextResult(runner: Runner, prefix: string): Promise<string> {
  for (;;) {
    const next = await runner.lines.next();
    if (next.done) throw new Error(`${runner.name} exited before printing ${prefix}`);
    if (next.value.startsWith(prefix)) return next.value.slice(prefix.length).trim();
    console.log(next.value);
  }
}

async function main(): Promise<void> {
  const [cProgram, pythonScript, addonScript, roundsArg, secondsArg, ab] = process.argv.slice(2);
  const rounds = Number(roundsArg);
  const seconds = Number(secondsArg);
  // One at a time: starting (and warming up) must not overlap another's measurement.
  const runners: Runner[] = [];
  for (const [name, command, args] of [
    ['c', cProgram, []],
    ['python', '/usr/bin/python3', [pythonScript]],
    ['addon', process.execPath, [addonScript]],
    ['addon-batch', process.execPath, [addonScript, '--batch']],
    // A/B runs (bench QRTRD_KERNEL_BENCH_AB=1): the batched path as before trySendFrom
    // (each burst copied into the tx area by trySendLocal).
    ...(ab === 'ab' ? ([['addon-batch-copy', process.execPath, [addonScript, '--batch', '--copy']]] as const) : []),
  ] as const) {
    const runner = start(name, command, args);
    await nextResult(runner, 'QRTRD-BENCH-READY');
    runners.push(runner);
  }
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < runners.length; k++) {
      const runner = runners[(round + k) % runners.length];
      runner.child.stdin.write(`${seconds}\n`);
      const result = JSON.parse(await nextResult(runner, 'QRTRD-BENCH')) as Record<string, unknown>;
      console.log(`QRTRD-BENCH ${JSON.stringify({ ...result, round })}`);
    }
  }
  for (const runner of runners) runner.child.stdin.end();
  await Promise.all(runners.map((r) => new Promise((resolve) => (r.child.exitCode !== null ? resolve(null) : r.child.once('exit', resolve)))));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
