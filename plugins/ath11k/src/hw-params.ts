import { shadowRegistersFromLayout, type SrngShadowGroup, type WlfwChipParams } from '../../wlfw/src';
import {
  SERVICE_MAP_IPQ5018,
  SERVICE_MAP_IPQ6018,
  SERVICE_MAP_IPQ8074,
  SERVICE_MAP_QCA6390,
  SERVICE_MAP_QCN9074,
  TARGET_CE_IPQ5018,
  TARGET_CE_IPQ8074,
  TARGET_CE_QCA6390,
  TARGET_CE_QCN9074,
} from './ce-tables';

// Every value below is the kernel's: drivers/net/wireless/ath/ath11k, Linux v6.18 (the backports
// tree of shared/reference/ath-kernel-bringup.md; mainline where the OpenWrt patches differ, said
// per row). `kernelRef` names the ath11k_hw_params[] row (core.c); CE tables are ath11k/hw.c, the
// instance ids ath11k/qmi.h ATH11K_QMI_WLFW_SERVICE_INS_ID_V01_*, PCI ids ath11k/pci.c.

/** HAL_SHADOW_NUM_REGS (ath11k/hal.h). */
const SHADOW_MAX = 36;

/** The per-chip part of the SRNG register map that the shadow list is built from (`struct ath11k_hw_regs`, ath11k/hw.c). */
interface Ath11kHalRegs {
  readonly reo1RingHp: number;
  readonly reo2RingHp: number;
  readonly reoTclRingHp: number;
  readonly reoCmdRingHp: number;
  readonly reoStatusHp: number;
  readonly sw2reoRingHp: number;
  readonly ce0SrcReg: number;
  readonly ce0DstReg: number;
  readonly ce1SrcReg: number;
}

/** ath11k/hw.c qca6390_regs. */
const QCA6390_REGS: Ath11kHalRegs = {
  reo1RingHp: 0x3030, reo2RingHp: 0x3038, reoTclRingHp: 0x3050, reoCmdRingHp: 0x3020, reoStatusHp: 0x3068, sw2reoRingHp: 0x3028,
  ce0SrcReg: 0x00a00000, ce0DstReg: 0x00a01000, ce1SrcReg: 0x00a02000,
};
/** ath11k/hw.c wcn6855_regs (also QCA2066, QCA6698AQ). */
const WCN6855_REGS: Ath11kHalRegs = {
  reo1RingHp: 0x3030, reo2RingHp: 0x3038, reoTclRingHp: 0x3060, reoCmdRingHp: 0x3020, reoStatusHp: 0x3078, sw2reoRingHp: 0x3028,
  ce0SrcReg: 0x01b80000, ce0DstReg: 0x01b81000, ce1SrcReg: 0x01b82000,
};
/** ath11k/hw.c wcn6750_regs. */
const WCN6750_REGS: Ath11kHalRegs = {
  reo1RingHp: 0x3028, reo2RingHp: 0x3030, reoTclRingHp: 0x3058, reoCmdRingHp: 0x3010, reoStatusHp: 0x3070, sw2reoRingHp: 0x3018,
  ce0SrcReg: 0x01b80000, ce0DstReg: 0x01b81000, ce1SrcReg: 0x01b82000,
};

// ath11k/hal.h: HAL_SEQ_WCSS_UMAC_{REO,TCL,WBM}_REG and the fixed ring HP offsets.
const REO = 0x00a38000;
const TCL = 0x00a44000;
const WBM = 0x00a34000;

/**
 * The SRNGs in the order ath11k_ce_get_shadow_config configures them: hal.c
 * ath11k_hal_srng_shadow_config (ring types of enum hal_ring_type, CE and LMAC rings skipped,
 * max_rings of hw_srng_config_template, registers of ath11k_hal_srng_create_config), then ce.c
 * ath11k_ce_shadow_config over ath11k_host_ce_config_qca6390 (src rings on CE0/3/4/7, dst + dst
 * status on CE1/2/5).
 */
