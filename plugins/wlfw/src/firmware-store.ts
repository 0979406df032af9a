import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { BOARD_MAGIC, BoardIe, findBoardEntry, parseBoardContainer, type BoardEntry } from './board-container';
import type { WlfwChipParams } from './chip-params';
import { FW_API2_FILE, FwContainerError, parseFwContainer, type FwContainer } from './fw-container';
import { BoardDataNotFoundError, FirmwareFileCorruptError, FirmwareFileMissingError, type BoardSearchStep } from './errors';

/** ATH11K_BOARD_API2_FILE / ATH11K_DEFAULT_BOARD_FILE (ath11k/hw.h; ath12k the same). */
export const BOARD_API2_FILE = 'board-2.bin';
export const BOARD_API1_FILE = 'board.bin';

/** The ELF magic that marks an ELF board file (ath11k switches the BDF type on it). */
export const ELF_MAGIC = Uint8Array.of(0x7f, 0x45, 0x4c, 0x46);

const MAX_REGDB = 256 * 1024;
const MAX_CALDATA = 256 * 1024;
const MAX_M3 = 1024 * 1024;

export function isElf(data: Uint8Array): boolean {
  return data.length >= 4 && data[0] === 0x7f && data[1] === 0x45 && data[2] === 0x4c && data[3] === 0x46;
}

/** A firmware file as loaded: its bytes and where they came from. */
export interface FirmwareFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** Board data or regdb as selected: the bytes, the file, and the board-2.bin name that matched. */
export interface BoardDataFile extends FirmwareFile {
  /** 'board-2.bin' (API 2) or 'board.bin' / 'regdb.bin' (API 1). */
  readonly source: string;
  /** The name that matched in board-2.bin; absent for API 1 files. */
  readonly boardName?: string;
  /** Set when the file was longer than the chip's board_size and only its first board_size bytes are sent. */
  readonly truncatedFrom?: number;
}

/**
 * Firmware files in the kernel's `<family>/<CHIP>/<hw>/` layout, looked up the way
 * ath11k/ath12k do (core.c `ath11k_core_fetch_bdf`, `ath11k_core_fetch_regdb`, qmi.c
 * `ath11k_qmi_load_bdf_qmi`):
 *
 *     <root>/ath11k/QCN9074/hw1.0/board-2.bin   board data (and regdb) by board name
 *                                 board.bin     board data, API 1 fallback
 *                                 regdb.bin     regdb fallback
 *                                 cal-<bus>-<device name>.bin, else caldata.bin
 *                                 m3.bin
 *
 * Files are read (and containers parsed) once and shared by every card that needs
 * them. Missing and corrupt files raise typed errors naming the card and the path.
 */
export class FirmwareStore {
  private readonly cache = new Map<string, Promise<Uint8Array>>();
  private readonly containers = new Map<string, { data: Uint8Array; entries: BoardEntry[] }>();

  constructor(readonly root: string) {}

  dirOf(chip: WlfwChipParams): string {
    return path.join(this.root, chip.family, chip.chip, chip.hwRev);
  }

  static calFileName(bus: string, dev: string): string {
    return `cal-${bus}-${dev}.bin`;
  }

  /**
   * Board data: the first of `names` found in board-2.bin, else board.bin.
   * @throws BoardDataNotFoundError listing every name and file tried, in order.
   * @throws BoardContainerMalformedError when board-2.bin is not a valid container.
   */
  async board(chip: WlfwChipParams, names: readonly string[], card: string): Promise<BoardDataFile> {
    const found = await this.search(chip, BoardIe.BOARD, names, BOARD_API1_FILE, card);
    if (!found.file) throw new BoardDataNotFoundError(card, 'board', found.tried);
    // The drivers send min(file, hw_params.fw.board_size) bytes: a larger file is truncated, not refused.
    if (found.file.data.length === 0) throw new FirmwareFileCorruptError(card, 'board', found.file.path, 'it is empty');
    if (found.file.data.length > chip.boardSize) return { ...found.file, data: found.file.data.subarray(0, chip.boardSize), truncatedFrom: found.file.data.length };
    return found.file;
  }

  /** Regdb: the first of `names` in board-2.bin's REGDB IEs, else regdb.bin; undefined when neither has it. */
  async regdb(chip: WlfwChipParams, names: readonly string[], card: string): Promise<{ file?: BoardDataFile; tried: BoardSearchStep[] }> {
    const found = await this.search(chip, BoardIe.REGDB, names, 'regdb.bin', card);
    if (found.file) this.checkSize(found.file.data, found.file.path, 'regdb', card, MAX_REGDB);
    return found;
  }

