import { createHash, type Hash } from 'node:crypto';
import { QmiResultError, opt, qmiIndication, qmiResponse, qmiResultField, req, u8, wlfw, type QmiPeer, type QmiValue } from '../../../src/sdk';
import { QmiService } from '../../../src/testing/devices';
import { sha256, type SimulatedFileSet } from './sim-files';
import type { SimChipProfile, SimKernelCe } from './sim-profile';
import { MemoryWitness } from './memory-witness';
import type { SimulatedHostMemory } from './simulated-host-memory';

/** Steps of the firmware side, for the log and fault injection. */
export type SimStep =
  | 'phy-cap'
  | 'ind-register'
  | 'host-cap'
  | 'request-mem'
  | 'respond-mem'
  | 'fw-mem-ready'
  | 'cap'
  | 'device-info'
  | 'bdf'
  | 'm3'
  | 'fw-init-done'
  | 'wlan-ini'
  | 'wlan-cfg'
  | 'wlan-mode'
  | 'cal-done';

/**
 * How a simulated firmware crashes. detach: the link goes away; service: the WLFW service restarts;
 * rejuvenate: REJUVENATE_IND then restart; rddm: the firmware dies into RDDM (MHI_CB_EE_RDDM), its
 * service goes and it stays dead until the host power-cycles the device through the link.
 */
export type SimCrashMode = 'detach' | 'service' | 'rejuvenate' | 'rddm';

/** Faults a simulated card can be told to show. */
export interface SimFaults {
  /** Crash when the step is reached (for 'bdf', after `afterSegments` segments). */
  readonly crashAt?: {
    readonly step: SimStep;
    readonly afterSegments?: number;
    /** detach: the link goes away; service: the WLFW service restarts; rejuvenate: REJUVENATE_IND then restart. */
    readonly mode: SimCrashMode;
    readonly restartAfterMs?: number;
    /** How many boots crash (default 1). */
    readonly times?: number;
  };
  /** Extra latency per step (ms), as firmware processing time. */
  readonly delayMs?: Partial<Record<SimStep, number>>;
  /** Answer this step's request (or send this indication) with a malformed TLV. */
  readonly wrongTlv?: 'cap' | 'request-mem' | 'host-cap';
  /** Answer RESPOND_MEM with NO_MEMORY. */
  readonly refuseMemory?: boolean;
  /** Never send this indication (to exercise host timeouts). */
  readonly withhold?: 'request-mem' | 'fw-mem-ready' | 'fw-init-done' | 'cal-done';
  /** ath12k: answer PHY_CAP with an error (older firmware); the host must go on with def_num_link. */
  readonly phyCapFails?: boolean;
  /**
   * Act on this request but lose its answer, once per boot (as if the response never
   * reached the host): the host times out while the firmware has moved on.
   */
  readonly loseResponse?: 'ind-register' | 'host-cap';
}

/** What a boot knows from earlier boots of the same card (state that survives a power cycle). */
export interface SimBootContext {
  /** Cold-boot calibration ran on an earlier boot (the host then sends HOST_CAP cal_done = 1). */
  readonly calibrated: boolean;
  /** Called when this boot finishes cold-boot calibration. */
  readonly onCalibrated: () => void;
}

/** One line of the firmware's log: what it received or sent, in order. */
export interface SimLogEntry {
  readonly dir: 'rx' | 'tx';
  readonly msgId: number;
  readonly name: string;
  readonly value?: unknown;
  readonly peer?: QmiPeer;
}

/** A downloaded file as reassembled by the firmware. */
export interface SimReceivedFile {
  readonly bdfType: number;
  readonly fileId: number;
  readonly size: number;
  readonly sha256: string;
  readonly segments: number;
}

const ERR = { MALFORMED: 1, NO_MEMORY: 2, INVALID_ARGUMENT: 48, INVALID_QMI_COMMAND: 71, INCOMPATIBLE_STATE: 90 } as const;

/** hw_params.fw.board_size of every ath11k and ath12k chip (256 * 1024). */
const KERNEL_BOARD_SIZE = 256 * 1024;

/** total_size of the data-less EEPROM BDF_DOWNLOAD (ATH11K_QMI_MAX_BDF_FILE_NAME_SIZE). */
const EEPROM_TOTAL_SIZE = 64;

