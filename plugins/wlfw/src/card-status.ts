import type { CardIdentity } from './card-identity';
import type { WlfwFamily } from './chip-params';

/**
 * Bring-up states of one card, in the order of reference §4.3/§4.4. `recovering`
 * means the firmware went away (crash, link loss, REJUVENATE) and the card waits
 * for it to come back; `declined` means the card belongs to the other family's
 * loader; `failed` is terminal until the firmware restarts; `refused` means the
 * loader could not reserve the card's endpoint (quota or table full) and retries
 * when a reservation frees.
 */
export type WlfwCardState =
  | 'waiting'
  | 'probing'
  | 'registering'
  | 'group-wait'
  | 'host-cap'
  | 'memory'
  | 'capability'
  | 'downloading'
  | 'm3'
  | 'firmware-init'
  | 'calibrating'
  | 'configuring'
  | 'ready'
  | 'recovering'
  /** The link is power-cycling the device after a crash (ath1xk_core_reset). */
  | 'resetting'
  | 'failed'
  | 'declined'
  | 'refused'
  | 'stopped';

/** Progress and identity of one card, as the CLI and daemon show it. */
export interface WlfwCardStatus {
  /** Backend key, `mhi:0000:01:00.0`. */
  readonly key: string;
  /** Endpoint ID the card's client is bound to; 0 without endpoint IDs (the card is then known by its node). */
  readonly endpoint: number;
  readonly family: WlfwFamily;
  readonly state: WlfwCardState;
  /** Node id and port of the WLFW server (identical across cards of a kind when they are told apart by endpoint). */
  readonly node?: number;
  readonly port?: number;
  readonly instance?: number;
  readonly chip?: string;
  readonly chipId?: number;
  readonly chipFamily?: number;
  readonly socId?: number;
  readonly boardId?: number;
  readonly fwVersion?: number;
  readonly fwBuildTimestamp?: string;
  readonly fwBuildId?: string;
  /** Board data bytes sent so far and to send (regdb + board + caldata) in this attempt. */
  readonly bytesDownloaded: number;
  readonly bytesTotal: number;
  /** Firmware memory handed to the card. */
  readonly memorySegments: number;
  readonly memoryBytes: number;
  /** Bring-ups started (one per firmware incarnation: a failed step is never resent in place); recoveries after crashes. */
  readonly attempts: number;
  readonly recoveries: number;
  /** Power cycles through the link after crashes, and who provides the card's host memory ('simulated', 'vfio'). */
  readonly resets?: number;
  readonly memoryProvider?: string;
  readonly lastError?: { readonly code: string; readonly message: string; readonly details?: Readonly<Record<string, unknown>> };
  /** Milliseconds from the server's appearance to ready, for the last bring-up. */
  readonly bringUpMs?: number;
  /** What the host knows of the device (bus, PCI address and ids, variant), if anything. */
  readonly identity?: CardIdentity;
  /** The board-2.bin name that matched (absent for board.bin), the file, and 'board-2.bin' or 'board.bin'. */
  readonly boardName?: string;
  readonly boardFile?: string;
  readonly boardSource?: string;
  /** Files of the other downloads: regdb (board-2.bin or regdb.bin; regdbName when from board-2.bin), caldata ('eeprom' for EEPROM caldata), M3. */
  readonly regdbFile?: string;
  readonly regdbName?: string;
  readonly caldataFile?: string;
  readonly m3File?: string;
  /** For ath12k: the MLO group the card was released with. */
  readonly group?: string;
  /** The hw revision the identity selected ('hw2.1') and how: PCI id + SoC version, PCI id alone (first revision), DT compatible, or the instance/soc_id fallback. */
  readonly hwRev?: string;
  readonly chipBy?: 'pci' | 'pci-default-revision' | 'compatible' | 'instance';
  /** Cold-boot calibration is done (HOST_CAP cal_done = 1 from now on). */
  readonly calDone?: boolean;
  /** ath12k: radios from PHY_CAP num_phy, else hw_params.def_num_link. */
  readonly numRadios?: number;
  /** firmware-2.bin features (bit numbers), when the file exists. */
  readonly fwFeatures?: readonly number[];
}

export function initialStatus(key: string, endpoint: number, family: WlfwFamily): WlfwCardStatus {
  return { key, endpoint, family, state: 'waiting', bytesDownloaded: 0, bytesTotal: 0, memorySegments: 0, memoryBytes: 0, attempts: 0, recoveries: 0 };
}
