import type { Subscription } from 'rxjs';
import { formatBackendKey } from '../router';
import type { StatusRow, StatusSection } from '../sdk';
import type { DaemonStatus, QrtrdDaemon } from './daemon';

export interface ConsoleOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const BAR_WIDTH = 28;

/**
 * Colours a state word (`ready`, `failed`, `downloading`) for a terminal; the identity where
 * colour is off. Applied after widths are measured, so padding never counts escape codes.
 */
export type StatePainter = (state: string, failed: boolean, text: string) => string;

export const NO_PAINT: StatePainter = (_state, _failed, text) => text;

const SGR = { green: '\x1b[32m', red: '\x1b[31m', yellow: '\x1b[33m', reset: '\x1b[39m' } as const;
const GOOD_STATES = new Set(['ready', 'up', 'running', 'connected']);
const BAD_STATES = new Set(['failed', 'crashed', 'refused', 'error', 'dead']);
// Words that are neither (stopped, '-') stay uncoloured: only what a user should look at is.
const PLAIN_STATES = new Set(['stopped', '-', '']);

/** Green for ready, red for failed, yellow for a state on its way (waiting, downloading, recovering). */
export const ANSI_STATE_PAINTER: StatePainter = (state, failed, text) => {
  const colour = failed || BAD_STATES.has(state) ? SGR.red : GOOD_STATES.has(state) ? SGR.green : PLAIN_STATES.has(state) ? null : SGR.yellow;
  return colour ? `${colour}${text}${SGR.reset}` : text;
};

/**
 * Whether the live view may use colour: only on a terminal, never when NO_COLOR is set to a
 * non-empty value (https://no-color.org) or the terminal says it has none (TERM=dumb).
 */
export function colourWanted(env: NodeJS.ProcessEnv, out: ConsoleOut): boolean {
  return out.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

// Select Graphic Rendition sequences (colour): no width on screen.
const SGR_SEQUENCE = /\x1b\[[0-9;]*m/g;

/** Columns a line takes on screen: its characters without colour escapes. */
export function visibleWidth(line: string): number {
  return [...line.replace(SGR_SEQUENCE, '')].length;
}

/**
 * The line cut to `width` visible columns, the last one `…` when cut; escapes are kept whole and
 * a cut inside a coloured stretch ends with the colour reset, so nothing bleeds onto the next line.
 */
export function fitLine(line: string, width: number): string {
  if (visibleWidth(line) <= width) return line;
  let out = '';
  let shown = 0;
  let coloured = false;
  for (let i = 0; i < line.length && shown < width - 1; ) {
    SGR_SEQUENCE.lastIndex = i;
    const escape = line[i] === '\x1b' ? SGR_SEQUENCE.exec(line) : null;
    if (escape && escape.index === i) {
      out += escape[0];
      coloured = escape[0] !== SGR.reset && escape[0] !== '\x1b[0m' && escape[0] !== '\x1b[m';
      i += escape[0].length;
      continue;
    }
    const ch = String.fromCodePoint(line.codePointAt(i)!);
    out += ch;
    i += ch.length;
    shown++;
  }
  return `${out}${coloured ? SGR.reset : ''}…`;
}

function bar(fraction: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

/** One progress line per row that has progress (a card's download): label, bar, detail and state. */
export function formatProgress(rows: readonly StatusRow[], paint: StatePainter = NO_PAINT): string[] {
  return rows.flatMap((r) => {
    if (!r.progress) return [];
    const p = r.progress.fraction;
    return [`${r.progress.label} ${bar(p)} ${String(Math.round(p * 100)).padStart(3)}% ${r.progress.detail.padEnd(17)} ${paint(r.state, r.failed === true, r.state)}`];
  });
}

/** Rows with progress, from every section (what the live view draws bars for). */
function progressRows(sections: readonly StatusSection[]): StatusRow[] {
  return sections.flatMap((s) => s.rows.filter((r) => r.progress));
}

/**
 * Columns padded to their widest cell, two spaces apart. `paint(row, column, cell)` may wrap a
 * body cell in colour; widths and padding are of the plain text.
 */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], paint?: (row: number, column: number, cell: string) => string): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: readonly string[], row: number): string =>
    r
      .map((cell, i) => {
        const shown = row >= 0 && paint ? paint(row, i, cell) : cell;
        return shown + ' '.repeat(Math.max(0, widths[i] - cell.length));
      })
      .join('  ')
      .trimEnd();
  return [line(headers, -1), ...rows.map((r, i) => line(r, i))].join('\n');
}

/** The endpoint table of `qrtr endpoints` and the daemon's status screen. */
export function formatEndpointTable(status: DaemonStatus): string {
  const reserved = new Map(status.reservations.map((r) => [r.id, r]));
  return table(
    ['ID', 'KEY', 'NODES', 'RX', 'TX', 'DROPPED', 'RESERVED BY'],
    status.endpoints.map((e) => {
      const dropped = Object.values(e.counters.dropped).reduce((a, b) => a + b, 0);
      return [
        String(e.id),
        formatBackendKey(e.key),
        e.nodes.join(',') || '-',
        String(e.counters.rxPackets),
        String(e.counters.txPackets),
        String(dropped),
        Object.keys(reserved.get(e.id)?.owners ?? {}).join(',') || '-',
      ];
    }),
  );
}

