// The part of plugins/wlfw each family plugin (ath11k, ath12k) re-exports for its users.
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
} from '.';
