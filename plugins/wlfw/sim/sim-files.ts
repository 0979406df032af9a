import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { buildBoardContainer, simulatedBoardName, type SimBoardNaming } from './board-container-writer';
import { FwIe, buildFwContainer, featureBytes } from '../src/fw-container';

/** Deterministic pseudo-random bytes (xorshift32 seeded by FNV-1a of `seed`): synthetic, never real firmware. */
export function pseudoRandomBytes(seed: string, length: number): Uint8Array {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let x = h || 1;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

const digests = new WeakMap<Uint8Array, string>();

/** SHA-256 hex of `data` (memoised per buffer: expected files are shared by every boot). */
export function sha256(data: Uint8Array): string {
  let d = digests.get(data);
  if (!d) digests.set(data, (d = createHash('sha256').update(data).digest('hex')));
  return d;
}

const generated = new Map<string, Uint8Array>();

/** pseudoRandomBytes, generated once per seed (treat the result as read-only). */
function cachedBytes(seed: string, length: number, patch?: (b: Uint8Array) => void): Uint8Array {
  const key = `${seed}#${length}`;
  let b = generated.get(key);
  if (!b) {
    b = pseudoRandomBytes(seed, length);
    patch?.(b);
    generated.set(key, b);
  }
  return b;
}

/** What a simulated card's firmware directory holds, as the simulator expects to receive it. */
export interface SimulatedFileSet {
  readonly board: Uint8Array;
  readonly regdb: Uint8Array | undefined;
  readonly caldata: Uint8Array | undefined;
  readonly m3: Uint8Array | undefined;
}

/** File needs of a chip, shared by the fixture writer and the simulator. */
export interface SimFileSpec {
  readonly family: string;
  readonly chip: string;
  readonly hwRev: string;
  readonly boardElf: boolean;
  readonly regdb: boolean;
  readonly caldata: boolean;
  readonly m3: boolean;
  /** Board file size before the per-board-id variation. */
  readonly boardSize: number;
}

/** The synthetic files of one card: the board file depends on the board id, caldata on the PCI address. */
export function simulatedFiles(spec: SimFileSpec, boardId: number, bus: string, dev: string): SimulatedFileSet {
  const size = spec.boardSize + ((boardId * 97) % 4096);
  const board = cachedBytes(`${spec.family}/${spec.chip}/board/${boardId}/${spec.boardElf ? 'elf' : 'bin'}`, size, (b) => {
    if (spec.boardElf) b.set([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0], 0);
    else if (b[0] === 0x7f) b[0] = 0; // a BIN file must not look like ELF
  });
  return {
    board,
    regdb: spec.regdb ? cachedBytes(`${spec.family}/${spec.chip}/regdb`, 24 * 1024 + 311) : undefined,
    caldata: spec.caldata && !spec.boardElf ? cachedBytes(`${spec.family}/${spec.chip}/cal/${bus}-${dev}`, 8 * 1024 + 64) : undefined,
    m3: spec.m3 ? cachedBytes(`${spec.family}/${spec.chip}/m3`, 64 * 1024) : undefined,
  };
}

/** One card as the fixture writer needs it. */
export interface SimulatedCardFiles {
  readonly boardId: number;
  readonly pciAddress: string;
}

/**
 * Writes the files of every listed card of one chip into `<dir>/<family>/<CHIP>/<hw>/`:
 * one board-2.bin holding every card's board data under its kernel board name,
 * regdb.bin, m3.bin and each card's `cal-pci-<address>.bin`.
 */
export async function writeSimulatedFiles(
  dir: string,
  profile: SimFileSpec & SimBoardNaming & { readonly family: 'ath11k' | 'ath12k'; readonly ahb?: { readonly address: string }; readonly fwFeatures?: readonly number[] },
  cards: readonly SimulatedCardFiles[]): Promise<string[]> {
  const chipDir = path.join(dir, profile.family, profile.chip, profile.hwRev);
  await fs.mkdir(chipDir, { recursive: true });
  const written: string[] = [];
  const put = async (name: string, data: Uint8Array | undefined): Promise<void> => {
    if (!data) return;
    const file = path.join(chipDir, name);
    await fs.writeFile(file, data);
    written.push(file);
  };
  const entries = new Map<string, Uint8Array>();
  for (const card of cards) {
    // dev_name(): the PCI address, or the AHB platform device's name ('c000000.wifi').
    const bus = profile.ahb ? 'ahb' : 'pci';
    const dev = profile.ahb?.address ?? card.pciAddress;
    const files = simulatedFiles(profile, card.boardId, bus, dev);
    entries.set(simulatedBoardName(profile, card.boardId), files.board);
    await put(`cal-${bus}-${dev}.bin`, files.caldata);
    await put('regdb.bin', files.regdb);
    await put('m3.bin', files.m3);
  }
  // ath12k firmware-2.bin with the FEATURES IE (fw.c ath12k_fw_request_firmware_api_n), and the M3 IE.
  if (profile.fwFeatures) {
    const m3 = simulatedFiles(profile, 0, 'pci', '').m3;
    await put('firmware-2.bin', buildFwContainer(profile.family, [{ id: FwIe.FEATURES, data: featureBytes(profile.fwFeatures) }, ...(m3 ? [{ id: FwIe.M3_IMAGE, data: m3 }] : [])]));
  }
  await put('board-2.bin', buildBoardContainer(profile.family, [...entries].map(([name, data]) => ({ ie: 0, names: [name], data }))));
  return written;
}
