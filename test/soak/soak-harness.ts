import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectQrtrd, type QrtrdConnection } from '../../src/client';
import type { DaemonStatus } from '../../src/daemon/daemon';

const QRTRD = join(resolve(__dirname, '..', '..'), 'src', 'cli', 'qrtrd.js');

/** `npm run soak` sets SOAK=long: the figures. `npm test` runs the short form. */
export const LONG = process.env.SOAK === 'long';

/** The short or long form of a figure. */
export function scale(short: number, long: number): number {
  return LONG ? long : short;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/**
 * Prints one soak's figures on one line (so turns can be compared) and, with
 * SOAK_FIGURES=<file>, appends them there as JSON.
 */
export function report(name: string, figures: Record<string, unknown>): void {
  const line = Object.entries(figures)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
  process.stdout.write(`      soak ${name}${LONG ? ' (long)' : ''}: ${line}\n`);
  if (process.env.SOAK_FIGURES) appendFileSync(process.env.SOAK_FIGURES, `${JSON.stringify({ name, long: LONG, at: new Date().toISOString(), ...figures })}\n`);
}

/** What must come back to its baseline after a churn, by name (a red result names the object). */
export interface Holdings {
  readonly endpoints: number;
  readonly endpointIds: number;
  readonly reservations: number;
  readonly ports: number;
  readonly servers: number;
  readonly nodes: number;
  readonly lookups: number;
  readonly flows: number;
  readonly cards: number;
}

export function holdingsOf(status: DaemonStatus): Holdings {
  return {
    endpoints: status.endpoints.length,
    endpointIds: status.endpointIds.live,
    reservations: status.endpointIds.reservations,
    ports: status.ports,
    servers: status.nameService.servers,
    nodes: status.nameService.nodes,
    lookups: status.nameService.lookups,
    flows: status.endpoints.reduce((n, e) => n + e.flows, 0),
    cards: status.sections.find((s) => s.id === 'cards')?.rows.length ?? 0,
  };
}

/** Objects above their baseline: `{ ports: 3 }` means three ports leaked. */
export function leaksOf(before: Holdings, after: Holdings): Partial<Record<keyof Holdings, number>> {
  const leaks: Partial<Record<keyof Holdings, number>> = {};
  for (const k of Object.keys(before) as (keyof Holdings)[]) if (after[k] !== before[k]) leaks[k] = after[k] - before[k];
  return leaks;
}

/** Drops by reason between two status snapshots, non-zero ones only. */
export function dropsBetween(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [reason, n] of Object.entries(after)) if (n - (before[reason] ?? 0) > 0) out[reason] = n - (before[reason] ?? 0);
  return out;
}

/** A qrtrd process (`--no-sim --listen --socket`, JSON log to a file) and a local-client connection to it. */
export class DaemonUnderTest {
  private exitCode: number | null | undefined;
  private stderr = '';

  private constructor(
    readonly dir: string,
    readonly child: ChildProcess,
    readonly conn: QrtrdConnection,
  ) {
    child.on('exit', (code) => (this.exitCode = code));
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  static async start(extraArgs: string[] = []): Promise<DaemonUnderTest> {
    const dir = mkdtempSync(join(tmpdir(), 'qrtrd-soak-'));
    const args = ['--no-sim', '--listen', join(dir, 'remote.sock'), '--socket', join(dir, 'qrtrd.sock'), '--quiet', '--log-file', join(dir, 'log.json'), ...extraArgs];
    const child = spawn(process.execPath, ['--expose-gc', QRTRD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolvePromise, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`qrtrd not ready in 20 s: ${out}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/qrtrd ready/.test(out)) {
          clearTimeout(timer);
          resolvePromise();
        }
      });
      child.once('exit', (code) => reject(new Error(`qrtrd exited with ${code} before it was ready`)));
    });
    const conn = await connectQrtrd(join(dir, 'qrtrd.sock'));
    return new DaemonUnderTest(dir, child, conn);
  }

  get listenPath(): string {
    return join(this.dir, 'remote.sock');
  }

  get socketPath(): string {
    return join(this.dir, 'qrtrd.sock');
  }

  /** Why the daemon is gone, or undefined while it runs. */
  get died(): string | undefined {
    return this.exitCode === undefined ? undefined : `qrtrd exited with ${this.exitCode}: ${this.stderr.slice(-2000)}`;
  }

  /** Collects garbage in the daemon (started with --expose-gc), then its status: RSS figures that compare. */
  async settledStatus(): Promise<DaemonStatus> {
    await this.conn.query('gc');
    await sleep(50);
    return this.status();
  }

  async status(): Promise<DaemonStatus> {
    return (await this.conn.query('status')) as DaemonStatus;
  }

  /** The JSON log lines written so far. */
  logLines(): Record<string, unknown>[] {
    const text = readFileSync(join(this.dir, 'log.json'), 'utf8');
    return text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** Stops the process (SIGTERM: pending log summaries are written); the log stays readable until {@link stop}. */
  async terminate(): Promise<void> {
    this.conn.close();
    if (this.exitCode === undefined) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      await Promise.race([exited, sleep(5000).then(() => this.child.kill('SIGKILL'))]);
    }
  }

  async stop(): Promise<void> {
    await this.terminate();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A soak suite against one qrtrd process: starts it before the suite, stops it
 * after, with the suite's timeout in its short or long form. The body gets the daemon.
 */
export function describeSoak(
  title: string,
  timeouts: { short: number; long: number },
  body: (daemon: () => DaemonUnderTest) => void,
  /** A qrtrd.json for this suite's daemon (passed with --config). */
  config?: Readonly<Record<string, unknown>>,
): void {
  describe(title, function () {
    this.timeout(scale(timeouts.short, timeouts.long));
    let daemon: DaemonUnderTest | undefined;
    let configDir: string | undefined;
    before(async () => {
      const args: string[] = [];
      if (config) {
        configDir = mkdtempSync(join(tmpdir(), 'qrtrd-soak-config-'));
        writeFileSync(join(configDir, 'qrtrd.json'), JSON.stringify(config));
        args.push('--config', join(configDir, 'qrtrd.json'));
      }
      daemon = await DaemonUnderTest.start(args);
    });
    after(async () => {
      await daemon?.stop();
      if (configDir) rmSync(configDir, { recursive: true, force: true });
    });
    body(() => daemon!);
  });
}
