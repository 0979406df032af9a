import { CeAttr, HtcService as S, PipeDir, type CePipeConfig, type CeServiceMap } from '../../wlfw/src';

// Target copy-engine configuration and service-to-pipe maps that ath11k sends in WLAN_CFG
// (ath11k_qmi_wlanfw_wlan_cfg_send: tgt_cfg = hw_params.target_ce_config with target_ce_count
// entries, svc_cfg = hw_params.svc_to_ce_map with svc_to_ce_map_len entries). Transcribed from
// drivers/net/wireless/ath/ath11k/hw.c, Linux v6.18.

const pipe = (pipe_num: number, pipe_dir: number, nentries: number, nbytes_max: number, flags: number = CeAttr.FLAGS): CePipeConfig => ({
  pipe_num,
  pipe_dir,
  nentries,
  nbytes_max,
  flags,
});

/** ath11k/hw.c `ath11k_target_ce_config_wlan_qca6390` (QCA6390, WCN6855, QCA2066, QCA6698AQ, WCN6750). */
export const TARGET_CE_QCA6390: readonly CePipeConfig[] = [
  pipe(0, PipeDir.OUT, 32, 2048),
  pipe(1, PipeDir.IN, 32, 2048),
  pipe(2, PipeDir.IN, 32, 2048),
  pipe(3, PipeDir.OUT, 32, 2048),
  pipe(4, PipeDir.OUT, 256, 256, CeAttr.FLAGS | CeAttr.DIS_INTR),
  pipe(5, PipeDir.IN, 32, 2048),
  pipe(6, PipeDir.INOUT, 32, 16384),
  pipe(7, PipeDir.INOUT_H2H, 0, 0, CeAttr.FLAGS | CeAttr.DIS_INTR),
  pipe(8, PipeDir.INOUT, 32, 16384),
];

/** ath11k/hw.c `ath11k_target_ce_config_wlan_qcn9074`: the same nine pipes as QCA6390. */
export const TARGET_CE_QCN9074: readonly CePipeConfig[] = TARGET_CE_QCA6390;

/** ath11k/hw.c `ath11k_target_ce_config_wlan_ipq8074` (IPQ8074, IPQ6018, IPQ5018): eleven pipes. */
export const TARGET_CE_IPQ8074: readonly CePipeConfig[] = [
  pipe(0, PipeDir.OUT, 32, 2048),
  pipe(1, PipeDir.IN, 32, 2048),
  pipe(2, PipeDir.IN, 32, 2048),
  pipe(3, PipeDir.OUT, 32, 2048),
  pipe(4, PipeDir.OUT, 256, 256, CeAttr.FLAGS | CeAttr.DIS_INTR),
  pipe(5, PipeDir.IN, 32, 2048),
  pipe(6, PipeDir.INOUT, 32, 65535),
  pipe(7, PipeDir.OUT, 32, 2048),
  pipe(8, PipeDir.INOUT, 32, 65535),
  pipe(9, PipeDir.OUT, 32, 2048),
  pipe(10, PipeDir.INOUT_H2H, 0, 0, CeAttr.FLAGS | CeAttr.DIS_INTR),
];

const svc = (service_id: number, pipe_dir: number, pipe_num: number): CeServiceMap => ({ service_id, pipe_dir, pipe_num });

/** The WMI data/control rows every map starts with: host->target on pipe 3, target->host on pipe 2. */
const wmiRows = (): CeServiceMap[] =>
  [S.WMI_DATA_VO, S.WMI_DATA_BK, S.WMI_DATA_BE, S.WMI_DATA_VI, S.WMI_CONTROL].flatMap((id) => [svc(id, PipeDir.OUT, 3), svc(id, PipeDir.IN, 2)]);

/** ath11k/hw.c `ath11k_target_service_to_ce_map_wlan_qca6390`, svc_to_ce_map_len 14 (the terminator is not sent). */
export const SERVICE_MAP_QCA6390: readonly CeServiceMap[] = [
  ...wmiRows(),
  svc(S.RSVD_CTRL, PipeDir.OUT, 0),
  svc(S.RSVD_CTRL, PipeDir.IN, 2),
  svc(S.HTT_DATA_MSG, PipeDir.OUT, 4),
  svc(S.HTT_DATA_MSG, PipeDir.IN, 1),
];

/**
 * ath11k/hw.c `ath11k_target_service_to_ce_map_wlan_qcn9074`, svc_to_ce_map_len 18: the kernel's length
 * counts the all-zero terminator row, so the firmware receives it too.
 */
