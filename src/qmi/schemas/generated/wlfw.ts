// Generated from src/qmi/schemas/wlfw.qmi (package wlfw) by src/qmi/idl/codegen-cli.ts. Do not edit.
import { enum32, fixedArray, opt, qmiIndication, qmiRequest, qmiResponse, req, str, struct, u16, u32, u64, u8, varArray, type QmiValue } from '../../codec';

export const PACKAGE = 'wlfw';

export const WLFW_SERVICE_ID = 0x45;
export const WLFW_SERVICE_VERS = 1;
export const QMI_WLFW_IND_REGISTER_V01 = 0x20;
export const QMI_WLFW_FW_READY_IND_V01 = 0x21;
export const QMI_WLFW_WLAN_MODE_V01 = 0x22;
export const QMI_WLFW_WLAN_CFG_V01 = 0x23;
export const QMI_WLFW_CAP_V01 = 0x24;
export const QMI_WLFW_BDF_DOWNLOAD_V01 = 0x25;
export const QMI_WLFW_WLAN_INI_V01 = 0x2F;
export const QMI_WLFW_HOST_CAP_V01 = 0x34;
export const QMI_WLFW_REQUEST_MEM_IND_V01 = 0x35;
export const QMI_WLFW_RESPOND_MEM_V01 = 0x36;
export const QMI_WLFW_FW_MEM_READY_IND_V01 = 0x37;
export const QMI_WLFW_FW_INIT_DONE_IND_V01 = 0x38;
export const QMI_WLFW_REJUVENATE_IND_V01 = 0x39;
export const QMI_WLFW_REJUVENATE_ACK_V01 = 0x3A;
export const QMI_WLFW_M3_INFO_V01 = 0x3C;
export const QMI_WLFW_CAL_DONE_IND_V01 = 0x3E;
export const QMI_WLFW_DEVICE_INFO_V01 = 0x4C;
export const QMI_WLFW_PHY_CAP_V01 = 0x57;
export const QMI_WLFW_MAX_NUM_GPIO_V01 = 0x20;
export const QMI_WLFW_MAX_NUM_MEM_SEG_V01 = 0x34;
export const QMI_WLFW_MAX_NUM_MEM_CFG_V01 = 2;
export const QMI_WLFW_MAX_TIMESTAMP_LEN_V01 = 0x20;
export const QMI_WLFW_MAX_BUILD_ID_LEN_V01 = 0x80;
export const QMI_WLFW_MAX_DATA_SIZE_V01 = 0x1800;
export const QMI_WLFW_MAX_STR_LEN_V01 = 0x10;
export const QMI_WLFW_MAX_NUM_CE_V01 = 0x0C;
export const QMI_WLFW_MAX_NUM_SVC_V01 = 0x18;
export const QMI_WLFW_MAX_NUM_SHADOW_REG_V01 = 0x18;
export const QMI_WLFW_MAX_NUM_SHADOW_REG_V2_V01 = 0x24;
export const QMI_WLFW_MAX_NUM_SHADOW_REG_V3_V01 = 0x3C;
export const QMI_WLFW_MAX_PLATFORM_NAME_LEN_V01 = 0x40;
export const QMI_WLFW_MAX_HOST_DDR_RANGE_SIZE_V01 = 3;
export const QMI_WLFW_MAX_NUM_MLO_CHIPS_V01 = 3;
export const QMI_WLFW_MAX_NUM_MLO_LINKS_PER_CHIP_V01 = 2;
export const QMI_WLFW_MAX_DEV_MEM_NUM_V01 = 4;
export const QMI_WLFW_FUNCTION_NAME_LEN_V01 = 0x80;
export const ATH_QMI_CLIENT_ID = 0x4B4E454C;

export const qmi_response_type_v01 = struct('qmi_response_type_v01', {
  result: u16,
  error: u16,
});

export const wlfw_host_ddr_range = struct('wlfw_host_ddr_range', {
  start: u64,
  size: u64,
});

export const wlfw_host_mlo_chip_info = struct('wlfw_host_mlo_chip_info', {
  chip_id: u8,
  num_local_links: u8,
  hw_link_id: fixedArray(u8, QMI_WLFW_MAX_NUM_MLO_LINKS_PER_CHIP_V01),
  valid_mlo_link_id: fixedArray(u8, QMI_WLFW_MAX_NUM_MLO_LINKS_PER_CHIP_V01),
});

