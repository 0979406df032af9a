import type { CardIdentity } from './card-identity';
import type { WlfwChipParams } from './chip-params';

/** What a board name is built from: the card's identity and CAP's chip id and board id. */
export interface BoardNameInputs {
  readonly chip: WlfwChipParams;
  readonly identity: CardIdentity | undefined;
  /** CAP chip_info.chip_id (`ab->qmi.target.chip_id`). */
  readonly chipId: number;
  /** CAP board_info.board_id, else 0xFF (`ab->qmi.target.board_id`). */
  readonly boardId: number;
}

type NameType = 'full' | 'bus' | 'chip-id';

/**
 * `ath11k_bus_str(ab->hif.bus)`: the bus of the driver that probed the chip, so PCI
 * chips are 'pci' and AHB and hybrid (WCN6750) chips 'ahb', whatever link carries them.
 */
export function busOf(chip: WlfwChipParams): string {
  return chip.bus === 'pci' ? 'pci' : 'ahb';
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/**
 * `__ath11k_core_create_board_name` (ath11k/core.c; ath12k/core.c
 * `__ath12k_core_create_board_name` is the same): bus-and-board chips name the PCI
 * ids (full), the bus alone (bus) or bus and chip id (chip-id); other chips always
 * `bus=%s,qmi-chip-id=%d,qmi-board-id=%d`. The variant is appended only when asked
 * for and set. Undefined when a full bus-and-board name needs PCI ids the card's
 * identity lacks.
 */
function boardName(inputs: BoardNameInputs, type: NameType, withVariant: boolean): string | undefined {
  const { chip, identity, chipId, boardId } = inputs;
  const bus = busOf(chip);
  const variant = withVariant && identity?.variant ? `,variant=${identity.variant}` : '';
  if (chip.bdfSearch === 'bus-and-board') {
    if (type === 'bus') return `bus=${bus}`;
    if (type === 'chip-id') return `bus=${bus},qmi-chip-id=${chipId}`;
    const id = identity;
    if (id?.vendor === undefined || id.device === undefined || id.subsystemVendor === undefined || id.subsystemDevice === undefined) return undefined;
    return `bus=${bus},vendor=${hex4(id.vendor)},device=${hex4(id.device)},subsystem-vendor=${hex4(id.subsystemVendor)},subsystem-device=${hex4(id.subsystemDevice)},qmi-chip-id=${chipId},qmi-board-id=${boardId}${variant}`;
  }
  return `bus=${bus},qmi-chip-id=${chipId},qmi-board-id=${boardId}${variant}`;
}

function distinct(names: (string | undefined)[]): string[] {
  return [...new Set(names.filter((n): n is string => n !== undefined))];
}

/**
 * The names board data is searched under in board-2.bin, in order, before board.bin:
 * ath11k/core.c `ath11k_core_fetch_bdf`: the board name (with variant), the fallback
 * name (without), then the chip-id name (`ath11k_core_create_chip_id_board_name`, since
 * "wifi: ath11k: add chip id board name while searching board-2.bin for WCN6855");
 * ath12k/core.c `ath12k_core_fetch_bdf`: the first two only. A name equal to an
 * earlier one is searched once.
 */
export function boardSearchNames(inputs: BoardNameInputs): string[] {
  const names = [boardName(inputs, 'full', true), boardName(inputs, 'full', false)];
  if (inputs.chip.family === 'ath11k') names.push(boardName(inputs, 'chip-id', false));
  return distinct(names);
}

/**
 * The names regdb is searched under in board-2.bin's REGDB IEs before regdb.bin:
 * `ath12k_core_fetch_regdb` / `ath11k_core_fetch_regdb`: the board name, then the bus
 * type name (`*_core_create_bus_type_board_name`: `bus=pci` for bus-and-board chips).
 */
export function regdbSearchNames(inputs: BoardNameInputs): string[] {
  return distinct([boardName(inputs, 'full', true), boardName(inputs, 'bus', false)]);
}
