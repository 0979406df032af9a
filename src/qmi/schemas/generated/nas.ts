// Generated from src/qmi/schemas/nas.qmi (package nas) by src/qmi/idl/codegen-cli.ts. Do not edit.
import { opt, qmiRequest, qmiResponse, req, str, struct, u16, u8, varArray, type QmiValue } from '../../codec';

export const PACKAGE = 'nas';

export const NAS_SERVICE_ID = 3;
export const QMI_NAS_REGISTER_INDICATIONS = 3;
export const QMI_NAS_GET_SERVING_SYSTEM = 0x24;

export const qmi_result = struct('qmi_result', {
  result: u16,
  error: u16,
});

export const nas_serving_system = struct('nas_serving_system', {
  registration_state: u8,
  cs_attach_state: u8,
  ps_attach_state: u8,
  selected_network: u8,
  radio_interfaces: varArray(u8, 255),
});

export const nas_current_plmn = struct('nas_current_plmn', {
  mcc: u16,
  mnc: u16,
  description: str(255),
});

export const nas_register_indications_req = qmiRequest('nas_register_indications_req', QMI_NAS_REGISTER_INDICATIONS, {
  system_selection_preference: opt(0x10, u8),
  ddtm_events: opt(0x12, u8),
  serving_system_events: opt(0x13, u8),
  dual_standby_preference: opt(0x14, u8),
  subscription_info: opt(0x15, u8),
  network_time: opt(0x17, u8),
  system_info: opt(0x18, u8),
  signal_info: opt(0x19, u8),
  error_rate: opt(0x1A, u8),
});
export type NasRegisterIndicationsReq = QmiValue<typeof nas_register_indications_req>;

export const nas_register_indications_resp = qmiResponse('nas_register_indications_resp', QMI_NAS_REGISTER_INDICATIONS, {
  result: req(0x02, qmi_result),
});
export type NasRegisterIndicationsResp = QmiValue<typeof nas_register_indications_resp>;

export const nas_get_serving_system_req = qmiRequest('nas_get_serving_system_req', QMI_NAS_GET_SERVING_SYSTEM, {});
export type NasGetServingSystemReq = QmiValue<typeof nas_get_serving_system_req>;

export const nas_get_serving_system_resp = qmiResponse('nas_get_serving_system_resp', QMI_NAS_GET_SERVING_SYSTEM, {
  result: req(0x02, qmi_result),
  serving_system: req(0x01, nas_serving_system),
  roaming_indicator: opt(0x10, u8),
  data_service_capability: opt(0x11, varArray(u8, 255)),
  current_plmn: opt(0x12, nas_current_plmn),
});
export type NasGetServingSystemResp = QmiValue<typeof nas_get_serving_system_resp>;

/** Every message of package nas, keyed by its .qmi name. */
export const messages = {
  nas_register_indications_req,
  nas_register_indications_resp,
  nas_get_serving_system_req,
  nas_get_serving_system_resp,
} as const;
