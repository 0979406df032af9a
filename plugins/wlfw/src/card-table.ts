import { basename } from 'node:path';
import type { WlfwCardStatus } from './card-status';

/** One row of the daemon's card table. */
export interface CardTableRow {
  readonly endpoint: string;
  readonly key: string;
  readonly node: string;
  readonly chip: string;
  readonly boardId: string;
  /** Before FIRMWARE: the build id is long, and an 80-column terminal must still show the state. */
  readonly state: string;
  readonly firmware: string;
  /** The board-2.bin name that matched, or '-'. */
  readonly boardName: string;
  /** Where board data, regdb, caldata and M3 came from (file names). */
  readonly files: string;
}

export const CARD_TABLE_HEADERS: Readonly<Record<keyof CardTableRow, string>> = {
  endpoint: 'ENDPOINT',
  key: 'KEY',
  node: 'NODE',
  chip: 'CHIP',
  boardId: 'BOARD',
  state: 'STATE',
  firmware: 'FIRMWARE',
  boardName: 'BOARD-NAME',
  files: 'FILES(board,regdb,cal,m3)',
};

/** `0x01050003 WLAN.HK.2.5.0.1-01208-...`, or '-' before CAP. */
export function formatFirmwareVersion(s: WlfwCardStatus): string {
  if (s.fwVersion === undefined) return '-';
  const v = `0x${s.fwVersion.toString(16).padStart(8, '0')}`;
  return s.fwBuildId ? `${v} ${s.fwBuildId}` : v;
}

/** A card status as table cells (strings), for the CLI and the daemon. */
export function cardTableRow(s: WlfwCardStatus): CardTableRow {
  return {
    endpoint: String(s.endpoint),
    key: s.key,
    node: s.node === undefined ? '-' : String(s.node),
    chip: s.chip ?? '-',
    boardId: s.boardId === undefined ? '-' : `0x${s.boardId.toString(16)}`,
    state: s.lastError && s.state === 'failed' ? `failed (${s.lastError.code})` : s.state,
    firmware: formatFirmwareVersion(s),
    boardName: s.boardName ?? '-',
    files: [s.boardSource, s.regdbFile, s.caldataFile, s.m3File].map((f) => (f ? basename(f) : '-')).join(','),
  };
}

/** Plain-text table of cards, columns padded, header first. */
export function formatCardTable(statuses: readonly WlfwCardStatus[]): string {
  const keys = Object.keys(CARD_TABLE_HEADERS) as (keyof CardTableRow)[];
  const rows = [CARD_TABLE_HEADERS as CardTableRow, ...statuses.map(cardTableRow)];
  const widths = keys.map((k) => Math.max(...rows.map((r) => r[k].length)));
  return rows.map((r) => keys.map((k, i) => r[k].padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** Download progress 0..1 of a card (1 once past the download, 0 before it). */
export function downloadProgress(s: WlfwCardStatus): number {
  if (s.state === 'ready' || s.state === 'm3' || s.state === 'firmware-init' || s.state === 'configuring') return 1;
  return s.bytesTotal > 0 ? s.bytesDownloaded / s.bytesTotal : 0;
}
