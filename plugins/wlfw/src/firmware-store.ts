import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { WlfwChipParams } from './chip-params';
import { FirmwareFileCorruptError, FirmwareFileMissingError } from './errors';

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

/**
 * Firmware files in the kernel's `<family>/<CHIP>/<hw>/` layout, with board-2.bin
 * simplified to one board file per board id:
 *
 *     <root>/ath11k/QCN9074/hw1.0/board-<boardId>.bin   board data (BIN or ELF)
 *                                 regdb.bin               regulatory database
 *                                 m3.bin                  M3 firmware
 *                                 cal-<bus>-<dev>.bin     per-card caldata
 *
 * Files are read once and shared by every card that needs them. Missing and
 * corrupt files raise typed errors naming the card and the path.
 */
export class FirmwareStore {
  private readonly cache = new Map<string, Promise<Uint8Array>>();

  constructor(readonly root: string) {}

  dirOf(chip: WlfwChipParams): string {
    return path.join(this.root, chip.family, chip.chip, chip.hwRev);
  }

  static boardFileName(boardId: number): string {
    return `board-${boardId}.bin`;
  }

  static calFileName(bus: string, dev: string): string {
    return `cal-${bus}-${dev}.bin`;
  }

  async boardFile(chip: WlfwChipParams, boardId: number, card: string): Promise<FirmwareFile> {
    const file = path.join(this.dirOf(chip), FirmwareStore.boardFileName(boardId));
    const data = await this.read(file, 'board', card);
    this.checkSize(data, file, 'board', card, chip.maxBoardSize);
    if (chip.boardElf && !isElf(data)) throw new FirmwareFileCorruptError(card, 'board', file, `${chip.chip} needs an ELF board file but the ELF magic is missing`);
    return { path: file, data };
  }

  async regdb(chip: WlfwChipParams, card: string): Promise<FirmwareFile> {
    const file = path.join(this.dirOf(chip), 'regdb.bin');
    const data = await this.read(file, 'regdb', card);
    this.checkSize(data, file, 'regdb', card, MAX_REGDB);
    return { path: file, data };
  }

  async caldata(chip: WlfwChipParams, bus: string, dev: string, card: string): Promise<FirmwareFile> {
    const file = path.join(this.dirOf(chip), FirmwareStore.calFileName(bus, dev));
    const data = await this.read(file, 'caldata', card);
    this.checkSize(data, file, 'caldata', card, MAX_CALDATA);
    return { path: file, data };
  }

  async m3(chip: WlfwChipParams, card: string): Promise<FirmwareFile> {
    const file = path.join(this.dirOf(chip), 'm3.bin');
    const data = await this.read(file, 'm3', card);
    this.checkSize(data, file, 'm3', card, MAX_M3);
    return { path: file, data };
  }

  /** Forgets cached contents (after files were replaced). */
  clear(): void {
    this.cache.clear();
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
