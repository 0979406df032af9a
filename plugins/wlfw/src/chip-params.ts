/** Which driver family a chip belongs to; they differ in the order of §4.3/§4.4. */
export type WlfwFamily = 'ath11k' | 'ath12k';

/** One copy-engine pipe as WLAN_CFG's tgt_cfg carries it (pipe_dir 1 IN, 2 OUT, 3 INOUT). */
export interface CePipeConfig {
  readonly pipe_num: number;
  readonly pipe_dir: number;
  readonly nentries: number;
  readonly nbytes_max: number;
  readonly flags: number;
}

/** One service-to-pipe mapping as WLAN_CFG's svc_cfg carries it. */
export interface CeServiceMap {
  readonly service_id: number;
  readonly pipe_dir: number;
  readonly pipe_num: number;
}

/**
 * Everything the loader needs to know about a chip: the table-driven hw params of
 * the kernel's ath11k/ath12k `hw_params`, restricted to what WLFW bring-up uses.
 */
export interface WlfwChipParams {
  readonly family: WlfwFamily;
  /** Upper-case chip name, also the firmware directory name: 'QCN9074'. */
  readonly chip: string;
  /** Hardware revision directory: 'hw1.0'. */
  readonly hwRev: string;
  /** How the chip is attached: PCI (MHI), AHB (SoC-internal), or hybrid (WCN6750). */
  readonly bus: 'pci' | 'ahb' | 'hybrid';
  /** PCI device id of the driver's id table (vendor 0x17cb); absent for AHB chips. */
  readonly pciDeviceId?: number;
  /**
   * How board-2.bin is searched (`ab->id.bdf_search`): 'bus-and-board' names carry the
   * PCI ids (set in ath11k_pci_probe for WCN6855, ath12k_pci_probe for WCN7850),
   * 'board' names only bus, chip id and board id (every other chip).
   */
  readonly bdfSearch: 'board' | 'bus-and-board';
  /** WLFW service instance the firmware registers (reference §4.1). */
  readonly serviceInstance: number;
  /**
   * soc_id values (CAP TLV 0x12) that identify the chip when several chips share
   * an instance id (QCA6390 and WCN6855); compared under `socIdMask`.
   */
  readonly socIds: readonly number[];
  readonly socIdMask: number;
  /** HOST_CAP nm_modem is sent only for internal-sleep-clock chips (hw_params.internal_sleep_clock). */
  readonly internalSleepClock: boolean;
  /**
   * ath12k hw_params.qmi_cnss_feature_bitmap, HOST_CAP feature_list (0x27), always sent by
   * ath12k_qmi_host_cap_send: QCN9274 BIT(CNSS_QDSS_CFG_MISS_V01 3), WCN7850 BIT(3) | BIT(CNSS_PCIE_PERST_NO_PULL_V01 4).
   */
  readonly cnssFeatureBitmap?: number;
  /** hw_params.global_reset: HOST_CAP nm_modem carries PLATFORM_CAP_PCIE_GLOBAL_RESET (0x08). */
  readonly globalReset: boolean;
  /** Loads M3 through the driver: HOST_CAP m3_support/m3_cache_support and M3_INFO with a real address. */
  readonly m3: boolean;
  /** HOST_CAP mem_cfg_mode (hw_params.fw_mem_mode). */
  readonly memCfgMode: number;
  /** Firmware memory is fixed: no REQUEST_MEM/FW_MEM_READY, BDF load right after HOST_CAP (WCN6750). */
  readonly fixedFwMem: boolean;
  /** Firmware memory comes from a reserved region, not DMA allocations (AHB IPQ8074). */
  readonly fixedMemRegion: boolean;
  /** Board data is copied to reserved memory; BDF_DOWNLOAD carries no data (AHB IPQ8074). */
  readonly fixedBdfAddr: boolean;
  /** Download regdb.bin (BDF type 4) before the board file. */
  readonly supportsRegdb: boolean;
  /** The board file is an ELF image (type 1) rather than a BIN (type 0); ELF chips take no caldata. */
  readonly boardElf: boolean;
  /** Caldata after the board file, sent as type 2 (CALDATA) or 3 (EEPROM) by both families (ath12k download_calib). */
  readonly caldata: boolean;
  /** Send WLAN_INI (enablefwlog) before WLAN_CFG (hw_params.fw_wmi_diag_event; always for ath12k). */
  readonly wlanIni: boolean;
  /** Shadow register list in WLAN_CFG: none, v2 (TLV 0x14, ath11k) or v3 (TLV 0x17, ath12k). */
  readonly shadowRegs: 'none' | 'v2' | 'v3';
  /** Hybrid-bus chips query DEVICE_INFO (0x4C) after CAP. */
  readonly deviceInfo: boolean;
  readonly targetCe: readonly CePipeConfig[];
  readonly serviceMap: readonly CeServiceMap[];
  /** The shadow register list WLAN_CFG carries: the target HP/TP register of each SRNG, from `shadowLayout`. */
  readonly shadowRegAddrs: readonly number[];
  /** The kernel's name of the row (`hw_params.name`), e.g. 'wcn6855 hw2.1'. */
  readonly kernelName: string;
  /** Where the row comes from: kernel file and symbol, e.g. 'ath11k/core.c ath11k_hw_params[ATH11K_HW_WCN6855_HW21]'. */
  readonly kernelRef: string;
  /** hw_params.coldboot_cal_mm / coldboot_cal_ftm: run cold-boot calibration (WLAN_MODE 7) first, in mission / FTM mode. */
  readonly coldbootCalMm: boolean;
  readonly coldbootCalFtm: boolean;
  /** hw_params.cbcal_restart_fw: after calibration the bus power-cycles the firmware (ath11k_qmi_fwreset_from_cold_boot). */
  readonly cbcalRestartFw: boolean;
  /** hw_params.fw.board_size: board/caldata bytes sent are min(file, board_size) (truncation, not rejection). */
  readonly boardSize: number;
  /** hw_params.fw.cal_offset: where caldata goes in the reserved BDF region of fixed-BDF chips. */
  readonly calOffset: number;
  /** hw_params.bdf_addr (ath11k) / bdf_addr_offset (ath12k) of fixed-BDF chips. */
  readonly bdfAddr?: number;
  /**
   * How the PCI probe picks this row among rows sharing a device id, from TCSR_SOC_HW_VERSION
   * (and TCSR_SOC_HW_SUB_VER): ath11k_pci_probe / ath12k_pci_probe.
   */
  readonly socVersion?: SocVersionRule;
  /** AHB chips: the device-tree compatible that binds the driver (ath11k/ahb.c ath11k_ahb_of_match, ath12k/ahb.c). */
  readonly ahbCompatible?: string;
  /**
   * WLFW instance shift of multi-card hosts: 'multi-qrtr-id' (ath12k_pci_... with firmware-2.bin
   * ATH12K_FW_FEATURE_MULTI_QRTR_ID: + (domain << 4 | bus)), 'qcn9074' (ath11k/pci.c
   * ath11k_pci_..._ce_config for ATH11K_HW_QCN9074_HW10: + ((domain & 0xF) << 4 | (bus & 0xF)), in the
   * v6.18 OpenWrt tree), or 'none'.
   */
  readonly instanceShift: 'none' | 'qcn9074' | 'multi-qrtr-id';
  /** ath12k hw_params.max_mlo_peer (HOST_CAP max_mlo_peer). */
  readonly maxMloPeer?: number;
  /** ath12k hw_params.def_num_link: the radio count when PHY_CAP fails or lacks num_phy. */
  readonly defNumLink?: number;
}

