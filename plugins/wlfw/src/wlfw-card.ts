import { BehaviorSubject, type Observable, type Subscription } from 'rxjs';
import { DeviceResetUnsupportedError, QrtrdError, qmiCodec, type DeviceControl, wlfw, type PluginLogger, type QmiClient, type QmiMessageSchema, type QmiValue, type ServerInfo } from '../../../src/sdk';
import {
  ATH_CLIENT_ID,
  BDF_SEGMENT_SIZE,
  BdfType,
  DEFAULT_BOARD_ID,
  INVALID_GROUP_ID,
  WlanMode,
  chipsForInstance,
  identifyChip,
  type WlfwChipParams,
  type WlfwFamily,
} from './chip-params';
import { initialStatus, type WlfwCardState, type WlfwCardStatus } from './card-status';
import {
  WlfwCancelledError,
  WlfwError,
  WlfwFirmwareCrashError,
  WlfwIndicationTimeoutError,
  WlfwStepFailedError,
  WlfwUnknownChipError,
  WlfwUnknownPciDeviceError,
  WlfwUnsupportedSocError,
  WlfwInstanceMismatchError,
  WlfwIdentityRequiredError,
  WlfwColdBootCalTimeoutError,
  WlfwResetExhaustedError,
  BoardDataNotFoundError,
  FirmwareFileMissingError,
} from './errors';
import { WlfwTargetMemory, coldBootCalSupported, type MloPools } from './target-memory';
import { ResetBackoff } from './reset-backoff';
import { isElf, type FirmwareStore } from './firmware-store';
import { busOf, boardSearchNames, regdbSearchNames, type BoardNameInputs } from './board-names';
import { SHARED_INSTANCES, expectedInstance, matchPciDevice, type CardIdentity } from './card-identity';
import { Ath12kFwFeature } from './fw-container';
import type { GroupBarrier, GroupRelease } from './group-barrier';
import type { WlfwLoaderOptions } from './loader-options';

/** What a card needs from its loader. */
export interface WlfwCardDeps {
  readonly family: WlfwFamily;
  readonly chips: readonly WlfwChipParams[];
  readonly options: WlfwLoaderOptions;
  readonly store: FirmwareStore;
  readonly groups: GroupBarrier;
  readonly logger: PluginLogger;
  /** Called when the card turns out to belong to the other family. */
  onDecline(card: WlfwCard, server: ServerInfo): void;
  /** The card's identity (backend data completed by configuration), looked up at each bring-up. */
  identify(card: WlfwCard, server: ServerInfo): CardIdentity | undefined;
  /**
   * The memory and power cycle the card's link lends (Endpoint.control), looked up at each bring-up:
   * `reset` serves both the crash reset and the cold-boot calibration restart.
   */
  control(card: WlfwCard): DeviceControl | undefined;
  /** ath12k MLO_GLOBAL memory shared per hardware group (ag->mlo_mem), one map per loader. */
  readonly mloPools: MloPools;
}

interface RawIndication {
  readonly msgId: number;
  readonly body: Uint8Array;
}

/** ATH11K_QMI_MAX_BDF_FILE_NAME_SIZE: the total_size of the data-less EEPROM BDF_DOWNLOAD. */
const EEPROM_TOTAL_SIZE = 64;

/** Indication ids the sequence reacts to (reference §4.2). */
const IND = { FW_READY: 0x21, REQUEST_MEM: 0x35, FW_MEM_READY: 0x37, FW_INIT_DONE: 0x38, REJUVENATE: 0x39, CAL_DONE: 0x3e } as const;

/** Failures a retry on the same firmware cannot fix: the files or the card's identity are wrong. */
const FATAL_CODES: ReadonlySet<string> = new Set([
  'WLFW_FIRMWARE_MISSING',
  'WLFW_FIRMWARE_CORRUPT',
  'WLFW_UNKNOWN_CHIP',
  'WLFW_UNKNOWN_PCI_DEVICE',
  'WLFW_BOARD_DATA_NOT_FOUND',
  'WLFW_BOARD_CONTAINER_MALFORMED',
  'WLFW_IDENTITY_REQUIRED',
  'WLFW_UNSUPPORTED_SOC',
  'WLFW_INSTANCE_MISMATCH',
  'WLFW_COLD_BOOT_CAL_TIMEOUT',
  'DEVICE_RESET_UNSUPPORTED',
  'DEVICE_MEMORY_UNAVAILABLE',
  'WLFW_FIXED_MEMORY',
]);

class DeclinedError extends WlfwError {
  constructor(card: string) {
    super('WLFW_DECLINED', `Card ${card} runs the other family's firmware`, { card });
  }
}

/**
 * One card's WLFW bring-up (reference §4.3, §4.4 for ath12k) over a QMI client
 * bound to the card's endpoint. Each appearance of the firmware's server starts
 * an attempt; an attempt that fails is retried (up to maxAttempts) and a firmware
 * that goes away mid-way (service gone, link gone, REJUVENATE) is waited for and
 * brought up again from the start, touching no other card.
 */
