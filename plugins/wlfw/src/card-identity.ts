import type { BackendDevice, ServerInfo } from '../../../src/sdk';
import type { WlfwChipParams, WlfwFamily } from './chip-params';

/**
 * What the kernel knows of a card before any QMI: its bus, its device name (the PCI
 * address for PCI cards), the PCI vendor/device/subsystem ids (ath11k_pci_probe
 * copies them into `ab->id`) and the calibration variant (DT
 * `qcom,ath11k-calibration-variant` / SMBIOS, `ab->qmi.target.bdf_ext`). The same
 * shape as the router's {@link BackendDevice}, which backends fill in.
 */
export type CardIdentity = BackendDevice;

/** Qualcomm's PCI vendor id (PCI_VENDOR_ID_QCOM). */
export const QCOM_PCI_VENDOR = 0x17cb;

/**
 * PCI device ids of the drivers' id tables: ath11k/pci.c `ath11k_pci_id_table`
 * (QCA6390_DEVICE_ID 0x1101, WCN6855_DEVICE_ID 0x1103, QCN9074_DEVICE_ID 0x1104),
 * ath12k/pci.c `ath12k_pci_id_table` (WCN7850_DEVICE_ID 0x1107, QCN9274_DEVICE_ID
 * 0x1109). The device id picks the driver, and within it the chip; TCSR_SOC_HW_VERSION
 * (and TCSR_SOC_HW_SUB_VER) the hw revision, see {@link chipFromSocVersion}.
 */
export const PCI_DEVICE_FAMILIES: ReadonlyMap<number, WlfwFamily> = new Map<number, WlfwFamily>([
  [0x1101, 'ath11k'],
  [0x1103, 'ath11k'],
  [0x1104, 'ath11k'],
  [0x1107, 'ath12k'],
  [0x1109, 'ath12k'],
]);

/**
 * WLFW instances both families register (ath11k/qmi.h and ath12k/qmi.h SERVICE_INS_ID_V01_*:
 * 1 QCA6390 class / WCN7850, 2 IPQ8074 class / IPQ5332, 7 QCN9074 / QCN9274): on these only the
 * card's identity tells the family.
 */
export const SHARED_INSTANCES: ReadonlySet<number> = new Set([0x01, 0x02, 0x07]);

/** What an identity says about a card, for a loader of `family`. */
export type PciMatch =
  | { readonly kind: 'chip'; readonly chip: WlfwChipParams; readonly by: 'pci' | 'pci-default-revision' | 'compatible' }
  | { readonly kind: 'other-family'; readonly family: WlfwFamily }
  | { readonly kind: 'unknown'; readonly device: number }
  | { readonly kind: 'unsupported-soc'; readonly device: number; readonly socHwVersion: number; readonly socHwSubVersion?: number }
  | { readonly kind: 'no-ids' };

/** DT compatibles of the other family's AHB chips (ath11k/ahb.c ath11k_ahb_of_match, ath12k/ahb.c ath12k_ahb_of_match). */
const AHB_COMPATIBLE_FAMILIES: ReadonlyMap<string, WlfwFamily> = new Map<string, WlfwFamily>([
  ['qcom,ipq8074-wifi', 'ath11k'],
  ['qcom,ipq6018-wifi', 'ath11k'],
  ['qcom,wcn6750-wifi', 'ath11k'],
  ['qcom,ipq5018-wifi', 'ath11k'],
  ['qcom,ipq5332-wifi', 'ath12k'],
]);

/**
 * TCSR_SOC_HW_VERSION fields: major bits 11:8 for both drivers; minor bits 7:0 on ath11k
 * (ath11k/pci.c TCSR_SOC_HW_VERSION_MINOR_MASK) and 7:4 on ath12k (ath12k/pci.c).
 */
export function socVersionFields(family: WlfwFamily, version: number): { major: number; minor: number } {
  return { major: (version >>> 8) & 0xf, minor: family === 'ath11k' ? version & 0xff : (version >>> 4) & 0xf };
}

/**
 * Picks the hw revision among rows sharing a PCI device id as ath11k_pci_probe /
 * ath12k_pci_probe do: major (and minor) of TCSR_SOC_HW_VERSION, then for WCN6855-class
 * minors 0x10/0x11 TCSR_SOC_HW_SUB_VER (QCA2066 and QCA6698AQ sub versions, else WCN6855 hw2.1).
 */
export function chipFromSocVersion(family: WlfwFamily, rows: readonly WlfwChipParams[], version: number, subVersion: number | undefined): WlfwChipParams | undefined {
  const { major, minor } = socVersionFields(family, version);
  const byVersion = rows.filter((c) => !c.socVersion || (c.socVersion.major === major && (!c.socVersion.minors || c.socVersion.minors.includes(minor))));
  if (byVersion.length <= 1) return byVersion[0];
  const exact = byVersion.find((c) => Array.isArray(c.socVersion?.subVersions) && subVersion !== undefined && (c.socVersion!.subVersions as readonly number[]).includes(subVersion));
  return exact ?? byVersion.find((c) => c.socVersion?.subVersions === 'other' || c.socVersion?.subVersions === undefined);
}

/**
 * Picks the chip from what is known before any QMI, as the drivers' probes do: a PCI card by its
 * device id (the driver's id table) and SoC version registers, an AHB device by its DT compatible.
 * A PCI identity without the SoC version (a configured identity of a remote card) takes the
 * device id's first revision, reported as `pci-default-revision`.
 */
