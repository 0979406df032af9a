import * as fs from 'node:fs';
import type { BackendKey } from '../../router/endpoint';
import { LinkIoError } from '../errors';
import type { BackendLogger } from '../logger';
import { RpmsgEndpoint } from '../rpmsg/rpmsg-endpoint';

/** Where the kernel's qrtr-tun misc device usually is. */
export const DEFAULT_QRTR_TUN_PATH = '/dev/qrtr-tun';

/** An open /dev/qrtr-tun: the packet device and its backend key. */
export interface OpenedTunDevice {
  /** One whole QRTR packet per read and per write, like an rpmsg channel. */
  readonly device: RpmsgEndpoint;
  /** `{ kind: 'tun', key: '<inode of the device>' }`. */
  readonly backendKey: BackendKey;
}

/**
 * Opens /dev/qrtr-tun. Each open file is its own kernel endpoint (net/qrtr/tun.c),
 * so the key is the device's inode as fstat reports it, as in the kernel patch set.
 */
export function openTunDevice(path = DEFAULT_QRTR_TUN_PATH, logger?: BackendLogger): Promise<OpenedTunDevice> {
  const link = `tun:${path}`;
  return new Promise((resolve, reject) => {
    fs.open(path, fs.constants.O_RDWR | fs.constants.O_NOCTTY, (err, fd) => {
      if (err) return reject(new LinkIoError(link, `open ${path}`, err));
      fs.fstat(fd, (statErr, stat) => {
        if (statErr) {
          fs.close(fd, () => undefined);
          return reject(new LinkIoError(link, `fstat ${path}`, statErr));
        }
        const device = new RpmsgEndpoint(fd, path.slice(path.lastIndexOf('/') + 1), logger ? { logger } : {});
        resolve({ device, backendKey: { kind: 'tun', key: String(stat.ino) } });
      });
    });
  });
}
