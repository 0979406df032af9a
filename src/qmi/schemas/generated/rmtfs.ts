// Generated from src/qmi/schemas/rmtfs.qmi (package rmtfs) by src/qmi/idl/codegen-cli.ts. Do not edit.
import { opt, qmiIndication, qmiRequest, qmiResponse, req, str, struct, u16, u32, u64, u8, varArray, type QmiValue } from '../../codec';

export const PACKAGE = 'rmtfs';

export const RMTFS_SERVICE_ID = 0x0E;
export const RMTFS_SERVICE_VERS = 1;
export const QMI_RMTFS_RESULT_SUCCESS = 0;
export const QMI_RMTFS_RESULT_FAILURE = 1;
export const QMI_RMTFS_OPEN = 1;
export const QMI_RMTFS_CLOSE = 2;
export const QMI_RMTFS_RW_IOVEC = 3;
export const QMI_RMTFS_ALLOC_BUFF = 4;
export const QMI_RMTFS_GET_DEV_ERROR = 5;
export const QMI_RMTFS_FORCE_SYNC_IND = 6;
export const RMTFS_MAX_IOVECS = 0xFF;
export const RMTFS_MAX_CALLERS = 0x0A;

export const qmi_result = struct('qmi_result', {
  result: u16,
  error: u16,
});

export const rmtfs_iovec_entry = struct('rmtfs_iovec_entry', {
  sector_addr: u32,
  phys_offset: u32,
  num_sector: u32,
});

export const rmtfs_open_req = qmiRequest('rmtfs_open_req', QMI_RMTFS_OPEN, {
  path: req(0x01, str()),
});
export type RmtfsOpenReq = QmiValue<typeof rmtfs_open_req>;

export const rmtfs_open_resp = qmiResponse('rmtfs_open_resp', QMI_RMTFS_OPEN, {
  result: req(0x02, qmi_result),
  caller_id: opt(0x10, u32),
});
export type RmtfsOpenResp = QmiValue<typeof rmtfs_open_resp>;

export const rmtfs_close_req = qmiRequest('rmtfs_close_req', QMI_RMTFS_CLOSE, {
  caller_id: req(0x01, u32),
});
export type RmtfsCloseReq = QmiValue<typeof rmtfs_close_req>;

export const rmtfs_close_resp = qmiResponse('rmtfs_close_resp', QMI_RMTFS_CLOSE, {
  result: req(0x02, qmi_result),
});
export type RmtfsCloseResp = QmiValue<typeof rmtfs_close_resp>;

export const rmtfs_iovec_req = qmiRequest('rmtfs_iovec_req', QMI_RMTFS_RW_IOVEC, {
  caller_id: req(0x01, u32),
  direction: req(0x02, u8),
  iovec: req(0x03, varArray(rmtfs_iovec_entry, RMTFS_MAX_IOVECS)),
  is_force_sync: req(0x04, u8),
});
export type RmtfsIovecReq = QmiValue<typeof rmtfs_iovec_req>;

export const rmtfs_iovec_resp = qmiResponse('rmtfs_iovec_resp', QMI_RMTFS_RW_IOVEC, {
  result: req(0x02, qmi_result),
});
export type RmtfsIovecResp = QmiValue<typeof rmtfs_iovec_resp>;

export const rmtfs_alloc_buf_req = qmiRequest('rmtfs_alloc_buf_req', QMI_RMTFS_ALLOC_BUFF, {
  caller_id: req(0x01, u32),
  buff_size: req(0x02, u32),
});
export type RmtfsAllocBufReq = QmiValue<typeof rmtfs_alloc_buf_req>;

export const rmtfs_alloc_buf_resp = qmiResponse('rmtfs_alloc_buf_resp', QMI_RMTFS_ALLOC_BUFF, {
  result: req(0x02, qmi_result),
  buff_address: opt(0x10, u64),
});
export type RmtfsAllocBufResp = QmiValue<typeof rmtfs_alloc_buf_resp>;

export const rmtfs_dev_error_req = qmiRequest('rmtfs_dev_error_req', QMI_RMTFS_GET_DEV_ERROR, {
  caller_id: req(0x01, u32),
});
export type RmtfsDevErrorReq = QmiValue<typeof rmtfs_dev_error_req>;

export const rmtfs_dev_error_resp = qmiResponse('rmtfs_dev_error_resp', QMI_RMTFS_GET_DEV_ERROR, {
  result: req(0x02, qmi_result),
  status: opt(0x10, u8),
});
export type RmtfsDevErrorResp = QmiValue<typeof rmtfs_dev_error_resp>;

export const rmtfs_force_sync_ind = qmiIndication('rmtfs_force_sync_ind', QMI_RMTFS_FORCE_SYNC_IND, {
  caller_id: req(0x01, varArray(u32, RMTFS_MAX_CALLERS)),
});
export type RmtfsForceSyncInd = QmiValue<typeof rmtfs_force_sync_ind>;

/** Every message of package rmtfs, keyed by its .qmi name. */
export const messages = {
  rmtfs_open_req,
  rmtfs_open_resp,
  rmtfs_close_req,
  rmtfs_close_resp,
  rmtfs_iovec_req,
  rmtfs_iovec_resp,
  rmtfs_alloc_buf_req,
  rmtfs_alloc_buf_resp,
  rmtfs_dev_error_req,
  rmtfs_dev_error_resp,
  rmtfs_force_sync_ind,
} as const;
