import type { BackendDevice } from '../../router/endpoint';
import type { DeviceControl } from '../../router/device-control';
import { QrtrBackendError } from '../errors';

/** Outcome of one MHI transfer, as the dl/ul transfer callbacks report it. */
export type MhiTransferStatus =
  | 'ok'
  /** A transfer error (mhi_result.transaction_status < 0 other than -ENOTCONN): skip the buffer, requeue it. */
  | 'error'
  /** The channel was reset (-ENOTCONN): the buffer comes back unused and must not be requeued. */
  | 'not-connected';

/** The QRTR driver's side of an IPCR channel pair: what the controller calls back. */
export interface MhiChannelClient {
  /** DL transfer completion (dl_xfer_cb): `bytes` of `buffer` hold one QRTR packet. */
  downlinkComplete(buffer: Uint8Array, bytes: number, status: MhiTransferStatus): void;
  /** UL transfer completion (ul_xfer_cb): descriptors of the UL ring are free again. */
  uplinkComplete(): void;
  /** The device is gone (MHI remove). */
  removed(): void;
}

/**
 * The MHI "IPCR" channel pair of one PCIe device, seen from the host, with the
 * calls net/qrtr/mhi.c makes into the MHI core. Implemented by
 * SimulatedMhiController for card simulators; a real implementation would sit on
 * an MHI transport (see docs/backends.md for what exists).
 */
/** PCI ids of a function, as sysfs and `struct pci_dev` carry them. */
export interface PciIds {
  readonly vendor: number;
  readonly device: number;
  readonly subsystemVendor: number;
  readonly subsystemDevice: number;
}

export interface MhiController {
  /** PCI address of the device, e.g. '0000:01:00.0': the backend key. */
  readonly pciAddress: string;
  /** The PCI function's ids (sysfs vendor/device/subsystem_*), when the controller knows them. */
  readonly pciIds?: PciIds;
  /**
   * What else the controller reads from the device before any QMI (the SoC version registers
   * TCSR_SOC_HW_VERSION / TCSR_SOC_HW_SUB_VER from BAR space), or, for a stand-in of a platform
   * (AHB) device, its bus, name and DT compatible; merged over the PCI ids.
   */
  readonly deviceInfo?: Partial<BackendDevice>;
  /**
   * The device's host memory (coherent DMA by bus address) and power cycle (mhi_power_down +
   * mhi_power_up), when the controller's owner lends them; the QRTR endpoint passes it on.
   */
  readonly control?: DeviceControl;
  /** Size of each RX buffer (mhi_cntrl->buffer_len); a DL packet must fit one. */
  readonly bufferLength: number;
  /** Registers the channel client that receives completions (probe). */
  bind(client: MhiChannelClient): void;
  /** mhi_prepare_for_transfer() without autoqueue: UL and DL channels started, no RX buffers queued. */
  prepareForTransfer(): void;
  /** mhi_unprepare_from_transfer(): channels reset; queued RX buffers complete as 'not-connected'. */
  unprepareFromTransfer(): void;
  /** mhi_get_free_desc_count(mhi_dev, DMA_FROM_DEVICE). */
  freeRxDescriptors(): number;
  /** mhi_get_free_desc_count(mhi_dev, DMA_TO_DEVICE): UL transfers that can be queued now. */
  freeTxDescriptors(): number;
  /** mhi_queue_buf(DMA_FROM_DEVICE, buffer, bufferLength, MHI_EOT). @throws MhiError when not prepared or the ring is full. */
  queueRx(buffer: Uint8Array): void;
  /** mhi_queue_skb(DMA_TO_DEVICE, packet, MHI_EOT); resolves on the UL completion. Rejects with MhiRingFullError (-EAGAIN) when no UL descriptor is free. */
  queueTx(packet: Uint8Array): Promise<void>;
}

/** Base of MHI transport failures. */
export class MhiError extends QrtrBackendError {}

/** A transfer was queued on a channel that is not prepared (the TX-before-prepare race of §5.1). */
export class MhiChannelNotReadyError extends MhiError {
  constructor(pciAddress: string, direction: 'UL' | 'DL') {
    super('MHI_CHANNEL_NOT_READY', `MHI IPCR ${direction} channel of ${pciAddress} is not prepared`, { pciAddress, direction });
  }
}

/** A transfer ring has no free descriptor (-EAGAIN from mhi_queue). */
export class MhiRingFullError extends MhiError {
  constructor(pciAddress: string, direction: 'UL' | 'DL', size: number) {
    super('MHI_RING_FULL', `MHI IPCR ${direction} ring of ${pciAddress} is full (${size} descriptors)`, { pciAddress, direction, size });
  }
}

/** The device was removed. */
export class MhiDeviceRemovedError extends MhiError {
  constructor(pciAddress: string) {
    super('MHI_DEVICE_REMOVED', `MHI device ${pciAddress} was removed`, { pciAddress });
  }
}
