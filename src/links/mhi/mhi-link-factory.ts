import { LinkConfigError } from '../errors';
import { devicePlace, type LinkFactory } from '../link-factory';
import { RpmsgBackend } from '../rpmsg/rpmsg-backend';

const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/**
 * `{ "kind": "mhi", "device": "/dev/mhi_IPCR", "pciAddress": "0000:01:00.0" }`: the IPCR channel
 * pair of an MHI device as a character device. Mainline binds IPCR to its own qrtr driver
 * (drivers/bus/mhi/host and net/qrtr/mhi.c), so userspace only sees it where a vendor kernel
 * exposes the channel through mhi_uci; each transfer is one QRTR packet, one read or write.
 * The key is `mhi:<pciAddress>`, as for the card's kernel-side endpoint.
 */
export const mhiLinkFactory: LinkFactory = {
  kind: 'mhi',
  keys: {
    device: 'the IPCR channel device (mhi_uci), e.g. /dev/mhi_IPCR',
    fd: 'an inherited descriptor carrying one transfer per read/write, instead of device',
    pciAddress: "the card's PCI address, the backend key (e.g. '0000:01:00.0')",
    maxPacketLength: 'largest transfer the channel takes (the MHI buffer size)',
  },
  create(config, at, logger) {
    const place = devicePlace(config, at, 'device');
    const pci = config.pciAddress;
    if (typeof pci !== 'string' || !PCI_ADDRESS.test(pci)) throw new LinkConfigError(`${at}.pciAddress`, "a PCI address such as '0000:01:00.0'", pci);
    const max = config.maxPacketLength;
    if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 64)) throw new LinkConfigError(`${at}.maxPacketLength`, 'an integer >= 64', max);
    return new RpmsgBackend({
      kind: 'mhi',
      devices: [{ ...place, name: pci }],
      tolerateMissing: false,
      logger,
      ...(max !== undefined ? { maxPacketLength: max as number } : {}),
    });
  },
};
