import { LinkConfigError } from '../errors';
import { z } from 'zod';
import { MESSAGE_DEVICE_KEYS, devicePathKey, exactlyOneOf, linkSchema, messageDeviceBackend, type LinkConfig, type LinkFactory } from '../link-factory';
import type { BackendLogger } from '../logger';
import { RpmsgBackend } from './rpmsg-backend';

/** `ctrl` (+ `channel`): the endpoint device is created at start through rpmsg_ctrl and destroyed at stop. */
function ctrlBackend(config: LinkConfig, at: string, name: string, logger: BackendLogger): RpmsgBackend {
  const { ctrl, channel = 'IPCRTR' } = config;
  if (typeof ctrl !== 'string' || !ctrl.startsWith('/')) throw new LinkConfigError(`${at}.ctrl`, 'an absolute rpmsg_ctrl device path', ctrl);
  if (config.device !== undefined || config.fd !== undefined) throw new LinkConfigError(`${at}.ctrl`, "ctrl alone (not with 'device' or 'fd')", ctrl);
  if (typeof channel !== 'string' || !/^[\x21-\x7e]{1,31}$/.test(channel)) throw new LinkConfigError(`${at}.channel`, 'a channel name of 1..31 characters', channel);
  return new RpmsgBackend({ devices: [{ ctrl: { path: ctrl, channel }, name }], tolerateMissing: false, logger });
}

/**
 * `{ "kind": "rpmsg", "device": "/dev/rpmsg0", "name": "modem:IPCRTR" }`: an rpmsg_char endpoint
 * device on the IPCRTR channel (what net/qrtr/smd.c binds in the kernel), one QRTR packet per
 * read and write. `fd` instead of `device` takes an inherited descriptor of the same kind.
 */
export const rpmsgLinkFactory: LinkFactory = {
  kind: 'rpmsg',
  schema: linkSchema(
    'rpmsg',
    {
      device: devicePathKey('the rpmsg endpoint device, e.g. /dev/rpmsg0'),
      ctrl: devicePathKey('instead of device: the rpmsg_ctrl device to create the endpoint with, e.g. /dev/rpmsg_ctrl0', 'an absolute rpmsg_ctrl device path'),
      channel: z
        .string({ error: 'a channel name of 1..31 characters' })
        .regex(/^[\x21-\x7e]{1,31}$/, { error: 'a channel name of 1..31 characters' })
        .optional()
        .meta({ description: "with ctrl: the rpmsg channel (default 'IPCRTR')" }),
      name: z.string({ error: 'a non-empty name' }).min(1, { error: 'a non-empty name' }).optional().meta({ description: "the backend key's name, e.g. 'modem:IPCRTR' (default: the device's basename)" }),
      ...MESSAGE_DEVICE_KEYS,
    },
    'an rpmsg_char endpoint device (device or fd), or one created through rpmsg_ctrl (ctrl, channel)',
    [
      exactlyOneOf('device', 'fd', 'ctrl'),
      (e) => (e.channel !== undefined && e.ctrl === undefined ? { key: 'channel', expected: "given only with 'ctrl'" } : null),
      (e) => (e.fd !== undefined && e.name === undefined ? { key: 'name', expected: "a name (required with 'fd')" } : null),
    ],
  ),
  create(config, at, logger) {
    const name = config.name;
    if (name !== undefined && (typeof name !== 'string' || !name)) throw new LinkConfigError(`${at}.name`, 'a non-empty name', name);
    if (config.ctrl !== undefined) return ctrlBackend(config, at, (name as string | undefined) ?? 'IPCRTR', logger);
    return messageDeviceBackend('rpmsg', config, at, name as string | undefined, logger);
  },
};
