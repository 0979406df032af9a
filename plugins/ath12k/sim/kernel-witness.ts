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
  // ath12k_target_ce_config_wlan_ipq5332 (12 pipes, CE10/11 PIPEDIR_NONE), ..._service_to_ce_map_wlan_ipq5332 (len 18, ends with WMI_CONTROL_DIAG 0x107 IN 9).
  IPQ5332: {
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
      [9, 1, 32, 2048, 0],
      [10, 0, 0, 0, 0],
      [11, 0, 0, 0, 0],
    ],
    svc: [...WMI, [0x001, 2, 0], [0x001, 1, 1], [0xfe00, 2, 0], [0xfe00, 1, 1], [0x300, 2, 4], [0x300, 1, 1], [0x600, 1, 5], [0x107, 1, 9]],
  },
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

/**
 * WCN7850's shadow_reg_v3 list (TLV 0x17) as ath12k builds it (hal.c ath12k_hal_srng_shadow_config
 * over the UMAC rings of ath12k_hal_srng_create_config_wcn7850, then ce.c ath12k_ce_shadow_config over
 * ath12k_host_ce_config_wcn7850), number by number: REO_DST x8 (TP), REO_EXCEPTION (TP), REO_REINJECT,
 * REO_CMD, REO_STATUS (TP), TCL_DATA x5, TCL_CMD, TCL_STATUS (TP), WBM_IDLE_LINK, SW2WBM_RELEASE,
 * WBM2SW_RELEASE x8 (TP), CE0 SRC, CE1 DST + DST_STATUS, CE2 DST + DST_STATUS, CE3 SRC, CE4 SRC.
 */
export const ATH12K_KERNEL_SHADOW_WCN7850: readonly number[] = [
  0x0a3b04c, 0x0a3b054, 0x0a3b05c, 0x0a3b064, 0x0a3b06c, 0x0a3b074, 0x0a3b07c, 0x0a3b084,
  0x0a3b08c, 0x0a3b028, 0x0a3b020, 0x0a3b0ac,
  0x0a46000, 0x0a46008, 0x0a46010, 0x0a46018, 0x0a46020, 0x0a46028, 0x0a4604c,
  0x0a370b8, 0x0a37010, 0x0a370cc, 0x0a370d4, 0x0a370dc, 0x0a370e4, 0x0a370ec, 0x0a370f4, 0x0a370fc, 0x0a37104,
  0x1b80400, 0x1b83400, 0x1b8340c, 0x1b85400, 0x1b8540c, 0x1b86400, 0x1b88400,
];

/** hw.c ath12k_hw_params[]: qmi_cnss_feature_bitmap (HOST_CAP feature_list) and max_mlo_peer. */
export const ATH12K_KERNEL_HOST_CAP: Readonly<Record<string, { readonly featureList: bigint; readonly maxMloPeer: number }>> = {
  QCN9274: { featureList: 0x08n, maxMloPeer: 256 },
  WCN7850: { featureList: 0x18n, maxMloPeer: 32 },
  IPQ5332: { featureList: 0x08n, maxMloPeer: 256 },
};
