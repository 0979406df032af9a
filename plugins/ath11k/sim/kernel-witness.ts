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

/** Per chip (ath11k/core.c ath11k_hw_params[].target_ce_config / svc_to_ce_map). */
export const ATH11K_KERNEL_CE: Readonly<Record<string, SimKernelCe>> = {
  IPQ8074: { tgt: CE_IPQ8074, svc: SVC_IPQ8074 },
  QCA6390: { tgt: CE_NINE, svc: SVC_QCA6390 },
  WCN6855: { tgt: CE_NINE, svc: SVC_QCA6390 },
  QCN9074: { tgt: CE_NINE, svc: SVC_QCN9074 },
  WCN6750: { tgt: CE_NINE, svc: SVC_QCA6390 },
};

/**
 * HOST_CAP nm_modem the kernel sends (ath11k_qmi_host_cap_send): HOST_CSTATE 0x04 | internal sleep
 * clock 0x02 | GLOBAL_RESET 0x08 | PME_D3COLD 0x10 on QCA6390/WCN6855; absent elsewhere.
 */
export const ATH11K_KERNEL_NM_MODEM: Readonly<Record<string, number | undefined>> = { QCA6390: 0x1e, WCN6855: 0x1e };
