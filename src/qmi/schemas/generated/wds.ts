// Generated from src/qmi/schemas/wds.qmi (package wds) by src/qmi/idl/codegen-cli.ts. Do not edit.
import { fixedArray, opt, qmiIndication, qmiRequest, qmiResponse, req, str, struct, u16, u32, u8, type QmiValue } from '../../codec';

export const PACKAGE = 'wds';

export const WDS_SERVICE_ID = 1;
export const QMI_WDS_SET_EVENT_REPORT = 1;
export const QMI_WDS_INDICATION_REGISTER = 3;
export const QMI_WDS_START_NETWORK = 0x20;
export const QMI_WDS_STOP_NETWORK = 0x21;
export const QMI_WDS_GET_PACKET_SERVICE_STATUS = 0x22;
export const QMI_WDS_PACKET_SERVICE_STATUS = 0x22;
export const QMI_WDS_GET_CURRENT_SETTINGS = 0x2D;
export const QMI_WDS_SET_IP_FAMILY = 0x4D;
export const QMI_WDS_BIND_DATA_PORT = 0x89;
export const QMI_WDS_BIND_MUX_DATA_PORT = 0xA2;
export const QMI_WDS_CONNECTION_STATUS_DISCONNECTED = 1;
export const QMI_WDS_CONNECTION_STATUS_CONNECTED = 2;
export const QMI_WDS_IP_FAMILY_IPV4 = 4;
export const QMI_WDS_IP_FAMILY_IPV6 = 6;
export const QMI_SIO_PORT_A2_MUX_RMNET0 = 0xE04;
export const QMI_WDS_GLOBAL_PACKET_DATA_HANDLE = 0xFFFFFFFF;

export const qmi_result = struct('qmi_result', {
  result: u16,
  error: u16,
});

export const wds_transfer_statistics = struct('wds_transfer_statistics', {
  interval_seconds: u8,
  indicators: u32,
});

export const wds_endpoint_info = struct('wds_endpoint_info', {
  endpoint_type: u32,
  interface_number: u32,
});

export const wds_verbose_call_end_reason = struct('wds_verbose_call_end_reason', {
  type: u16,
  reason: u16,
});

export const wds_connection_status = struct('wds_connection_status', {
  status: u8,
  reconfiguration_required: u8,
});

export const wds_ipv6_address = struct('wds_ipv6_address', {
  address: fixedArray(u8, 16),
  prefix_length: u8,
});

export const wds_set_event_report_req = qmiRequest('wds_set_event_report_req', QMI_WDS_SET_EVENT_REPORT, {
  channel_rate: opt(0x10, u8),
  transfer_statistics: opt(0x11, wds_transfer_statistics),
  data_bearer_technology: opt(0x12, u8),
  dormancy_status: opt(0x13, u8),
  mip_status: opt(0x14, u8),
  current_data_bearer_technology: opt(0x15, u8),
  data_call_status: opt(0x17, u8),
  preferred_data_system: opt(0x18, u8),
  evdo_pm_change: opt(0x19, u8),
  data_systems: opt(0x1A, u8),
  uplink_flow_control: opt(0x1B, u8),
  limited_data_system_status: opt(0x1C, u8),
  pdn_filter_removals: opt(0x1D, u8),
  extended_data_bearer_technology: opt(0x1E, u8),
});
export type WdsSetEventReportReq = QmiValue<typeof wds_set_event_report_req>;

export const wds_set_event_report_resp = qmiResponse('wds_set_event_report_resp', QMI_WDS_SET_EVENT_REPORT, {
  result: req(0x02, qmi_result),
});
export type WdsSetEventReportResp = QmiValue<typeof wds_set_event_report_resp>;

export const wds_indication_register_req = qmiRequest('wds_indication_register_req', QMI_WDS_INDICATION_REGISTER, {
  report_extended_ip_configuration_change: opt(0x12, u8),
});
export type WdsIndicationRegisterReq = QmiValue<typeof wds_indication_register_req>;

