import { simulatedFamily } from '../../wlfw/sim';
import { ATH12K_SIM_PROFILES } from './profiles';

export { ATH12K_SIM_PROFILES } from './profiles';
export { SimulatedCard, attachSimulatedCard, type SimFaults, type SimulatedCardSpec, type SimLogEntry } from '../../wlfw/sim';

/**
 * Simulated ath12k cards: `createSimulatedCard(spec)` builds one (firmware with its own router at the
 * chip's fixed node id), not yet attached: call `card.attach(hostRouter)`;
 * `writeSimulatedFirmwareDir(dir, cards)` writes the synthetic files they need (the loader's firmwareDir).
 * @example createSimulatedCard({ chip: 'WCN7850', pciAddress: '0000:01:00.0', boardId: 0xa1 })
 */
export const { createSimulatedCard, writeSimulatedFirmwareDir } = simulatedFamily(ATH12K_SIM_PROFILES);
