import { CeAttr, HtcService as S, PipeDir, type CePipeConfig, type CeServiceMap } from '../../wlfw/src';

// WLAN_CFG copy-engine contract of ath12k (ath12k_qmi_wlanfw_wlan_cfg_send: hw_params.target_ce_config,
// target_ce_count; svc_to_ce_map, svc_to_ce_map_len), from drivers/net/wireless/ath/ath12k/hw.c, Linux v6.18
// (moved to ath12k/wifi7/ce.c later, same values).

const pipe = (pipe_num: number, pipe_dir: number, nentries: number, nbytes_max: number, flags: number = CeAttr.FLAGS): CePipeConfig => ({
  pipe_num,
  pipe_dir,
  nentries,
  nbytes_max,
  flags,
});
const svc = (service_id: number, pipe_dir: number, pipe_num: number): CeServiceMap => ({ service_id, pipe_dir, pipe_num });
const wmiRows = (): CeServiceMap[] =>
  [S.WMI_DATA_VO, S.WMI_DATA_BK, S.WMI_DATA_BE, S.WMI_DATA_VI, S.WMI_CONTROL].flatMap((id) => [svc(id, PipeDir.OUT, 3), svc(id, PipeDir.IN, 2)]);

/** ath12k/hw.c `ath12k_target_ce_config_wlan_qcn9274`: CE0-8, then CE12/13 (CV prefetch) and CE14 (WMI logging); 9-11 belong to MHI. */
export const TARGET_CE_QCN9274: readonly CePipeConfig[] = [
  pipe(0, PipeDir.OUT, 32, 2048),
  pipe(1, PipeDir.IN, 32, 2048),
  pipe(2, PipeDir.IN, 32, 2048),
  pipe(3, PipeDir.OUT, 32, 2048),
  pipe(4, PipeDir.OUT, 256, 256, CeAttr.FLAGS | CeAttr.DIS_INTR),
  pipe(5, PipeDir.IN, 32, 2048),
  pipe(6, PipeDir.INOUT, 32, 16384),
  pipe(7, PipeDir.OUT, 32, 2048),
  pipe(8, PipeDir.INOUT, 32, 16384),
  pipe(12, PipeDir.OUT, 32, 2048),
  pipe(13, PipeDir.OUT, 32, 2048),
  pipe(14, PipeDir.IN, 32, 2048),
];

/** ath12k/hw.c `ath12k_target_ce_config_wlan_wcn7850`: the nine-pipe layout with CE7 host-only. */
export const TARGET_CE_WCN7850: readonly CePipeConfig[] = [
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

/** ath12k/hw.c `ath12k_target_service_to_ce_map_wlan_qcn9274`, svc_to_ce_map_len 18 (17 rows and the zero terminator). */
export const SERVICE_MAP_QCN9274: readonly CeServiceMap[] = [
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

/** ath12k/hw.c `ath12k_target_service_to_ce_map_wlan_wcn7850`, svc_to_ce_map_len 14. */
export const SERVICE_MAP_WCN7850: readonly CeServiceMap[] = [
  ...wmiRows(),
  svc(S.RSVD_CTRL, PipeDir.OUT, 0),
  svc(S.RSVD_CTRL, PipeDir.IN, 2),
  svc(S.HTT_DATA_MSG, PipeDir.OUT, 4),
  svc(S.HTT_DATA_MSG, PipeDir.IN, 1),
];

/** ath12k/hw.c `ath12k_target_ce_config_wlan_ipq5332`: twelve pipes, CE9 IN (WMI diag), CE10/11 PIPEDIR_NONE. */
export const TARGET_CE_IPQ5332: readonly CePipeConfig[] = [
  pipe(0, PipeDir.OUT, 32, 2048),
  pipe(1, PipeDir.IN, 32, 2048),
  pipe(2, PipeDir.IN, 32, 2048),
  pipe(3, PipeDir.OUT, 32, 2048),
  pipe(4, PipeDir.OUT, 256, 256, CeAttr.FLAGS | CeAttr.DIS_INTR),
  pipe(5, PipeDir.IN, 32, 2048),
  pipe(6, PipeDir.INOUT, 32, 16384),
  pipe(7, PipeDir.OUT, 32, 2048),
  pipe(8, PipeDir.INOUT, 32, 16384),
  pipe(9, PipeDir.IN, 32, 2048),
  pipe(10, PipeDir.NONE, 0, 0, 0),
  pipe(11, PipeDir.NONE, 0, 0, 0),
];

/** ath12k/hw.c `ath12k_target_service_to_ce_map_wlan_ipq5332`, svc_to_ce_map_len 18 (the terminator is not sent). */
export const SERVICE_MAP_IPQ5332: readonly CeServiceMap[] = [
  ...wmiRows(),
  svc(S.RSVD_CTRL, PipeDir.OUT, 0),
  svc(S.RSVD_CTRL, PipeDir.IN, 1),
  svc(S.TEST_RAW_STREAMS, PipeDir.OUT, 0),
  svc(S.TEST_RAW_STREAMS, PipeDir.IN, 1),
  svc(S.HTT_DATA_MSG, PipeDir.OUT, 4),
  svc(S.HTT_DATA_MSG, PipeDir.IN, 1),
  svc(S.PKT_LOG, PipeDir.IN, 5),
  svc(S.WMI_CONTROL_DIAG, PipeDir.IN, 9),
];
