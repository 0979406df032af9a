import { LinkConfigError } from '../errors';
import { devicePlace, type LinkFactory } from '../link-factory';
import { RpmsgBackend } from './rpmsg-backend';

/**
 * `{ "kind": "rpmsg", "device": "/dev/rpmsg0", "name": "modem:IPCRTR" }`: an rpmsg_char endpoint
 * device on the IPCRTR channel (what net/qrtr/smd.c binds in the kernel), one QRTR packet per
 * read and write. `fd` instead of `device` takes an inherited descriptor of the same kind.
 */
export const rpmsgLinkFactory: LinkFactory = {
  kind: 'rpmsg',
  keys: {
    device: 'the rpmsg endpoint device, e.g. /dev/rpmsg0',
    fd: 'an inherited descriptor carrying one message per read/write, instead of device',
    name: "the backend key's name, e.g. 'modem:IPCRTR' (default: the device's basename)",
    maxPacketLength: 'largest packet the channel carries in one message',
  },
  create(config, at, logger) {
    const place = devicePlace(config, at, 'device');
    const name = config.name;
    if (name !== undefined && (typeof name !== 'string' || !name)) throw new LinkConfigError(`${at}.name`, 'a non-empty name', name);
    if ('fd' in place && name === undefined) throw new LinkConfigError(`${at}.name`, "a name (required with 'fd')", name);
    const max = config.maxPacketLength;
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 64)) throw new LinkConfigError(`${at}.maxPacketLength`, 'an integer >= 64', max);
    return new RpmsgBackend({
      devices: [{ ...place, name: name as string | undefined }],
      tolerateMissing: false,
      logger,
      ...(max !== undefined ? { maxPacketLength: max as number } : {}),
    });
  },
};