  /** `cal-<bus>-<device name>.bin`, else `caldata.bin` (ath11k_qmi_load_bdf_qmi). */
  async caldata(chip: WlfwChipParams, bus: string, dev: string, card: string): Promise<FirmwareFile> {
    const own = path.join(this.dirOf(chip), FirmwareStore.calFileName(bus, dev));
    let file = own;
    let data = await this.readOptional(own, 'caldata', card);
    if (!data) {
      file = path.join(this.dirOf(chip), 'caldata.bin');
      data = await this.readOptional(file, 'caldata', card);
    }
    if (!data) throw new FirmwareFileMissingError(card, 'caldata', `${own} (nor ${file})`);
    this.checkSize(data, file, 'caldata', card, MAX_CALDATA);
    return { path: file, data };
  }

  /**
   * firmware-2.bin of the chip (ath1xk_fw_map): undefined when absent; a file that does not
   * parse is reported through `onMalformed` and treated as absent, as the kernel falls back to
   * API 1 (separate amss.bin/m3.bin) when ath1xk_fw_request_firmware_api_n fails.
   */
  async firmware2(chip: WlfwChipParams, card: string, onMalformed: (file: string, err: FwContainerError) => void): Promise<(FwContainer & { path: string }) | undefined> {
    const file = path.join(this.dirOf(chip), FW_API2_FILE);
    const data = await this.readOptional(file, 'firmware-2', card);
    if (!data) return undefined;
    try {
      return { ...parseFwContainer(data, chip.family), path: file };
    } catch (err) {
      if (!(err instanceof FwContainerError)) throw err;
      onMalformed(file, err);
      return undefined;
    }
  }

  async m3(chip: WlfwChipParams, card: string): Promise<FirmwareFile> {
    const file = path.join(this.dirOf(chip), 'm3.bin');
    const data = await this.read(file, 'm3', card);
    this.checkSize(data, file, 'm3', card, MAX_M3);
    return { path: file, data };
  }

  private async search(
    chip: WlfwChipParams,
    ie: number,
    names: readonly string[],
    api1: string,
    card: string,
  ): Promise<{ file?: BoardDataFile; tried: BoardSearchStep[] }> {
    const tried: BoardSearchStep[] = [];
    const container = path.join(this.dirOf(chip), BOARD_API2_FILE);
    const parsed = await this.container(chip, container, card);
    for (const name of names) {
      tried.push({ file: container, name });
      const entry = parsed && findBoardEntry(parsed.entries, ie, name);
      if (entry) return { file: { path: container, data: entry.data, source: BOARD_API2_FILE, boardName: name }, tried };
    }
    const plain = path.join(this.dirOf(chip), api1);
    tried.push({ file: plain });
    const data = await this.readOptional(plain, ie === BoardIe.BOARD ? 'board' : 'regdb', card);
    return { file: data ? { path: plain, data, source: api1 } : undefined, tried };
  }

  /** board-2.bin parsed, or undefined when the file does not exist. */
  private async container(chip: WlfwChipParams, file: string, card: string): Promise<{ entries: BoardEntry[] } | undefined> {
    const data = await this.readOptional(file, 'board', card);
    if (!data) return undefined;
    const known = this.containers.get(file);
    if (known && known.data === data) return known;
    const parsed = { data, entries: parseBoardContainer(data, file, BOARD_MAGIC[chip.family]) };
    this.containers.set(file, parsed);
    return parsed;
  }

  private readOptional(file: string, kind: string, card: string): Promise<Uint8Array | undefined> {
    return this.read(file, kind, card).catch((err: unknown) => {
      if (err instanceof FirmwareFileMissingError) return undefined;
      throw err;
    });
  }

  /** Forgets cached contents (after files were replaced). */
  clear(): void {
    this.cache.clear();
    this.containers.clear();
  }

  private read(file: string, kind: string, card: string): Promise<Uint8Array> {
    let pending = this.cache.get(file);
    if (!pending) {
      pending = fs.readFile(file).then((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
      this.cache.set(file, pending);
      // A failed read is not cached: the file may be installed later.
      pending.catch(() => this.cache.delete(file));
    }
    return pending.catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw new FirmwareFileMissingError(card, kind, file);
      throw new FirmwareFileCorruptError(card, kind, file, `cannot be read (${err.code ?? err.message})`);
    });
  }

  private checkSize(data: Uint8Array, file: string, kind: string, card: string, max: number): void {
    if (data.length === 0) throw new FirmwareFileCorruptError(card, kind, file, 'it is empty');
    if (data.length > max) throw new FirmwareFileCorruptError(card, kind, file, `${data.length} bytes exceeds the ${max}-byte limit`);
  }
}