/** HOST_CAP mlo_group_id of a device in no group (ath12k ATH12K_INVALID_GROUP_ID). */
const LONE_GROUP_ID = 0xff;
/** ATH12K_FW_FEATURE_MLO. */
const FW_FEATURE_MLO = 1;

type Phase = 'boot' | 'host-cap' | 'mem-requested' | 'mem-ready' | 'cap' | 'bdf-done' | 'm3-done' | 'calibrating' | 'calibrated' | 'ini' | 'cfg' | 'running';

const badCapResp = qmiResponse('wlfw_cap_resp_bad', wlfw.QMI_WLFW_CAP_V01, { resp: qmiResultField, chip_info: opt(0x10, u8) });
const badHostCapResp = qmiResponse('wlfw_host_cap_resp_bad', wlfw.QMI_WLFW_HOST_CAP_V01, { resp: opt(0x02, u8) });
const badRequestMemInd = qmiIndication('wlfw_request_mem_ind_bad', wlfw.QMI_WLFW_REQUEST_MEM_IND_V01, { mem_seg: req(0x01, u8) });

/**
 * The firmware side of WLFW for one boot of one card: serves the requests of
 * reference §4.3/§4.4, checks each request's TLVs and place in the order
 * (INCOMPATIBLE_STATE out of order, INVALID_ARGUMENT for wrong values, each
 * recorded as a violation), asks for memory like the chip, reassembles the board
 * data and checks it against the files the host should send, and sends the
 * ready indications to the registered client.
 */
export class WlfwFirmware {
  readonly log: SimLogEntry[] = [];
  readonly violations: string[] = [];
  /** Requests out of the kernel's order that the firmware still answers (no source says it refuses them). */
  readonly orderDeviations: string[] = [];
  readonly received: SimReceivedFile[] = [];
  private phase: Phase = 'boot';
  private peers: QmiPeer[] = [];
  private memRound = 0;
  private expectedFiles: { type: number; data: Uint8Array | undefined }[];
  private current: { type: number; hash: Hash; size: number; segments: number; fileId: number } | undefined;
  private bdfSegments = 0;
  private service: QmiService | undefined;
  private stopped = false;
  private hostCapValue: QmiValue<typeof wlfw.wlfw_host_cap_req> | undefined;
  /** WLAN_MODE(OFF) arrived (the host's orderly stop). */
  modeOffReceived = false;
  private calibratedThisBoot = false;
  private responseLost = false;
  private readonly memoryWitness: MemoryWitness;
  private readonly m3File: Uint8Array | undefined;

  constructor(
    readonly profile: SimChipProfile,
    readonly boardId: number,
    files: SimulatedFileSet,
    private readonly faults: SimFaults,
    /** Called when a crash fault fires. */
    private readonly onCrash: (mode: SimCrashMode) => void,
    private readonly onRunning: () => void,
    private readonly context: SimBootContext = { calibrated: false, onCalibrated: () => undefined },
    /** The host memory the card's link lent the loader: where M3, fixed-BDF bytes and target memory must be. */
    memory?: SimulatedHostMemory,
  ) {
    this.memoryWitness = new MemoryWitness(profile, memory);
    this.m3File = files.m3;
    // The host sends min(file, hw_params.fw.board_size): 256 KiB on every ath11k/ath12k chip (core.c / hw.c .fw.board_size).
    const board = { type: profile.boardElf ? 1 : 0, data: files.board.subarray(0, KERNEL_BOARD_SIZE) };
    this.expectedFiles = [
      ...(files.regdb ? [{ type: 4, data: files.regdb }] : []),
      board,
      ...(profile.eepromCaldata && !profile.boardElf ? [{ type: 3, data: undefined }] : files.caldata ? [{ type: profile.caldataType, data: files.caldata }] : []),
    ];
  }

  /** This boot must calibrate before mission mode (cold-boot chip, not yet calibrated). */
  private get mustCalibrate(): boolean {
    return this.profile.coldBoot !== undefined && !this.context.calibrated;
  }

  /** True once WLAN_MODE(NORMAL) was accepted. */
  get running(): boolean {
    return this.phase === 'running';
  }