/** One hw revision's TCSR_SOC_HW_VERSION (major 11:8, minor: ath11k 7:0, ath12k 7:4) / TCSR_SOC_HW_SUB_VER match. */
export interface SocVersionRule {
  readonly major: number;
  /** Minor values that select the row; absent: any minor. */
  readonly minors?: readonly number[];
  /** TCSR_SOC_HW_SUB_VER values that select the row; 'other' = any sub version no other row claims. */
  readonly subVersions?: readonly number[] | 'other';
}

/** One SRNG type in the order ath1xk_hal_srng_shadow_config walks it: `count` rings from `hp`, `stride` apart. */
export interface SrngShadowGroup {
  /** The kernel's enum hal_ring_type name, for messages. */
  readonly ring: string;
  readonly count: number;
  /** srng_config.reg_start[HAL_HP_OFFSET_IN_REG_START] of ring 0. */
  readonly hp: number;
  /** srng_config.reg_size[1]: distance between rings. */
  readonly stride: number;
  /** HAL_SRNG_DIR_DST rings shadow the TP (HP + HAL_OFFSET_FROM_HP_TO_TP 4). */
  readonly dst: boolean;
}

/**
 * The shadow register list as ath1xk_ce_get_shadow_config builds it: every non-CE, non-LMAC SRNG
 * first (ath1xk_hal_srng_shadow_config), then per CE pipe SRC / DST + DST_STATUS
 * (ath1xk_ce_shadow_config), each entry the target HP (source ring) or TP (destination ring)
 * register, stopping at HAL_SHADOW_NUM_REGS (ath11k 36, ath12k 40).
 */