/** A contributed section as a padded table (`qrtr cards`), or its empty line; `paint` colours its STATE column. */
export function formatSectionTable(section: StatusSection, paint: StatePainter = NO_PAINT): string {
  if (section.rows.length === 0) return section.empty;
  const stateColumn = section.headers.indexOf('STATE');
  const cellPainter =
    paint === NO_PAINT || stateColumn < 0
      ? undefined
      : (row: number, column: number, cell: string): string => (column === stateColumn ? paint(section.rows[row].state, section.rows[row].failed === true, cell) : cell);
  return table(section.headers, section.rows.map((r) => r.cells), cellPainter);
}

/** The whole status screen printed once the devices are up: every section, the endpoints, the panes. */
export function formatStatusScreen(status: DaemonStatus, panes: readonly { title: string; text: string }[] = [], paint: StatePainter = NO_PAINT): string {
  // The router's own node on a line of its own: a table's NODE column is each remote endpoint's
  // node (the cards present node 7), which a "(node 1)" on the Cards heading contradicted.
  const parts: string[] = [`qrtrd router: node ${status.node}`, ''];
  const title = (text: string): string => `${text}:`;
  for (const section of status.sections) {
    if (section.rows.length === 0) continue;
    parts.push(title(section.title), formatSectionTable(section, paint), '');
  }
  parts.push(title('Endpoints'), formatEndpointTable(status));
  for (const pane of panes) if (pane.text) parts.push('', `${pane.title}:`, pane.text);
  return parts.join('\n') + '\n';
}

/**
 * Shows bring-up progress on a terminal (bars redrawn in place) or as state-change
 * lines elsewhere, then the status screen once every simulated card is ready.
 */
export class ConsoleView {
  private subscription: Subscription | null = null;
  private drawnLines = 0;
  private lastStates = new Map<string, string>();
  private timer: NodeJS.Timeout | null = null;
  private latest: readonly StatusRow[] = [];

  /** `paint`: ANSI_STATE_PAINTER on a terminal that wants colour (see colourWanted), else none. */
  constructor(
    private readonly daemon: QrtrdDaemon,
    private readonly out: ConsoleOut,
    private readonly paint: StatePainter = NO_PAINT,
  ) {}

  start(): void {
    this.subscription = this.daemon.sectionsChanged$.subscribe(() => {
      this.latest = progressRows(this.daemon.sections());
      if (!this.out.isTTY) this.printChanges(this.latest);
    });
    if (this.out.isTTY) this.timer = setInterval(() => this.redraw(), 100);
  }

  /** Prints a line above the progress bars without breaking their in-place redraw. */
  print(line: string): void {
    if (this.out.isTTY && this.drawnLines > 0) {
      this.out.write(`\x1b[${this.drawnLines}A\x1b[J${line}\n`);
      this.drawnLines = 0;
      if (this.subscription) this.redraw();
      return;
    }
    this.out.write(`${line}\n`);
  }

  /**
   * Stops the progress display and prints the status screen; on a terminal the
   * screen is then redrawn every second so the modem's counters move.
   */
  finish(): void {
    this.stopProgress();
    this.drawnLines = 0;
    this.drawScreen();
    if (this.out.isTTY) this.timer = setInterval(() => this.drawScreen(), 1000);
  }

  /**
   * Stops redrawing; off a terminal, prints the screen once more with the final counters.
   * `final: false` (a start that failed) prints nothing more: there are no counters to report.
   */
  stop(final = true): void {
    const wasLive = this.timer !== null && this.subscription === null;
    this.stopProgress();
    if (final && (wasLive || !this.out.isTTY)) this.drawScreen();
  }

  /**
   * On a terminal, every line cut to its width (a long row with `…`): a line the terminal wraps
   * takes two rows, and the in-place redraw, which moves up one row per line, would leave garbage.
   */
  private fit(text: string): string {
    const width = this.out.isTTY ? this.out.columns : undefined;
    if (!width) return text;
    return text
      .split('\n')
      .map((line) => fitLine(line, width))
      .join('\n');
  }

  private drawScreen(): void {
    const screen = this.fit(formatStatusScreen(this.daemon.status(), this.daemon.panes(), this.out.isTTY ? this.paint : NO_PAINT));
    const up = this.out.isTTY && this.drawnLines > 0 ? `\x1b[${this.drawnLines}A\x1b[J` : '';
    this.drawnLines = screen.split('\n').length - 1;
    this.out.write(up + screen);
  }

  private stopProgress(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.subscription && this.out.isTTY) this.redraw();
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  private redraw(): void {
    const lines = formatProgress(this.latest, this.paint);
    let text = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : '';
    for (const line of lines) text += `\x1b[2K${this.fit(line)}\n`;
    this.drawnLines = lines.length;
    this.out.write(text);
  }

  private printChanges(rows: readonly StatusRow[]): void {
    for (const row of rows) {
      if (this.lastStates.get(row.key) === row.state) continue;
      this.lastStates.set(row.key, row.state);
      const detail = row.progress?.detail ? ` ${row.progress.detail}` : '';
      this.out.write(`${(row.progress?.label ?? row.key).replace(/\s+/g, ' ').trim()}: ${row.state}${detail}\n`);
    }
  }
}
