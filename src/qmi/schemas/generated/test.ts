// Generated from src/qmi/schemas/test.qmi (package test) by src/qmi/idl/codegen-cli.ts. Do not edit.
import { fixedArray, opt, qmiRequest, qmiResponse, req, struct, u16, u8, varArray, type QmiValue } from '../../codec';

export const PACKAGE = 'test';

export const TEST_SERVICE_ID = 0x0F;
export const TEST_SERVICE_VERS = 1;
export const TEST_PING_REQ_MSG_ID = 0x20;
export const TEST_DATA_REQ_MSG_ID = 0x21;
export const TEST_MAX_NAME_SIZE = 0xFF;
export const TEST_MED_DATA_SIZE = 0x2000;

export const qmi_response_type_v01 = struct('qmi_response_type_v01', {
  result: u16,
  error: u16,
});

export const test_name_type = struct('test_name_type', {
  name: varArray(u8, TEST_MAX_NAME_SIZE),
});

export const test_ping_req = qmiRequest('test_ping_req', TEST_PING_REQ_MSG_ID, {
  ping: req(0x01, fixedArray(u8, 4)),
  client_name: opt(0x10, test_name_type),
});
export type TestPingReq = QmiValue<typeof test_ping_req>;

export const test_ping_resp = qmiResponse('test_ping_resp', TEST_PING_REQ_MSG_ID, {
  resp: req(0x02, qmi_response_type_v01),
  pong: opt(0x10, fixedArray(u8, 4)),
  service_name: opt(0x11, test_name_type),
});
export type TestPingResp = QmiValue<typeof test_ping_resp>;

export const test_data_req = qmiRequest('test_data_req', TEST_DATA_REQ_MSG_ID, {
  data: req(0x01, varArray(u8, TEST_MED_DATA_SIZE)),
  client_name: opt(0x10, test_name_type),
});
export type TestDataReq = QmiValue<typeof test_data_req>;

export const test_data_resp = qmiResponse('test_data_resp', TEST_DATA_REQ_MSG_ID, {
  resp: req(0x02, qmi_response_type_v01),
  data: opt(0x10, varArray(u8, TEST_MED_DATA_SIZE)),
  service_name: opt(0x11, test_name_type),
});
export type TestDataResp = QmiValue<typeof test_data_resp>;

/** Every message of package test, keyed by its .qmi name. */
export const messages = {
  test_ping_req,
  test_ping_resp,
  test_data_req,
  test_data_resp,
} as const;
