/**
 * Kernel backend: AF_QIPCRTR sockets of the running Linux kernel through the optional
 * native addon. Importing this module never loads the addon; opening a socket does.
 */
export * from './errors';
export * from './af-qipcrtr-socket';
export {
  loadNativeBinding,
  loadNativeBindingFrom,
  nativeAddonCandidates,
  NATIVE_ADDON_ENV,
  NATIVE_ABI_VERSION,
  type NativeQrtrBinding,
  type NativePoller,
  type NativeLoaderOptions,
} from './native-loader';
export * from './probe';
export * from './kernel-socket-provider';
export * from './device-ioctl';
export * from './net-tun-errors';
export * from './net-tun';
