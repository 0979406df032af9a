import { BoardContainerMalformedError } from './errors';

/**
 * The board-2.bin container of ath11k/ath12k (drivers/net/wireless/ath/ath11k/hw.h
 * `ATH11K_BOARD_MAGIC`, `enum ath11k_bd_ie_type`, `struct ath11k_fw_ie`; ath12k/hw.h
 * the same with `ATH12K_BOARD_MAGIC`):
 *
 *     magic "QCA-ATH11K-BOARD" NUL, padded to 4
 *     IE*:  u32 id, u32 len, data[len], padding to 4     id 0 BOARD, 1 REGDB
 *       sub-IE*: u32 id, u32 len, data[len], padding     id 0 NAME, 1 DATA
 *
 * Several NAMEs may precede one DATA; a DATA belongs to every NAME since the last DATA.
 */
export const BoardIe = { BOARD: 0, REGDB: 1 } as const;
export const BoardSubIe = { NAME: 0, DATA: 1 } as const;

export const BOARD_MAGIC = { ath11k: 'QCA-ATH11K-BOARD', ath12k: 'QCA-ATH12K-BOARD' } as const;

/** One DATA sub-IE with the names that select it. */
export interface BoardEntry {
  /** BoardIe.BOARD or BoardIe.REGDB. */
  readonly ie: number;
  readonly names: readonly string[];
  /** A view into the container's buffer (not a copy). */
  readonly data: Uint8Array;
  /** Offset of the DATA sub-IE header in the file. */
  readonly offset: number;
}

const HEADER = 8;

function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Parses a whole container. Every length is checked against what is left before
 * anything is read, so a hostile file can only produce a
 * {@link BoardContainerMalformedError} (naming the file and the byte offset),
 * never a read past the buffer. As the drivers' loops do
 * (`ath11k_core_fetch_board_data_api_n`, `ath11k_core_parse_bd_ie_board`), a tail
 * shorter than an IE header is ignored (a header that fits exactly is read, so a
 * trailing empty DATA is reported rather than skipped), unknown IE ids are skipped and the last IE's
 * padding may be missing; a DATA of zero bytes is refused (the drivers treat it as
 * "no board data" and give up).
 */
export function parseBoardContainer(buf: Uint8Array, file: string, magic: string): BoardEntry[] {
  const magicLen = magic.length + 1;
  if (buf.length < magicLen) throw new BoardContainerMalformedError(file, 0, `file too short for the ${magic} magic (${buf.length} bytes)`);
  for (let i = 0; i < magic.length; i++) {
    if (buf[i] !== magic.charCodeAt(i)) throw new BoardContainerMalformedError(file, 0, `bad magic: expected "${magic}"`);
  }
  if (buf[magic.length] !== 0) throw new BoardContainerMalformedError(file, magic.length, 'bad magic: missing NUL terminator');
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const entries: BoardEntry[] = [];
  let off = align4(magicLen);
  while (buf.length - off >= HEADER) {
    const id = view.getUint32(off, true);
    const len = view.getUint32(off + 4, true);
    const body = off + HEADER;
    if (len > buf.length - body) throw new BoardContainerMalformedError(file, off, `IE ${id} of ${len} bytes runs past the end (${buf.length - body} left)`);
    if (id === BoardIe.BOARD || id === BoardIe.REGDB) parseSubIes(buf, view, body, len, id, file, entries);
    off = body + Math.min(align4(len), buf.length - body);
  }
  return entries;
}

function parseSubIes(buf: Uint8Array, view: DataView, start: number, len: number, ie: number, file: string, out: BoardEntry[]): void {
  const end = start + len;
  let names: string[] = [];
  let off = start;
  while (end - off >= HEADER) {
    const id = view.getUint32(off, true);
    const subLen = view.getUint32(off + 4, true);
    const body = off + HEADER;
    if (subLen > end - body) throw new BoardContainerMalformedError(file, off, `sub-IE ${id} of ${subLen} bytes runs past its IE (${end - body} left)`);
    if (id === BoardSubIe.NAME) names.push(latin1(buf, body, subLen));
    else if (id === BoardSubIe.DATA) {
      if (subLen === 0) throw new BoardContainerMalformedError(file, off, 'zero-length DATA');
      out.push({ ie, names, data: buf.subarray(body, body + subLen), offset: off });
      names = [];
    }
    off = body + Math.min(align4(subLen), end - body);
  }
}

function latin1(buf: Uint8Array, start: number, len: number): string {
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(buf[start + i]);
  return s;
}

/**
 * The entry of `ie` whose names include `name` exactly (byte length and bytes, as
 * the drivers compare), the first in file order.
 */
export function findBoardEntry(entries: readonly BoardEntry[], ie: number, name: string): BoardEntry | undefined {
  return entries.find((e) => e.ie === ie && e.names.includes(name));
}
