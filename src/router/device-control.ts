import { QrtrdError } from '../common/errors';

/**
 * What the link that owns a device lends its drivers beyond packets: host memory the
 * device reaches by bus address, and a power cycle. The kernel's ath11k/ath12k get these
 * from the bus (dma_alloc_coherent on the PCI device, the DT reserved-memory map and
 * ioremap on AHB, mhi_power_down/up or rproc_shutdown/boot to reset); a userspace loader
 * can only get them from whoever owns the device (a VFIO container with an IOMMU mapping,
 * a kernel helper of the MHI controller, or a simulation). No other part invents an address.
 */
export interface DeviceControl {
  /** Host memory for the device; absent when the link cannot give any (sockets, TUN). */
  readonly memory?: DeviceMemoryProvider;
  /**
   * Power-cycles the device so its firmware boots again from scratch (MHI power down/up,
   * remoteproc stop/start: ath11k_hif_power_down + ath11k_hif_power_up). The one power-cycle hook
   * of the device: drivers use it both to reset crashed firmware (ath11k_core_reset) and to
   * restart firmware after cold-boot calibration (ath11k_qmi_fwreset_from_cold_boot). Resolves once
   * the new firmware is booting; its QRTR link may go away and come back meanwhile, as MHI power
   * down/up removes and re-adds the IPCR channels. Absent when the link cannot: callers raise
   * {@link DeviceResetUnsupportedError}.
   */
  reset?(): Promise<void>;
  /**
   * Reports the device's firmware crashing (MHI_CB_EE_RDDM in ath11k_mhi_op_status_cb, a
   * remoteproc crash on AHB); returns the unsubscribe. Absent when the link cannot tell.
   */
  onCrash?(listener: (reason: string) => void): () => void;
  /** Endpoint snapshots travel as JSON (qrtr endpoints): describe, never dump, the memory. */
  toJSON(): DeviceControlSummary;
}

export interface DeviceControlSummary {
  /** Who provides the memory: 'simulated', 'vfio', ... */
  readonly memory?: string;
  readonly reset: boolean;
}

/** A coherent DMA buffer (dma_alloc_coherent): the device sees it at `busAddress`. */
export interface DeviceDmaBuffer {
  readonly busAddress: bigint;
  readonly size: number;
  /** Copies bytes in at `offset` (memcpy into the CPU mapping). @throws DeviceMemoryRangeError past the end. */
  write(bytes: Uint8Array, offset?: number): void;
  /** dma_free_coherent; the address may be handed out again. Idempotent. */
  free(): void;
}

/** A fixed region of host memory set aside for the device (DT reserved-memory, `memory-region`). */
export interface ReservedMemoryRegion {
  /** The DT node name, e.g. 'memory@4ab00000' (ipq6018.dtsi's q6_region). */
  readonly name: string;
  readonly busAddress: bigint;
  readonly size: number;
}

/**
 * A device's entry of a reserved-memory map (from its device tree, src/links/devicetree, or
 * configuration): the SoC's reserved regions the firmware reaches, the node's memory-region,
 * and the node's qcom,bdf-addr / qcom,caldb-addr / qcom,m3-dump-addr where it has them.
 */
export interface DeviceReservedMemory {
  readonly regions: readonly ReservedMemoryRegion[];
  /** memory-region index 0 (of_reserved_mem_region_to_resource(dev->of_node, 0, ...)). */
  readonly memoryRegion?: ReservedMemoryRegion;
  readonly bdf?: bigint;
  readonly caldb?: bigint;
  readonly m3Dump?: bigint;
}

/** Memory the host lends one device. */
export interface DeviceMemoryProvider {
  /** Who provides it ('simulated', 'vfio', 'mhi-helper'), for status and logs. */
  readonly kind: string;
  /** @throws DeviceDmaAllocationError when the host cannot give `size` contiguous bytes (a real, recoverable outcome). */
  allocateCoherent(size: number): DeviceDmaBuffer;
  /** The device node's DT `memory-region` (phandle 0): where HOST_DDR goes on fixed-memory chips. */
  readonly memoryRegion?: ReservedMemoryRegion;
  /** Every reserved-memory region the device's firmware reaches and the host may ioremap (empty for PCI cards). */
  readonly reservedRegions: readonly ReservedMemoryRegion[];
  /** Device-tree properties of the device node that place firmware data (qcom,bdf-addr, qcom,caldb-addr, qcom,m3-dump-addr). */
  readonly fixedAddresses?: { readonly bdf?: bigint; readonly caldb?: bigint; readonly m3Dump?: bigint };
  /** memcpy_toio into reserved memory. @throws DeviceMemoryRangeError outside every reserved region. */
  writeReserved(busAddress: bigint, bytes: Uint8Array): void;
}

export class DeviceControlError extends QrtrdError {}

/** The host could not allocate a coherent buffer of that size. */
export class DeviceDmaAllocationError extends DeviceControlError {
  constructor(device: string, size: number, reason: string) {
    super('DEVICE_DMA_ALLOC_FAILED', `Device ${device}: cannot allocate ${size} bytes of coherent DMA memory: ${reason}`, { device, size, reason });
  }
}

/** A write outside the buffer or reserved region it names. */
export class DeviceMemoryRangeError extends DeviceControlError {
  constructor(device: string, busAddress: bigint, length: number, reason: string) {
    super('DEVICE_MEMORY_OUT_OF_RANGE', `Device ${device}: ${length} bytes at 0x${busAddress.toString(16)}: ${reason}`, { device, busAddress: `0x${busAddress.toString(16)}`, length, reason });
  }
}

/** The link cannot power-cycle its device (no reset hook, or the owner refused). */
export class DeviceResetUnsupportedError extends DeviceControlError {
  constructor(device: string, reason: string) {
    super('DEVICE_RESET_UNSUPPORTED', `Device ${device} cannot be reset: ${reason}`, { device, reason });
  }
}

/** The link has no memory provider for the device: nothing may be sent that names an address. */
export class DeviceMemoryUnavailableError extends DeviceControlError {
  constructor(device: string, what: string) {
    super(
      'DEVICE_MEMORY_UNAVAILABLE',
      `Device ${device}: ${what} needs host memory the device can reach, and its link provides none (give the link a VFIO IOMMU mapping or an MHI kernel helper; see docs/ath.md)`,
      { device, what },
    );
  }
}