export const wds_indication_register_resp = qmiResponse('wds_indication_register_resp', QMI_WDS_INDICATION_REGISTER, {
  result: req(0x02, qmi_result),
});
export type WdsIndicationRegisterResp = QmiValue<typeof wds_indication_register_resp>;

export const wds_start_network_req = qmiRequest('wds_start_network_req', QMI_WDS_START_NETWORK, {
  primary_dns_preference: opt(0x10, u32),
  secondary_dns_preference: opt(0x11, u32),
  primary_nbns_preference: opt(0x12, u32),
  secondary_nbns_preference: opt(0x13, u32),
  apn: opt(0x14, str()),
  ipv4_address_preference: opt(0x15, u32),
  authentication_preference: opt(0x16, u8),
  username: opt(0x17, str()),
  password: opt(0x18, str()),
  ip_family_preference: opt(0x19, u8),
  technology_preference: opt(0x30, u8),
  profile_index_3gpp: opt(0x31, u8),
  profile_index_3gpp2: opt(0x32, u8),
  enable_autoconnect: opt(0x33, u8),
  extended_technology_preference: opt(0x34, u16),
  call_type: opt(0x35, u8),
});
export type WdsStartNetworkReq = QmiValue<typeof wds_start_network_req>;

export const wds_start_network_resp = qmiResponse('wds_start_network_resp', QMI_WDS_START_NETWORK, {
  result: req(0x02, qmi_result),
  packet_data_handle: req(0x01, u32),
  call_end_reason: opt(0x10, u16),
  verbose_call_end_reason: opt(0x11, wds_verbose_call_end_reason),
});
export type WdsStartNetworkResp = QmiValue<typeof wds_start_network_resp>;

export const wds_stop_network_req = qmiRequest('wds_stop_network_req', QMI_WDS_STOP_NETWORK, {
  packet_data_handle: req(0x01, u32),
  disable_autoconnect: opt(0x10, u8),
});
export type WdsStopNetworkReq = QmiValue<typeof wds_stop_network_req>;

export const wds_stop_network_resp = qmiResponse('wds_stop_network_resp', QMI_WDS_STOP_NETWORK, {
  result: req(0x02, qmi_result),
});
export type WdsStopNetworkResp = QmiValue<typeof wds_stop_network_resp>;

export const wds_get_packet_service_status_req = qmiRequest('wds_get_packet_service_status_req', QMI_WDS_GET_PACKET_SERVICE_STATUS, {});
export type WdsGetPacketServiceStatusReq = QmiValue<typeof wds_get_packet_service_status_req>;

export const wds_get_packet_service_status_resp = qmiResponse('wds_get_packet_service_status_resp', QMI_WDS_GET_PACKET_SERVICE_STATUS, {
  result: req(0x02, qmi_result),
  connection_status: req(0x01, u8),
});
export type WdsGetPacketServiceStatusResp = QmiValue<typeof wds_get_packet_service_status_resp>;

export const wds_packet_service_status_ind = qmiIndication('wds_packet_service_status_ind', QMI_WDS_PACKET_SERVICE_STATUS, {
  connection_status: req(0x01, wds_connection_status),
  call_end_reason: opt(0x10, u16),
  verbose_call_end_reason: opt(0x11, wds_verbose_call_end_reason),
  ip_family: opt(0x12, u8),
  extended_technology_preference: opt(0x34, u16),
});
export type WdsPacketServiceStatusInd = QmiValue<typeof wds_packet_service_status_ind>;

export const wds_get_current_settings_req = qmiRequest('wds_get_current_settings_req', QMI_WDS_GET_CURRENT_SETTINGS, {
  requested_settings: req(0x10, u32),
});
export type WdsGetCurrentSettingsReq = QmiValue<typeof wds_get_current_settings_req>;