export function shadowRegistersFromLayout(groups: readonly SrngShadowGroup[], max: number): number[] {
  const out: number[] = [];
  for (const g of groups) {
    for (let i = 0; i < g.count && out.length < max; i++) out.push(g.hp + g.stride * i + (g.dst ? 4 : 0));
  }
  return out;
}

/** BDF file types of BDF_DOWNLOAD TLV 0x15 (reference §4.3). */
export const BdfType = {
  BIN: 0,
  ELF: 1,
  CALDATA: 2,
  EEPROM: 3,
  REGDB: 4,
} as const;

/** WLAN_MODE modes. */
export const WlanMode = { NORMAL: 0, FTM: 1, OFF: 4, COLD_BOOT: 7 } as const;

/** Memory types of REQUEST_MEM_IND. */
export const MemType = { MSA: 0, DDR: 1, BDF: 2, M3: 3, CAL: 4, DPD: 5 } as const;

/** The board id drivers use when CAP has no board_info (TLV 0x11 absent). */
export const DEFAULT_BOARD_ID = 0xff;

/** Segment size of BDF_DOWNLOAD (QMI_WLANFW_MAX_DATA_SIZE_V01). */
export const BDF_SEGMENT_SIZE = 6144;

/** "KNEL": the client id ath11k/ath12k register with. */
export const ATH_CLIENT_ID = 0x4b4e454c;

/** WLFW service id and version. */
export const WLFW_SERVICE = 0x45;
export const WLFW_VERSION = 1;

/** Chips of a family that register `instance`. */
export function chipsForInstance(chips: readonly WlfwChipParams[], instance: number): WlfwChipParams[] {
  return chips.filter((c) => c.serviceInstance === instance);
}

/**
 * Picks the chip among candidates sharing an instance from CAP's soc_id; with one
 * candidate that is the answer whatever the soc_id says.
 */
export function identifyChip(candidates: readonly WlfwChipParams[], socId: number | undefined): WlfwChipParams | undefined {
  if (candidates.length === 1) return candidates[0];
  if (socId === undefined) return undefined;
  return candidates.find((c) => c.socIds.some((id) => ((socId ^ id) & c.socIdMask) === 0));
}

/** CE pipe directions (ath11k/ce.h, ath12k/ce.h PIPEDIR_*). */
export const PipeDir = { NONE: 0, IN: 1, OUT: 2, INOUT: 3, INOUT_H2H: 4 } as const;

/** CE attribute flags (ath11k/ce.h): CE_ATTR_FLAGS is 0 on little-endian hosts, CE_ATTR_DIS_INTR 8. */
export const CeAttr = { FLAGS: 0, DIS_INTR: 8 } as const;

/** HTC service ids, SVC(group, idx) = group << 8 | idx (ath11k/htc.h, ath12k/htc.h enum ath1xk_htc_svc_id). */
export const HtcService = {
  RSVD_CTRL: 0x0001,
  WMI_CONTROL: 0x0100,
  WMI_DATA_BE: 0x0101,
  WMI_DATA_BK: 0x0102,
  WMI_DATA_VI: 0x0103,
  WMI_DATA_VO: 0x0104,
  WMI_CONTROL_MAC1: 0x0105,
  WMI_CONTROL_MAC2: 0x0106,
  WMI_CONTROL_DIAG: 0x0107,
  HTT_DATA_MSG: 0x0300,
  PKT_LOG: 0x0600,
  TEST_RAW_STREAMS: 0xfe00,
} as const;

/** The kernel's HOST_CAP mlo_group_id of a device in no hardware group (ATH12K_INVALID_GROUP_ID). */
export const INVALID_GROUP_ID = 0xff;

/** ATH11K/ATH12K_COLD_BOOT_FW_RESET_DELAY: how long the drivers wait for CAL_DONE / FW_READY. */
export const COLD_BOOT_CAL_TIMEOUT_MS = 60_000;