function shadowLayout(r: Ath11kHalRegs): SrngShadowGroup[] {
  const ceStride = r.ce1SrcReg - r.ce0SrcReg;
  const groups: SrngShadowGroup[] = [
    { ring: 'REO_DST', count: 4, hp: REO + r.reo1RingHp, stride: r.reo2RingHp - r.reo1RingHp, dst: true },
    { ring: 'REO_EXCEPTION', count: 1, hp: REO + r.reoTclRingHp, stride: 0, dst: true },
    { ring: 'REO_REINJECT', count: 1, hp: REO + r.sw2reoRingHp, stride: 0, dst: false },
    { ring: 'REO_CMD', count: 1, hp: REO + r.reoCmdRingHp, stride: 0, dst: false },
    { ring: 'REO_STATUS', count: 1, hp: REO + r.reoStatusHp, stride: 0, dst: true },
    { ring: 'TCL_DATA', count: 3, hp: TCL + 0x2000, stride: 0x2008 - 0x2000, dst: false },
    { ring: 'TCL_CMD', count: 1, hp: TCL + 0x2018, stride: 0, dst: false },
    { ring: 'TCL_STATUS', count: 1, hp: TCL + 0x2030, stride: 0, dst: true },
    { ring: 'WBM_IDLE_LINK', count: 1, hp: WBM + 0x30b0, stride: 0, dst: false },
    { ring: 'SW2WBM_RELEASE', count: 1, hp: WBM + 0x3018, stride: 0, dst: false },
    { ring: 'WBM2SW_RELEASE', count: 5, hp: WBM + 0x30c0, stride: 0x30c8 - 0x30c0, dst: true },
  ];
  const srcPipes = new Set([0, 3, 4, 7]);
  const dstPipes = new Set([1, 2, 5]);
  for (let ce = 0; ce < 9; ce++) {
    // CE_SRC and CE_DST are HAL_SRNG_DIR_SRC rings (HP); CE_DST_STATUS is a DIR_DST ring (TP).
    if (srcPipes.has(ce)) groups.push({ ring: `CE${ce}_SRC`, count: 1, hp: r.ce0SrcReg + 0x400 + ceStride * ce, stride: 0, dst: false });
    if (dstPipes.has(ce)) {
      groups.push({ ring: `CE${ce}_DST`, count: 1, hp: r.ce0DstReg + 0x400 + ceStride * ce, stride: 0, dst: false });
      groups.push({ ring: `CE${ce}_DST_STATUS`, count: 1, hp: r.ce0DstReg + 0x408 + ceStride * ce, stride: 0, dst: true });
    }
  }
  return groups;
}

const shadowOf = (regs: Ath11kHalRegs): number[] => shadowRegistersFromLayout(shadowLayout(regs), SHADOW_MAX);

const KiB = 1024;

const common = {
  family: 'ath11k' as const,
  socIdMask: 0xffff0000,
  deviceInfo: false,
  fixedFwMem: false,
  fixedMemRegion: false,
  fixedBdfAddr: false,
  boardSize: 256 * KiB,
  calOffset: 128 * KiB,
  bdfSearch: 'board' as const,
  instanceShift: 'none' as const,
  // ath11k downloads caldata after any BIN board (ath11k_qmi_load_bdf_qmi); ELF boards carry it.
  caldata: true,
  boardElf: false,
};

/** AHB SoCs with fixed memory and fixed BDF address (IPQ8074 class): no M3, no shadow registers, no WLAN_INI. */
const ahbSoc = {
  ...common,
  bus: 'ahb' as const,
  serviceInstance: 0x02,
  internalSleepClock: false,
  globalReset: false,
  m3: false,
  memCfgMode: 0,
  fixedMemRegion: true,
  fixedBdfAddr: true,
  supportsRegdb: false,
  wlanIni: false,
  shadowRegs: 'none' as const,
  shadowRegAddrs: [],
  coldbootCalMm: true,
  coldbootCalFtm: true,
  cbcalRestartFw: true,
};

