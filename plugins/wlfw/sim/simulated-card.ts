import { BehaviorSubject, type Observable } from 'rxjs';
import { NameService, QmiService, Router, connectRemoteEndpoint, createSimulatedMhiCard, type AttachedEndpoint, type MhiQrtrEndpointOptions, type PciIds, type SimulatedMhiOptions } from '../../../src/testing/devices';
import type { BackendDevice } from '../../../src/sdk';
import { simulatedFiles, type SimulatedFileSet } from './sim-files';
import type { SimChipProfile } from './sim-profile';
import { WlfwFirmware, type SimCrashMode, type SimFaults, type SimLogEntry, type SimReceivedFile } from './wlfw-firmware';
import { SimulatedHostMemory, type ReservedMemoryEntry } from './simulated-host-memory';
import { DeviceResetUnsupportedError, type DeviceControl } from '../../../src/sdk';

/**
 * Connects a device's own router to the host as the card's backend endpoint,
 * keyed `mhi:<PCI address>`, through a simulated MHI controller with the IPCR
 * channel pair and the probe order of net/qrtr/mhi.c: the single place that
 * decides the transport of simulated cards.
 */
export function attachSimulatedCard(host: Router, pciAddress: string, device: Router, pciIds?: PciIds, deviceInfo?: Partial<BackendDevice>, mhi?: SimulatedCardMhi, control?: DeviceControl): AttachedEndpoint {
  const card = createSimulatedMhiCard(host, pciAddress, { ...mhi, pciIds, deviceInfo, control });
  device.attach(card.deviceEndpoint);
  return card.attached;
}

/** Ring sizes of a simulated card's MHI link (default: the `small` profile), and where its DL buffers come from. */
export type SimulatedCardMhi = Pick<SimulatedMhiOptions, 'rings' | 'ringSize' | 'ulRingSize' | 'dlRingSize' | 'bufferLength'> & Pick<MhiQrtrEndpointOptions, 'rxBuffers'>;

export interface SimulatedCardOptions {
  readonly profile: SimChipProfile;
  /** Made-up PCI address, e.g. '0000:03:00.0'; also the backend key `mhi:<address>`. */
  readonly pciAddress: string;
  readonly boardId: number;
  readonly faults?: SimFaults;
  /** Subsystem ids of the card's PCI function (default: the profile's). */
  readonly subsystem?: { readonly vendor: number; readonly device: number };
  /** The files the firmware must receive, when they are not the synthetic ones (real linux-firmware in tests). */
  readonly expectedFiles?: SimulatedFileSet;
  /** CAP reports EEPROM caldata. */
  readonly eepromCaldata?: boolean;
  /** QRTR node id of the firmware (default: the chip's). */
  readonly node?: number;
  /**
   * The host shifts the card's WLFW instance by its PCI domain and bus (ath12k MULTI_QRTR_ID, the
   * OpenWrt QCN9074 scheme): the firmware registers instance + ((domain & 0xF) << 4 | (bus & 0xF)).
   */
  readonly instanceShift?: boolean;
  /** The MHI link's ring sizes. */
  readonly mhi?: SimulatedCardMhi;
  /** Largest coherent allocation the simulated host satisfies (default 2 MiB: larger chunks take the delayed answer). */
  readonly largestAllocation?: number;
  /** The link lends no host memory (a seeded mistake: the loader must fail typed, never invent addresses). */
  readonly noHostMemory?: boolean;
  /** The link cannot power-cycle the device. */
  readonly noReset?: boolean;
  /**
   * The AHB device's reserved-memory map, as read from its device tree (readDeviceTree +
   * reservedMemoryOf) or given by configuration; replaces the profile's stand-in regions.
   */
  readonly reservedMemory?: ReservedMemoryEntry;
  /**
   * Hold the host to what a kernel with `ftm_mode` does: cold-boot calibration per the chip's
   * coldboot_cal_ftm (QCN9074 too), then mission mode FTM (WLAN_MODE 1).
   */
  readonly ftmMode?: boolean;
}

