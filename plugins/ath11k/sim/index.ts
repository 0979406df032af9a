import { simulatedFamily } from '../../wlfw/sim';
import { ATH11K_SIM_PROFILES } from './profiles';

export { ATH11K_SIM_PROFILES } from './profiles';
export { SimulatedCard, attachSimulatedCard, type SimFaults, type SimulatedCardSpec, type SimLogEntry } from '../../wlfw/sim';

/**
 * Simulated ath11k cards: `createSimulatedCard(spec)` builds one (firmware with its own router at the
 * chip's fixed node id), not yet attached: call `card.attach(hostRouter)`;
 * `writeSimulatedFirmwareDir(dir, cards)` writes the synthetic files they need (the loader's firmwareDir).
 * @example createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 0xa1 })
 */
export const { createSimulatedCard, writeSimulatedFirmwareDir } = simulatedFamily(ATH11K_SIM_PROFILES);
