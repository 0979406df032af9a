// Generated from src/qmi/schemas/wda.qmi (package wda) by src/qmi/idl/codegen-cli.ts. Do not edit.
import { opt, qmiIndication, qmiRequest, qmiResponse, req, struct, u16, u32, u8, type QmiValue } from '../../codec';

export const PACKAGE = 'wda';

export const WDA_SERVICE_ID = 0x1A;
export const QMI_WDA_SET_DATA_FORMAT = 0x20;
export const QMI_WDA_GET_DATA_FORMAT = 0x21;
export const QMI_WDA_LOOPBACK_CONFIGURATION = 0x2F;
export const QMI_WDA_LINK_LAYER_RAW_IP = 2;
export const QMI_WDA_AGGREGATION_DISABLED = 0;
export const QMI_WDA_AGGREGATION_QMAP = 5;
export const QMI_WDA_AGGREGATION_QMAPV4 = 8;
export const QMI_WDA_AGGREGATION_QMAPV5 = 9;
export const QMI_DATA_ENDPOINT_TYPE_BAM_DMUX = 5;

export const qmi_result = struct('qmi_result', {
  result: u16,
  error: u16,
});

export const wda_endpoint_info = struct('wda_endpoint_info', {
  endpoint_type: u32,
  interface_number: u32,
});

export const wda_set_data_format_req = qmiRequest('wda_set_data_format_req', QMI_WDA_SET_DATA_FORMAT, {
  qos_format: opt(0x10, u8),
  link_layer_protocol: opt(0x11, u32),
  ul_aggregation_protocol: opt(0x12, u32),
  dl_aggregation_protocol: opt(0x13, u32),
  ndp_signature: opt(0x14, u32),
  dl_max_datagrams: opt(0x15, u32),
  dl_max_size: opt(0x16, u32),
  endpoint_info: opt(0x17, wda_endpoint_info),
  ul_max_datagrams: opt(0x1B, u32),
  ul_max_size: opt(0x1C, u32),
});
export type WdaSetDataFormatReq = QmiValue<typeof wda_set_data_format_req>;

export const wda_set_data_format_resp = qmiResponse('wda_set_data_format_resp', QMI_WDA_SET_DATA_FORMAT, {
  result: req(0x02, qmi_result),
  qos_format: opt(0x10, u8),
  link_layer_protocol: opt(0x11, u32),
  ul_aggregation_protocol: opt(0x12, u32),
  dl_aggregation_protocol: opt(0x13, u32),
  ndp_signature: opt(0x14, u32),
  dl_max_datagrams: opt(0x15, u32),
  dl_max_size: opt(0x16, u32),
  ul_max_datagrams: opt(0x17, u32),
  ul_max_size: opt(0x18, u32),
  dl_min_padding: opt(0x1A, u32),
  flow_control: opt(0x1B, u8),
});
export type WdaSetDataFormatResp = QmiValue<typeof wda_set_data_format_resp>;

export const wda_get_data_format_req = qmiRequest('wda_get_data_format_req', QMI_WDA_GET_DATA_FORMAT, {
  endpoint_info: opt(0x10, wda_endpoint_info),
});
export type WdaGetDataFormatReq = QmiValue<typeof wda_get_data_format_req>;

export const wda_get_data_format_resp = qmiResponse('wda_get_data_format_resp', QMI_WDA_GET_DATA_FORMAT, {
  result: req(0x02, qmi_result),
  qos_format: opt(0x10, u8),
  link_layer_protocol: opt(0x11, u32),
  ul_aggregation_protocol: opt(0x12, u32),
  dl_aggregation_protocol: opt(0x13, u32),
  ndp_signature: opt(0x14, u32),
  dl_max_datagrams: opt(0x15, u32),
  dl_max_size: opt(0x16, u32),
  ul_max_datagrams: opt(0x17, u32),
  ul_max_size: opt(0x18, u32),
  dl_min_padding: opt(0x1A, u32),
  flow_control: opt(0x1B, u8),
});
export type WdaGetDataFormatResp = QmiValue<typeof wda_get_data_format_resp>;

export const wda_loopback_configuration_req = qmiRequest('wda_loopback_configuration_req', QMI_WDA_LOOPBACK_CONFIGURATION, {
  loopback_state: req(0x01, u8),
  replication_factor: opt(0x10, u32),
});
export type WdaLoopbackConfigurationReq = QmiValue<typeof wda_loopback_configuration_req>;

export const wda_loopback_configuration_resp = qmiResponse('wda_loopback_configuration_resp', QMI_WDA_LOOPBACK_CONFIGURATION, {
  result: req(0x02, qmi_result),
});
export type WdaLoopbackConfigurationResp = QmiValue<typeof wda_loopback_configuration_resp>;

export const wda_loopback_configuration_ind = qmiIndication('wda_loopback_configuration_ind', QMI_WDA_LOOPBACK_CONFIGURATION, {
  loopback_state: req(0x01, u8),
  replication_factor: opt(0x10, u32),
});
export type WdaLoopbackConfigurationInd = QmiValue<typeof wda_loopback_configuration_ind>;

/** Every message of package wda, keyed by its .qmi name. */
export const messages = {
  wda_set_data_format_req,
  wda_set_data_format_resp,
  wda_get_data_format_req,
  wda_get_data_format_resp,
  wda_loopback_configuration_req,
  wda_loopback_configuration_resp,
  wda_loopback_configuration_ind,
} as const;
