import type { SimChipProfile } from '../../wlfw/sim';
import { ATH12K_KERNEL_CE, ATH12K_KERNEL_HOST_CAP, ATH12K_KERNEL_SHADOW_WCN7850 } from './kernel-witness';

const MiB = 1024 * 1024;
const KiB = 1024;

const base = {
  family: 'ath12k' as const,
  node: 7,
  boardIdInCap: true,
  numMacs: 1,
  fixedBdfAddr: false,
  // The kernel sends caldata as its file type, CALDATA 2 (ath12k_qmi_load_bdf_qmi).
  caldataType: 2,
  deviceInfo: false,
  phyCap: true,
  mlo: true,
  regdb: true,
  m3: true,
  expectWlanIni: true,
};

// PCI device ids: ath12k/pci.c QCN9274_DEVICE_ID, WCN7850_DEVICE_ID; WCN7850 names
// board data by bus and board (ath12k_pci_probe). Subsystem ids are made up; TCSR_SOC_HW_VERSION
// (ath12k: major bits 11:8) values are stand-ins that satisfy ath12k_pci_probe's revision rule.

/** Firmware behaviour of each simulated ath12k chip. */
export const ATH12K_SIM_PROFILES: Readonly<Record<string, SimChipProfile>> = {
  QCN9274: {
    ...base,
    chip: 'QCN9274',
    kernelCe: ATH12K_KERNEL_CE.QCN9274,
    featureList: ATH12K_KERNEL_HOST_CAP.QCN9274.featureList,
    maxMloPeer: ATH12K_KERNEL_HOST_CAP.QCN9274.maxMloPeer,
    // firmware-2.bin advertises ATH12K_FW_FEATURE_MLO (bit 1), as QCN9274 firmware does.
    fwFeatures: [1],
    socHwVersion: 0x200,
    pci: { device: 0x1109, subsystemVendor: 0x17cb, subsystemDevice: 0x1109 },
    bdfSearchBusAndBoard: false,
    hwRev: 'hw2.0',
    instance: 0x07,
    chipId: 0x0,
    chipFamily: 0x5,
    socId: 0x92740200,
    fwVersion: 0x0001_0a27,
    fwBuildTimestamp: '2024-08-19 12:30',
    fwBuildId: 'WLAN.WBE.1.3.1-00218-QCAHKSWPL_SILICONZ-1',
    boardElf: false,
    caldata: true,
    boardSize: 120 * KiB,
    numPhy: 2,
    memoryRequests: [[...Array.from({ length: 6 }, () => ({ size: 2 * MiB, type: 1 })), { size: 512 * KiB, type: 3 }, { size: 256 * KiB, type: 4 }]],
    hostCap: { m3_support: 1, mem_cfg_mode: 0 },
    shadow: 'none',
  },
  WCN7850: {
    ...base,
    chip: 'WCN7850',
    kernelCe: ATH12K_KERNEL_CE.WCN7850,
    kernelShadow: ATH12K_KERNEL_SHADOW_WCN7850,
    featureList: ATH12K_KERNEL_HOST_CAP.WCN7850.featureList,
    maxMloPeer: ATH12K_KERNEL_HOST_CAP.WCN7850.maxMloPeer,
    singleChipMlo: true,
    socHwVersion: 0x200,
    pci: { device: 0x1107, subsystemVendor: 0x17cb, subsystemDevice: 0x3378 },
    bdfSearchBusAndBoard: true,
    hwRev: 'hw2.0',
    instance: 0x01,
    chipId: 0x2,
    chipFamily: 0x5,
    socId: 0x78500210,
    fwVersion: 0x0001_0025,
    fwBuildTimestamp: '2024-05-07 03:12',
    fwBuildId: 'WLAN.HMT.1.0.c5-00481-QCAHMTSWPL_V1.0_V2.0_SILICONZ-3',
    boardElf: true,
    caldata: false,
    boardSize: 110 * KiB,
    numPhy: 1,
    memoryRequests: [
      [{ size: 6 * MiB, type: 1 }],
      Array.from({ length: 14 }, () => ({ size: 512 * KiB, type: 1 })),
    ],
    hostCap: { m3_support: 1, mem_cfg_mode: 0, nm_modem: 0x0e },
    shadow: 'v3',
  },
  'QCN9274 hw1.0': {
    ...base,
    chip: 'QCN9274',
    kernelCe: ATH12K_KERNEL_CE.QCN9274,
    featureList: ATH12K_KERNEL_HOST_CAP.QCN9274.featureList,
    maxMloPeer: ATH12K_KERNEL_HOST_CAP.QCN9274.maxMloPeer,
    pci: { device: 0x1109, subsystemVendor: 0x17cb, subsystemDevice: 0x1109 },
    socHwVersion: 0x100,
    bdfSearchBusAndBoard: false,
    hwRev: 'hw1.0',
    instance: 0x07,
    chipId: 0x0,
    chipFamily: 0x5,
    socId: 0x92740100,
    fwVersion: 0x0001_0901,
    fwBuildTimestamp: '2023-06-01 10:00',
    fwBuildId: 'WLAN.WBE.1.0.1-00104-QCAHKSWPL_SILICONZ-1',
    boardElf: false,
    caldata: true,
    boardSize: 120 * KiB,
    numPhy: 1,
    memoryRequests: [[...Array.from({ length: 4 }, () => ({ size: 2 * MiB, type: 1 })), { size: 256 * KiB, type: 4 }]],
    hostCap: { m3_support: 1, mem_cfg_mode: 0 },
    shadow: 'none',
  },
};
