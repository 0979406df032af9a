/** What a simulated chip's board name is made of (a subset of SimChipProfile). */
export interface SimBoardNaming {
  readonly chipId: number;
  readonly pci?: { readonly device: number; readonly subsystemVendor: number; readonly subsystemDevice: number };
  readonly bdfSearchBusAndBoard: boolean;
}

/** One DATA of a container and the NAMEs in front of it; `ie` 0 BOARD, 1 REGDB. */
export interface BoardContainerEntry {
  readonly ie: number;
  readonly names: readonly string[];
  readonly data: Uint8Array;
}

const MAGIC = { ath11k: 'QCA-ATH11K-BOARD', ath12k: 'QCA-ATH12K-BOARD' } as const;

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function tlv(id: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + pad4(body.length));
  const view = new DataView(out.buffer);
  view.setUint32(0, id, true);
  view.setUint32(4, body.length, true);
  out.set(body, 8);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Writes a board-2.bin the way linux-firmware's ath11k-bdencoder lays it out (magic
 * NUL-terminated and padded to 4, one BOARD/REGDB IE per entry holding its NAME
 * sub-IEs then one DATA sub-IE, everything padded to 4), for the simulated cards'
 * firmware directory and for tests.
 */
export function buildBoardContainer(family: 'ath11k' | 'ath12k', entries: readonly BoardContainerEntry[]): Uint8Array {
  const magic = new Uint8Array(pad4(MAGIC[family].length + 1));
  for (let i = 0; i < MAGIC[family].length; i++) magic[i] = MAGIC[family].charCodeAt(i);
  const ies = entries.map((e) => tlv(e.ie, concat([...e.names.map((n) => tlv(0, Uint8Array.from(n, (c) => c.charCodeAt(0)))), tlv(1, e.data)])));
  return concat([magic, ...ies]);
}

/**
 * The name a simulated card's board data is stored under: the first name the
 * kernel's rules search for this card (ath11k/core.c `__ath11k_core_create_board_name`,
 * ath12k/core.c the same), written out here independently of the loader.
 */
export function simulatedBoardName(profile: SimBoardNaming, boardId: number): string {
  const bus = profile.pci ? 'pci' : 'ahb';
  const ids = profile.pci;
  if (profile.bdfSearchBusAndBoard && ids) {
    const h = (n: number): string => n.toString(16).padStart(4, '0');
    return `bus=${bus},vendor=17cb,device=${h(ids.device)},subsystem-vendor=${h(ids.subsystemVendor)},subsystem-device=${h(ids.subsystemDevice)},qmi-chip-id=${profile.chipId},qmi-board-id=${boardId}`;
  }
  return `bus=${bus},qmi-chip-id=${profile.chipId},qmi-board-id=${boardId}`;
}