export class WlfwCard {
  private readonly statusSubject: BehaviorSubject<WlfwCardStatus>;
  private readonly subscriptions: Subscription[] = [];
  private indications: RawIndication[] = [];
  private indicationWaiter: (() => void) | undefined;
  private attempt: AbortController | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly log: PluginLogger;
  /** ab->qmi.cal_done: survives firmware restarts (set by cold-boot calibration, never cleared). */
  private calDone = false;
  /** The card was power-cycled after calibration; its server going away is expected. */
  private restartPending = false;
  /** Target memory and M3 buffer, kept across firmware incarnations of the same link (see target-memory.ts). */
  private memory: WlfwTargetMemory | undefined;
  /** The link control the memory and crash reports come from; a new one (device re-plugged) starts afresh. */
  private control: DeviceControl | undefined;
  private unsubscribeCrash: (() => void) | undefined;
  private readonly backoff = new ResetBackoff();
  /** The back-off gave up: terminal (WLFW_RESET_EXHAUSTED) until the firmware comes back by itself. */
  private gaveUp = false;

  readonly status$: Observable<WlfwCardStatus>;

  constructor(
    readonly key: string,
    readonly endpoint: number,
    private readonly client: QmiClient,
    private readonly deps: WlfwCardDeps,
  ) {
    this.statusSubject = new BehaviorSubject(initialStatus(key, endpoint, deps.family));
    this.status$ = this.statusSubject.asObservable();
    this.log = deps.logger.child({ card: key, endpoint });
  }

  get status(): WlfwCardStatus {
    return this.statusSubject.value;
  }

  /** Follows the client's server: every appearance starts a bring-up. */
  start(): void {
    this.subscriptions.push(
      this.client.rawIndications$().subscribe((ind) => {
        if (ind.msgId === IND.REJUVENATE) {
          this.crash('REJUVENATE indication');
          return;
        }
        this.indications.push({ msgId: ind.msgId, body: ind.body });
        this.indicationWaiter?.();
      }),
      this.client.server$.subscribe((server) => {
        if (server) this.onServer(server);
        else this.crash('WLFW service disappeared');
      }),
    );
  }

