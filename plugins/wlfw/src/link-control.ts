/**
 * What the loader needs from the link that owns a device to restart its firmware: the
 * kernel's ath11k_hif_power_down(ab, false) + ath11k_hif_power_up(ab) (MHI power cycle with
 * a fresh firmware download, or remoteproc stop/start on AHB). Used after cold-boot
 * calibration on `cbcal_restart_fw` chips.
 *
 * Integration note: the link/memory owner (issue 17's reset-on-crash work, branch s2-ath-mem)
 * gives links a `DeviceControl` on `Endpoint.control` with `reset?(): Promise<void>`; on merge the
 * loader's `linkControl` dep should answer `{ powerCycle: () => control.reset() }` from the
 * endpoint's control first and fall back to this registry, the simulated card's power cycle should
 * be its simulated link's reset, and the calibration restart (WlfwCard.restartPending) must not
 * count against the reset back-off. A link registers here by backend key (the simulated cards do).
 * A card whose link has no control fails with WLFW_CANNOT_RESET.
 */
export interface WlfwLinkControl {
  /** Powers the device down and up; resolves once the new firmware is booting. */
  powerCycle(): Promise<void>;
}

/** Link controls by backend key (`mhi:0000:01:00.0`). */
export class WlfwLinkControls {
  private readonly controls = new Map<string, WlfwLinkControl>();

  /** Registers `control` for `key`; the returned function removes it (only if still the registered one). */
  register(key: string, control: WlfwLinkControl): () => void {
    this.controls.set(key, control);
    return () => {
      if (this.controls.get(key) === control) this.controls.delete(key);
    };
  }

  get(key: string): WlfwLinkControl | undefined {
    return this.controls.get(key);
  }
}

/** The process's link controls (links register here; loaders look up here). */
export const WLFW_LINK_CONTROLS = new WlfwLinkControls();
