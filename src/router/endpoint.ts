import type { Observable } from 'rxjs';
import { InvalidArgumentError } from '../common/errors';
import type { DeviceControl } from './device-control';

/**
 * Stable identity of the backend behind an endpoint, independent of when or how
 * often it appears: the MHI controller's PCI address, the rpmsg device name, the
 * TUN device inode, a socket connection's inode. Endpoint IDs are keyed by it, so
 * an ID can be reserved before the device exists and found again after it returns.
 */
export interface BackendKey {
  /** Backend family: 'mhi', 'rpmsg', 'tun', 'socket', 'kernel', 'memory', or a plugin's own. */
  readonly kind: string;
  /** Identity within the family, e.g. '0000:01:00.0' for MHI. */
  readonly key: string;
}

/** `kind:key`, e.g. `mhi:0000:01:00.0`. */
export function formatBackendKey(key: BackendKey): string {
  return `${key.kind}:${key.key}`;
}

/** Parses `kind:key`; the key may itself contain colons (PCI addresses do). */
export function parseBackendKey(text: string): BackendKey {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) {
    throw new InvalidArgumentError('backend key', "'kind:key', e.g. 'mhi:0000:01:00.0'", text);
  }
  return { kind: text.slice(0, colon), key: text.slice(colon + 1) };
}

/**
 * What a backend knows of the device behind an endpoint, as the kernel knows it
 * from the bus (a PCI function's address and ids, an AHB device's name), for the
 * plugins that need it (WLFW board data is selected by these). All optional: a
 * socket or TUN link knows nothing of the device and leaves it out.
 */
export interface BackendDevice {
  /** Bus name as the ath drivers spell it (ath11k_bus_str): 'pci', 'ahb'. */
  readonly bus: string;
  /** Device name on the bus: the PCI address '0000:01:00.0', an AHB device 'c000000.wifi'. */
  readonly address?: string;
  readonly vendor?: number;
  readonly device?: number;
  readonly subsystemVendor?: number;
  readonly subsystemDevice?: number;
  /** Board-data variant (DT qcom,ath11k-calibration-variant, SMBIOS bdf_ext). */
  readonly variant?: string;
  /** The SoC's TCSR_SOC_HW_VERSION register as the link reads it from the device (ath11k 0x0224, ath12k 0x1B00000). */
  readonly socHwVersion?: number;
  /** TCSR_SOC_HW_SUB_VER (ath11k 0x1910010), read for WCN6855-class parts with minor 0x10/0x11. */
  readonly socHwSubVersion?: number;
  /** AHB/platform devices: the device-tree compatible that binds the driver ('qcom,ipq8074-wifi'). */
  readonly compatible?: string;
}

export function sameBackendKey(a: BackendKey, b: BackendKey): boolean {
  return a.kind === b.kind && a.key === b.key;
}

/**
 * The contract a backend (transport driver) implements to connect one link to the
 * router: the userspace counterpart of the kernel's `struct qrtr_endpoint`.
 *
 * One transport message is exactly one QRTR packet, in both directions. Stream
 * links (UNIX stream sockets) split their bytes with `QrtrStreamFramer` first.
 */
export interface Endpoint {
  readonly backendKey: BackendKey;
  /** The device behind the link, when the backend knows it (MHI: the PCI function). */
  readonly device?: BackendDevice;
  /** Host memory and reset for the device, when the link owns them (MHI controller, AHB remoteproc). */
  readonly control?: DeviceControl;
  /**
   * False when the key can never come back once this endpoint detaches (a socket
   * connection's inode): reservations of it are then dropped at once instead of
   * waiting for a device that cannot return. Absent means it may return.
   */
  readonly keyReturns?: boolean;
  /**
   * Whole QRTR packets received from the link, each a buffer the router may keep a
   * view of (the backend must not reuse it). Completes when the link goes away;
   * an error also means the link is gone. The router subscribes once, on attach.
   *
   * Optional: a backend may instead push packets with `AttachedEndpoint.post()`
   * (the kernel's qrtr_endpoint_post) and report link loss with `detach()`.
   */
  readonly packets$?: Observable<Uint8Array>;
  /**
   * Sends one whole packet (header + payload padded to 4). The router hands over
   * ownership of the buffer. Throwing or rejecting means the packet was not sent;
   * the router counts it and re-arms flow control (tx_failed).
   */
  transmit(packet: Uint8Array): void | Promise<void>;
  /** Releases the link. After close, packets$ completes. Idempotent. */
  close(): void;
}