/** The QCA6390 class on PCI (QCA6390, WCN6855, QCA2066, QCA6698AQ): instance 1, M3, shadow v2, nm_modem 0x1E. */
const hstClass = {
  ...common,
  targetCe: TARGET_CE_QCA6390,
  serviceMap: SERVICE_MAP_QCA6390,
  bus: 'pci' as const,
  serviceInstance: 0x01,
  internalSleepClock: true,
  globalReset: true,
  m3: true,
  memCfgMode: 0,
  supportsRegdb: true,
  wlanIni: true,
  shadowRegs: 'v2' as const,
  coldbootCalMm: false,
  coldbootCalFtm: false,
  cbcalRestartFw: false,
  bdfAddr: 0x4b0c0000,
};

/**
 * ath11k chips: every hw_params field WLFW bring-up uses. The PCI device id
 * (ath11k/pci.c ath11k_pci_id_table) and TCSR_SOC_HW_VERSION pick the row of a PCI card,
 * the DT compatible that of an AHB SoC; soc_id stand-ins are only for unidentified cards.
 */
export const ATH11K_CHIPS: readonly WlfwChipParams[] = [
  {
    ...ahbSoc,
    kernelName: 'ipq8074 hw2.0',
    kernelRef: 'ath11k/core.c ath11k_hw_params[ATH11K_HW_IPQ8074]',
    targetCe: TARGET_CE_IPQ8074,
    serviceMap: SERVICE_MAP_IPQ8074,
    chip: 'IPQ8074',
    hwRev: 'hw2.0',
    ahbCompatible: 'qcom,ipq8074-wifi',
    socIds: [0x80740000],
    bdfAddr: 0x4b0c0000,
  },
  {
    ...ahbSoc,
    // Mainline coldboot_cal_mm/ftm true; the v6.18 OpenWrt tree sets both false (cbcal_restart_fw true either way).
    kernelName: 'ipq6018 hw1.0',
    kernelRef: 'ath11k/core.c ath11k_hw_params[ATH11K_HW_IPQ6018_HW10]',
    targetCe: TARGET_CE_IPQ8074,
    serviceMap: SERVICE_MAP_IPQ6018,
    chip: 'IPQ6018',
    hwRev: 'hw1.0',
    ahbCompatible: 'qcom,ipq6018-wifi',
    socIds: [0x60180000],
    bdfAddr: 0x4abc0000,
  },
  {
    ...ahbSoc,
    // Mainline coldboot_cal_mm/ftm true; the v6.18 OpenWrt tree sets both false.
    kernelName: 'ipq5018 hw1.0',
    kernelRef: 'ath11k/core.c ath11k_hw_params[ATH11K_HW_IPQ5018_HW10]',
    targetCe: TARGET_CE_IPQ5018,
    serviceMap: SERVICE_MAP_IPQ5018,
    chip: 'IPQ5018',
    hwRev: 'hw1.0',
    ahbCompatible: 'qcom,ipq5018-wifi',
    socIds: [0x50180000],
    bdfAddr: 0x4ba00000,
  },
  {
    ...hstClass,
    kernelName: 'qca6390 hw2.0',
    kernelRef: 'ath11k/core.c ath11k_hw_params[ATH11K_HW_QCA6390_HW20]',
    chip: 'QCA6390',
    hwRev: 'hw2.0',
    pciDeviceId: 0x1101,
    socVersion: { major: 2 },
    socIds: [0x40020000],
    supportsRegdb: false,
    boardElf: true,
    shadowRegAddrs: shadowOf(QCA6390_REGS),
  },
  {
    ...hstClass,
    kernelName: 'wcn6855 hw2.0',
    kernelRef: 'ath11k/core.c ath11k_hw_params[ATH11K_HW_WCN6855_HW20]',
    chip: 'WCN6855',
    hwRev: 'hw2.0',
    pciDeviceId: 0x1103,
    bdfSearch: 'bus-and-board',
    socVersion: { major: 2, minors: [0x00, 0x01] },
    socIds: [0x400c0000],
    boardElf: true,
    shadowRegAddrs: shadowOf(WCN6855_REGS),
  },
  {
    ...hstClass,
    kernelName: 'wcn6855 hw2.1',
    kernelRef: 'ath11k/core.c ath11k_hw_params[ATH11K_HW_WCN6855_HW21]',
    chip: 'WCN6855',
    hwRev: 'hw2.1',
    pciDeviceId: 0x1103,
    bdfSearch: 'bus-and-board',
    socVersion: { major: 2, minors: [0x10, 0x11], subVersions: 'other' },
    socIds: [0x400c0000],
    boardElf: true,
    shadowRegAddrs: shadowOf(WCN6855_REGS),
  },
  {
    ...hstClass,
    kernelName: 'qca2066 hw2.1',
    kernelRef: 'ath11k/core.c ath11k_hw_params[ATH11K_HW_QCA2066_HW21]',
    chip: 'QCA2066',
    hwRev: 'hw2.1',
    pciDeviceId: 0x1103,
    bdfSearch: 'bus-and-board',
    socVersion: { major: 2, minors: [0x10, 0x11], subVersions: [0x1019a0e1, 0x1019b0e1, 0x1019c0e1, 0x1019d0e1] },
    socIds: [],
    boardElf: true,
    shadowRegAddrs: shadowOf(WCN6855_REGS),
  },
  {
    ...hstClass,
    kernelName: 'qca6698aq hw2.1',
    kernelRef: 'ath11k/core.c ath11k_hw_params[ATH11K_HW_QCA6698AQ_HW21]',
    chip: 'QCA6698AQ',
    hwRev: 'hw2.1',
    pciDeviceId: 0x1103,
    bdfSearch: 'bus-and-board',
    socVersion: { major: 2, minors: [0x10, 0x11], subVersions: [0x001e60e1] },
    socIds: [],
    boardElf: true,
    shadowRegAddrs: shadowOf(WCN6855_REGS),
  },
  {
    ...common,
    // coldboot_cal_ftm and cbcal_restart_fw since "wifi: ath11k: Add coldboot calibration support for QCN9074" (v6.6).
    kernelName: 'qcn9074 hw1.0',
    kernelRef: 'ath11k/core.c ath11k_hw_params[ATH11K_HW_QCN9074_HW10]',
    targetCe: TARGET_CE_QCN9074,
    serviceMap: SERVICE_MAP_QCN9074,
    chip: 'QCN9074',
    pciDeviceId: 0x1104,
    hwRev: 'hw1.0',
    bus: 'pci',
    serviceInstance: 0x07,
    instanceShift: 'qcn9074',
    socIds: [0x90740000],
    internalSleepClock: false,
    globalReset: false,
    m3: true,
    memCfgMode: 2,
    supportsRegdb: false,
    wlanIni: false,
    shadowRegs: 'none',
    shadowRegAddrs: [],
    coldbootCalMm: false,
    coldbootCalFtm: true,
    cbcalRestartFw: true,
  },
  {
    ...common,
    // fw_wmi_diag_event true in v6.18 (false at mainline 011e5a30, so older kernels send no WLAN_INI).
    kernelName: 'wcn6750 hw1.0',
    kernelRef: 'ath11k/core.c ath11k_hw_params[ATH11K_HW_WCN6750_HW10]',
    targetCe: TARGET_CE_QCA6390,
    serviceMap: SERVICE_MAP_QCA6390,
    chip: 'WCN6750',
    hwRev: 'hw1.0',
    bus: 'hybrid',
    ahbCompatible: 'qcom,wcn6750-wifi',
    serviceInstance: 0x03,
    socIds: [0x67500000],
    internalSleepClock: false,
    globalReset: false,
    m3: false,
    memCfgMode: 0,
    fixedFwMem: true,
    deviceInfo: true,
    supportsRegdb: true,
    boardElf: true,
    wlanIni: true,
    shadowRegs: 'v2',
    shadowRegAddrs: shadowOf(WCN6750_REGS),
    coldbootCalMm: true,
    coldbootCalFtm: true,
    cbcalRestartFw: false,
    bdfAddr: 0x4b0c0000,
  },
];
