import { createWlfwPlugin } from '../wlfw/src';
import { ATH11K_CHIPS } from './src/hw-params';

/**
 * The ath11k plugin: a WLFW firmware loader for ath11k cards. Load it by listing
 * `plugins/ath11k` in the daemon's plugin list; configure it under `ath11k`
 * (see WlfwLoaderOptions: firmwareDir, cards, groups, bindEndpoints, ...).
 */
export const plugin = createWlfwPlugin('ath11k', '0.1.0', ATH11K_CHIPS);

export { ATH11K_CHIPS } from './src/hw-params';
export { createSimulatedCard, writeSimulatedFirmwareDir, ATH11K_SIM_PROFILES } from './sim';
export {
  WLFW_LOADER_LIFECYCLE,
  WlfwLoaderLifecycle,
  WlfwLoader,
  formatCardTable,
  cardTableRow,
  downloadProgress,
  type CardTableRow,
  type WlfwCardStatus,
  type WlfwCardState,
  type WlfwLoaderOptions,
} from '../wlfw/src';
