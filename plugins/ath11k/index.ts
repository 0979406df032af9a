import { createWlfwPlugin } from '../wlfw/src';
import { wlfwSimulation } from '../wlfw/sim';
import { ATH11K_CHIPS } from './src/hw-params';
import { ATH11K_SIM_PROFILES } from './sim/profiles';

/**
 * The ath11k plugin: a WLFW firmware loader for ath11k cards. Load it by listing
 * `plugins/ath11k` in the daemon's plugin list; configure it under `ath11k`
 * (see WlfwLoaderOptions: firmwareDir, cards, groups, bindEndpoints, ...).
 */
export const plugin = createWlfwPlugin('ath11k', '0.1.0', ATH11K_CHIPS, wlfwSimulation('ath11k', ATH11K_SIM_PROFILES));

export { ATH11K_CHIPS } from './src/hw-params';
export { createSimulatedCard, writeSimulatedFirmwareDir, ATH11K_SIM_PROFILES } from './sim';
// What the family's users reach through it: the loader, its status and the card table.
export * from '../wlfw/src/public';