/** The instance a shifted card's firmware registers: base + (domain(7:4) | bus(3:0)) of its PCI address. */
export function shiftedInstance(base: number, pciAddress: string): number {
  const [domain, bus] = pciAddress.split(':').map((x) => parseInt(x, 16));
  return base + (((domain & 0xf) << 4) | (bus & 0xf));
}

export type SimulatedCardState = 'off' | 'booting' | 'running' | 'crashed';

/**
 * A simulated card: firmware with its own QRTR router at the chip's fixed node id,
 * its own name service, and a WLFW service at the chip's instance, attached to
 * the host like hardware. A crash reboots the firmware (fresh router and state);
 * a `detach` crash also drops and later restores the link.
 */
export class SimulatedCard {
  readonly profile: SimChipProfile;
  readonly pciAddress: string;
  readonly boardId: number;
  private faults: SimFaults;
  private device: { router: Router; ns: NameService; service: QmiService; firmware: WlfwFirmware } | undefined;
  private link: AttachedEndpoint | undefined;
  private host: Router | undefined;
  private crashes = 0;
  private readonly stateSubject = new BehaviorSubject<SimulatedCardState>('off');
  private restartTimer: NodeJS.Timeout | undefined;
  /** Logs of every boot, oldest first. */
  readonly boots: WlfwFirmware[] = [];

  readonly state$: Observable<SimulatedCardState> = this.stateSubject.asObservable();

  private readonly expectedFiles: SimulatedFileSet | undefined;
  private socketPath: string | undefined;
  /** The card's PCI function ids, as its MHI controller reports them (undefined for AHB chips). */
  readonly pciIds: PciIds | undefined;
  /** What else the link reports before QMI: SoC version registers, or an AHB device's name and compatible. */
  readonly deviceInfo: Partial<BackendDevice> | undefined;
  /** The WLFW instance the firmware registers. */
  readonly instance: number;
  /** Cold-boot calibration ran on an earlier boot (survives power cycles, as the host's cal_done does). */
  private calibrated = false;
  /** Power cycles the host asked for through the link (`control.reset`): calibration restarts and crash resets. */
  powerCycles = 0;
  /** Bumped by every power cycle and unplug: a pending re-attach of an older one is dropped. */
  private powerGeneration = 0;
  private readonly mhi: SimulatedCardMhi | undefined;
  /** The host memory the card's link lends (undefined with `noHostMemory`). */
  readonly memory: SimulatedHostMemory | undefined;
  /** What the card's MHI link lends the host's drivers: memory, power cycle, crash reports. */
  readonly control: DeviceControl;
  private readonly crashListeners = new Set<(reason: string) => void>();

  constructor(options: SimulatedCardOptions) {
    this.mhi = options.mhi;
    const ftm = options.ftmMode ? { coldBoot: options.profile.coldBootFtm, missionMode: 1 as const } : {};
    this.profile = { ...options.profile, ...ftm, node: options.node ?? options.profile.node, eepromCaldata: options.eepromCaldata ?? options.profile.eepromCaldata };
    this.pciAddress = options.pciAddress;
    this.boardId = options.boardId;
    this.faults = options.faults ?? {};
    this.expectedFiles = options.expectedFiles;
    const pci = options.profile.pci;
    this.instance = options.instanceShift ? shiftedInstance(options.profile.instance, options.pciAddress) : options.profile.instance;
    const p = options.profile;
    this.deviceInfo = p.ahb
      ? { bus: 'ahb', address: p.ahb.address, compatible: p.ahb.compatible }
      : p.socHwVersion !== undefined
        ? { socHwVersion: p.socHwVersion, socHwSubVersion: p.socHwSubVersion }
        : undefined;
    this.pciIds = pci && {
      vendor: 0x17cb,
      device: pci.device,
      subsystemVendor: options.subsystem?.vendor ?? pci.subsystemVendor,
      subsystemDevice: options.subsystem?.device ?? pci.subsystemDevice,
    };
    // Each card's buffers in a window of its own, as behind separate IOMMU domains.
    const window = 0x8000_0000n + BigInt(parseInt(options.pciAddress.replace(/[^0-9a-f]/g, ''), 16) % 0x1000) * 0x1000_0000n;
    this.memory = options.noHostMemory
      ? undefined
      : new SimulatedHostMemory({ device: options.pciAddress, largestAllocation: options.largestAllocation ?? 2 * 1024 * 1024, windowBase: window, reserved: options.reservedMemory ?? this.profile.reservedMemory });
    const memory = this.memory;
    this.control = {
      memory,
      reset: options.noReset ? undefined : () => this.powerCycle(),
      onCrash: (listener) => {
        this.crashListeners.add(listener);
        return () => this.crashListeners.delete(listener);
      },
      toJSON: () => ({ memory: memory?.kind, reset: !options.noReset }),
    };
  }

