/**
 * Contract of a guest check: one file under test/kernel/guest/, run inside the VM
 * against the real kernel, reported on the host as one mocha test.
 *
 * - `<name>.check.ts` (compiled to .js): exports `check: GuestCheck`; runs inside the
 *   guest runner's Node process (Node startup under TCG costs seconds, so JS checks
 *   share one process). It must release every socket and fd it opens.
 * - `<name>.check.sh` / `<name>.check.py`: a separate process; exit 0 = pass,
 *   77 = skip (last output line is the reason), anything else = fail. The title is a
 *   `# check: should …` comment line.
 */
export interface GuestCheck {
  /** mocha title: "should …". */
  readonly title: string;
  /** Default 30 s. */
  readonly timeoutMs?: number;
  run(context: GuestCheckContext): Promise<void>;
}

export interface GuestCheckContext {
  readonly repoRoot: string;
  readonly buildRoot: string;
  /** Writable scratch directory for this check (tmpfs). */
  readonly scratchDir: string;
  /** Adds a line to the check's report (shown on failure). */
  log(message: string): void;
  /** Ends the check as skipped (pending on the host) with a reason. */
  skip(reason: string): never;
}

/** Thrown by GuestCheckContext.skip. */
export class GuestCheckSkipped extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Exit status meaning "skipped" for process checks (the automake convention). */
export const SKIP_EXIT_STATUS = 77;

/** One check's outcome, as the guest runner writes it (one JSON line each). */
export interface GuestCheckResult {
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'skip';
  readonly seconds: number;
  /** Failure message or skip reason. */
  readonly message?: string;
  /** Captured log lines / process output (tail). */
  readonly output?: string;
}
