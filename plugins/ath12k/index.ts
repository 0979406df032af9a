import { createWlfwPlugin } from '../wlfw/src';
import { ATH12K_CHIPS } from './src/hw-params';

/**
 * The ath12k plugin: a WLFW firmware loader for ath12k cards. Load it by listing
 * `plugins/ath12k` in the daemon's plugin list; configure it under `ath12k`
 * (see WlfwLoaderOptions: firmwareDir, cards, groups, bindEndpoints, ...).
 */
export const plugin = createWlfwPlugin('ath12k', '0.1.0', ATH12K_CHIPS);

export { ATH12K_CHIPS } from './src/hw-params';
export { createSimulatedCard, writeSimulatedFirmwareDir, ATH12K_SIM_PROFILES } from './sim';
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
