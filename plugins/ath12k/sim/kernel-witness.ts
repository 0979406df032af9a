import type { SimKernelCe } from '../../wlfw/sim';

// The simulated ath12k firmware's own copy of the kernel's WLAN_CFG tables, independent of the
// loader's plugins/ath12k/src/ce-tables.ts. Rows as in plugins/ath11k/sim/kernel-witness.ts.
// Source: drivers/net/wireless/ath/ath12k/hw.c (Linux v6.18).

const WMI: SimKernelCe['svc'] = [
  [0x104, 2, 3], [0x104, 1, 2],
  [0x102, 2, 3], [0x102, 1, 2],
  [0x101, 2, 3], [0x101, 1, 2],
  [0x103, 2, 3], [0x103, 1, 2],
  [0x100, 2, 3], [0x100, 1, 2],
];

/** Per chip (ath12k_hw_params[].target_ce_config / svc_to_ce_map). */
export const ATH12K_KERNEL_CE: Readonly<Record<string, SimKernelCe>> = {
  // ath12k_target_ce_config_wlan_qcn9274, ath12k_target_service_to_ce_map_wlan_qcn9274 (len 18).
  QCN9274: {
    tgt: [
      [0, 2, 32, 2048, 0],
      [1, 1, 32, 2048, 0],
      [2, 1, 32, 2048, 0],
      [3, 2, 32, 2048, 0],
      [4, 2, 256, 256, 8],
      [5, 1, 32, 2048, 0],
      [6, 3, 32, 16384, 0],
      [7, 2, 32, 2048, 0],
      [8, 3, 32, 16384, 0],
      [12, 2, 32, 2048, 0],
      [13, 2, 32, 2048, 0],
      [14, 1, 32, 2048, 0],
    ],
    svc: [...WMI, [0x001, 2, 0], [0x001, 1, 1], [0xfe00, 2, 0], [0xfe00, 1, 1], [0x300, 2, 4], [0x300, 1, 1], [0x600, 1, 5], [0, 0, 0]],
  },
  // ath12k_target_ce_config_wlan_wcn7850, ath12k_target_service_to_ce_map_wlan_wcn7850 (len 14).
  WCN7850: {
    tgt: [
      [0, 2, 32, 2048, 0],
      [1, 1, 32, 2048, 0],
      [2, 1, 32, 2048, 0],
      [3, 2, 32, 2048, 0],
      [4, 2, 256, 256, 8],
      [5, 1, 32, 2048, 0],
      [6, 3, 32, 16384, 0],
      [7, 4, 0, 0, 8],
      [8, 3, 32, 16384, 0],
    ],
    svc: [...WMI, [0x001, 2, 0], [0x001, 1, 2], [0x300, 2, 4], [0x300, 1, 1]],
  },
};
