import { LinkConfigError } from '../errors';
import { MESSAGE_DEVICE_KEYS, messageDeviceBackend, type LinkFactory } from '../link-factory';

/**
 * `{ "kind": "rpmsg", "device": "/dev/rpmsg0", "name": "modem:IPCRTR" }`: an rpmsg_char endpoint
 * device on the IPCRTR channel (what net/qrtr/smd.c binds in the kernel), one QRTR packet per
 * read and write. `fd` instead of `device` takes an inherited descriptor of the same kind.
 */
export const rpmsgLinkFactory: LinkFactory = {
  kind: 'rpmsg',
  keys: {
    device: 'the rpmsg endpoint device, e.g. /dev/rpmsg0',
    name: "the backend key's name, e.g. 'modem:IPCRTR' (default: the device's basename)",
    ...MESSAGE_DEVICE_KEYS,
  },
  create(config, at, logger) {
    const name = config.name;
    if (name !== undefined && (typeof name !== 'string' || !name)) throw new LinkConfigError(`${at}.name`, 'a non-empty name', name);
    return messageDeviceBackend('rpmsg', config, at, name as string | undefined, logger);
  },
};