export function matchPciDevice(family: WlfwFamily, chips: readonly WlfwChipParams[], identity: CardIdentity | undefined): PciMatch {
  if (identity?.compatible !== undefined) {
    const chip = chips.find((c) => c.ahbCompatible === identity.compatible);
    if (chip) return { kind: 'chip', chip, by: 'compatible' };
    const owner = AHB_COMPATIBLE_FAMILIES.get(identity.compatible);
    if (owner && owner !== family) return { kind: 'other-family', family: owner };
    return { kind: 'unknown', device: 0 };
  }
  if (identity?.device === undefined || identity.bus !== 'pci') return { kind: 'no-ids' };
  if (identity.vendor !== undefined && identity.vendor !== QCOM_PCI_VENDOR) return { kind: 'unknown', device: identity.device };
  const rows = chips.filter((c) => c.pciDeviceId === identity.device);
  if (rows.length === 0) {
    const owner = PCI_DEVICE_FAMILIES.get(identity.device);
    if (owner && owner !== family) return { kind: 'other-family', family: owner };
    return { kind: 'unknown', device: identity.device };
  }
  // QCN9074: the probe sets the one revision without reading the SoC version.
  if (rows.length === 1 && !rows[0].socVersion) return { kind: 'chip', chip: rows[0], by: 'pci' };
  if (identity.socHwVersion === undefined) return { kind: 'chip', chip: rows[0], by: 'pci-default-revision' };
  const chip = chipFromSocVersion(family, rows, identity.socHwVersion, identity.socHwSubVersion);
  if (!chip) return { kind: 'unsupported-soc', device: identity.device, socHwVersion: identity.socHwVersion, socHwSubVersion: identity.socHwSubVersion };
  return { kind: 'chip', chip, by: 'pci' };
}

/** Domain and bus number of a PCI address 'dddd:bb:ss.f'. */
export function pciDomainBus(address: string | undefined): { domain: number; bus: number } | undefined {
  const m = address && /^([0-9a-f]{4}):([0-9a-f]{2}):[0-9a-f]{2}\.[0-7]$/i.exec(address);
  return m ? { domain: parseInt(m[1], 16), bus: parseInt(m[2], 16) } : undefined;
}

/**
 * The WLFW instance a card's firmware registers, with the multi-card shift its host applies:
 * ath12k with firmware-2.bin feature MULTI_QRTR_ID adds u32_encode_bits(domain, GENMASK(7, 4)) |
 * u32_encode_bits(bus, GENMASK(3, 0)) (ath12k/pci.c ath12k_pci_..._ce_config) and writes it to
 * PCIE_LOCAL_REG_QRTR_NODE_ID; the v6.18 OpenWrt ath11k adds ((domain & 0xF) << 4) | (bus & 0xF)
 * for QCN9074 (ath11k/pci.c, written to BHI_ERRDBG2 by ath11k_mhi_qrtr_instance_set).
 */
export function expectedInstance(chip: WlfwChipParams, identity: CardIdentity | undefined, shift: { multiQrtrId: boolean; qcn9074: boolean }): number {
  const pci = pciDomainBus(identity?.address);
  if (!pci) return chip.serviceInstance;
  const offset = ((pci.domain & 0xf) << 4) | (pci.bus & 0xf);
  if (chip.instanceShift === 'multi-qrtr-id' && shift.multiQrtrId) return chip.serviceInstance + offset;
  if (chip.instanceShift === 'qcn9074' && shift.qcn9074) return chip.serviceInstance + offset;
  return chip.serviceInstance;
}

/**
 * One `identities` entry of the configuration: selectors (a backend key, or the
 * node and/or WLFW instance a remote presents) and the identity they give a card.
 */
export interface WlfwIdentityRule {
  readonly key?: string;
  readonly node?: number;
  readonly instance?: number;
  readonly identity: CardIdentity;
}

function matches(rule: WlfwIdentityRule, key: string, server: ServerInfo | undefined): boolean {
  if (rule.key !== undefined && rule.key !== key) return false;
  if (rule.node !== undefined && rule.node !== server?.node) return false;
  if (rule.instance !== undefined && rule.instance !== server?.instance) return false;
  return rule.key !== undefined || rule.node !== undefined || rule.instance !== undefined;
}

/**
 * The identity of a card: what its backend reports about the device, completed by
 * the first configured rule that matches (the variant, or everything for links that
 * know nothing of the device: `--listen` sockets, the TUN bridge). What the device
 * itself reports wins over configuration.
 */
export function resolveIdentity(
  rules: readonly WlfwIdentityRule[],
  key: string,
  server: ServerInfo | undefined,
  device: BackendDevice | undefined,
): CardIdentity | undefined {
  const rule = rules.find((r) => matches(r, key, server));
  if (!rule) return device;
  if (!device) return rule.identity;
  const defined = Object.fromEntries(Object.entries(device).filter(([, v]) => v !== undefined)) as Partial<CardIdentity>;
  return { ...rule.identity, ...defined };
}

/** `17cb:1104 17cb:0108` (vendor:device subsystem-vendor:subsystem-device), for tables. */
export function formatPciIds(identity: CardIdentity | undefined): string | undefined {
  if (identity?.vendor === undefined || identity.device === undefined) return undefined;
  const h = (n: number | undefined): string => (n === undefined ? '????' : n.toString(16).padStart(4, '0'));
  return `${h(identity.vendor)}:${h(identity.device)} ${h(identity.subsystemVendor)}:${h(identity.subsystemDevice)}`;
}