  /** Cancels any bring-up and closes the client. Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    const wasReady = this.status.state === 'ready';
    this.stopped = true;
    this.attempt?.abort(new WlfwCancelledError(this.key));
    if (wasReady && this.client.server) await this.firmwareStop();
    for (const s of this.subscriptions) s.unsubscribe();
    this.client.close();
    await this.running?.catch(() => undefined);
    this.unsubscribeCrash?.();
    this.memory?.release();
    this.memory = undefined;
    this.patch({ state: 'stopped' });
    this.statusSubject.complete();
  }

  /**
   * ath1xk_qmi_firmware_stop: WLAN_MODE(OFF) to running firmware; a firmware whose service is
   * already gone (the kernel's -ENETRESET) or that does not answer is not an error.
   */
  private async firmwareStop(): Promise<void> {
    try {
      await this.client.request(wlfw.wlfw_wlan_mode_req, wlfw.wlfw_wlan_mode_resp, { mode: WlanMode.OFF, hw_debug: 0 }, { timeout: Math.min(1000, this.deps.options.requestTimeoutMs) });
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'WLAN_MODE(OFF) not acknowledged; the firmware service is gone');
    }
  }

  private patch(change: Partial<WlfwCardStatus>): void {
    if (this.statusSubject.closed) return;
    this.statusSubject.next({ ...this.statusSubject.value, ...change });
  }

  private setState(state: WlfwCardState): void {
    if (this.status.state !== state) this.patch({ state });
  }

  private crash(how: string): void {
    if (this.stopped) return;
    const state = this.status.state;
    if (this.restartPending) {
      // The calibration power cycle (ath11k_qmi_fwreset_from_cold_boot), not a crash.
      this.restartPending = false;
      this.log.info({ how }, 'firmware restarting after cold-boot calibration');
      this.attempt?.abort(new WlfwFirmwareCrashError(this.key, 'restart after cold-boot calibration'));
      this.patch({ state: 'waiting' });
      return;
    }
    if (state === 'waiting' || state === 'declined' || state === 'recovering' || state === 'resetting' || this.gaveUp) return;
    this.log.warn({ how, state }, 'firmware went away; the card will be brought up again when it returns');
    this.attempt?.abort(new WlfwFirmwareCrashError(this.key, how));
    this.patch({ state: 'recovering', recoveries: this.status.recoveries + 1 });
  }

  private onServer(server: ServerInfo): void {
    if (this.stopped) return;
    this.attempt?.abort(new WlfwFirmwareCrashError(this.key, 'firmware server replaced'));
    const controller = new AbortController();
    this.attempt = controller;
    const previous = this.running ?? Promise.resolve();
    // The card's containment boundary: whatever escapes an attempt fails this card only.
    this.running = previous.then(() => this.runAttempts(server, controller.signal)).catch((err: unknown) => this.failContained(err));
  }

  private failContained(err: unknown): void {
    const e = new WlfwStepFailedError(this.key, this.status.state, err);
    this.log.error({ code: e.code, err: e.message }, 'bring-up threw; card marked failed until its firmware restarts');
    this.patch({ state: 'failed', lastError: { code: e.code, message: e.message } });
  }

  /**
   * One bring-up per firmware incarnation. A failed step is not resent in place: the firmware
   * accepts IND_REGISTER/HOST_CAP once per boot (INCOMPATIBLE_STATE after), and the drivers set
   * ATH1xK_FLAG_QMI_FAIL and wait for the next firmware event. A crash the link reports is
   * answered with a reset through the link, under the kernel's back-off (resetThroughLink).
   */
  private async runAttempts(server: ServerInfo, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    // Indications of an earlier incarnation must not satisfy this one's waits.
    this.indications = [];
    this.patch({ attempts: this.status.attempts + 1, node: server.node, port: server.port, instance: server.instance });
    const started = Date.now();
    try {
      this.followLink();
      await this.bringUp(server, signal);
      this.backoff.succeeded();
      this.gaveUp = false;
      this.patch({ state: 'ready', bringUpMs: Date.now() - started, lastError: undefined });
      this.log.info({ chip: this.status.chip, boardId: this.status.boardId, ms: Date.now() - started }, 'card ready');
    } catch (err) {
      if (err instanceof DeclinedError) {
        this.setState('declined');
        this.deps.onDecline(this, server);
        return;
      }
      if (signal.aborted) return;
      const e = err instanceof QrtrdError ? err : new WlfwStepFailedError(this.key, this.status.state, err);
      this.patch({ lastError: { code: e.code, message: e.message, details: e.details } });
      // As ATH1xK_FLAG_QMI_FAIL: the card waits for its firmware's next incarnation (a crash
      // report from the link resets it; a returning server starts over), nothing is resent.
      const lasting = FATAL_CODES.has(e.code);
      this.log.error({ code: e.code, err: e.message }, lasting ? 'bring-up failed' : 'bring-up failed; waiting for the firmware to restart');
      this.setState('failed');
    }
  }

  /** Takes the link's memory and crash reports; a different control (device re-plugged) drops the old buffers. */
  private followLink(): void {
    const control = this.deps.control(this);
    if (control === this.control && this.memory) return;
    this.unsubscribeCrash?.();
    this.unsubscribeCrash = undefined;
    this.memory?.release();
    this.control = control;
    this.memory = new WlfwTargetMemory(this.key, this.deps.family, control?.memory, this.log, this.deps.options.dmaChunkLimit);
    if (this.deps.family === 'ath12k') this.memory.joinMloGroup(this.deps.mloPools, this.deps.groups.configuredGroupOf(this.key) ?? this.deps.family);
    this.patch({ memoryProvider: control?.memory?.kind });
    this.unsubscribeCrash = control?.onCrash?.((reason) => {
      this.crash(`device crashed (${reason})`);
      void this.resetThroughLink(reason);
    });
  }

  /**
   * ath11k_core_reset / ath12k_core_reset: power-cycle the device through its link, unless the
   * back-off says the card keeps failing (terminal: WLFW_RESET_EXHAUSTED).
   */
  private async resetThroughLink(reason: string): Promise<void> {
    if (this.stopped) return;
    const control = this.control;
    if (!control?.reset) {
      const e = new DeviceResetUnsupportedError(this.key, 'its link has no reset hook');
      this.log.warn({ code: e.code, reason }, 'firmware crashed and the link cannot reset the device');
      this.patch({ lastError: { code: e.code, message: e.message } });
      return;
    }
    const decision = this.backoff.request();
    if (!decision.reset) {
      const e = new WlfwResetExhaustedError(this.key, decision.failures, decision.reason);
      this.gaveUp = true;
      this.log.error({ code: e.code, reason }, 'giving up on the card');
      this.attempt?.abort(e);
      this.patch({ state: 'failed', lastError: { code: e.code, message: e.message, details: e.details } });
      return;
    }
    this.attempt?.abort(new WlfwFirmwareCrashError(this.key, reason));
    this.patch({ state: 'resetting', resets: (this.status.resets ?? 0) + 1 });
    try {
      await control.reset();
      if (this.status.state === 'resetting') this.setState('recovering');
    } catch (err) {
      const e = err instanceof QrtrdError ? err : new DeviceResetUnsupportedError(this.key, String((err as Error)?.message ?? err));
      this.log.error({ code: e.code, err: e.message }, 'device reset failed');
      this.patch({ state: 'failed', lastError: { code: e.code, message: e.message } });
    }
  }

  // ------------------------------------------------------------------ the sequence

  private async bringUp(server: ServerInfo, signal: AbortSignal): Promise<void> {
    const { family, options } = this.deps;
    this.patch({ bytesDownloaded: 0, bytesTotal: 0, memorySegments: 0, memoryBytes: 0 });
    const identity = this.deps.identify(this, server);
    this.patch({ identity });
    // Identity first, as ath11k_pci_probe / ath12k_pci_probe / the AHB probes: the family, chip and hw
    // revision come from the bus (PCI device id + TCSR_SOC_HW_VERSION, or the DT compatible) before any QMI.
    const pci = matchPciDevice(family, this.deps.chips, identity);
    if (pci.kind === 'other-family') throw new DeclinedError(this.key);
    if (pci.kind === 'unknown') throw new WlfwUnknownPciDeviceError(this.key, pci.device);
    if (pci.kind === 'unsupported-soc') throw new WlfwUnsupportedSocError(this.key, pci.device, pci.socHwVersion, pci.socHwSubVersion);
    const known = pci.kind === 'chip' ? pci.chip : undefined;
    const candidates = known ? [known] : chipsForInstance(this.deps.chips, server.instance);
    if (candidates.length === 0) throw new WlfwUnknownChipError(this.key, server.instance, undefined, this.deps.chips.map((c) => c.chip));
    const base = candidates[0];
    if (known) this.patch({ chip: known.chip, hwRev: known.hwRev, chipBy: pci.kind === 'chip' ? pci.by : undefined });

    // firmware-2.bin (ath1xk_fw_map): FEATURES decide the ath12k instance shift and single-device MLO.
    const fw2 = await this.deps.store.firmware2(base, this.key, (file, err) => this.log.warn({ file, err: err.message }, 'firmware-2.bin does not parse; using API 1 files'));
    const features = fw2?.features ?? new Set<number>();
    this.patch({ fwFeatures: fw2 ? [...features].sort((x, y) => x - y) : undefined });
    if (known) {
      const expected = expectedInstance(known, identity, { multiQrtrId: features.has(Ath12kFwFeature.MULTI_QRTR_ID), qcn9074: options.qcn9074InstanceShift });
      if (server.instance !== expected) throw new WlfwInstanceMismatchError(this.key, known.chip, server.instance, expected);
    } else if (SHARED_INSTANCES.has(server.instance)) {
      // No identity and an instance both families register: the kernel never faces this (the bus
      // decides first). Without the opt-in probe, ath12k leaves the card to ath11k, which reports it.
      if (!options.probeFamily) {
        if (family === 'ath12k') throw new DeclinedError(this.key);
        throw new WlfwIdentityRequiredError(this.key, server.instance);
      }
      await this.probeFamily(signal);
    }

    // ath12k_qmi_event_server_arrive: PHY_CAP before IND_REGISTER; any failure means def_num_link (older firmware lacks it).
    let numRadios: number | undefined;
    let singleChipMlo = false;
    if (family === 'ath12k') {
      this.setState('probing');
      const phy = await this.call('PHY_CAP', wlfw.wlfw_phy_cap_req, wlfw.wlfw_phy_cap_resp, {}, signal, false).catch((err: unknown) => {
        if (signal.aborted) throw err;
        this.log.info({ err: (err as Error).message }, 'PHY_CAP failed; using the default link count');
        return undefined;
      });
      const ok = phy?.resp.result === 0;
      numRadios = ok && phy.num_phy !== undefined ? phy.num_phy : base.defNumLink ?? 0;
      singleChipMlo = ok && phy.single_chip_mlo_support === 1;
      this.patch({ numRadios });
    }

    this.setState('registering');
    const current = options.messageIds === 'current';
    const memInds = !base.fixedFwMem;
    // ath1xk_qmi_fw_ind_register_send: only the TLVs it marks valid (no initiate_cal_*, msa_ready, pin_connect_result).
    await this.call(
      'IND_REGISTER',
      wlfw.wlfw_ind_register_req,
      wlfw.wlfw_ind_register_resp,
      {
        fw_ready_enable: 1,
        client_id: ATH_CLIENT_ID,
        request_mem_enable: memInds ? 1 : undefined,
        fw_mem_ready_enable: memInds ? 1 : undefined,
        fw_init_done_enable: current ? 1 : undefined,
        cal_done_enable: current ? 1 : undefined,
      },
      signal,
    );

    let group: GroupRelease | undefined;
    const groupId = family === 'ath12k' ? this.deps.groups.configuredGroupOf(this.key) : undefined;
    if (groupId !== undefined) {
      // Hardware groups exist only where configured (the kernel: device-tree WSI wiring).
      this.setState('group-wait');
      group = await this.deps.groups.arrive(groupId, this.key, signal);
      this.patch({ group: groupId });
      if (group.partial) this.log.warn({ group: groupId, size: group.size }, 'group wait timed out; going ahead with the cards present');
    }
    const mlo = family === 'ath12k' ? this.mloBlock(base, group, numRadios ?? 0, fw2?.featuresValid ? features.has(Ath12kFwFeature.MLO) : singleChipMlo) : undefined;

    this.setState('host-cap');
    await this.call('host capability', wlfw.wlfw_host_cap_req, wlfw.wlfw_host_cap_resp, this.hostCap(base, mlo), signal);

    if (!base.fixedFwMem) {
      this.setState('memory');
      await this.negotiateMemory(base, this.memory!, signal);
      await this.waitIndication('FW_MEM_READY', [IND.FW_MEM_READY], signal);
    }

    this.setState('capability');
    const cap = await this.call('target capability', wlfw.wlfw_cap_req, wlfw.wlfw_cap_resp, {}, signal);
    const chip = known ?? identifyChip(candidates, cap.soc_info?.soc_id);
    if (!chip) throw new WlfwUnknownChipError(this.key, server.instance, cap.soc_info?.soc_id, candidates.map((c) => c.chip));
    // The drivers name board data by CAP's chip id and board id (0xFF without board_info); PHY_CAP's board id is only logged.
    const boardId = cap.board_info?.board_id ?? DEFAULT_BOARD_ID;
    this.patch({
      chip: chip.chip,
      hwRev: chip.hwRev,
      chipBy: known ? this.status.chipBy : 'instance',
      chipId: cap.chip_info?.chip_id,
      chipFamily: cap.chip_info?.chip_family,
      socId: cap.soc_info?.soc_id,
      boardId,
      fwVersion: cap.fw_version_info?.fw_version,
      fwBuildTimestamp: cap.fw_version_info?.fw_build_timestamp,
      fwBuildId: cap.fw_build_id?.replace(/^QC_IMAGE_VERSION_STRING=/, ''),
    });
    if (chip.deviceInfo) await this.call('device info', wlfw.wlfw_device_info_req, wlfw.wlfw_device_info_resp, {}, signal);

    this.setState('downloading');
    const names: BoardNameInputs = { chip, identity, chipId: cap.chip_info?.chip_id ?? 0, boardId };
    // CAP TLV 0x19's value (ab->qmi.target.eeprom_caldata), not its presence, selects EEPROM caldata.
    await this.downloadBoardData(names, Boolean(cap.eeprom_read_timeout), signal);

    this.setState('m3');
    if (chip.m3) {
      // ath11k_qmi_m3_load / ath12k_qmi_m3_load: firmware-2.bin's M3 IE (ab->fw.m3_data) when it has a
      // non-empty one, else m3.bin; copied into a coherent buffer of the link, which M3_INFO names.
      const m3 = fw2?.m3 && fw2.m3.length > 0 ? { path: `${fw2.path}#M3_IMAGE`, data: fw2.m3 } : await this.deps.store.m3(chip, this.key);
      this.patch({ m3File: m3.path });
      await this.call('M3 info', wlfw.wlfw_m3_info_req, wlfw.wlfw_m3_info_resp, this.memory!.loadM3(m3.data), signal);
    } else {
      await this.call('M3 info', wlfw.wlfw_m3_info_req, wlfw.wlfw_m3_info_resp, { addr: 0n, size: 0 }, signal);
    }

    this.setState('firmware-init');
    await this.waitIndication(current ? 'FW_INIT_DONE' : 'FW_READY (0x38, pre-2022 naming)', [IND.FW_INIT_DONE], signal);

    if (this.coldBootCalibrates(chip)) {
      await this.calibrate(chip, signal);
      // cbcal_restart_fw chips were power-cycled: the next incarnation continues with cal_done = 1.
      if (chip.cbcalRestartFw) return this.waitForRestart(signal);
    }

    this.setState('configuring');
    // WLAN_INI only where hw_params.fw_wmi_diag_event (ath11k_qmi_firmware_start); ath12k always.
    if (chip.wlanIni) await this.call('WLAN ini', wlfw.wlfw_wlan_ini_req, wlfw.wlfw_wlan_ini_resp, { enablefwlog: 1 }, signal);
    const shadow = chip.shadowRegAddrs.map((addr) => ({ addr }));
    await this.call(
      'WLAN cfg',
      wlfw.wlfw_wlan_cfg_req,
      wlfw.wlfw_wlan_cfg_resp,
      {
        host_version: 'WIN',
        tgt_cfg: chip.targetCe.map((p) => ({ ...p })),
        svc_cfg: chip.serviceMap.map((s) => ({ ...s })),
        shadow_reg_v2: chip.shadowRegs === 'v2' ? shadow : undefined,
        shadow_reg_v3: chip.shadowRegs === 'v3' ? shadow : undefined,
      },
      signal,
    );
    const mode = options.ftmMode ? WlanMode.FTM : WlanMode.NORMAL;
    await this.call('WLAN mode', wlfw.wlfw_wlan_mode_req, wlfw.wlfw_wlan_mode_resp, { mode, hw_debug: 0 }, signal);
  }

  /** The opt-in, non-kernel family probe for unidentified cards: ath12k firmware answers PHY_CAP, ath11k's refuses it. */
  private async probeFamily(signal: AbortSignal): Promise<void> {
    const { family } = this.deps;
    this.setState('probing');
    const phy = await this.call('PHY_CAP', wlfw.wlfw_phy_cap_req, wlfw.wlfw_phy_cap_resp, {}, signal, false).catch((err: unknown) => {
      // Firmware that ignores unknown messages instead of answering INVALID_QMI_COMMAND is not ath12k firmware.
      const timedOut = (err as { cause?: { code?: string } }).cause?.code === 'QMI_TIMEOUT';
      if (family === 'ath11k' && timedOut) return undefined;
      throw err;
    });
    const answered = phy?.resp.result === 0;
    if (answered !== (family === 'ath12k')) throw new DeclinedError(this.key);
  }

  /** ath11k_core_coldboot_cal_support: the cold_boot_cal parameter and the chip's coldboot_cal_mm / _ftm; once per card. */
  private coldBootCalibrates(chip: WlfwChipParams): boolean {
    const { options } = this.deps;
    if (this.calDone || !options.coldBootCal) return false;
    return options.ftmMode ? chip.coldbootCalFtm : chip.coldbootCalMm;
  }

  /**
   * ath11k_qmi_process_coldboot_calibration: WLAN_MODE(COLD_BOOT), then wait for CAL_DONE (0x3E)
   * or FW_READY (0x21); on cbcal_restart_fw chips the bus then power-cycles the firmware
   * (ath11k_qmi_fwreset_from_cold_boot), and the new incarnation runs mission mode with
   * cal_done = 1 in HOST_CAP. No WLAN_MODE(OFF) is sent in between.
   */
  private async calibrate(chip: WlfwChipParams, signal: AbortSignal): Promise<void> {
    const timeoutMs = this.deps.options.coldBootCalTimeoutMs;
    this.setState('calibrating');
    await this.call('WLAN mode (cold-boot calibration)', wlfw.wlfw_wlan_mode_req, wlfw.wlfw_wlan_mode_resp, { mode: WlanMode.COLD_BOOT, hw_debug: 0 }, signal);
    const first = await this.waitIndicationId('CAL_DONE or FW_READY', [IND.CAL_DONE, IND.FW_READY], signal, timeoutMs).catch((err: unknown) => {
      if (err instanceof WlfwIndicationTimeoutError) throw new WlfwColdBootCalTimeoutError(this.key, timeoutMs);
      throw err;
    });
    this.calDone = true;
    this.patch({ calDone: true });
    this.log.info({ chip: chip.chip }, 'cold-boot calibration done');
    if (!chip.cbcalRestartFw) {
      // Without a restart, mission mode starts on FW_READY (ATH11K_QMI_EVENT_FW_READY → ath11k_core_qmi_firmware_ready).
      if (first !== IND.FW_READY) await this.waitIndication('FW_READY', [IND.FW_READY], signal);
      return;
    }
    // ath11k_qmi_fwreset_from_cold_boot: ath11k_hif_power_down + ath11k_hif_power_up, the same bus power
    // cycle ath11k_core_reset uses on a crash: the link's one reset hook, outside the crash back-off.
    const control = this.control ?? this.deps.control(this);
    if (!control?.reset) throw new DeviceResetUnsupportedError(this.key, 'its link has no reset hook, and this chip (cbcal_restart_fw) must be power-cycled after cold-boot calibration');
    this.restartPending = true;
    await control.reset().catch((err: unknown) => {
      this.restartPending = false;
      throw err instanceof QrtrdError ? err : new DeviceResetUnsupportedError(this.key, (err as Error)?.message ?? String(err));
    });
  }

  /** After the calibration power cycle: this incarnation is over; the server's return starts the next. */
  private waitForRestart(signal: AbortSignal): Promise<void> {
    return new Promise((_resolve, reject) => {
      if (signal.aborted) reject(signal.reason);
      else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }

  /**
   * ath12k_host_cap_parse_mlo: only when the hardware group is MLO-capable
   * (ath12k_core_hw_group_set_mlo_capable: a lone device by firmware-2.bin FW_FEATURE_MLO when the
   * file has features, else PHY_CAP single_chip_mlo_support; a configured group by its members'
   * MLO feature) and num_radios is neither 0 nor 0xFF. A lone device is group 0xFF, device 0.
   */
  private mloBlock(chip: WlfwChipParams, group: GroupRelease | undefined, numRadios: number, mloFeature: boolean): Record<string, unknown> | undefined {
    if (!mloFeature || numRadios === 0 || numRadios === 0xff) return undefined;
    const devices = group?.size ?? 1;
    const deviceId = group?.index ?? 0;
    const groupIndex = group ? this.deps.options.groups.findIndex((g) => g.id === group.group) : -1;
    // hw_link_id_base = the radios of lower devices; members are taken to have as many radios as this one.
    return {
      mlo_capable: 1,
      mlo_chip_id: deviceId,
      mlo_group_id: group && devices > 1 ? Math.max(0, groupIndex) : INVALID_GROUP_ID,
      max_mlo_peer: chip.maxMloPeer ?? 0,
      mlo_num_chips: devices,
      mlo_chip_info: Array.from({ length: 3 }, (_, i) => ({
        chip_id: i < devices ? i : 0,
        num_local_links: i < devices ? numRadios : 0,
        hw_link_id: Uint8Array.of(...[0, 1].map((j) => (i < devices && j < numRadios ? i * numRadios + j : 0))),
        valid_mlo_link_id: Uint8Array.of(...[0, 1].map((j) => (i < devices && j < numRadios ? 1 : 0))),
      })),
    };
  }

  /** ath11k_qmi_host_cap_send / ath12k_qmi_host_cap_send, field for field. */
  private hostCap(chip: WlfwChipParams, mlo: Record<string, unknown> | undefined): QmiValue<typeof wlfw.wlfw_host_cap_req> {
    const value: Record<string, unknown> = {
      num_clients: 1,
      bdf_support: 1,
      // ath11k: qmi.cal_done (1 after cold-boot calibration); ath12k v6.18 always 0.
      cal_done: chip.family === 'ath11k' && this.calDone ? 1 : 0,
      mem_cfg_mode: chip.memCfgMode,
    };
    if (chip.internalSleepClock) value.nm_modem = nmModem(chip);
    if (chip.m3) {
      value.m3_support = 1;
      value.m3_cache_support = 1;
    }
    if (mlo) Object.assign(value, mlo);
    if (chip.family === 'ath12k') value.feature_list = BigInt(chip.cnssFeatureBitmap ?? 0);
    return value as QmiValue<typeof wlfw.wlfw_host_cap_req>;
  }

  /**
   * REQUEST_MEM → RESPOND_MEM with buffers of the card's link (target-memory.ts): the delayed
   * empty answer when an allocation failed as the family allows it (ath11k ≤ 5 segments, ath12k a
   * chunk > 2 MiB), whose failure reply (error 0) is accepted before the firmware asks again smaller.
   */
  private async negotiateMemory(chip: WlfwChipParams, memory: WlfwTargetMemory, signal: AbortSignal): Promise<void> {
    for (let round = 0; round < 4; round++) {
      const body = await this.waitIndication('REQUEST_MEM', [IND.REQUEST_MEM], signal);
      const ind = decode(wlfw.wlfw_request_mem_ind, body);
      const answer = memory.answer(chip, ind.mem_seg, coldBootCalSupported(chip));
      if (answer.delayed) {
        this.log.debug({ size: answer.failed.size, type: answer.failed.type }, 'allocation failed; delayed memory response');
        const resp = await this.call('respond memory (delayed)', wlfw.wlfw_respond_mem_req, wlfw.wlfw_respond_mem_resp, { mem_seg: [] }, signal, false);
        if (resp.resp.result !== 0 && resp.resp.error !== 0) {
          throw new WlfwStepFailedError(this.key, 'respond memory (delayed)', { message: 'unexpected error', result: resp.resp.result, error: resp.resp.error });
        }
        continue;
      }
      const out = answer.segments.map((seg) => ({ ...seg }));
      await this.call('respond memory', wlfw.wlfw_respond_mem_req, wlfw.wlfw_respond_mem_resp, { mem_seg: out }, signal);
      this.patch({ memorySegments: out.length, memoryBytes: out.reduce((n, seg) => n + seg.size, 0) });
      return;
    }
    throw new WlfwStepFailedError(this.key, 'memory negotiation', new Error('firmware kept asking for segments the host cannot allocate'));
  }

  /**
   * ath11k_qmi_load_bdf_qmi / ath12k_qmi_event_load_bdf: regdb (ath11k: a missing one is
   * skipped, ath12k: fatal), board data (ELF or BIN by magic), then caldata or EEPROM.
   * Every file is found before the first byte is sent.
   */
  private async downloadBoardData(inputs: BoardNameInputs, eeprom: boolean, signal: AbortSignal): Promise<void> {
    const { store } = this.deps;
    const { chip, identity, boardId } = inputs;
    const files: { type: number; data: Uint8Array | undefined }[] = [];
    if (chip.supportsRegdb) {
      const regdb = await store.regdb(chip, regdbSearchNames(inputs), this.key);
      if (regdb.file) {
        files.push({ type: BdfType.REGDB, data: regdb.file.data });
        this.patch({ regdbFile: regdb.file.path, regdbName: regdb.file.boardName });
      } else if (chip.family === 'ath12k') throw new BoardDataNotFoundError(this.key, 'regdb', regdb.tried);
    }
    const board = await store.board(chip, boardSearchNames(inputs), this.key);
    this.patch({ boardName: board.boardName, boardFile: board.path, boardSource: board.source });
    if (board.truncatedFrom !== undefined) this.log.warn({ file: board.path, size: board.truncatedFrom, sent: board.data.length }, 'board file larger than board_size; sending its first board_size bytes as the kernel does');
    // ELF or BIN by the file's magic, whatever the chip (ath1xk_qmi_load_bdf_qmi).
    const boardType = isElf(board.data) ? BdfType.ELF : BdfType.BIN;
    files.push({ type: boardType, data: board.data });
    // Caldata follows a BIN board: on every ath11k chip; on ath12k where hw_params.download_calib.
    if (boardType === BdfType.BIN && (chip.family === 'ath11k' || chip.caldata)) {
      if (eeprom) {
        files.push({ type: BdfType.EEPROM, data: undefined });
        this.patch({ caldataFile: 'eeprom' });
      } else {
        // dev_name(): the PCI address for PCI cards, whatever link carries the card.
        const dev = identity?.address ?? splitKey(this.key)[1];
        const cal = await store.caldata(chip, busOf(chip), dev, this.key).catch((err: unknown) => {
          // ath11k: fatal except in FTM mode; ath12k: only a warning.
          if (!(err instanceof FirmwareFileMissingError) || (chip.family === 'ath11k' && !this.deps.options.ftmMode)) throw err;
          this.log.warn({ err: err.message }, 'no caldata; going on without it as the kernel does');
          return undefined;
        });
        if (cal) {
          // ath12k's ATH12K_QMI_BDF_TYPE_CALIBRATION is only a switch label in ath12k_qmi_load_bdf_qmi: the wire type is the file type, CALDATA 2.
          files.push({ type: BdfType.CALDATA, data: cal.data.length > chip.boardSize ? cal.data.subarray(0, chip.boardSize) : cal.data });
          this.patch({ caldataFile: cal.path });
        }
      }
    }
    this.patch({ bytesTotal: files.reduce((n, f) => n + (f.data?.length ?? 0), 0), bytesDownloaded: 0 });
    for (const file of files) await this.sendFile(chip, boardId, file.type, file.data, signal);
  }

  /** One file in 6144-byte segments; total_size is the bytes still to send (as the drivers do). */
  private async sendFile(chip: WlfwChipParams, boardId: number, type: number, data: Uint8Array | undefined, signal: AbortSignal): Promise<void> {
    if (!data || chip.fixedBdfAddr) {
      // EEPROM caldata, or AHB chips whose board data goes to reserved memory: one message, no data.
      // EEPROM: ath1xk_qmi_load_file_target_mem with no data and size ATH11K_QMI_MAX_BDF_FILE_NAME_SIZE (64).
      // ath11k_qmi_load_file_target_mem (fixed_bdf_addr): memcpy_toio at bdf_addr, caldata at + cal_offset.
      if (data) this.memory!.writeFixedBdf(chip, type === BdfType.CALDATA, data);
      await this.call('BDF download', wlfw.wlfw_bdf_download_req, wlfw.wlfw_bdf_download_resp, {
        valid: 1, file_id: boardId, total_size: data?.length ?? EEPROM_TOTAL_SIZE, seg_id: 0, end: 1, bdf_type: type,
      }, signal);
      this.patch({ bytesDownloaded: this.status.bytesDownloaded + (data?.length ?? 0) });
      return;
    }
    let offset = 0;
    for (let seg = 0; offset < data.length; seg++) {
      const remaining = data.length - offset;
      const len = Math.min(BDF_SEGMENT_SIZE, remaining);
      await this.call(
        'BDF download',
        wlfw.wlfw_bdf_download_req,
        wlfw.wlfw_bdf_download_resp,
        { valid: 1, file_id: boardId, total_size: remaining, seg_id: seg, data: data.subarray(offset, offset + len), end: remaining <= BDF_SEGMENT_SIZE ? 1 : 0, bdf_type: type },
        signal,
      );
      offset += len;
      this.patch({ bytesDownloaded: this.status.bytesDownloaded + len });
    }
  }

  private async call<Req extends QmiMessageSchema, Resp extends QmiMessageSchema>(
    step: string,
    request: Req,
    response: Resp,
    value: QmiValue<Req>,
    signal: AbortSignal,
    checkResult = true,
  ): Promise<QmiValue<Resp>> {
    if (signal.aborted) throw signal.reason;
    try {
      return await this.client.request(request, response, value, { timeout: this.deps.options.requestTimeoutMs, signal, checkResult });
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw new WlfwStepFailedError(this.key, step, err);
    }
  }

  /** Like waitIndication, resolving with the id of the indication that came. */
  private async waitIndicationId(name: string, ids: readonly number[], signal: AbortSignal, timeoutMs: number): Promise<number | undefined> {
    await this.waitIndication(name, ids, signal, timeoutMs);
    return this.lastTaken;
  }

  /** Message id of the indication the last wait took. */
  private lastTaken: number | undefined;

  private waitIndication(name: string, ids: readonly number[], signal: AbortSignal, timeoutMs = this.deps.options.indicationTimeoutMs): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const take = (): boolean => {
        const i = this.indications.findIndex((ind) => ids.includes(ind.msgId));
        if (i < 0) return false;
        const [ind] = this.indications.splice(i, 1);
        this.lastTaken = ind.msgId;
        finish();
        resolve(ind.body);
        return true;
      };
      const onAbort = (): void => {
        finish();
        reject(signal.reason);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new WlfwIndicationTimeoutError(this.key, name, timeoutMs));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        if (this.indicationWaiter === check) this.indicationWaiter = undefined;
      };
      const check = (): void => void take();
      if (signal.aborted) return onAbort();
      if (take()) return;
      signal.addEventListener('abort', onAbort, { once: true });
      this.indicationWaiter = check;
    });
  }
}

