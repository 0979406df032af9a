// Generated from src/qmi/schemas/dms.qmi (package dms) by src/qmi/idl/codegen-cli.ts. Do not edit.
import { opt, qmiRequest, qmiResponse, req, str, struct, u16, type QmiValue } from '../../codec';

export const PACKAGE = 'dms';

export const DMS_SERVICE_ID = 2;
export const QMI_DMS_GET_MANUFACTURER = 0x21;
export const QMI_DMS_GET_MODEL = 0x22;
export const QMI_DMS_GET_REVISION = 0x23;
export const QMI_DMS_GET_IDS = 0x25;

export const qmi_result = struct('qmi_result', {
  result: u16,
  error: u16,
});

export const dms_get_manufacturer_req = qmiRequest('dms_get_manufacturer_req', QMI_DMS_GET_MANUFACTURER, {});
export type DmsGetManufacturerReq = QmiValue<typeof dms_get_manufacturer_req>;

export const dms_get_manufacturer_resp = qmiResponse('dms_get_manufacturer_resp', QMI_DMS_GET_MANUFACTURER, {
  result: req(0x02, qmi_result),
  manufacturer: req(0x01, str()),
});
export type DmsGetManufacturerResp = QmiValue<typeof dms_get_manufacturer_resp>;

export const dms_get_model_req = qmiRequest('dms_get_model_req', QMI_DMS_GET_MODEL, {});
export type DmsGetModelReq = QmiValue<typeof dms_get_model_req>;

export const dms_get_model_resp = qmiResponse('dms_get_model_resp', QMI_DMS_GET_MODEL, {
  result: req(0x02, qmi_result),
  model: req(0x01, str()),
});
export type DmsGetModelResp = QmiValue<typeof dms_get_model_resp>;

export const dms_get_revision_req = qmiRequest('dms_get_revision_req', QMI_DMS_GET_REVISION, {});
export type DmsGetRevisionReq = QmiValue<typeof dms_get_revision_req>;

export const dms_get_revision_resp = qmiResponse('dms_get_revision_resp', QMI_DMS_GET_REVISION, {
  result: req(0x02, qmi_result),
  revision: req(0x01, str()),
});
export type DmsGetRevisionResp = QmiValue<typeof dms_get_revision_resp>;

export const dms_get_ids_req = qmiRequest('dms_get_ids_req', QMI_DMS_GET_IDS, {});
export type DmsGetIdsReq = QmiValue<typeof dms_get_ids_req>;

export const dms_get_ids_resp = qmiResponse('dms_get_ids_resp', QMI_DMS_GET_IDS, {
  result: req(0x02, qmi_result),
  esn: opt(0x10, str()),
  imei: opt(0x11, str()),
  meid: opt(0x12, str()),
});
export type DmsGetIdsResp = QmiValue<typeof dms_get_ids_resp>;

/** Every message of package dms, keyed by its .qmi name. */
export const messages = {
  dms_get_manufacturer_req,
  dms_get_manufacturer_resp,
  dms_get_model_req,
  dms_get_model_resp,
  dms_get_revision_req,
  dms_get_revision_resp,
  dms_get_ids_req,
  dms_get_ids_resp,
} as const;
