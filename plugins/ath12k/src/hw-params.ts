import { shadowRegistersFromLayout, type SrngShadowGroup, type WlfwChipParams } from '../../wlfw/src';
import { SERVICE_MAP_IPQ5332, SERVICE_MAP_QCN9274, SERVICE_MAP_WCN7850, TARGET_CE_IPQ5332, TARGET_CE_QCN9274, TARGET_CE_WCN7850 } from './ce-tables';

// Every value below is the kernel's: drivers/net/wireless/ath/ath12k, Linux v6.18. `kernelRef` names
// the ath12k_hw_params[] row (hw.c); instance ids ath12k/qmi.h ATH12K_QMI_WLFW_SERVICE_INS_ID_V01_*,
// PCI ids and the TCSR_SOC_HW_VERSION rule ath12k/pci.c ath12k_pci_probe.

/** HAL_SHADOW_NUM_REGS (ath12k/hal.h). */
const SHADOW_MAX = 40;

// ath12k/hal.h HAL_SEQ_WCSS_UMAC_{REO,TCL,WBM}_REG and ring HP offsets; wcn7850_regs CE bases (hw.c).
const REO = 0x00a38000;
const TCL = 0x00a44000;
const WBM = 0x00a34000;
const WCN7850_CE0_SRC = 0x01b80000;
const WCN7850_CE0_DST = 0x01b81000;
const WCN7850_CE_STRIDE = 0x01b82000 - 0x01b80000;

/**
 * WCN7850's SRNGs in the order ath12k_ce_get_shadow_config configures them: hal.c
 * ath12k_hal_srng_shadow_config over the UMAC rings (max_rings after
 * ath12k_hal_srng_create_config_wcn7850: REO_DST 8, REO_REINJECT 1, TCL_DATA 5, SW2WBM 1,
 * WBM2SW 8; DMAC/PMAC rings skipped), then ce.c ath12k_ce_shadow_config over
 * ath12k_host_ce_config_wcn7850 (src CE0/3/4, dst + dst status CE1/2).
 */
const WCN7850_SHADOW: SrngShadowGroup[] = [
  { ring: 'REO_DST', count: 8, hp: REO + 0x3048, stride: 0x3050 - 0x3048, dst: true },
  { ring: 'REO_EXCEPTION', count: 1, hp: REO + 0x3088, stride: 0, dst: true },
  { ring: 'REO_REINJECT', count: 1, hp: REO + 0x3028, stride: 0, dst: false },
  { ring: 'REO_CMD', count: 1, hp: REO + 0x3020, stride: 0, dst: false },
  { ring: 'REO_STATUS', count: 1, hp: REO + 0x30a8, stride: 0, dst: true },
  { ring: 'TCL_DATA', count: 5, hp: TCL + 0x2000, stride: 0x2008 - 0x2000, dst: false },
  { ring: 'TCL_CMD', count: 1, hp: TCL + 0x2028, stride: 0, dst: false },
  { ring: 'TCL_STATUS', count: 1, hp: TCL + 0x2048, stride: 0, dst: true },
  { ring: 'WBM_IDLE_LINK', count: 1, hp: WBM + 0x30b8, stride: 0, dst: false },
  { ring: 'SW2WBM_RELEASE', count: 1, hp: WBM + 0x3010, stride: 0, dst: false },
  { ring: 'WBM2SW_RELEASE', count: 8, hp: WBM + 0x30c8, stride: 0x30d0 - 0x30c8, dst: true },
  ...[0, 1, 2, 3, 4].flatMap((ce): SrngShadowGroup[] =>
    [0, 3, 4].includes(ce)
      ? [{ ring: `CE${ce}_SRC`, count: 1, hp: WCN7850_CE0_SRC + 0x400 + WCN7850_CE_STRIDE * ce, stride: 0, dst: false }]
      : [
          { ring: `CE${ce}_DST`, count: 1, hp: WCN7850_CE0_DST + 0x400 + WCN7850_CE_STRIDE * ce, stride: 0, dst: false },
          { ring: `CE${ce}_DST_STATUS`, count: 1, hp: WCN7850_CE0_DST + 0x408 + WCN7850_CE_STRIDE * ce, stride: 0, dst: true },
        ],
  ),
];

const KiB = 1024;

