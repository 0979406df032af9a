import type { Subscription } from 'rxjs';
import { formatBackendKey } from '../router';
import { cardTableRow, downloadProgress, formatCardTable, type WlfwCardStatus } from '../../plugins/ath11k';
import type { DaemonStatus, QrtrdDaemon } from './daemon';

export interface ConsoleOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const BAR_WIDTH = 28;

function bar(fraction: number): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

/** One progress line per card: key, chip, a bar for the board download, bytes and state. */
export function formatProgress(cards: readonly WlfwCardStatus[]): string[] {
  return cards.map((c) => {
    const p = downloadProgress(c);
    const bytes = c.bytesTotal > 0 ? `${kib(c.bytesDownloaded)}/${kib(c.bytesTotal)}` : '';
    return `${c.key.padEnd(18)} ${(c.chip ?? '?').padEnd(8)} ${bar(p)} ${String(Math.round(p * 100)).padStart(3)}% ${bytes.padEnd(17)} ${c.state}`;
  });
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [headers, ...rows].map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
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

/** The modem line of the status screen: endpoint, data-plane counters. */
export function formatModemStatus(status: DaemonStatus): string {
  const m = status.modem;
  if (!m) return '';
  const dmux = m.stats.dmux;
  const dropped = Object.values(dmux.drops).reduce((a, b) => a + b, 0) + (m.stats.qmap ? Object.values(m.stats.qmap.drops ?? {}).reduce((a: number, b) => a + (b as number), 0) : 0);
  return table(
    ['ENDPOINT', 'KEY', 'NODE', 'POWER', 'CHANNELS', 'RX PACKETS', 'RX KIB', 'TX PACKETS', 'CONSUMED', 'DROPPED'],
    [
      [
        String(m.endpoint),
        m.key,
        String(m.node),
        dmux.power.state,
        dmux.openChannels.join(',') || '-',
        String(dmux.rxPackets),
        String(Math.round(dmux.rxBytes / 1024)),
        String(dmux.txPackets),
        String(m.packetsReceived),
        String(dropped),
      ],
    ],
  );
}

/** The whole status screen printed once the cards are up. */
export function formatStatusScreen(status: DaemonStatus): string {
  const parts = [`Cards (node ${status.node}):`, formatCardTable(status.cards), '', 'Endpoints:', formatEndpointTable(status)];
  const modem = formatModemStatus(status);
  if (modem) parts.push('', 'Modem data plane (BAM-DMUX + QMAP):', modem);
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
  private latest: readonly WlfwCardStatus[] = [];

  constructor(
    private readonly daemon: QrtrdDaemon,
    private readonly out: ConsoleOut,
  ) {}

  start(): void {
    this.subscription = this.daemon.cards$.subscribe((cards) => {
      this.latest = cards;
      if (!this.out.isTTY) this.printChanges(cards);
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

  /** Stops redrawing; off a terminal, prints the screen once more with the final counters. */
  stop(): void {
    const wasLive = this.timer !== null && this.subscription === null;
    this.stopProgress();
    if (wasLive || !this.out.isTTY) this.drawScreen();
  }

  private drawScreen(): void {
    const screen = formatStatusScreen(this.daemon.status());
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
    const lines = formatProgress(this.latest);
    let text = this.drawnLines > 0 ? `\x1b[${this.drawnLines}A` : '';
    for (const line of lines) text += `\x1b[2K${line}\n`;
    this.drawnLines = lines.length;
    this.out.write(text);
  }

  private printChanges(cards: readonly WlfwCardStatus[]): void {
    for (const card of cards) {
      const row = cardTableRow(card);
      const summary = row.state;
      if (this.lastStates.get(card.key) === summary) continue;
      this.lastStates.set(card.key, summary);
      const progress = card.bytesTotal > 0 ? ` ${kib(card.bytesDownloaded)}/${kib(card.bytesTotal)}` : '';
      this.out.write(`card ${card.key} endpoint ${card.endpoint} ${row.chip}: ${summary}${progress}\n`);
    }
  }
}
