import { promises as fs, constants as fsConstants } from 'node:fs';
import { join } from 'node:path';
import { deviceIoctl } from '../../kernel/device-ioctl';
import { errnoName } from '../../kernel/errors';
import { LinkIoError } from '../errors';

// include/uapi/linux/rpmsg.h: struct rpmsg_endpoint_info { char name[32]; __u32 src; __u32 dst; }
// and the ioctls drivers/rpmsg/rpmsg_ctrl.c (rpmsg_ctrldev_ioctl) and rpmsg_char.c
// (rpmsg_eptdev_ioctl) answer.
const ENDPOINT_NAME_LENGTH = 32;
const ENDPOINT_INFO_LENGTH = ENDPOINT_NAME_LENGTH + 8;
/** _IOW(0xb5, 0x1, struct rpmsg_endpoint_info) */
export const RPMSG_CREATE_EPT_IOCTL = 0x4028b501;
/** _IO(0xb5, 0x2) */
export const RPMSG_DESTROY_EPT_IOCTL = 0xb502;
/** RPMSG_ADDR_ANY: let the remote side pick the address. */
export const RPMSG_ADDR_ANY = 0xffffffff;

/** The ioctl argument naming the channel (`IPCRTR`) and its addresses. */
export function encodeEndpointInfo(channel: string, src = RPMSG_ADDR_ANY, dst = RPMSG_ADDR_ANY): Uint8Array {
  const name = Buffer.from(channel, 'utf8');
  if (name.length === 0 || name.length >= ENDPOINT_NAME_LENGTH) throw new RangeError(`rpmsg channel name '${channel}' must be 1..31 bytes`);
  const info = Buffer.alloc(ENDPOINT_INFO_LENGTH);
  name.copy(info);
  info.writeUInt32LE(src >>> 0, ENDPOINT_NAME_LENGTH);
  info.writeUInt32LE(dst >>> 0, ENDPOINT_NAME_LENGTH + 4);
  return info;
}

function errnoError(result: number, syscall: string): NodeJS.ErrnoException {
  const code = errnoName(-result);
  return Object.assign(new Error(code), { code, errno: result, syscall });
}

export interface RpmsgCtrlOptions {
  readonly src?: number;
  readonly dst?: number;
  /** Where the endpoint devices appear (`rpmsg%d` with a `name` attribute, rpmsg_char.c's rpmsg_eptdev_groups). */
  readonly sysfsDir?: string;
  readonly devDir?: string;
  /** How long to wait for the new device node. */
  readonly timeoutMs?: number;
}

/** An endpoint device created through rpmsg_ctrl; destroy() removes it (RPMSG_DESTROY_EPT_IOCTL). */
export interface RpmsgEndpointDevice {
  readonly path: string;
  destroy(): Promise<void>;
}

async function endpointsNamed(sysfsDir: string, channel: string): Promise<Set<string>> {
  const out = new Set<string>();
  let entries: string[];
  try {
    entries = await fs.readdir(sysfsDir);
  } catch {
    return out;
  }
  for (const entry of entries) {
    if (!/^rpmsg\d+$/.test(entry)) continue;
    const name = await fs.readFile(join(sysfsDir, entry, 'name'), 'utf8').catch(() => '');
    if (name.trim() === channel) out.add(entry);
  }
  return out;
}

async function ioctlOnPath(path: string, request: number, arg: Uint8Array | null, link: string, operation: string): Promise<void> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, fsConstants.O_RDWR | fsConstants.O_NOCTTY);
  } catch (err) {
    throw new LinkIoError(link, `open ${path}`, err);
  }
  try {
    const result = deviceIoctl(handle.fd, request, arg);
    if (result < 0) throw new LinkIoError(link, `${operation} on ${path}`, errnoError(result, 'ioctl'));
  } finally {
    await handle.close();
  }
}

/**
 * Asks `/dev/rpmsg_ctrlN` for an endpoint on `channel` (IPCRTR for QRTR), as rpmsgexport
 * does, and returns the `/dev/rpmsgM` that rpmsg_char made for it.
 * @throws LinkIoError (open, the ioctl's errno, or no device within the timeout);
 *         KernelBackendUnavailableError without the native addon (Node has no ioctl).
 */
export async function createRpmsgEndpointDevice(ctrlPath: string, channel: string, options: RpmsgCtrlOptions = {}): Promise<RpmsgEndpointDevice> {
  const link = `rpmsg:${channel}`;
  const sysfsDir = options.sysfsDir ?? '/sys/class/rpmsg';
  const devDir = options.devDir ?? '/dev';
  const before = await endpointsNamed(sysfsDir, channel);
  await ioctlOnPath(ctrlPath, RPMSG_CREATE_EPT_IOCTL, encodeEndpointInfo(channel, options.src, options.dst), link, 'RPMSG_CREATE_EPT_IOCTL');
  const deadline = Date.now() + (options.timeoutMs ?? 2000);
  for (;;) {
    const fresh = [...(await endpointsNamed(sysfsDir, channel))].filter((e) => !before.has(e));
    const path = fresh.length > 0 ? join(devDir, fresh[0]) : undefined;
    if (path && (await fs.access(path).then(() => true, () => false))) {
      return { path, destroy: () => ioctlOnPath(path, RPMSG_DESTROY_EPT_IOCTL, null, link, 'RPMSG_DESTROY_EPT_IOCTL').catch(() => undefined) };
    }
    if (Date.now() > deadline) throw new LinkIoError(link, `waiting for the endpoint device of ${ctrlPath} in ${sysfsDir}`, new Error('no new rpmsg endpoint device appeared'));
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