export const wlfw_mem_cfg = struct('wlfw_mem_cfg', {
  offset: u64,
  size: u32,
  secure_flag: u8,
});

export const wlfw_mem_seg = struct('wlfw_mem_seg', {
  size: u32,
  type: enum32,
  mem_cfg: varArray(wlfw_mem_cfg, QMI_WLFW_MAX_NUM_MEM_CFG_V01),
});

export const wlfw_mem_seg_resp = struct('wlfw_mem_seg_resp', {
  addr: u64,
  size: u32,
  type: enum32,
  restore: u8,
});

export const wlfw_rf_chip_info = struct('wlfw_rf_chip_info', {
  chip_id: u32,
  chip_family: u32,
});

export const wlfw_rf_board_info = struct('wlfw_rf_board_info', {
  board_id: u32,
});

export const wlfw_soc_info = struct('wlfw_soc_info', {
  soc_id: u32,
});

export const wlfw_fw_version_info = struct('wlfw_fw_version_info', {
  fw_version: u32,
  fw_build_timestamp: str(QMI_WLFW_MAX_TIMESTAMP_LEN_V01),
});

export const wlfw_dev_mem_info = struct('wlfw_dev_mem_info', {
  start: u64,
  size: u64,
});

export const wlfw_ce_tgt_pipe_cfg = struct('wlfw_ce_tgt_pipe_cfg', {
  pipe_num: u32,
  pipe_dir: enum32,
  nentries: u32,
  nbytes_max: u32,
  flags: u32,
});

export const wlfw_ce_svc_pipe_cfg = struct('wlfw_ce_svc_pipe_cfg', {
  service_id: u32,
  pipe_dir: enum32,
  pipe_num: u32,
});

export const wlfw_shadow_reg_cfg = struct('wlfw_shadow_reg_cfg', {
  id: u16,
  offset: u16,
});

export const wlfw_shadow_reg_v2_cfg = struct('wlfw_shadow_reg_v2_cfg', {
  addr: u32,
});

export const wlfw_shadow_reg_v3_cfg = struct('wlfw_shadow_reg_v3_cfg', {
  addr: u32,
});

export const wlfw_ind_register_req = qmiRequest('wlfw_ind_register_req', QMI_WLFW_IND_REGISTER_V01, {
  fw_ready_enable: opt(0x10, u8),
  initiate_cal_download_enable: opt(0x11, u8),
  initiate_cal_update_enable: opt(0x12, u8),
  msa_ready_enable: opt(0x13, u8),
  pin_connect_result_enable: opt(0x14, u8),
  client_id: opt(0x15, u32),
  request_mem_enable: opt(0x16, u8),
  fw_mem_ready_enable: opt(0x17, u8),
  fw_init_done_enable: opt(0x18, u8),
  rejuvenate_enable: opt(0x19, u8),
  xo_cal_enable: opt(0x1A, u8),
  cal_done_enable: opt(0x1B, u8),
});
export type WlfwIndRegisterReq = QmiValue<typeof wlfw_ind_register_req>;

export const wlfw_ind_register_resp = qmiResponse('wlfw_ind_register_resp', QMI_WLFW_IND_REGISTER_V01, {
  resp: req(0x02, qmi_response_type_v01),
  fw_status: opt(0x10, u64),
});
export type WlfwIndRegisterResp = QmiValue<typeof wlfw_ind_register_resp>;