const common = {
  family: 'ath12k' as const,
  globalReset: true,
  socIdMask: 0xffff0000,
  bus: 'pci' as const,
  deviceInfo: false,
  fixedFwMem: false,
  fixedMemRegion: false,
  fixedBdfAddr: false,
  supportsRegdb: true,
  boardElf: true,
  // ath12k_qmi_firmware_start sends WLAN_INI unconditionally.
  wlanIni: true,
  // m3_loader = ath12k_m3_fw_loader_driver.
  m3: true,
  memCfgMode: 0,
  boardSize: 256 * KiB,
  calOffset: 128 * KiB,
  // ath12k v6.18 has no cold-boot calibration (enum ath12k_firmware_mode: NORMAL, FTM only).
  coldbootCalMm: false,
  coldbootCalFtm: false,
  cbcalRestartFw: false,
  instanceShift: 'multi-qrtr-id' as const,
};

const qcn9274 = {
  ...common,
  chip: 'QCN9274',
  targetCe: TARGET_CE_QCN9274,
  serviceMap: SERVICE_MAP_QCN9274,
  // qmi_cnss_feature_bitmap = BIT(CNSS_QDSS_CFG_MISS_V01).
  cnssFeatureBitmap: 0x08,
  pciDeviceId: 0x1109,
  bdfSearch: 'board' as const,
  serviceInstance: 0x07,
  socIds: [0x92740000],
  internalSleepClock: false,
  boardElf: false,
  // download_calib: caldata after the board file, on the wire as file type CALDATA 2.
  caldata: true,
  shadowRegs: 'none' as const,
  shadowRegAddrs: [],
  maxMloPeer: 256,
  defNumLink: 0,
};

/** ath12k chips (ath12k_hw_params[]): PHY_CAP first (non-fatal), HOST_CAP with feature_list, MLO only in a group. */
export const ATH12K_CHIPS: readonly WlfwChipParams[] = [
  {
    ...qcn9274,
    kernelName: 'qcn9274 hw1.0',
    kernelRef: 'ath12k/hw.c ath12k_hw_params[ATH12K_HW_QCN9274_HW10]',
    hwRev: 'hw1.0',
    socVersion: { major: 1 },
  },
  {
    ...qcn9274,
    kernelName: 'qcn9274 hw2.0',
    kernelRef: 'ath12k/hw.c ath12k_hw_params[ATH12K_HW_QCN9274_HW20]',
    hwRev: 'hw2.0',
    socVersion: { major: 2 },
  },
  {
    ...common,
    kernelName: 'wcn7850 hw2.0',
    kernelRef: 'ath12k/hw.c ath12k_hw_params[ATH12K_HW_WCN7850_HW20]',
    chip: 'WCN7850',
    targetCe: TARGET_CE_WCN7850,
    serviceMap: SERVICE_MAP_WCN7850,
    // BIT(CNSS_QDSS_CFG_MISS_V01) | BIT(CNSS_PCIE_PERST_NO_PULL_V01).
    cnssFeatureBitmap: 0x18,
    pciDeviceId: 0x1107,
    bdfSearch: 'bus-and-board',
    hwRev: 'hw2.0',
    socVersion: { major: 2 },
    serviceInstance: 0x01,
    socIds: [0x78500000],
    internalSleepClock: true,
    caldata: false,
    calOffset: 256 * KiB,
    shadowRegs: 'v3',
    shadowRegAddrs: shadowRegistersFromLayout(WCN7850_SHADOW, SHADOW_MAX),
    maxMloPeer: 32,
    defNumLink: 2,
  },
  {
    ...common,
    kernelName: 'ipq5332 hw1.0',
    kernelRef: 'ath12k/hw.c ath12k_hw_params[ATH12K_HW_IPQ5332_HW10]',
    chip: 'IPQ5332',
    targetCe: TARGET_CE_IPQ5332,
    serviceMap: SERVICE_MAP_IPQ5332,
    cnssFeatureBitmap: 0x08,
    bus: 'ahb',
    ahbCompatible: 'qcom,ipq5332-wifi',
    bdfSearch: 'board',
    hwRev: 'hw1.0',
    serviceInstance: 0x02,
    socIds: [0x53320000],
    internalSleepClock: false,
    // m3_loader = ath12k_m3_fw_loader_remoteproc: no M3 through QMI.
    m3: false,
    fixedMemRegion: true,
    fixedBdfAddr: true,
    bdfAddr: 0xc00000,
    boardElf: false,
    caldata: true,
    shadowRegs: 'none',
    shadowRegAddrs: [],
    instanceShift: 'none',
    maxMloPeer: 256,
    defNumLink: 0,
  },
];
