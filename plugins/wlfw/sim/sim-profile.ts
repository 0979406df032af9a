import type { SimFileSpec } from './sim-files';

/** A memory segment the firmware asks for. */
export interface SimMemSeg {
  readonly size: number;
  readonly type: number;
}

/**
 * The kernel's WLAN_CFG copy-engine contract for a chip, as the simulated firmware's own witness
 * (plugins/<family>/sim/kernel-witness.ts): tgt rows [pipe, dir, nentries, nbytes_max, flags],
 * svc rows [service id, dir, pipe], in the order the kernel sends them.
 */
export interface SimKernelCe {
  readonly tgt: readonly (readonly [number, number, number, number, number])[];
  readonly svc: readonly (readonly [number, number, number])[];
}

/** How a simulated chip's firmware behaves; one per chip, in the family's sim/ directory. */
export interface SimChipProfile extends SimFileSpec {
  readonly family: 'ath11k' | 'ath12k';
  /** QRTR node id the firmware uses: the same on every card of the chip. */
  readonly node: number;
  readonly instance: number;
  readonly chipId: number;
  readonly chipFamily: number;
  readonly socId: number;
  /** CAP carries board_info (TLV 0x11); without it the host uses 0xFF. */
  readonly boardIdInCap: boolean;
  readonly fwVersion: number;
  readonly fwBuildTimestamp: string;
  readonly fwBuildId: string;
  readonly numMacs: number;
  /**
   * REQUEST_MEM rounds: the first request, then what the firmware asks after a
   * delayed (empty) answer (QCA6390: a few ~4 MB blocks, then many smaller ones).
   * Empty for fixed-memory chips.
   */
  readonly memoryRequests: readonly (readonly SimMemSeg[])[];
  readonly fixedBdfAddr: boolean;
  /**
   * Fixed-memory chips: the RESPOND_MEM the kernel sends for `memoryRequests` (ath11k_qmi_assign_target_mem_chunk),
   * in order, as a real log shows it; the firmware refuses any other answer.
   */
  readonly fixedMemoryAnswer?: readonly { readonly type: number; readonly size: number; readonly addr: bigint }[];
  /** Fixed-BDF chips: hw_params.bdf_addr and fw.cal_offset, where the firmware reads the board and caldata bytes. */
  readonly bdfAddr?: bigint;
  readonly calOffset?: number;
  /** Segment types the kernel answers with paddr 0 (ath12k_qmi_alloc_target_mem_chunk default case). */
  readonly paddrZeroTypes?: readonly number[];
  /** The DT reserved-memory of an AHB chip's SoC (regions, the node's memory-region, qcom,* addresses). */
  readonly reservedMemory?: import('./simulated-host-memory').ReservedMemoryEntry;
  /** BDF type of caldata: 2 (CALDATA) for both families; the kernel sends the file type. */
  readonly caldataType: number;
  /** WLAN_CFG tables the firmware accepts, exactly (the kernel's, from the family's witness). */
  readonly kernelCe: SimKernelCe;
  /** HOST_CAP fields the firmware insists on; a key absent here (nm_modem) must be absent from HOST_CAP. */
  readonly hostCap: { readonly m3_support?: number; readonly mem_cfg_mode?: number; readonly nm_modem?: number };
  readonly expectWlanIni: boolean;
  readonly shadow: 'none' | 'v2' | 'v3';
  readonly deviceInfo: boolean;
  /** ath12k firmware answers PHY_CAP; ath11k's does not know the message. */
  readonly phyCap: boolean;
  readonly numPhy: number;
  /** Expects HOST_CAP's MLO fields (ath12k). */
  readonly mlo: boolean;
  /**
   * The PCI function (vendor 0x17cb, the device id of the driver's id table; a made-up
   * default subsystem) of a PCI chip; absent for AHB/hybrid chips.
   */
  readonly pci?: { readonly device: number; readonly subsystemVendor: number; readonly subsystemDevice: number };
  /** CAP reports EEPROM caldata (TLV 0x19 non-zero): the host sends BDF type 3 instead of a caldata file. */
  readonly eepromCaldata?: boolean;
  /** Board names carry the PCI ids (the kernel's ATH1xK_BDF_SEARCH_BUS_AND_BOARD chips). */
  readonly bdfSearchBusAndBoard: boolean;
  /** TCSR_SOC_HW_VERSION / TCSR_SOC_HW_SUB_VER the card's BAR shows (PCI chips). */
  readonly socHwVersion?: number;
  readonly socHwSubVersion?: number;
  /** AHB SoCs: the platform device the host sees (device name, DT compatible) instead of a PCI function. */
  readonly ahb?: { readonly address: string; readonly compatible: string };
  /**
   * Cold-boot calibration the firmware insists on before mission mode (the kernel's
   * coldboot_cal_mm with cbcal_restart_fw): 'restart' = after CAL_DONE the host power-cycles
   * and the next boot must see HOST_CAP cal_done 1; 'continue' = mission mode follows in the same
   * boot (WCN6750). Absent: no calibration.
   */
  readonly coldBoot?: 'restart' | 'continue';
  /** The same for a kernel with `ftm_mode` (coldboot_cal_ftm with cbcal_restart_fw), from the witness. */
  readonly coldBootFtm?: 'restart' | 'continue';
  /** The WLAN_MODE mission mode the firmware expects: 0 NORMAL, or 1 FTM under an `ftm_mode` kernel (default 0). */
  readonly missionMode?: 0 | 1;
  /** The shadow register list (target HP/TP per SRNG) WLAN_CFG must carry, from the family's witness. */
  readonly kernelShadow?: readonly number[];
  /** ath12k HOST_CAP fields the firmware checks: feature_list and max_mlo_peer (from the witness). */
  readonly featureList?: bigint;
  readonly maxMloPeer?: number;
  /** PHY_CAP single_chip_mlo_support the firmware answers (WCN7850 class). */
  readonly singleChipMlo?: boolean;
  /** ath12k firmware-2.bin FEATURES bits the simulated files carry (ATH12K_FW_FEATURE_MLO = 1 on QCN9274). */
  readonly fwFeatures?: readonly number[];
}