export const wlfw_host_cap_req = qmiRequest('wlfw_host_cap_req', QMI_WLFW_HOST_CAP_V01, {
  num_clients: opt(0x10, u32),
  wake_msi: opt(0x11, u32),
  gpios: opt(0x12, varArray(u32, QMI_WLFW_MAX_NUM_GPIO_V01)),
  nm_modem: opt(0x13, u8),
  bdf_support: opt(0x14, u8),
  bdf_cache_support: opt(0x15, u8),
  m3_support: opt(0x16, u8),
  m3_cache_support: opt(0x17, u8),
  cal_filesys_support: opt(0x18, u8),
  cal_cache_support: opt(0x19, u8),
  cal_done: opt(0x1A, u8),
  mem_bucket: opt(0x1B, u32),
  mem_cfg_mode: opt(0x1C, u8),
  cal_duration: opt(0x1D, u16),
  platform_name: opt(0x1E, str(QMI_WLFW_MAX_PLATFORM_NAME_LEN_V01)),
  ddr_range: opt(0x1F, fixedArray(wlfw_host_ddr_range, QMI_WLFW_MAX_HOST_DDR_RANGE_SIZE_V01)),
  host_build_type: opt(0x20, enum32),
  mlo_capable: opt(0x21, u8),
  mlo_chip_id: opt(0x22, u16),
  mlo_group_id: opt(0x23, u8),
  max_mlo_peer: opt(0x24, u16),
  mlo_num_chips: opt(0x25, u8),
  mlo_chip_info: opt(0x26, fixedArray(wlfw_host_mlo_chip_info, QMI_WLFW_MAX_NUM_MLO_CHIPS_V01)),
  feature_list: opt(0x27, u64),
});
export type WlfwHostCapReq = QmiValue<typeof wlfw_host_cap_req>;

export const wlfw_host_cap_resp = qmiResponse('wlfw_host_cap_resp', QMI_WLFW_HOST_CAP_V01, {
  resp: req(0x02, qmi_response_type_v01),
});
export type WlfwHostCapResp = QmiValue<typeof wlfw_host_cap_resp>;

export const wlfw_request_mem_ind = qmiIndication('wlfw_request_mem_ind', QMI_WLFW_REQUEST_MEM_IND_V01, {
  mem_seg: req(0x01, varArray(wlfw_mem_seg, QMI_WLFW_MAX_NUM_MEM_SEG_V01)),
});
export type WlfwRequestMemInd = QmiValue<typeof wlfw_request_mem_ind>;

export const wlfw_respond_mem_req = qmiRequest('wlfw_respond_mem_req', QMI_WLFW_RESPOND_MEM_V01, {
  mem_seg: req(0x01, varArray(wlfw_mem_seg_resp, QMI_WLFW_MAX_NUM_MEM_SEG_V01)),
});
export type WlfwRespondMemReq = QmiValue<typeof wlfw_respond_mem_req>;

export const wlfw_respond_mem_resp = qmiResponse('wlfw_respond_mem_resp', QMI_WLFW_RESPOND_MEM_V01, {
  resp: req(0x02, qmi_response_type_v01),
});
export type WlfwRespondMemResp = QmiValue<typeof wlfw_respond_mem_resp>;

export const wlfw_fw_mem_ready_ind = qmiIndication('wlfw_fw_mem_ready_ind', QMI_WLFW_FW_MEM_READY_IND_V01, {});
export type WlfwFwMemReadyInd = QmiValue<typeof wlfw_fw_mem_ready_ind>;

export const wlfw_cap_req = qmiRequest('wlfw_cap_req', QMI_WLFW_CAP_V01, {});
export type WlfwCapReq = QmiValue<typeof wlfw_cap_req>;

export const wlfw_cap_resp = qmiResponse('wlfw_cap_resp', QMI_WLFW_CAP_V01, {
  resp: req(0x02, qmi_response_type_v01),
  chip_info: opt(0x10, wlfw_rf_chip_info),
  board_info: opt(0x11, wlfw_rf_board_info),
  soc_info: opt(0x12, wlfw_soc_info),
  fw_version_info: opt(0x13, wlfw_fw_version_info),
  fw_build_id: opt(0x14, str(QMI_WLFW_MAX_BUILD_ID_LEN_V01)),
  num_macs: opt(0x15, u8),
  voltage_mv: opt(0x16, u32),
  time_freq_hz: opt(0x17, u32),
  otp_version: opt(0x18, u32),
  eeprom_read_timeout: opt(0x19, u32),
  fw_caps: opt(0x1A, u64),
  rd_card_chain_cap: opt(0x1B, u32),
  dev_mem: opt(0x1C, fixedArray(wlfw_dev_mem_info, QMI_WLFW_MAX_DEV_MEM_NUM_V01)),
});
export type WlfwCapResp = QmiValue<typeof wlfw_cap_resp>;

export const wlfw_device_info_req = qmiRequest('wlfw_device_info_req', QMI_WLFW_DEVICE_INFO_V01, {});
export type WlfwDeviceInfoReq = QmiValue<typeof wlfw_device_info_req>;