export const wds_get_current_settings_resp = qmiResponse('wds_get_current_settings_resp', QMI_WDS_GET_CURRENT_SETTINGS, {
  result: req(0x02, qmi_result),
  profile_name: opt(0x10, str()),
  pdp_type: opt(0x11, u8),
  apn_name: opt(0x14, str()),
  primary_ipv4_dns_address: opt(0x15, u32),
  secondary_ipv4_dns_address: opt(0x16, u32),
  username: opt(0x1B, str()),
  authentication: opt(0x1D, u8),
  ipv4_address: opt(0x1E, u32),
  ipv4_gateway_address: opt(0x20, u32),
  ipv4_gateway_subnet_mask: opt(0x21, u32),
  ipv6_address: opt(0x25, wds_ipv6_address),
  ipv6_gateway_address: opt(0x26, wds_ipv6_address),
  ipv6_primary_dns_address: opt(0x27, fixedArray(u8, 16)),
  ipv6_secondary_dns_address: opt(0x28, fixedArray(u8, 16)),
  mtu: opt(0x29, u32),
  ip_family: opt(0x2B, u8),
});
export type WdsGetCurrentSettingsResp = QmiValue<typeof wds_get_current_settings_resp>;

export const wds_set_ip_family_req = qmiRequest('wds_set_ip_family_req', QMI_WDS_SET_IP_FAMILY, {
  preference: req(0x01, u8),
});
export type WdsSetIpFamilyReq = QmiValue<typeof wds_set_ip_family_req>;

export const wds_set_ip_family_resp = qmiResponse('wds_set_ip_family_resp', QMI_WDS_SET_IP_FAMILY, {
  result: req(0x02, qmi_result),
});
export type WdsSetIpFamilyResp = QmiValue<typeof wds_set_ip_family_resp>;

export const wds_bind_data_port_req = qmiRequest('wds_bind_data_port_req', QMI_WDS_BIND_DATA_PORT, {
  data_port: req(0x01, u16),
});
export type WdsBindDataPortReq = QmiValue<typeof wds_bind_data_port_req>;

export const wds_bind_data_port_resp = qmiResponse('wds_bind_data_port_resp', QMI_WDS_BIND_DATA_PORT, {
  result: req(0x02, qmi_result),
});
export type WdsBindDataPortResp = QmiValue<typeof wds_bind_data_port_resp>;

export const wds_bind_mux_data_port_req = qmiRequest('wds_bind_mux_data_port_req', QMI_WDS_BIND_MUX_DATA_PORT, {
  endpoint_info: opt(0x10, wds_endpoint_info),
  mux_id: opt(0x11, u8),
  client_type: opt(0x13, u32),
});
export type WdsBindMuxDataPortReq = QmiValue<typeof wds_bind_mux_data_port_req>;

export const wds_bind_mux_data_port_resp = qmiResponse('wds_bind_mux_data_port_resp', QMI_WDS_BIND_MUX_DATA_PORT, {
  result: req(0x02, qmi_result),
});
export type WdsBindMuxDataPortResp = QmiValue<typeof wds_bind_mux_data_port_resp>;

/** Every message of package wds, keyed by its .qmi name. */
export const messages = {
  wds_set_event_report_req,
  wds_set_event_report_resp,
  wds_indication_register_req,
  wds_indication_register_resp,
  wds_start_network_req,
  wds_start_network_resp,
  wds_stop_network_req,
  wds_stop_network_resp,
  wds_get_packet_service_status_req,
  wds_get_packet_service_status_resp,
  wds_packet_service_status_ind,
  wds_get_current_settings_req,
  wds_get_current_settings_resp,
  wds_set_ip_family_req,
  wds_set_ip_family_resp,
  wds_bind_data_port_req,
  wds_bind_data_port_resp,
  wds_bind_mux_data_port_req,
  wds_bind_mux_data_port_resp,
} as const;
