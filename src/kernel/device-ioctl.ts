import { KernelBackendUnavailableError } from './errors';
import { loadNativeBinding } from './native-loader';

/**
 * One ioctl on a device descriptor through the native addon (Node has no ioctl of its own):
 * the result, or -errno. Links use it for device control (rpmsg_ctrl's endpoint ioctls).
 * @throws KernelBackendUnavailableError without the addon, or with a build that lacks ioctl.
 */
export function deviceIoctl(fd: number, request: number, arg: Uint8Array | null): number {
  const binding = loadNativeBinding();
  if (typeof binding.ioctl !== 'function') {
    throw new KernelBackendUnavailableError('the native addon was built without ioctl (a stale build)', [], ['rebuild it: npm rebuild (or node native/build.js)']);
  }
  return binding.ioctl(fd, request, arg);
}
