import type { SimKernelCe } from '../../wlfw/sim';

// The simulated ath11k firmware's own copy of what the kernel sends in WLAN_CFG, written down
// independently of the loader's plugins/ath11k/src/ce-tables.ts so that a loader mistake is
// caught rather than mirrored. Rows are [pipe, dir, nentries, nbytes_max, flags] and
// [service id, dir, pipe]; dir 1 IN, 2 OUT, 3 INOUT, 4 INOUT_H2H; flags 8 = CE_ATTR_DIS_INTR.
// Source: drivers/net/wireless/ath/ath11k/hw.c (Linux v6.18).

// ath11k_target_ce_config_wlan_qca6390 / _qcn9074 (identical contents).
const CE_NINE: SimKernelCe['tgt'] = [
  [0, 2, 32, 2048, 0],
  [1, 1, 32, 2048, 0],
  [2, 1, 32, 2048, 0],
  [3, 2, 32, 2048, 0],
  [4, 2, 256, 256, 8],
  [5, 1, 32, 2048, 0],
  [6, 3, 32, 16384, 0],
  [7, 4, 0, 0, 8],
  [8, 3, 32, 16384, 0],
];

// ath11k_target_ce_config_wlan_ipq8074.
const CE_IPQ8074: SimKernelCe['tgt'] = [
  [0, 2, 32, 2048, 0],
  [1, 1, 32, 2048, 0],
  [2, 1, 32, 2048, 0],
  [3, 2, 32, 2048, 0],
  [4, 2, 256, 256, 8],
  [5, 1, 32, 2048, 0],
  [6, 3, 32, 65535, 0],
  [7, 2, 32, 2048, 0],
  [8, 3, 32, 65535, 0],
  [9, 2, 32, 2048, 0],
  [10, 4, 0, 0, 8],
];

const WMI: SimKernelCe['svc'] = [
  [0x104, 2, 3], [0x104, 1, 2],
  [0x102, 2, 3], [0x102, 1, 2],
  [0x101, 2, 3], [0x101, 1, 2],
  [0x103, 2, 3], [0x103, 1, 2],
  [0x100, 2, 3], [0x100, 1, 2],
];

// ath11k_target_service_to_ce_map_wlan_qca6390, svc_to_ce_map_len 14.
const SVC_QCA6390: SimKernelCe['svc'] = [...WMI, [0x001, 2, 0], [0x001, 1, 2], [0x300, 2, 4], [0x300, 1, 1]];

// ath11k_target_service_to_ce_map_wlan_qcn9074, svc_to_ce_map_len 18 (the terminator row is sent).
const SVC_QCN9074: SimKernelCe['svc'] = [...WMI, [0x001, 2, 0], [0x001, 1, 1], [0xfe00, 2, 0], [0xfe00, 1, 1], [0x300, 2, 4], [0x300, 1, 1], [0x600, 1, 5], [0, 0, 0]];

// ath11k_target_service_to_ce_map_wlan_ipq8074, svc_to_ce_map_len 21.
const SVC_IPQ8074: SimKernelCe['svc'] = [
  ...WMI,
  [0x105, 2, 7], [0x105, 1, 2],
  [0x106, 2, 9], [0x106, 1, 2],
  [0x001, 2, 0], [0x001, 1, 1],
  [0xfe00, 2, 0], [0xfe00, 1, 1],
  [0x300, 2, 4], [0x300, 1, 1],
  [0x600, 1, 5],
];

// ath11k_target_ce_config_wlan_ipq5018 (TARGET_CE_CNT_5018 9): as qcn9074 but CE7 OUT 32/2048, flags 0x2000.
const CE_IPQ5018: SimKernelCe['tgt'] = [
  [0, 2, 32, 2048, 0],
  [1, 1, 32, 2048, 0],
  [2, 1, 32, 2048, 0],
  [3, 2, 32, 2048, 0],
  [4, 2, 256, 256, 8],
  [5, 1, 32, 2048, 0],
  [6, 3, 32, 16384, 0],
  [7, 2, 32, 2048, 0x2000],
  [8, 3, 32, 16384, 0],
];

// ath11k_target_service_to_ce_map_wlan_ipq6018, svc_to_ce_map_len 19: MAC1 on pipe 7, no MAC2.
const SVC_IPQ6018: SimKernelCe['svc'] = [
  ...WMI,
  [0x105, 2, 7], [0x105, 1, 2],
  [0x001, 2, 0], [0x001, 1, 1],
  [0xfe00, 2, 0], [0xfe00, 1, 1],
  [0x300, 2, 4], [0x300, 1, 1],
  [0x600, 1, 5],
];

// ath11k_target_service_to_ce_map_wlan_ipq5018, SVC_CE_MAP_LEN_5018 17.
const SVC_IPQ5018: SimKernelCe['svc'] = [...WMI, [0x001, 2, 0], [0x001, 1, 1], [0xfe00, 2, 0], [0xfe00, 1, 1], [0x300, 2, 4], [0x300, 1, 1], [0x600, 1, 5]];

/** Per chip (ath11k/core.c ath11k_hw_params[].target_ce_config / svc_to_ce_map). */
export const ATH11K_KERNEL_CE: Readonly<Record<string, SimKernelCe>> = {
  IPQ8074: { tgt: CE_IPQ8074, svc: SVC_IPQ8074 },
  IPQ6018: { tgt: CE_IPQ8074, svc: SVC_IPQ6018 },
  IPQ5018: { tgt: CE_IPQ5018, svc: SVC_IPQ5018 },
  QCA2066: { tgt: CE_NINE, svc: SVC_QCA6390 },
  QCA6390: { tgt: CE_NINE, svc: SVC_QCA6390 },
  WCN6855: { tgt: CE_NINE, svc: SVC_QCA6390 },
  QCN9074: { tgt: CE_NINE, svc: SVC_QCN9074 },
  WCN6750: { tgt: CE_NINE, svc: SVC_QCA6390 },
};

