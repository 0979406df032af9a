import { createSimulatedCardFrom, writeSimulatedFirmwareDirFrom, type SimulatedCard, type SimulatedCardSpec } from '../../wlfw/sim';
import { ATH11K_SIM_PROFILES } from './profiles';

export { ATH11K_SIM_PROFILES } from './profiles';
export { SimulatedCard, attachSimulatedCard, type SimFaults, type SimulatedCardSpec, type SimLogEntry } from '../../wlfw/sim';

/**
 * A simulated ath11k card (firmware with its own router at the chip's fixed node
 * id), not yet attached: call `card.attach(hostRouter)`.
 * @example createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 0xa1 })
 */
export function createSimulatedCard(spec: SimulatedCardSpec): SimulatedCard {
  return createSimulatedCardFrom(ATH11K_SIM_PROFILES, spec);
}

/** Writes the synthetic firmware files the listed ath11k cards need (the loader's firmwareDir). */
export function writeSimulatedFirmwareDir(dir: string, cards: readonly Pick<SimulatedCardSpec, 'chip' | 'pciAddress' | 'boardId'>[]): Promise<string[]> {
  return writeSimulatedFirmwareDirFrom(ATH11K_SIM_PROFILES, dir, cards);
}
