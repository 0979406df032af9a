import { PluginConfigError } from '../../../src/sdk';

/** A set of cards whose HOST_CAP waits for each other (ath12k MLO hardware group). */
export interface WlfwGroupConfig {
  readonly id: string;
  /** Backend keys, `mhi:0000:01:00.0`. */
  readonly keys: readonly string[];
}

/** Loader configuration (the plugin's config section; every field optional). */
export interface WlfwLoaderOptions {
  /** Root of the `<family>/<CHIP>/<hw>/` firmware tree. */
  readonly firmwareDir: string;
  /**
   * Bind every card's QMI client to its own endpoint (default true). Off reproduces
   * the kernel before the endpoint-ID series: identical cards cross-talk.
   */
  readonly bindEndpoints: boolean;
  /**
   * 'current': the ids after "wifi: ath11k: Fix incorrect QMI message ID mappings"
   * (2022): 0x38 FW_INIT_DONE triggers firmware start, 0x21 is FW_READY, 0x3E CAL_DONE,
   * and IND_REGISTER enables fw_init_done and cal_done. 'pre-2022': 0x38 is read as
   * FW_READY (still the trigger), 0x21 as cold-boot-cal done, and IND_REGISTER
   * enables fw_ready only.
   */
  readonly messageIds: 'current' | 'pre-2022';
  /**
   * Ask PHY_CAP before anything else to tell ath12k firmware (answers) from ath11k
   * firmware (INVALID_QMI_COMMAND) when instance ids overlap (default true).
   */
  readonly probeFamily: boolean;
  /** Largest DMA segment the host can allocate; larger requests get the delayed empty answer. */
  readonly dmaChunkLimit: number;
  readonly requestTimeoutMs: number;
  readonly indicationTimeoutMs: number;
  /** Attempts per firmware incarnation before the card is marked failed. */
  readonly maxAttempts: number;
  readonly retryDelayMs: number;
  /** How long an ath12k card waits for the rest of its group before going alone. */
  readonly groupWaitMs: number;
  readonly groups: readonly WlfwGroupConfig[];
  /** Backend keys to reserve (and bind to) before their devices attach. */
  readonly cards: readonly string[];
  /**
   * How long a card found by lookup keeps its endpoint reservation after its device
   * detaches; back within it, it keeps its ID, else the card is dropped. Keys that
   * cannot return (socket connections) are dropped at once.
   */
  readonly detachGraceMs: number;
}

export const DEFAULT_WLFW_LOADER_OPTIONS: WlfwLoaderOptions = {
  firmwareDir: '/lib/firmware',
  bindEndpoints: true,
  messageIds: 'current',
  probeFamily: true,
  dmaChunkLimit: 2 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  indicationTimeoutMs: 15_000,
  maxAttempts: 3,
  retryDelayMs: 200,
  groupWaitMs: 10_000,
  groups: [],
  cards: [],
  detachGraceMs: 30_000,
};

/** Merges and checks a plugin config section; throws PluginConfigError naming the key. */
export function parseLoaderOptions(plugin: string, config: Readonly<Record<string, unknown>>): WlfwLoaderOptions {
  const out: Record<string, unknown> = { ...DEFAULT_WLFW_LOADER_OPTIONS };
  const check = (key: keyof WlfwLoaderOptions, ok: (v: unknown) => boolean, expected: string): void => {
    const v = config[key];
    if (v === undefined) return;
    if (!ok(v)) throw new PluginConfigError(plugin, key, expected, v);
    out[key] = v;
  };
  const positive = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v) && v > 0;
  const strings = (v: unknown): boolean => Array.isArray(v) && v.every((s) => typeof s === 'string' && s.includes(':'));
  check('firmwareDir', (v) => typeof v === 'string' && v.length > 0, 'a directory path');
  check('bindEndpoints', (v) => typeof v === 'boolean', 'a boolean');
  check('messageIds', (v) => v === 'current' || v === 'pre-2022', "'current' or 'pre-2022'");
  check('probeFamily', (v) => typeof v === 'boolean', 'a boolean');
  check('dmaChunkLimit', positive, 'a positive number of bytes');
  check('requestTimeoutMs', positive, 'a positive number of milliseconds');
  check('indicationTimeoutMs', positive, 'a positive number of milliseconds');
  check('maxAttempts', (v) => Number.isInteger(v) && (v as number) >= 1, 'an integer >= 1');
  check('retryDelayMs', (v) => typeof v === 'number' && v >= 0, 'a number of milliseconds >= 0');
  check('groupWaitMs', positive, 'a positive number of milliseconds');
  check('detachGraceMs', (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, 'a number of milliseconds >= 0');
  check('cards', strings, "an array of backend keys such as 'mhi:0000:01:00.0'");
  check(
    'groups',
    (v) => Array.isArray(v) && v.every((g) => typeof (g as WlfwGroupConfig)?.id === 'string' && strings((g as WlfwGroupConfig).keys)),
    'an array of { id, keys: [backend keys] }',
  );
  return out as unknown as WlfwLoaderOptions;
}