/**
 * HOST_CAP nm_modem the kernel sends (ath11k_qmi_host_cap_send): HOST_CSTATE 0x04 | internal sleep
 * clock 0x02 | GLOBAL_RESET 0x08 | PME_D3COLD 0x10 on QCA6390/WCN6855; absent elsewhere.
 */
export const ATH11K_KERNEL_NM_MODEM: Readonly<Record<string, number | undefined>> = { QCA6390: 0x1e, WCN6855: 0x1e, QCA2066: 0x1e, QCA6698AQ: 0x1e };

// The shadow register lists ath11k sends in WLAN_CFG (TLV 0x14) on supports_shadow_regs chips, written
// out number by number from ath11k/hal.c ath11k_hal_srng_create_config + hw_srng_config_template, the
// chip's struct ath11k_hw_regs (hw.c qca6390_regs / wcn6855_regs / wcn6750_regs) and ce.c
// ath11k_host_ce_config_qca6390: REO_DST x4 (TP), REO_EXCEPTION (TP), REO_REINJECT, REO_CMD,
// REO_STATUS (TP), TCL_DATA x3, TCL_CMD, TCL_STATUS (TP), WBM_IDLE_LINK, SW2WBM_RELEASE,
// WBM2SW_RELEASE x5 (TP), then CE0 SRC, CE1 DST + DST_STATUS (TP), CE2 DST + DST_STATUS, CE3 SRC,
// CE4 SRC, CE5 DST + DST_STATUS, CE7 SRC: 30 of the 36 HAL_SHADOW_NUM_REGS.
const SHADOW_NON_CE_TAIL = [0x0a46000, 0x0a46008, 0x0a46010, 0x0a46018, 0x0a46034, 0x0a370b0, 0x0a37018, 0x0a370c4, 0x0a370cc, 0x0a370d4, 0x0a370dc, 0x0a370e4];
const SHADOW_CE_UMAC_1B8 = [0x1b80400, 0x1b83400, 0x1b8340c, 0x1b85400, 0x1b8540c, 0x1b86400, 0x1b88400, 0x1b8b400, 0x1b8b40c, 0x1b8e400];

/** Per chip: the exact shadow_reg_v2 list the kernel sends. */
export const ATH11K_KERNEL_SHADOW: Readonly<Record<string, readonly number[]>> = {
  QCA6390: [
    0x0a3b034, 0x0a3b03c, 0x0a3b044, 0x0a3b04c, 0x0a3b054, 0x0a3b028, 0x0a3b020, 0x0a3b06c, ...SHADOW_NON_CE_TAIL,
    0x0a00400, 0x0a03400, 0x0a0340c, 0x0a05400, 0x0a0540c, 0x0a06400, 0x0a08400, 0x0a0b400, 0x0a0b40c, 0x0a0e400,
  ],
  // wcn6855_regs (WCN6855 hw2.0/hw2.1, QCA2066, QCA6698AQ).
  WCN6855: [0x0a3b034, 0x0a3b03c, 0x0a3b044, 0x0a3b04c, 0x0a3b064, 0x0a3b028, 0x0a3b020, 0x0a3b07c, ...SHADOW_NON_CE_TAIL, ...SHADOW_CE_UMAC_1B8],
  WCN6750: [0x0a3b02c, 0x0a3b034, 0x0a3b03c, 0x0a3b044, 0x0a3b05c, 0x0a3b018, 0x0a3b010, 0x0a3b074, ...SHADOW_NON_CE_TAIL, ...SHADOW_CE_UMAC_1B8],
};

/**
 * Cold-boot calibration as the kernel runs it in mission mode (core.c ath11k_hw_params[]
 * coldboot_cal_mm / cbcal_restart_fw; mainline values for IPQ6018/IPQ5018): 'restart' on the
 * IPQ SoCs, 'continue' on WCN6750, none elsewhere (QCN9074 calibrates only in FTM).
 */
export const ATH11K_KERNEL_COLD_BOOT: Readonly<Record<string, 'restart' | 'continue' | undefined>> = {
  IPQ8074: 'restart',
  IPQ6018: 'restart',
  IPQ5018: 'restart',
  WCN6750: 'continue',
};

/**
 * The same with the `ftm_mode` module parameter set: ath11k_core_coldboot_cal_support returns
 * hw_params.coldboot_cal_ftm (core.c), and ath11k_qmi_driver_event_work runs
 * ath11k_qmi_process_coldboot_calibration on FW_INIT_DONE while cal_done is 0; the bus then
 * restarts the firmware where cbcal_restart_fw (ath11k_qmi_fwreset_from_cold_boot, called from
 * ath11k_pci_probe / ath11k_ahb_probe). coldboot_cal_ftm: IPQ8074, QCN9074 ("Add coldboot
 * calibration support for QCN9074"), WCN6750 true; IPQ6018/IPQ5018 true in mainline (as above).
 * Mission mode is then ATH11K_FIRMWARE_MODE_FTM (ath11k_core_soc_create sets ab->fw_mode).
 */
export const ATH11K_KERNEL_COLD_BOOT_FTM: Readonly<Record<string, 'restart' | 'continue' | undefined>> = {
  IPQ8074: 'restart',
  IPQ6018: 'restart',
  IPQ5018: 'restart',
  QCN9074: 'restart',
  WCN6750: 'continue',
};
