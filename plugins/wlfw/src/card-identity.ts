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
 * 0x1109). The device id picks the driver, and within it the chip; the hw revision
 * would come from TCSR_SOC_HW_VERSION, which the table's one revision per chip stands in for.
 */
export const PCI_DEVICE_FAMILIES: ReadonlyMap<number, WlfwFamily> = new Map<number, WlfwFamily>([
  [0x1101, 'ath11k'],
  [0x1103, 'ath11k'],
  [0x1104, 'ath11k'],
  [0x1107, 'ath12k'],
  [0x1109, 'ath12k'],
]);

/** What the PCI ids of an identity say about a card, for a loader of `family`. */
export type PciMatch =
  | { readonly kind: 'chip'; readonly chip: WlfwChipParams }
  | { readonly kind: 'other-family'; readonly family: WlfwFamily }
  | { readonly kind: 'unknown'; readonly device: number }
  | { readonly kind: 'no-ids' };

/** Picks the chip from the identity's PCI ids, as ath11k_pci_probe/ath12k_pci_probe do. */
export function matchPciDevice(family: WlfwFamily, chips: readonly WlfwChipParams[], identity: CardIdentity | undefined): PciMatch {
  if (identity?.device === undefined || identity.bus !== 'pci') return { kind: 'no-ids' };
  if (identity.vendor !== undefined && identity.vendor !== QCOM_PCI_VENDOR) return { kind: 'unknown', device: identity.device };
  const chip = chips.find((c) => c.pciDeviceId === identity.device);
  if (chip) return { kind: 'chip', chip };
  const owner = PCI_DEVICE_FAMILIES.get(identity.device);
  if (owner && owner !== family) return { kind: 'other-family', family: owner };
  return { kind: 'unknown', device: identity.device };
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