  private files(): SimulatedFileSet {
    return this.expectedFiles ?? simulatedFiles(this.profile, this.boardId, this.profile.ahb ? 'ahb' : 'pci', this.profile.ahb?.address ?? this.pciAddress);
  }

  get chip(): string {
    return this.profile.chip;
  }

  get key(): string {
    return `mhi:${this.pciAddress}`;
  }

  get state(): SimulatedCardState {
    return this.stateSubject.value;
  }

  /** The current boot's firmware. */
  get firmware(): WlfwFirmware | undefined {
    return this.device?.firmware;
  }

  /** Every message of every boot, in order. */
  get log(): SimLogEntry[] {
    return this.boots.flatMap((b) => b.log);
  }

  /** Files the current boot received. */
  get received(): SimReceivedFile[] {
    return this.device?.firmware.received ?? [];
  }

  /** Endpoint ID the host gave the card's link. */
  get endpointId(): number | undefined {
    return this.link?.id;
  }

  /** Boots the firmware without connecting it (the card is powered but not yet on the bus). Idempotent. */
  async powerOn(): Promise<void> {
    if (!this.device) await this.boot();
  }

  /** Boots the firmware (unless powered on already) and attaches the card to `host`. */
  async attach(host: Router): Promise<void> {
    this.host = host;
    await this.powerOn();
    this.link = attachSimulatedCard(host, this.pciAddress, this.device!.router, this.pciIds, this.deviceInfo, this.mhi, this.control);
  }

  /**
   * Boots the firmware and connects it to a qrtrd listening socket (`--listen`), as
   * a remote node: the daemon learns nothing of the device from such a link.
   */
  async connect(socketPath: string): Promise<void> {
    this.socketPath = socketPath;
    await this.powerOn();
    const endpoint = await connectRemoteEndpoint(socketPath, { backendKey: { kind: 'socket', key: socketPath } });
    this.link = this.device!.router.attach(endpoint);
  }

  /** Unplugs the card (the link goes away) and powers the firmware off. */
  detach(): void {
    clearTimeout(this.restartTimer);
    this.powerGeneration++;
    this.link?.detach();
    this.link = undefined;
    this.powerOff();
    this.stateSubject.next('off');
  }

