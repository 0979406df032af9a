/** One line's worth of a repeated incident. */
export interface IncidentLine {
  /** Incidents this line stands for: 1 for the first, the count suppressed since for a summary. */
  readonly count: number;
  /** True for the summary line at the end of an interval. */
  readonly summary: boolean;
}

export const DEFAULT_INCIDENT_INTERVAL_MS = 10_000;
/** Distinct keys tracked at once; past it, incidents share one overflow key. */
export const MAX_INCIDENT_KEYS = 1024;

interface Window {
  suppressed: number;
  emit: (line: IncidentLine) => void;
  timer: NodeJS.Timeout;
}

/**
 * Logs a repeated incident (the same refusal from the same peer) once per
 * interval: the first occurrence at once, then one summary line with the count of
 * those suppressed, per interval while they continue. 50,000 refused NEW_SERVER
 * from one node cost two lines, not 50,000: the log is no amplifier.
 */
export class IncidentLog {
  private readonly windows = new Map<string, Window>();
  private suppressedTotal = 0;

  constructor(private readonly intervalMs: number = DEFAULT_INCIDENT_INTERVAL_MS) {}

  /** Incidents not written as their own line so far (counted in summaries). */
  get suppressed(): number {
    return this.suppressedTotal;
  }

  /** Reports one incident of `key`; `emit` writes the line (the latest emit writes the summary). */
  report(key: string, emit: (line: IncidentLine) => void): void {
    const k = this.windows.has(key) || this.windows.size < MAX_INCIDENT_KEYS ? key : '(overflow)';
    const window = this.windows.get(k);
    if (window) {
      window.suppressed++;
      window.emit = emit;
      this.suppressedTotal++;
      return;
    }
    emit({ count: 1, summary: false });
    this.open(k, emit);
  }

  /** Writes pending summaries and stops the timers. */
  flush(): void {
    for (const [key, window] of [...this.windows]) {
      clearTimeout(window.timer);
      this.windows.delete(key);
      if (window.suppressed > 0) window.emit({ count: window.suppressed, summary: true });
    }
  }

  private open(key: string, emit: (line: IncidentLine) => void): void {
    const window: Window = {
      suppressed: 0,
      emit,
      timer: setTimeout(() => {
        this.windows.delete(key);
        if (window.suppressed === 0) return;
        window.emit({ count: window.suppressed, summary: true });
        // Still going: keep summarising once per interval.
        this.open(key, window.emit);
      }, this.intervalMs),
    };
    window.timer.unref();
    this.windows.set(key, window);
  }
}