export const SERVICE_MAP_QCN9074: readonly CeServiceMap[] = [
  ...wmiRows(),
  svc(S.RSVD_CTRL, PipeDir.OUT, 0),
  svc(S.RSVD_CTRL, PipeDir.IN, 1),
  svc(S.TEST_RAW_STREAMS, PipeDir.OUT, 0),
  svc(S.TEST_RAW_STREAMS, PipeDir.IN, 1),
  svc(S.HTT_DATA_MSG, PipeDir.OUT, 4),
  svc(S.HTT_DATA_MSG, PipeDir.IN, 1),
  svc(S.PKT_LOG, PipeDir.IN, 5),
  svc(0, 0, 0),
];

/** ath11k/hw.c `ath11k_target_service_to_ce_map_wlan_ipq8074`, svc_to_ce_map_len 21. */
export const SERVICE_MAP_IPQ8074: readonly CeServiceMap[] = [
  ...wmiRows(),
  svc(S.WMI_CONTROL_MAC1, PipeDir.OUT, 7),
  svc(S.WMI_CONTROL_MAC1, PipeDir.IN, 2),
  svc(S.WMI_CONTROL_MAC2, PipeDir.OUT, 9),
  svc(S.WMI_CONTROL_MAC2, PipeDir.IN, 2),
  svc(S.RSVD_CTRL, PipeDir.OUT, 0),
  svc(S.RSVD_CTRL, PipeDir.IN, 1),
  svc(S.TEST_RAW_STREAMS, PipeDir.OUT, 0),
  svc(S.TEST_RAW_STREAMS, PipeDir.IN, 1),
  svc(S.HTT_DATA_MSG, PipeDir.OUT, 4),
  svc(S.HTT_DATA_MSG, PipeDir.IN, 1),
  svc(S.PKT_LOG, PipeDir.IN, 5),
];

/** ath11k/hw.c `ath11k_target_ce_config_wlan_ipq5018` (IPQ5018, QCN6122; TARGET_CE_CNT_5018 9): CE7 OUT with flags 0x2000. */
export const TARGET_CE_IPQ5018: readonly CePipeConfig[] = [
  pipe(0, PipeDir.OUT, 32, 2048),
  pipe(1, PipeDir.IN, 32, 2048),
  pipe(2, PipeDir.IN, 32, 2048),
  pipe(3, PipeDir.OUT, 32, 2048),
  pipe(4, PipeDir.OUT, 256, 256, CeAttr.FLAGS | CeAttr.DIS_INTR),
  pipe(5, PipeDir.IN, 32, 2048),
  pipe(6, PipeDir.INOUT, 32, 16384),
  pipe(7, PipeDir.OUT, 32, 2048, 0x2000),
  pipe(8, PipeDir.INOUT, 32, 16384),
];

/** ath11k/hw.c `ath11k_target_service_to_ce_map_wlan_ipq6018`, svc_to_ce_map_len 19 (MAC1 on pipe 7, no MAC2). */
export const SERVICE_MAP_IPQ6018: readonly CeServiceMap[] = [
  ...wmiRows(),
  svc(S.WMI_CONTROL_MAC1, PipeDir.OUT, 7),
  svc(S.WMI_CONTROL_MAC1, PipeDir.IN, 2),
  svc(S.RSVD_CTRL, PipeDir.OUT, 0),
  svc(S.RSVD_CTRL, PipeDir.IN, 1),
  svc(S.TEST_RAW_STREAMS, PipeDir.OUT, 0),
  svc(S.TEST_RAW_STREAMS, PipeDir.IN, 1),
  svc(S.HTT_DATA_MSG, PipeDir.OUT, 4),
  svc(S.HTT_DATA_MSG, PipeDir.IN, 1),
  svc(S.PKT_LOG, PipeDir.IN, 5),
];

/** ath11k/hw.c `ath11k_target_service_to_ce_map_wlan_ipq5018`, SVC_CE_MAP_LEN_5018 17 (core.h). */
export const SERVICE_MAP_IPQ5018: readonly CeServiceMap[] = [
  ...wmiRows(),
  svc(S.RSVD_CTRL, PipeDir.OUT, 0),
  svc(S.RSVD_CTRL, PipeDir.IN, 1),
  svc(S.TEST_RAW_STREAMS, PipeDir.OUT, 0),
  svc(S.TEST_RAW_STREAMS, PipeDir.IN, 1),
  svc(S.HTT_DATA_MSG, PipeDir.OUT, 4),
  svc(S.HTT_DATA_MSG, PipeDir.IN, 1),
  svc(S.PKT_LOG, PipeDir.IN, 5),
];
