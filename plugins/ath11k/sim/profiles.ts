import type { SimChipProfile } from '../../wlfw/sim';
import { ATH11K_KERNEL_CE, ATH11K_KERNEL_NM_MODEM } from './kernel-witness';

const MiB = 1024 * 1024;
const KiB = 1024;

const base = {
  family: 'ath11k' as const,
  node: 7,
  boardIdInCap: true,
  numMacs: 1,
  fixedBdfAddr: false,
  caldataType: 2,
  deviceInfo: false,
  phyCap: false,
  numPhy: 1,
  mlo: false,
  bdfSearchBusAndBoard: false,
};

// PCI device ids: ath11k/pci.c QCA6390_DEVICE_ID, WCN6855_DEVICE_ID, QCN9074_DEVICE_ID;
// WCN6855 names board data by bus and board (ath11k_pci_probe sets ATH11K_BDF_SEARCH_BUS_AND_BOARD).
// The subsystem ids are ones that linux-firmware's WCN6855 board-2.bin lists.

/** Firmware behaviour of each simulated ath11k chip. */
export const ATH11K_SIM_PROFILES: Readonly<Record<string, SimChipProfile>> = {
  IPQ8074: {
    ...base,
    chip: 'IPQ8074',
    kernelCe: ATH11K_KERNEL_CE.IPQ8074,
    hwRev: 'hw2.0',
    instance: 0x02,
    chipId: 0x0,
    chipFamily: 0x4,
    socId: 0x80740201,
    fwVersion: 0x2040_0112,
    fwBuildTimestamp: '2023-03-14 09:26',
    fwBuildId: 'WLAN.HK.2.4.0.1-01746-QCAHKSWPL_SILICONZ-1',
    boardElf: false,
    regdb: false,
    caldata: true,
    m3: false,
    boardSize: 60 * KiB,
    // What real IPQ8074 firmware asks (WLAN.HK.2.9.0.1-02146 on 6.14.12, linux-wireless 2025-12-15 "Re: [PATCH]
    // wifi: ath11k: add support for MU EDCA"): CALDB 4112384, BDF 262144, M3_DUMP 786432; and the host's answer
    // there, which ath11k_qmi_assign_target_mem_chunk gives without a wifi memory-region: CALDB at
    // ATH11K_QMI_CALDB_ADDRESS (cold-boot calibration on), BDF at hw_params.bdf_addr, M3_DUMP dropped.
    memoryRequests: [[{ size: 4112384, type: 4 }, { size: 262144, type: 2 }, { size: 786432, type: 3 }]],
    fixedMemoryAnswer: [
      { type: 4, size: 4112384, addr: 0x4ba0_0000n },
      { type: 2, size: 262144, addr: 0x4b0c_0000n },
    ],
    // ath11k/core.c ath11k_hw_params[] IPQ8074: .bdf_addr = 0x4B0C0000, .fw.cal_offset = IPQ8074_CAL_OFFSET (128 KiB).
    bdfAddr: 0x4b0c_0000n,
    calOffset: 128 * KiB,
    // A stand-in for the SoC's reserved-memory (the Q6 region of OpenWrt's ipq8074.dtsi layout), holding
    // bdf_addr and the CALDB address; the wifi node has no memory-region.
    reservedMemory: { regions: [{ name: 'q6_region@4b000000', busAddress: 0x4b00_0000n, size: 0x5f0_0000 }] },
    fixedBdfAddr: true,
    hostCap: { mem_cfg_mode: 0 },
    expectWlanIni: false,
    shadow: 'none',
    numMacs: 3,
  },
  QCA6390: {
    ...base,
    chip: 'QCA6390',
    kernelCe: ATH11K_KERNEL_CE.QCA6390,
    pci: { device: 0x1101, subsystemVendor: 0x17cb, subsystemDevice: 0x0108 },
    hwRev: 'hw2.0',
    instance: 0x01,
    chipId: 0x0,
    chipFamily: 0x4,
    socId: 0x40020150,
    fwVersion: 0x0101_0027,
    fwBuildTimestamp: '2021-06-02 11:14',
    fwBuildId: 'WLAN.HST.1.0.1-05266-QCAHSTSWPLZ_V2_TO_X86-1',
    boardElf: true,
    regdb: false,
    caldata: false,
    m3: true,
    boardSize: 96 * KiB,
    // First a few ~4 MB blocks; after the host's delayed answer, many small ones.
    memoryRequests: [
      [
        { size: 4 * MiB, type: 1 },
        { size: 3 * MiB + 512 * KiB, type: 1 },
      ],
      [...Array.from({ length: 15 }, () => ({ size: 512 * KiB, type: 1 })), { size: 256 * KiB, type: 4 }],
    ],
    hostCap: { m3_support: 1, mem_cfg_mode: 0, nm_modem: ATH11K_KERNEL_NM_MODEM.QCA6390! },
    expectWlanIni: true,
    shadow: 'v2',
  },
  WCN6855: {
    ...base,
    chip: 'WCN6855',
    kernelCe: ATH11K_KERNEL_CE.WCN6855,
    pci: { device: 0x1103, subsystemVendor: 0x17cb, subsystemDevice: 0x3374 },
    bdfSearchBusAndBoard: true,
    hwRev: 'hw2.0',
    instance: 0x01,
    chipId: 0x2,
    chipFamily: 0x4,
    socId: 0x400c0200,
    fwVersion: 0x110b_196e,
    fwBuildTimestamp: '2023-09-21 05:40',
    fwBuildId: 'WLAN.HSP.1.1-03125-QCAHSPSWPL_V1_V2_SILICONZ_LITE-3.6510.37',
    boardElf: true,
    regdb: true,
    caldata: false,
    m3: true,
    boardSize: 100 * KiB,
    memoryRequests: [
      [{ size: 4 * MiB, type: 1 }],
      Array.from({ length: 12 }, () => ({ size: 512 * KiB, type: 1 })),
    ],
    hostCap: { m3_support: 1, mem_cfg_mode: 0, nm_modem: ATH11K_KERNEL_NM_MODEM.WCN6855! },
    expectWlanIni: true,
    shadow: 'v2',
  },
  QCN9074: {
    ...base,
    chip: 'QCN9074',
    kernelCe: ATH11K_KERNEL_CE.QCN9074,
    pci: { device: 0x1104, subsystemVendor: 0x17cb, subsystemDevice: 0x1104 },
    hwRev: 'hw1.0',
    instance: 0x07,
    chipId: 0x0,
    chipFamily: 0x4,
    socId: 0x90740101,
    fwVersion: 0x0105_0003,
    fwBuildTimestamp: '2022-11-08 16:02',
    fwBuildId: 'WLAN.HK.2.5.0.1-01208-QCAHKSWPL_SILICONZ-1',
    boardElf: false,
    regdb: false,
    caldata: true,
    m3: true,
    boardSize: 60 * KiB,
    memoryRequests: [
      [
        { size: 2 * MiB, type: 1 },
        { size: 2 * MiB, type: 1 },
        { size: 1 * MiB, type: 1 },
        { size: 512 * KiB, type: 3 },
        { size: 256 * KiB, type: 4 },
      ],
    ],
    hostCap: { m3_support: 1, mem_cfg_mode: 2 },
    expectWlanIni: false,
    shadow: 'none',
  },
  WCN6750: {
    ...base,
    chip: 'WCN6750',
    kernelCe: ATH11K_KERNEL_CE.WCN6750,
    hwRev: 'hw1.0',
    instance: 0x03,
    chipId: 0x1,
    chipFamily: 0x4,
    socId: 0x67500100,
    fwVersion: 0x0100_0a02,
    fwBuildTimestamp: '2022-05-30 08:51',
    fwBuildId: 'WLAN.MSL.1.0.1-01160-QCAMSLSWPLZ-1',
    boardElf: true,
    regdb: true,
    caldata: false,
    m3: false,
    boardSize: 80 * KiB,
    memoryRequests: [],
    hostCap: { mem_cfg_mode: 0 },
    expectWlanIni: true,
    shadow: 'v2',
    deviceInfo: true,
  },
};
