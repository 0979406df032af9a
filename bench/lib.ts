/** Small helpers shared by the benchmarks: each prints ratios against a baseline measured in the same run. */

/** Runs `fn(iterations)` repeatedly for about `ms` milliseconds after a warm-up; returns operations per second. */
export function opsPerSecond(fn: (iterations: number) => void, iterations: number, ms = 600): number {
  fn(iterations); // warm-up: let the JIT settle
  fn(iterations);
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ms) {
    fn(iterations);
    ops += iterations;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (ops / elapsed) * 1000;
}

/** Percentile of a sorted array of samples. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export interface Row {
  readonly [column: string]: string | number;
}

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n${title}`);
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]);
  const cells = rows.map((r) => columns.map((c) => formatCell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  console.log(columns.map((c, i) => c.padEnd(widths[i])).join('  '));
  for (const row of cells) console.log(row.map((v, i) => v.padEnd(widths[i])).join('  '));
}

function formatCell(v: string | number): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(3);
}

/** "met" / "MISSED" for a target, printed next to its ratio. */
export function verdict(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}

/**
 * Measures several variants alternately over `rounds` rounds and keeps each one's best
 * rate, so that load from other processes on the machine skews the ratio as little as possible.
 */
export function compareOpsPerSecond(variants: Record<string, (iterations: number) => void>, iterations: number, rounds = 5, ms = 300): Record<string, number> {
  const best: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(variants)) {
      const rate = opsPerSecond(fn, iterations, ms);
      best[name] = Math.max(best[name] ?? 0, rate);
    }
  }
  return best;
}