  /** Resolves once the firmware accepted WLAN_MODE(NORMAL). */
  whenRunning(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new Error(`${this.key} not running within ${timeoutMs} ms (state ${this.state})`));
      }, timeoutMs);
      const sub = this.stateSubject.subscribe((s) => {
        if (s !== 'running') return;
        clearTimeout(timer);
        queueMicrotask(() => sub.unsubscribe());
        resolve();
      });
    });
  }

  private async boot(): Promise<void> {
    const p = this.profile;
    const router = new Router({ localNode: p.node });
    const ns = new NameService(router);
    const files = this.files();
    const crashOn = this.faults.crashAt && this.crashes < (this.faults.crashAt.times ?? 1) ? this.faults : { ...this.faults, crashAt: undefined };
    const firmware = this.newFirmware(files, crashOn);
    const service = await QmiService.start(router, { service: 0x45, version: 1, instance: this.instance, name: `WLFW of ${this.key}` }, (svc) => firmware.install(svc));
    this.device = { router, ns, service, firmware };
    this.boots.push(firmware);
    this.stateSubject.next('booting');
  }

  private newFirmware(files: SimulatedFileSet, faults: SimFaults): WlfwFirmware {
    return new WlfwFirmware(this.profile, this.boardId, files, faults, (mode) => void this.crash(mode), () => this.stateSubject.next('running'), {
      calibrated: this.calibrated,
      onCalibrated: () => {
        this.calibrated = true;
      },
    }, this.memory);
  }

  private powerOff(): void {
    const d = this.device;
    if (!d) return;
    d.firmware.stop();
    d.service.close();
    d.ns.close();
    d.router.shutdown();
    this.device = undefined;
  }

  /** Crashes the running firmware now (as `crashAt` would at a step). */
  crashNow(mode: SimCrashMode): Promise<void> {
    this.device?.firmware.stop();
    return this.crash(mode);
  }

  /**
   * The link's power cycle, its `control.reset` (ath11k_hif_power_down + ath11k_hif_power_up: MHI
   * power down/up on PCI, rproc stop/start on AHB), for both the cold-boot calibration restart
   * (ath11k_qmi_fwreset_from_cold_boot) and the crash reset (ath11k_core_reset), which make the same
   * calls. Powering down tears the IPCR channels down, so the card's QRTR link goes away with the
   * firmware; powering up boots a fresh firmware (keeping only what survives power: the calibration)
   * and attaches the link again. Resolves once the new firmware is booting.
   */
  private async powerCycle(): Promise<void> {
    const host = this.host;
    if (!this.link || !host) throw new DeviceResetUnsupportedError(this.key, 'the card is not attached');
    this.powerCycles++;
    const generation = ++this.powerGeneration;
    clearTimeout(this.restartTimer);
    this.link.detach();
    this.link = undefined;
    this.powerOff();
    this.stateSubject.next('off');
    await new Promise((resolve) => setTimeout(resolve, this.faults.crashAt?.restartAfterMs ?? 20));
    // Unplugged (or power-cycled again) meanwhile: that one decides what happens next.
    if (generation !== this.powerGeneration) return;
    await this.attach(host);
  }

  private async crash(mode: SimCrashMode): Promise<void> {
    this.crashes++;
    this.stateSubject.next('crashed');
    if (mode === 'rddm') {
      // Dead in RDDM: the service goes, nothing restarts it; the MHI controller reports the EE change.
      this.device?.firmware.stop();
      this.device?.service.close();
      for (const l of [...this.crashListeners]) l('MHI_CB_EE_RDDM');
      return;
    }
    const restartAfter = this.faults.crashAt?.restartAfterMs ?? 20;
    if (mode === 'rejuvenate') await this.device?.firmware.rejuvenate();
    if (mode === 'detach') {
      this.link?.detach();
      this.link = undefined;
      this.powerOff();
      this.restartTimer = setTimeout(() => {
        if (this.socketPath) void this.connect(this.socketPath);
        else if (this.host) void this.attach(this.host);
      }, restartAfter);
      return;
    }
    // The firmware restarts behind a link that stays up: its service goes, then comes back.
    const old = this.device;
    if (old) {
      old.firmware.stop();
      old.service.close();
    }
    this.restartTimer = setTimeout(() => {
      if (!old || !this.link) return;
      void (async () => {
        const files = this.files();
        const firmware = this.newFirmware(files, this.faults.crashAt && this.crashes < (this.faults.crashAt.times ?? 1) ? this.faults : { ...this.faults, crashAt: undefined });
        const service = await QmiService.start(old.router, { service: 0x45, version: 1, instance: this.instance, name: `WLFW of ${this.key}` }, (svc) => firmware.install(svc));
        this.device = { router: old.router, ns: old.ns, service, firmware };
        this.boots.push(firmware);
        this.stateSubject.next('booting');
      })();
    }, restartAfter);
  }
}