export const wlfw_device_info_resp = qmiResponse('wlfw_device_info_resp', QMI_WLFW_DEVICE_INFO_V01, {
  resp: req(0x02, qmi_response_type_v01),
  bar_addr: opt(0x10, u64),
  bar_size: opt(0x11, u32),
});
export type WlfwDeviceInfoResp = QmiValue<typeof wlfw_device_info_resp>;

export const wlfw_bdf_download_req = qmiRequest('wlfw_bdf_download_req', QMI_WLFW_BDF_DOWNLOAD_V01, {
  valid: req(0x01, u8),
  file_id: opt(0x10, enum32),
  total_size: opt(0x11, u32),
  seg_id: opt(0x12, u32),
  data: opt(0x13, varArray(u8, QMI_WLFW_MAX_DATA_SIZE_V01)),
  end: opt(0x14, u8),
  bdf_type: opt(0x15, u8),
});
export type WlfwBdfDownloadReq = QmiValue<typeof wlfw_bdf_download_req>;

export const wlfw_bdf_download_resp = qmiResponse('wlfw_bdf_download_resp', QMI_WLFW_BDF_DOWNLOAD_V01, {
  resp: req(0x02, qmi_response_type_v01),
});
export type WlfwBdfDownloadResp = QmiValue<typeof wlfw_bdf_download_resp>;

export const wlfw_m3_info_req = qmiRequest('wlfw_m3_info_req', QMI_WLFW_M3_INFO_V01, {
  addr: req(0x01, u64),
  size: req(0x02, u32),
});
export type WlfwM3InfoReq = QmiValue<typeof wlfw_m3_info_req>;

export const wlfw_m3_info_resp = qmiResponse('wlfw_m3_info_resp', QMI_WLFW_M3_INFO_V01, {
  resp: req(0x02, qmi_response_type_v01),
});
export type WlfwM3InfoResp = QmiValue<typeof wlfw_m3_info_resp>;

export const wlfw_fw_ready_ind = qmiIndication('wlfw_fw_ready_ind', QMI_WLFW_FW_READY_IND_V01, {});
export type WlfwFwReadyInd = QmiValue<typeof wlfw_fw_ready_ind>;

export const wlfw_fw_init_done_ind = qmiIndication('wlfw_fw_init_done_ind', QMI_WLFW_FW_INIT_DONE_IND_V01, {});
export type WlfwFwInitDoneInd = QmiValue<typeof wlfw_fw_init_done_ind>;

export const wlfw_cal_done_ind = qmiIndication('wlfw_cal_done_ind', QMI_WLFW_CAL_DONE_IND_V01, {});
export type WlfwCalDoneInd = QmiValue<typeof wlfw_cal_done_ind>;

export const wlfw_wlan_ini_req = qmiRequest('wlfw_wlan_ini_req', QMI_WLFW_WLAN_INI_V01, {
  enablefwlog: opt(0x10, u8),
});
export type WlfwWlanIniReq = QmiValue<typeof wlfw_wlan_ini_req>;

export const wlfw_wlan_ini_resp = qmiResponse('wlfw_wlan_ini_resp', QMI_WLFW_WLAN_INI_V01, {
  resp: req(0x02, qmi_response_type_v01),
});
export type WlfwWlanIniResp = QmiValue<typeof wlfw_wlan_ini_resp>;

export const wlfw_wlan_cfg_req = qmiRequest('wlfw_wlan_cfg_req', QMI_WLFW_WLAN_CFG_V01, {
  host_version: opt(0x10, str(QMI_WLFW_MAX_STR_LEN_V01)),
  tgt_cfg: opt(0x11, varArray(wlfw_ce_tgt_pipe_cfg, QMI_WLFW_MAX_NUM_CE_V01)),
  svc_cfg: opt(0x12, varArray(wlfw_ce_svc_pipe_cfg, QMI_WLFW_MAX_NUM_SVC_V01)),
  shadow_reg: opt(0x13, varArray(wlfw_shadow_reg_cfg, QMI_WLFW_MAX_NUM_SHADOW_REG_V01)),
  shadow_reg_v2: opt(0x14, varArray(wlfw_shadow_reg_v2_cfg, QMI_WLFW_MAX_NUM_SHADOW_REG_V2_V01)),
  shadow_reg_v3: opt(0x17, varArray(wlfw_shadow_reg_v3_cfg, QMI_WLFW_MAX_NUM_SHADOW_REG_V3_V01)),
});
export type WlfwWlanCfgReq = QmiValue<typeof wlfw_wlan_cfg_req>;

