import { InvalidArgumentError } from '../../../src/sdk';
import { writeSimulatedFiles } from './sim-files';
import type { SimChipProfile } from './sim-profile';
import { SimulatedCard } from './simulated-card';
import type { SimFaults } from './wlfw-firmware';
import type { SimulatedCardOptions } from './simulated-card';

/** One simulated card as the daemon's configuration or a test names it. */
export interface SimulatedCardSpec {
  readonly chip: string;
  readonly pciAddress: string;
  readonly boardId: number;
  readonly faults?: SimFaults;
  readonly subsystem?: SimulatedCardOptions['subsystem'];
  readonly expectedFiles?: SimulatedCardOptions['expectedFiles'];
  readonly eepromCaldata?: boolean;
  readonly node?: number;
  readonly instanceShift?: boolean;
  readonly mhi?: SimulatedCardOptions['mhi'];
  readonly largestAllocation?: SimulatedCardOptions['largestAllocation'];
  readonly noHostMemory?: boolean;
  readonly noReset?: boolean;
  readonly reservedMemory?: SimulatedCardOptions['reservedMemory'];
  readonly ftmMode?: boolean;
}

export function createSimulatedCardFrom(profiles: Readonly<Record<string, SimChipProfile>>, spec: SimulatedCardSpec): SimulatedCard {
  const profile = profiles[spec.chip];
  if (!profile) throw new InvalidArgumentError('chip', `one of ${Object.keys(profiles).join(', ')}`, spec.chip);
  if (!Number.isInteger(spec.boardId) || spec.boardId < 0 || spec.boardId > 0xffff) throw new InvalidArgumentError('boardId', 'an integer 0..65535', spec.boardId);
  if (!/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(spec.pciAddress)) throw new InvalidArgumentError('pciAddress', "a PCI address such as '0000:01:00.0'", spec.pciAddress);
  return new SimulatedCard({ ...spec, profile });
}

/** Writes the synthetic firmware files every listed card needs under `dir`; returns the paths written. */
export async function writeSimulatedFirmwareDirFrom(
  profiles: Readonly<Record<string, SimChipProfile>>,
  dir: string,
  cards: readonly (Pick<SimulatedCardSpec, 'chip' | 'pciAddress' | 'boardId'> & { readonly profile?: SimChipProfile })[],
): Promise<string[]> {
  const written: string[] = [];
  // A SimulatedCard carries its profile (its chip name alone does not say the hw revision); a spec names the profile key.
  const profileOf = (card: (typeof cards)[number]): SimChipProfile => {
    const profile = card.profile ?? profiles[card.chip];
    if (!profile) throw new InvalidArgumentError('chip', `one of ${Object.keys(profiles).join(', ')}`, card.chip);
    return profile;
  };
  const byDir = new Map<string, { profile: SimChipProfile; cards: (typeof cards)[number][] }>();
  for (const card of cards) {
    const profile = profileOf(card);
    const dirKey = `${profile.chip}/${profile.hwRev}`;
    const entry = byDir.get(dirKey) ?? { profile, cards: [] };
    entry.cards.push(card);
    byDir.set(dirKey, entry);
  }
  for (const { profile, cards: group } of byDir.values()) written.push(...(await writeSimulatedFiles(dir, profile, group)));
  return [...new Set(written)];
}

/** A family's simulated cards: what plugins/ath11k/sim and plugins/ath12k/sim export, from the family's chip profiles. */
export function simulatedFamily(profiles: Readonly<Record<string, SimChipProfile>>): {
  createSimulatedCard(spec: SimulatedCardSpec): SimulatedCard;
  writeSimulatedFirmwareDir(dir: string, cards: readonly (Pick<SimulatedCardSpec, 'chip' | 'pciAddress' | 'boardId'> & { readonly profile?: SimChipProfile })[]): Promise<string[]>;
} {
  return {
    createSimulatedCard: (spec) => createSimulatedCardFrom(profiles, spec),
    writeSimulatedFirmwareDir: (dir, cards) => writeSimulatedFirmwareDirFrom(profiles, dir, cards),
  };
}
