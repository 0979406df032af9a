import { shadowRegisterList, type WlfwChipParams } from '../../wlfw/src';
import { SERVICE_MAP_QCN9274, SERVICE_MAP_WCN7850, TARGET_CE_QCN9274, TARGET_CE_WCN7850 } from './ce-tables';

const common = {
  family: 'ath12k' as const,
  globalReset: true,
  socIdMask: 0xffff0000,
  bus: 'pci' as const,
  deviceInfo: false,
  fixedFwMem: false,
  fixedMemRegion: false,
  fixedBdfAddr: false,
  supportsRegdb: true,
  boardElf: true,
  wlanIni: true,
  m3: true,
  memCfgMode: 0,
  maxBoardSize: 512 * 1024,
};

// PCI device ids and board-2.bin search mode: ath12k/pci.c ath12k_pci_id_table and
// ath12k_pci_probe (WCN7850 sets ATH12K_BDF_SEARCH_BUS_AND_BOARD, QCN9274 keeps the default).

/** ath12k chips (reference §4.1/§4.4): PHY_CAP first, grouped HOST_CAP, shadow registers v3. */
export const ATH12K_CHIPS: readonly WlfwChipParams[] = [
  {
    ...common,
    chip: 'QCN9274',
    // ath12k/hw.c ath12k_hw_params[ATH12K_HW_QCN9274_HW20]: target_ce_config/svc_to_ce_map _qcn9274.
    targetCe: TARGET_CE_QCN9274,
    serviceMap: SERVICE_MAP_QCN9274,
    cnssFeatureBitmap: 0x08,
    pciDeviceId: 0x1109,
    bdfSearch: 'board',
    hwRev: 'hw2.0',
    serviceInstance: 0x07,
    socIds: [0x92740000],
    internalSleepClock: false,
    // download_calib: caldata after the board file, on the wire as file type CALDATA 2 (ath12k_qmi_load_bdf_qmi).
    boardElf: false,
    caldata: true,
    shadowRegs: 'none',
    shadowRegAddrs: [],
  },
  {
    ...common,
    chip: 'WCN7850',
    // ath12k/hw.c ath12k_hw_params[ATH12K_HW_WCN7850_HW20]: target_ce_config/svc_to_ce_map _wcn7850.
    targetCe: TARGET_CE_WCN7850,
    serviceMap: SERVICE_MAP_WCN7850,
    cnssFeatureBitmap: 0x18,
    pciDeviceId: 0x1107,
    bdfSearch: 'bus-and-board',
    hwRev: 'hw2.0',
    serviceInstance: 0x01,
    socIds: [0x78500000],
    internalSleepClock: true,
    caldata: false,
    shadowRegs: 'v3',
    shadowRegAddrs: shadowRegisterList(0x00024000, 40),
  },
];