export const wlfw_wlan_cfg_resp = qmiResponse('wlfw_wlan_cfg_resp', QMI_WLFW_WLAN_CFG_V01, {
  resp: req(0x02, qmi_response_type_v01),
});
export type WlfwWlanCfgResp = QmiValue<typeof wlfw_wlan_cfg_resp>;

export const wlfw_wlan_mode_req = qmiRequest('wlfw_wlan_mode_req', QMI_WLFW_WLAN_MODE_V01, {
  mode: req(0x01, u32),
  hw_debug: opt(0x10, u8),
});
export type WlfwWlanModeReq = QmiValue<typeof wlfw_wlan_mode_req>;

export const wlfw_wlan_mode_resp = qmiResponse('wlfw_wlan_mode_resp', QMI_WLFW_WLAN_MODE_V01, {
  resp: req(0x02, qmi_response_type_v01),
});
export type WlfwWlanModeResp = QmiValue<typeof wlfw_wlan_mode_resp>;

export const wlfw_phy_cap_req = qmiRequest('wlfw_phy_cap_req', QMI_WLFW_PHY_CAP_V01, {});
export type WlfwPhyCapReq = QmiValue<typeof wlfw_phy_cap_req>;

export const wlfw_phy_cap_resp = qmiResponse('wlfw_phy_cap_resp', QMI_WLFW_PHY_CAP_V01, {
  resp: req(0x02, qmi_response_type_v01),
  num_phy: opt(0x10, u8),
  board_id: opt(0x11, u32),
  single_chip_mlo_support: opt(0x13, u8),
});
export type WlfwPhyCapResp = QmiValue<typeof wlfw_phy_cap_resp>;

export const wlfw_rejuvenate_ind = qmiIndication('wlfw_rejuvenate_ind', QMI_WLFW_REJUVENATE_IND_V01, {
  cause_for_rejuvenation: opt(0x10, u8),
  requesting_sub_system: opt(0x11, u8),
  line_number: opt(0x12, u16),
  function_name: opt(0x13, str(QMI_WLFW_FUNCTION_NAME_LEN_V01)),
});
export type WlfwRejuvenateInd = QmiValue<typeof wlfw_rejuvenate_ind>;

export const wlfw_rejuvenate_ack_req = qmiRequest('wlfw_rejuvenate_ack_req', QMI_WLFW_REJUVENATE_ACK_V01, {});
export type WlfwRejuvenateAckReq = QmiValue<typeof wlfw_rejuvenate_ack_req>;

export const wlfw_rejuvenate_ack_resp = qmiResponse('wlfw_rejuvenate_ack_resp', QMI_WLFW_REJUVENATE_ACK_V01, {
  resp: req(0x02, qmi_response_type_v01),
});
export type WlfwRejuvenateAckResp = QmiValue<typeof wlfw_rejuvenate_ack_resp>;

/** Every message of package wlfw, keyed by its .qmi name. */
export const messages = {
  wlfw_ind_register_req,
  wlfw_ind_register_resp,
  wlfw_host_cap_req,
  wlfw_host_cap_resp,
  wlfw_request_mem_ind,
  wlfw_respond_mem_req,
  wlfw_respond_mem_resp,
  wlfw_fw_mem_ready_ind,
  wlfw_cap_req,
  wlfw_cap_resp,
  wlfw_device_info_req,
  wlfw_device_info_resp,
  wlfw_bdf_download_req,
  wlfw_bdf_download_resp,
  wlfw_m3_info_req,
  wlfw_m3_info_resp,
  wlfw_fw_ready_ind,
  wlfw_fw_init_done_ind,
  wlfw_cal_done_ind,
  wlfw_wlan_ini_req,
  wlfw_wlan_ini_resp,
  wlfw_wlan_cfg_req,
  wlfw_wlan_cfg_resp,
  wlfw_wlan_mode_req,
  wlfw_wlan_mode_resp,
  wlfw_phy_cap_req,
  wlfw_phy_cap_resp,
  wlfw_rejuvenate_ind,
  wlfw_rejuvenate_ack_req,
  wlfw_rejuvenate_ack_resp,
} as const;