function decode<S extends QmiMessageSchema>(schema: S, body: Uint8Array): QmiValue<S> {
  // Indications are decoded here rather than through indications$, so that all of them queue in arrival order.
  return qmiCodec(schema).decode(body) as QmiValue<S>;
}

/** `mhi:0000:01:00.0` → ['pci', '0000:01:00.0'] (MHI cards are PCI devices); other kinds as is. */
export function splitKey(key: string): [string, string] {
  const colon = key.indexOf(':');
  const kind = key.slice(0, colon);
  return [kind === 'mhi' ? 'pci' : kind, key.slice(colon + 1)];
}

/** HOST_CAP nm_modem platform bits (ath11k/qmi.h, ath12k/qmi.h QMI_WLFW_HOST_PCIE_GEN_SWITCH et al.). */
const NmModem = { SLEEP_CLOCK_SELECT_INTERNAL: 0x02, HOST_CSTATE: 0x04, PCIE_GLOBAL_RESET: 0x08, PCIE_PME_D3COLD: 0x10 } as const;

/**
 * The nm_modem value of an internal-sleep-clock chip: ath11k_qmi_host_cap_send sends HOST_CSTATE | internal
 * sleep clock | PME_D3COLD, plus GLOBAL_RESET where hw_params.global_reset (0x1E on QCA6390/WCN6855);
 * ath12k_qmi_host_cap_send sends internal sleep clock | HOST_CSTATE | GLOBAL_RESET (0x0E).
 */
export function nmModem(chip: WlfwChipParams): number {
  if (chip.family === 'ath12k') return NmModem.SLEEP_CLOCK_SELECT_INTERNAL | NmModem.HOST_CSTATE | NmModem.PCIE_GLOBAL_RESET;
  return NmModem.HOST_CSTATE | NmModem.SLEEP_CLOCK_SELECT_INTERNAL | (chip.globalReset ? NmModem.PCIE_GLOBAL_RESET : 0) | NmModem.PCIE_PME_D3COLD;
}