  /** The HOST_CAP the host sent, for tests. */
  get hostCap(): QmiValue<typeof wlfw.wlfw_host_cap_req> | undefined {
    return this.hostCapValue;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Registers every handler on the card's WLFW service. */
  install(service: QmiService): void {
    this.service = service;
    const p = this.profile;
    service.handle(wlfw.wlfw_phy_cap_req, wlfw.wlfw_phy_cap_resp, async (_r, ctx) => {
      this.rx(wlfw.QMI_WLFW_PHY_CAP_V01, 'PHY_CAP', {}, ctx.peer);
      await this.pause('phy-cap');
      // ath11k never sends 0x57 (ath11k_qmi_event_server_arrive: IND_REGISTER, then HOST_CAP); its firmware does not know it.
      if (!p.phyCap) this.refuse('PHY_CAP sent to ath11k firmware', ERR.INVALID_QMI_COMMAND);
      // The kernel's order (ath12k/qmi.c ath12k_qmi_event_server_arrive: ath12k_qmi_phy_cap_send, then
      // ath12k_qmi_fw_ind_register_send) is checked and recorded, but not refused: no public source says
      // what the firmware answers to a later PHY_CAP (a capability query it can answer in any state).
      if (this.phase !== 'boot' || this.peers.length > 0) this.orderDeviations.push(`PHY_CAP in phase ${this.phase}; ath12k_qmi_event_server_arrive sends it before IND_REGISTER`);
      if (this.faults.phyCapFails) throw new QmiResultError('PHY_CAP', 1, ERR.INVALID_QMI_COMMAND);
      return { num_phy: p.numPhy, board_id: this.boardId, single_chip_mlo_support: p.singleChipMlo ? 1 : 0 };
    });
    service.handle(wlfw.wlfw_ind_register_req, wlfw.wlfw_ind_register_resp, async (r, ctx) => {
      this.rx(wlfw.QMI_WLFW_IND_REGISTER_V01, 'IND_REGISTER', r, ctx.peer);
      await this.pause('ind-register');
      if (r.client_id !== 0x4b4e454c) this.refuse(`IND_REGISTER client_id ${r.client_id}`, ERR.INVALID_ARGUMENT);
      // ath1xk_qmi_fw_ind_register_send leaves these invalid: a request carrying them is not the kernel's.
      for (const k of ['initiate_cal_download_enable', 'initiate_cal_update_enable', 'msa_ready_enable', 'pin_connect_result_enable'] as const) {
        if (r[k] !== undefined) this.refuse(`IND_REGISTER carries ${k}, which the kernel leaves out`, ERR.INVALID_ARGUMENT);
      }
      if (r.fw_ready_enable !== 1 && r.fw_init_done_enable !== 1) this.refuse('IND_REGISTER enables neither fw_ready nor fw_init_done', ERR.INVALID_ARGUMENT);
      const memInds = p.memoryRequests.length > 0;
      if (memInds && (r.request_mem_enable !== 1 || r.fw_mem_ready_enable !== 1)) this.refuse('IND_REGISTER without request_mem/fw_mem_ready', ERR.INVALID_ARGUMENT);
      if (!memInds && (r.request_mem_enable !== undefined || r.fw_mem_ready_enable !== undefined)) {
        this.refuse('IND_REGISTER enables memory indications on a fixed-memory chip', ERR.INVALID_ARGUMENT);
      }
      // Accepted once per boot and client: a repeat is what a loader retrying in place sends.
      if (this.peers.some((x) => samePeer(x, ctx.peer))) this.refuse(`IND_REGISTER repeated in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
      this.peers.push(ctx.peer);
      await this.answer('ind-register');
      return { fw_status: 0n };
    });
    service.handle(wlfw.wlfw_host_cap_req, this.faults.wrongTlv === 'host-cap' ? (badHostCapResp as unknown as typeof wlfw.wlfw_host_cap_resp) : wlfw.wlfw_host_cap_resp, async (r, ctx) => {
      this.rx(wlfw.QMI_WLFW_HOST_CAP_V01, 'HOST_CAP', r, ctx.peer);
      await this.pause('host-cap');
      if (this.phase !== 'boot' || this.peers.length === 0) this.refuse(`HOST_CAP in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
      if (r.num_clients !== 1 || r.bdf_support !== 1) this.refuse('HOST_CAP without num_clients=1/bdf_support=1', ERR.INVALID_ARGUMENT);
      for (const [k, v] of Object.entries(p.hostCap)) {
        if ((r as Record<string, unknown>)[k] !== v) this.refuse(`HOST_CAP ${k}=${String((r as Record<string, unknown>)[k])}, expected ${v}`, ERR.INVALID_ARGUMENT);
      }
      if (!('nm_modem' in p.hostCap) && r.nm_modem !== undefined) this.refuse(`HOST_CAP nm_modem=${r.nm_modem} on a chip without internal sleep clock`, ERR.INVALID_ARGUMENT);
      const m3Pair = p.m3 ? 1 : undefined;
      if (r.m3_support !== m3Pair || r.m3_cache_support !== m3Pair) this.refuse(`HOST_CAP m3_support/m3_cache_support ${r.m3_support}/${r.m3_cache_support}, expected ${m3Pair ?? 'absent'}`, ERR.INVALID_ARGUMENT);
      // ath11k: qmi.cal_done (1 once cold-boot calibration ran, across restarts); ath12k v6.18: always 0.
      const calDone = p.family === 'ath11k' && p.coldBoot !== undefined && this.context.calibrated ? 1 : 0;
      if (r.cal_done !== calDone) this.refuse(`HOST_CAP cal_done=${r.cal_done}, expected ${calDone}`, ERR.INVALID_ARGUMENT);
      if (p.family === 'ath12k') {
        if (r.feature_list !== p.featureList) this.refuse(`HOST_CAP feature_list=${r.feature_list}, expected ${p.featureList}`, ERR.INVALID_ARGUMENT);
        if (r.mlo_capable !== undefined) {
          const capable = (p.fwFeatures ?? []).includes(FW_FEATURE_MLO) || p.singleChipMlo === true;
          if (!capable) this.refuse('HOST_CAP MLO block for firmware without MLO capability', ERR.INVALID_ARGUMENT);
          if (r.max_mlo_peer !== p.maxMloPeer) this.refuse(`HOST_CAP max_mlo_peer=${r.max_mlo_peer}, expected ${p.maxMloPeer}`, ERR.INVALID_ARGUMENT);
          if (r.mlo_num_chips === 1 && r.mlo_group_id !== LONE_GROUP_ID) this.refuse(`HOST_CAP mlo_group_id=${r.mlo_group_id} for a lone device, expected 0xff`, ERR.INVALID_ARGUMENT);
        }
      } else if (r.feature_list !== undefined || r.mlo_capable !== undefined) this.refuse('HOST_CAP carries ath12k-only fields', ERR.INVALID_ARGUMENT);
      this.hostCapValue = r;
      this.phase = 'host-cap';
      if (p.memoryRequests.length > 0) this.later('request-mem', () => this.requestMemory());
      else this.phase = 'mem-ready';
      await this.answer('host-cap');
      if (this.faults.wrongTlv === 'host-cap') return { resp: 0 } as never;
      return {};
    });
    service.handle(wlfw.wlfw_respond_mem_req, wlfw.wlfw_respond_mem_resp, async (r, ctx) => {
      this.rx(wlfw.QMI_WLFW_RESPOND_MEM_V01, 'RESPOND_MEM', r, ctx.peer);
      await this.pause('respond-mem');
      if (this.phase !== 'mem-requested') this.refuse(`RESPOND_MEM in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
      const asked = p.memoryRequests[this.memRound - 1];
      if (r.mem_seg.length === 0 && this.memRound < p.memoryRequests.length) {
        // The delayed answer: fail with error 0, then ask again in smaller chunks.
        this.later('request-mem', () => this.requestMemory());
        throw new QmiResultError('RESPOND_MEM (delayed)', 1, 0);
      }
      if (this.faults.refuseMemory) throw new QmiResultError('RESPOND_MEM', 1, ERR.NO_MEMORY);
      const memoryRefusal = this.memoryWitness.respondMem(asked, r.mem_seg);
      if (memoryRefusal) this.refuse(memoryRefusal, ERR.INVALID_ARGUMENT);
      this.phase = 'mem-ready';
      if (this.faults.withhold !== 'fw-mem-ready') this.later('fw-mem-ready', () => this.indicate(wlfw.wlfw_fw_mem_ready_ind, {}, 'FW_MEM_READY'));
      return {};
    });
    service.handle(wlfw.wlfw_cap_req, this.faults.wrongTlv === 'cap' ? (badCapResp as unknown as typeof wlfw.wlfw_cap_resp) : wlfw.wlfw_cap_resp, async (r, ctx) => {
      this.rx(wlfw.QMI_WLFW_CAP_V01, 'CAP', r, ctx.peer);
      await this.pause('cap');
      if (this.phase !== 'mem-ready' && this.phase !== 'cap') this.refuse(`CAP in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
      this.phase = 'cap';
      if (this.faults.wrongTlv === 'cap') return { chip_info: 7 } as never;
      return {
        chip_info: { chip_id: p.chipId, chip_family: p.chipFamily },
        board_info: p.boardIdInCap ? { board_id: this.boardId } : undefined,
        soc_info: { soc_id: p.socId },
        fw_version_info: { fw_version: p.fwVersion, fw_build_timestamp: p.fwBuildTimestamp },
        fw_build_id: `QC_IMAGE_VERSION_STRING=${p.fwBuildId}`,
        num_macs: p.numMacs,
        voltage_mv: 3300,
        time_freq_hz: 19_200_000,
        otp_version: 1,
        eeprom_read_timeout: p.eepromCaldata ? 10 : undefined,
      };
    });
    if (p.deviceInfo) {
      service.handle(wlfw.wlfw_device_info_req, wlfw.wlfw_device_info_resp, async (r, ctx) => {
        this.rx(wlfw.QMI_WLFW_DEVICE_INFO_V01, 'DEVICE_INFO', r, ctx.peer);
        await this.pause('device-info');
        if (this.phase !== 'cap') this.refuse(`DEVICE_INFO in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
        return { bar_addr: 0x1_8000_0000n, bar_size: 0x80000 };
      });
    }
    service.handle(wlfw.wlfw_bdf_download_req, wlfw.wlfw_bdf_download_resp, async (r, ctx) => {
      this.rx(wlfw.QMI_WLFW_BDF_DOWNLOAD_V01, 'BDF_DOWNLOAD', { ...r, data: r.data ? r.data.length : undefined }, ctx.peer);
      await this.pause('bdf');
      if (this.phase !== 'cap') this.refuse(`BDF_DOWNLOAD in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
      this.bdfSegment(r);
      this.bdfSegments++;
      const crash = this.faults.crashAt;
      if (crash?.step === 'bdf' && this.bdfSegments === (crash.afterSegments ?? 1)) this.crash();
      return {};
    });
    service.handle(wlfw.wlfw_m3_info_req, wlfw.wlfw_m3_info_resp, async (r, ctx) => {
      this.rx(wlfw.QMI_WLFW_M3_INFO_V01, 'M3_INFO', r, ctx.peer);
      await this.pause('m3');
      if (this.phase !== 'bdf-done') this.refuse(`M3_INFO in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
      const wantM3 = p.m3;
      if (wantM3 && (r.addr === 0n || r.size === 0)) this.refuse('M3_INFO without the M3 image', ERR.INVALID_ARGUMENT);
      if (!wantM3 && (r.addr !== 0n || r.size !== 0)) this.refuse('M3_INFO with an image on a chip without driver-loaded M3', ERR.INVALID_ARGUMENT);
      const m3Refusal = wantM3 ? this.memoryWitness.m3(r.addr, r.size, this.m3File) : undefined;
      if (m3Refusal) this.refuse(m3Refusal, ERR.INVALID_ARGUMENT);
      this.phase = 'm3-done';
      if (this.faults.withhold !== 'fw-init-done') {
        this.later('fw-init-done', () => {
          // New firmware signals both; the host's 2022 mapping reads 0x38 as FW_INIT_DONE.
          void this.indicate(wlfw.wlfw_fw_init_done_ind, {}, 'FW_INIT_DONE');
        });
      }
      return {};
    });
    service.handle(wlfw.wlfw_wlan_ini_req, wlfw.wlfw_wlan_ini_resp, async (r, ctx) => {
      this.rx(wlfw.QMI_WLFW_WLAN_INI_V01, 'WLAN_INI', r, ctx.peer);
      await this.pause('wlan-ini');
      if (this.phase !== 'm3-done' && !(this.phase === 'calibrated' && p.coldBoot === 'continue')) this.refuse(`WLAN_INI in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
      if (r.enablefwlog !== 1) this.refuse('WLAN_INI without enablefwlog', ERR.INVALID_ARGUMENT);
      this.phase = 'ini';
      return {};
    });
    service.handle(wlfw.wlfw_wlan_cfg_req, wlfw.wlfw_wlan_cfg_resp, async (r, ctx) => {
      this.rx(wlfw.QMI_WLFW_WLAN_CFG_V01, 'WLAN_CFG', r, ctx.peer);
      await this.pause('wlan-cfg');
      const ready = p.expectWlanIni ? this.phase === 'ini' : this.phase === 'm3-done' || (this.phase === 'calibrated' && p.coldBoot === 'continue');
      if (!ready) this.refuse(`WLAN_CFG in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
      if (r.host_version !== 'WIN' || !r.tgt_cfg?.length || !r.svc_cfg?.length) this.refuse('WLAN_CFG without host_version/CE tables', ERR.INVALID_ARGUMENT);
      const ceMismatch = kernelCeMismatch(p.kernelCe, r.tgt_cfg, r.svc_cfg);
      if (ceMismatch) this.refuse(`WLAN_CFG ${ceMismatch}`, ERR.INVALID_ARGUMENT);
      if ((p.shadow === 'v2') !== !!r.shadow_reg_v2?.length || (p.shadow === 'v3') !== !!r.shadow_reg_v3?.length) {
        this.refuse(`WLAN_CFG shadow registers: expected ${p.shadow}`, ERR.INVALID_ARGUMENT);
      }
      const shadow = (r.shadow_reg_v2 ?? r.shadow_reg_v3 ?? []).map((x) => x.addr);
      const want = p.kernelShadow ?? [];
      const bad = shadow.length !== want.length ? -1 : shadow.findIndex((a, i) => a !== want[i]);
      if (shadow.length !== want.length) this.refuse(`WLAN_CFG shadow list has ${shadow.length} registers, expected ${want.length}`, ERR.INVALID_ARGUMENT);
      if (bad >= 0) this.refuse(`WLAN_CFG shadow register ${bad} is 0x${shadow[bad].toString(16)}, expected 0x${want[bad].toString(16)}`, ERR.INVALID_ARGUMENT);
      this.phase = 'cfg';
      return {};
    });
    service.handle(wlfw.wlfw_wlan_mode_req, wlfw.wlfw_wlan_mode_resp, async (r, ctx) => {
      this.rx(wlfw.QMI_WLFW_WLAN_MODE_V01, 'WLAN_MODE', r, ctx.peer);
      await this.pause('wlan-mode');
      if (r.mode === 4) {
        this.phase = 'boot';
        this.modeOffReceived = true;
        return {};
      }
      if (r.mode === 7) {
        // ATH11K_FIRMWARE_MODE_COLD_BOOT right after FW_INIT_DONE, only on chips that calibrate, once.
        if (p.coldBoot === undefined) this.refuse('WLAN_MODE(COLD_BOOT) to a chip without cold-boot calibration', ERR.INVALID_ARGUMENT);
        if (!this.mustCalibrate) this.refuse('WLAN_MODE(COLD_BOOT) after calibration was done', ERR.INCOMPATIBLE_STATE);
        if (this.phase !== 'm3-done') this.refuse(`WLAN_MODE(COLD_BOOT) in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
        this.phase = 'calibrating';
        this.later('cal-done', () => {
          this.phase = 'calibrated';
          this.calibratedThisBoot = true;
          this.context.onCalibrated();
          if (this.faults.withhold === 'cal-done') return;
          void this.indicate(wlfw.wlfw_cal_done_ind, {}, 'CAL_DONE').then(() => {
            // Firmware that goes on without a restart (WCN6750) reports FW_READY next; the host starts mission mode on it.
            if (p.coldBoot === 'continue' && !this.stopped) return this.indicate(wlfw.wlfw_fw_ready_ind, {}, 'FW_READY');
          });
        });
        return {};
      }
      if (this.phase !== 'cfg') this.refuse(`WLAN_MODE in phase ${this.phase}`, ERR.INCOMPATIBLE_STATE);
      const calibrated = this.context.calibrated || (p.coldBoot === 'continue' && this.calibratedThisBoot);
      if (p.coldBoot !== undefined && !calibrated) this.refuse('WLAN_MODE(mission) before cold-boot calibration', ERR.INCOMPATIBLE_STATE);
      // ath11k_core_soc_create / ath12k: mission mode is FTM (1) under ftm_mode, else NORMAL (0).
      const mission = p.missionMode ?? 0;
      if (r.mode !== mission) this.refuse(`WLAN_MODE ${r.mode}, expected ${mission === 1 ? 'FTM (1): the kernel runs ftm_mode' : 'NORMAL (0)'}`, ERR.INVALID_ARGUMENT);
      this.phase = 'running';
      this.onRunning();
      return {};
    });
  }

  private bdfSegment(r: QmiValue<typeof wlfw.wlfw_bdf_download_req>): void {
    const type = r.bdf_type ?? -1;
    const expected = this.expectedFiles[this.received.length];
    if (!expected) this.refuse(`BDF_DOWNLOAD type ${type} after every file was received`, ERR.INCOMPATIBLE_STATE);
    if (type !== expected.type) this.refuse(`BDF_DOWNLOAD type ${type}, expected ${expected.type}`, ERR.INVALID_ARGUMENT);
    if (r.file_id !== this.boardId) this.refuse(`BDF_DOWNLOAD file_id ${r.file_id}, expected board id ${this.boardId}`, ERR.INVALID_ARGUMENT);
    if (!this.current) this.current = { type, hash: createHash('sha256'), size: 0, segments: 0, fileId: r.file_id ?? -1 };
    const cur = this.current;
    const total = expected.data?.length ?? 0;
    if (r.seg_id !== cur.segments) this.refuse(`BDF_DOWNLOAD seg_id ${r.seg_id}, expected ${cur.segments}`, ERR.INVALID_ARGUMENT);
    if (r.total_size !== (expected.data ? total - (this.profile.fixedBdfAddr ? 0 : cur.size) : EEPROM_TOTAL_SIZE)) {
      this.refuse(`BDF_DOWNLOAD total_size ${r.total_size}, expected ${total - cur.size} bytes remaining`, ERR.INVALID_ARGUMENT);
    }
    if (this.profile.fixedBdfAddr) {
      // The bytes went to reserved memory; the message only says how many.
      if (r.data !== undefined) this.refuse('BDF_DOWNLOAD carries data on a fixed-BDF-address chip', ERR.INVALID_ARGUMENT);
      const bdfRefusal = expected.data ? this.memoryWitness.fixedBdf(type === 2, expected.data) : undefined;
      if (bdfRefusal) this.refuse(bdfRefusal, ERR.INVALID_ARGUMENT);
      cur.hash.update(expected.data!);
      cur.size = total;
    } else if (r.data) {
      if (r.data.length > 6144 || (r.end !== 1 && r.data.length !== 6144)) this.refuse(`BDF_DOWNLOAD segment of ${r.data.length} bytes`, ERR.INVALID_ARGUMENT);
      // Hash as segments arrive (the firmware's reassembly), without keeping copies.
      cur.hash.update(r.data);
      cur.size += r.data.length;
    }
    cur.segments++;
    if (r.end !== 1) return;
    const file: SimReceivedFile = { bdfType: cur.type, fileId: cur.fileId, size: cur.size, sha256: cur.hash.digest('hex'), segments: cur.segments };
    this.current = undefined;
    if (expected.data && (file.size !== expected.data.length || file.sha256 !== sha256(expected.data))) {
      this.refuse(`BDF type ${type}: received ${file.size} bytes (sha256 ${file.sha256.slice(0, 12)}), expected ${expected.data.length}`, ERR.INVALID_ARGUMENT);
    }
    this.received.push(file);
    if (this.received.length === this.expectedFiles.length) this.phase = 'bdf-done';
  }

  private requestMemory(): void {
    if (this.faults.withhold === 'request-mem') return;
    const segs = this.profile.memoryRequests[this.memRound++];
    this.phase = 'mem-requested';
    if (this.faults.wrongTlv === 'request-mem') {
      void this.indicate(badRequestMemInd as unknown as typeof wlfw.wlfw_request_mem_ind, { mem_seg: 7 } as never, 'REQUEST_MEM');
      return;
    }
    void this.indicate(wlfw.wlfw_request_mem_ind, { mem_seg: segs.map((s) => ({ size: s.size, type: s.type, mem_cfg: [] })) }, 'REQUEST_MEM');
  }

  private async indicate<S extends typeof wlfw.wlfw_fw_mem_ready_ind | typeof wlfw.wlfw_request_mem_ind | typeof wlfw.wlfw_fw_init_done_ind | typeof wlfw.wlfw_rejuvenate_ind | typeof wlfw.wlfw_cal_done_ind | typeof wlfw.wlfw_fw_ready_ind>(
    schema: S,
    value: QmiValue<S>,
    name: string,
    evenIfStopped = false,
  ): Promise<void> {
    if ((this.stopped && !evenIfStopped) || !this.service) return;
    for (const peer of this.peers) {
      this.log.push({ dir: 'tx', msgId: schema.msgId, name, value, peer });
      await this.service.indicate(schema, value, peer).catch(() => undefined);
    }
  }

  /** Sends REJUVENATE_IND (crash mode 'rejuvenate'). */
  rejuvenate(): Promise<void> {
    return this.indicate(wlfw.wlfw_rejuvenate_ind, { cause_for_rejuvenation: 1, requesting_sub_system: 0x2, line_number: 512, function_name: 'wlan_fw_sim' }, 'REJUVENATE', true);
  }

  private rx(msgId: number, name: string, value: unknown, peer: QmiPeer): void {
    this.log.push({ dir: 'rx', msgId, name, value, peer });
    const crash = this.faults.crashAt;
    const step = STEP_OF[name];
    if (crash && crash.step !== 'bdf' && crash.step === step) this.crash();
  }

  private crash(): void {
    const crash = this.faults.crashAt!;
    this.stopped = true;
    // Let the current handler's answer go out first, as firmware dying after an ack would.
    setTimeout(() => this.onCrash(crash.mode), 0);
  }

  private refuse(what: string, error: number): never {
    this.violations.push(what);
    throw new QmiResultError(what, 1, error);
  }

  private pause(step: SimStep): Promise<void> {
    // Dead firmware answers nothing.
    if (this.stopped) return new Promise<void>(() => undefined);
    const ms = this.faults.delayMs?.[step];
    return ms ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
  }

  /** The answer to `step` goes out, unless the loseResponse fault takes it (once per boot). */
  private answer(step: NonNullable<SimFaults['loseResponse']>): Promise<void> {
    if (this.faults.loseResponse !== step || this.responseLost) return Promise.resolve();
    this.responseLost = true;
    return new Promise<void>(() => undefined);
  }

  private later(step: SimStep, fn: () => void): void {
    const ms = this.faults.delayMs?.[step] ?? 0;
    setTimeout(() => {
      if (!this.stopped) fn();
    }, ms);
  }
}

const STEP_OF: Record<string, SimStep> = {
  PHY_CAP: 'phy-cap',
  IND_REGISTER: 'ind-register',
  HOST_CAP: 'host-cap',
  RESPOND_MEM: 'respond-mem',
  CAP: 'cap',
  DEVICE_INFO: 'device-info',
  M3_INFO: 'm3',
  WLAN_INI: 'wlan-ini',
  WLAN_CFG: 'wlan-cfg',
  WLAN_MODE: 'wlan-mode',
};

function samePeer(a: QmiPeer, b: QmiPeer): boolean {
  return a.node === b.node && a.port === b.port && a.endpoint === b.endpoint;
}

/** Where the received WLAN_CFG tables differ from the kernel's for this chip, or undefined if they are identical. */
export function kernelCeMismatch(
  kernel: SimKernelCe,
  tgt: readonly { pipe_num: number; pipe_dir: number; nentries: number; nbytes_max: number; flags: number }[] | undefined,
  svc: readonly { service_id: number; pipe_dir: number; pipe_num: number }[] | undefined,
): string | undefined {
  const gotTgt = (tgt ?? []).map((x) => [x.pipe_num, x.pipe_dir, x.nentries, x.nbytes_max, x.flags].join('/'));
  const wantTgt = kernel.tgt.map((x) => x.join('/'));
  if (gotTgt.length !== wantTgt.length) return `tgt_cfg has ${gotTgt.length} pipes, expected ${wantTgt.length}`;
  const badPipe = gotTgt.findIndex((g, i) => g !== wantTgt[i]);
  if (badPipe >= 0) return `tgt_cfg row ${badPipe} is ${gotTgt[badPipe]}, expected ${wantTgt[badPipe]}`;
  const gotSvc = (svc ?? []).map((x) => [x.service_id, x.pipe_dir, x.pipe_num].join('/'));
  const wantSvc = kernel.svc.map((x) => x.join('/'));
  if (gotSvc.length !== wantSvc.length) return `svc_cfg has ${gotSvc.length} rows, expected ${wantSvc.length}`;
  const badSvc = gotSvc.findIndex((g, i) => g !== wantSvc[i]);
  if (badSvc >= 0) return `svc_cfg row ${badSvc} is ${gotSvc[badSvc]}, expected ${wantSvc[badSvc]}`;
  return undefined;
}
