import { createWlfwPlugin } from '../wlfw/src';
import { wlfwSimulation } from '../wlfw/sim';
import { ATH12K_CHIPS } from './src/hw-params';
import { ATH12K_SIM_PROFILES } from './sim/profiles';

/**
 * The ath12k plugin: a WLFW firmware loader for ath12k cards. Load it by listing
 * `plugins/ath12k` in the daemon's plugin list; configure it under `ath12k`
 * (see WlfwLoaderOptions: firmwareDir, cards, groups, bindEndpoints, ...).
 */
export const plugin = createWlfwPlugin('ath12k', '0.1.0', ATH12K_CHIPS, wlfwSimulation('ath12k', ATH12K_SIM_PROFILES));

export { ATH12K_CHIPS } from './src/hw-params';
export { createSimulatedCard, writeSimulatedFirmwareDir, ATH12K_SIM_PROFILES } from './sim';
// What the family's users reach through it: the loader, its status and the card table.
export * from '../wlfw/src/public';
