import { LinkConfigError } from '../errors';
import { z } from 'zod';
import { MESSAGE_DEVICE_KEYS, devicePathKey, exactlyOneOf, linkSchema, messageDeviceBackend, type LinkFactory } from '../link-factory';

const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/**
 * `{ "kind": "mhi", "device": "/dev/mhi_IPCR", "pciAddress": "0000:01:00.0" }`: the IPCR channel
 * pair of an MHI device as a character device. Mainline binds IPCR to its own qrtr driver
 * (net/qrtr/mhi.c), so userspace only sees it where a vendor kernel exposes the channel through
 * mhi_uci; each transfer is one QRTR packet, one read or write. The key is `mhi:<pciAddress>`,
 * as for the card's kernel-side endpoint.
 */
export const mhiLinkFactory: LinkFactory = {
  kind: 'mhi',
  schema: linkSchema(
    'mhi',
    {
      device: devicePathKey('the IPCR channel device (mhi_uci), e.g. /dev/mhi_IPCR'),
      pciAddress: z
        .string({ error: "a PCI address such as '0000:01:00.0'" })
        .regex(PCI_ADDRESS, { error: "a PCI address such as '0000:01:00.0'" })
        .meta({ description: "the card's PCI address, the backend key (e.g. '0000:01:00.0')" }),
      ...MESSAGE_DEVICE_KEYS,
    },
    'the IPCR channel of an MHI device as a character device (device or fd), keyed mhi:<pciAddress>',
    [exactlyOneOf('device', 'fd')],
  ),
  create(config, at, logger) {
    const pci = config.pciAddress;
    if (typeof pci !== 'string' || !PCI_ADDRESS.test(pci)) throw new LinkConfigError(`${at}.pciAddress`, "a PCI address such as '0000:01:00.0'", pci);
    return messageDeviceBackend('mhi', config, at, pci, logger);
  },
};
