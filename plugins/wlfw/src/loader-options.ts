import { PluginConfigError, checkConfig, configString, z, type DeviceReservedMemory } from '../../../src/sdk';
import type { CardIdentity, WlfwIdentityRule } from './card-identity';

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
   * For cards with no identity (no PCI ids, no DT compatible) on an instance both families
   * use (1, 2, 7): ask PHY_CAP first to tell ath12k firmware (answers) from ath11k firmware
   * (INVALID_QMI_COMMAND). Not what the kernel does (it knows the family from the bus before
   * any QMI and never sends PHY_CAP to ath11k firmware), hence off by default: such a card is
   * then refused with WLFW_IDENTITY_REQUIRED until `identities` names it.
   */
  readonly probeFamily: boolean;
  /** The drivers' `ftm_mode` module parameter: mission mode is FTM (1), caldata is optional (default false). */
  readonly ftmMode: boolean;
  /** ath11k's `cold_boot_cal` module parameter (default true): calibrate first on chips whose hw_params ask for it. */
  readonly coldBootCal: boolean;
  /** How long to wait for CAL_DONE / FW_READY after WLAN_MODE(COLD_BOOT) (ATH11K_COLD_BOOT_FW_RESET_DELAY 60 s). */
  readonly coldBootCalTimeoutMs: number;
  /**
   * Match QCN9074 cards at instance 7 + ((domain & 0xF) << 4 | (bus & 0xF)), the OpenWrt ath11k
   * multi-card patch (in the v6.18 OpenWrt tree, not mainline). Default false.
   */
  readonly qcn9074InstanceShift: boolean;
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
  /**
   * Card identities by backend key or by the node/instance a remote presents, for
   * links that do not know the device (`--listen`, TUN) and for the calibration variant.
   */
  readonly identities: readonly WlfwIdentityRule[];
  /**
   * Reserved-memory maps of AHB devices by backend key, where the link lends memory but no map
   * (the config form of a DT's /reserved-memory and the wifi node's memory-region / qcom,* addresses).
   */
  readonly reservedMemory: readonly WlfwReservedMemoryConfig[];
}

/** One device's reserved-memory map in configuration (addresses as numbers or '0x…' strings). */
export interface WlfwReservedMemoryConfig {
  readonly key: string;
  readonly map: DeviceReservedMemory;
}

export const DEFAULT_WLFW_LOADER_OPTIONS: WlfwLoaderOptions = {
  firmwareDir: '/lib/firmware',
  bindEndpoints: true,
  messageIds: 'current',
  probeFamily: false,
  ftmMode: false,
  coldBootCal: true,
  coldBootCalTimeoutMs: 60_000,
  qcn9074InstanceShift: false,
  dmaChunkLimit: 2 * 1024 * 1024,
  requestTimeoutMs: 10_000,
  indicationTimeoutMs: 15_000,
  maxAttempts: 3,
  retryDelayMs: 200,
  groupWaitMs: 10_000,
  groups: [],
  cards: [],
  detachGraceMs: 30_000,
  identities: [],
  reservedMemory: [],
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
  check('ftmMode', (v) => typeof v === 'boolean', 'a boolean');
  check('coldBootCal', (v) => typeof v === 'boolean', 'a boolean');
  check('coldBootCalTimeoutMs', positive, 'a positive number of milliseconds');
  check('qcn9074InstanceShift', (v) => typeof v === 'boolean', 'a boolean');
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
  if (config.identities !== undefined) out.identities = parseIdentities(plugin, config.identities);
  if (config.reservedMemory !== undefined) out.reservedMemory = parseReservedMemory(plugin, config.reservedMemory);
  return out as unknown as WlfwLoaderOptions;
}

const ID_FIELDS = ['vendor', 'device', 'subsystemVendor', 'subsystemDevice'] as const;
/** Register values (32 bits): TCSR_SOC_HW_VERSION / TCSR_SOC_HW_SUB_VER as read from the card. */
const REGISTER_FIELDS = ['socHwVersion', 'socHwSubVersion'] as const;
const IDENTITY_EXPECTED =
  "an array of { key | node | instance, bus?: 'pci'|'ahb', address?, vendor?, device?, subsystemVendor?, subsystemDevice? (0..0xffff or '0x17cb'), socHwVersion?, socHwSubVersion? (registers), compatible?, variant? }";

/** A PCI id given as a number or a hex string ('0x17cb' or '17cb'). */
function pciId(v: unknown): number | undefined {
  const n = typeof v === 'string' && /^(0x)?[0-9a-f]{1,4}$/i.test(v) ? parseInt(v.replace(/^0x/i, ''), 16) : v;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffff ? n : undefined;
}

/** The `identities` section: each entry needs a selector and may give any identity field. */
export function parseIdentities(plugin: string, raw: unknown): WlfwIdentityRule[] {
  if (!Array.isArray(raw)) throw new PluginConfigError(plugin, 'identities', IDENTITY_EXPECTED, raw);
  return raw.map((entry: unknown, i): WlfwIdentityRule => {
    const at = `identities[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new PluginConfigError(plugin, at, IDENTITY_EXPECTED, entry);
    const e: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
    for (const k of Object.keys(e)) {
      if (!['key', 'node', 'instance', 'bus', 'address', 'variant', 'compatible', ...ID_FIELDS, ...REGISTER_FIELDS].includes(k)) throw new PluginConfigError(plugin, `${at}.${k}`, 'a known identity field', e[k]);
    }
    if (e.key !== undefined && (typeof e.key !== 'string' || !e.key.includes(':'))) throw new PluginConfigError(plugin, `${at}.key`, "a backend key such as 'socket:1234'", e.key);
    for (const k of ['node', 'instance'] as const) {
      if (e[k] !== undefined && !(Number.isInteger(e[k]) && (e[k] as number) >= 0)) throw new PluginConfigError(plugin, `${at}.${k}`, 'an integer >= 0', e[k]);
    }
    if (e.key === undefined && e.node === undefined && e.instance === undefined) throw new PluginConfigError(plugin, at, 'a selector: key, node or instance', entry);
    if (e.bus !== undefined && e.bus !== 'pci' && e.bus !== 'ahb') throw new PluginConfigError(plugin, `${at}.bus`, "'pci' or 'ahb'", e.bus);
    for (const k of REGISTER_FIELDS) {
      const v = e[k];
      if (v === undefined) continue;
      const n = typeof v === 'string' && /^0x[0-9a-f]{1,8}$/i.test(v) ? parseInt(v.slice(2), 16) : v;
      if (!(typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff)) throw new PluginConfigError(plugin, `${at}.${k}`, 'a 32-bit register value', v);
      e[k] = n;
    }
    for (const k of ['address', 'variant', 'compatible'] as const) {
      if (e[k] !== undefined && (typeof e[k] !== 'string' || !(e[k] as string).length)) throw new PluginConfigError(plugin, `${at}.${k}`, 'a non-empty string', e[k]);
    }
    const identity: Record<string, unknown> = {
      bus: e.bus ?? (e.compatible !== undefined ? 'ahb' : 'pci'),
      address: e.address,
      variant: e.variant,
      compatible: e.compatible,
      socHwVersion: e.socHwVersion,
      socHwSubVersion: e.socHwSubVersion,
    };
    for (const k of ID_FIELDS) {
      if (e[k] === undefined) continue;
      const n = pciId(e[k]);
      if (n === undefined) throw new PluginConfigError(plugin, `${at}.${k}`, 'a PCI id 0..0xffff', e[k]);
      identity[k] = n;
    }
    for (const k of Object.keys(identity)) if (identity[k] === undefined) delete identity[k];
    return { key: e.key as string | undefined, node: e.node as number | undefined, instance: e.instance as number | undefined, identity: identity as unknown as CardIdentity };
  });
}

const addressHint = "an address or size (a number or a '0x…' string)";
/**
 * An address or size from JSON: a non-negative safe integer or a hex string up to 64 bits. Checked,
 * not transformed: the checked section stays JSON (--print-config prints it); BigInt() converts.
 */
const configAddress = z.union([z.number().int().nonnegative(), z.string().regex(/^0x[0-9a-f]{1,16}$/i)], { error: addressHint });
const regionSize = configAddress.refine((v) => BigInt(v) > 0n && BigInt(v) <= BigInt(Number.MAX_SAFE_INTEGER), { error: 'a positive size in bytes' });
const toAddress = (v: number | string | undefined): bigint | undefined => (v === undefined ? undefined : BigInt(v));

/**
 * `reservedMemory`: each AHB device's regions by name, address and size, which of them is its
 * memory-region, and its qcom,* addresses. One schema for the daemon's configuration check
 * (wlfwConfigSchema) and for the loader's own parse of its section.
 */
export const reservedMemorySchema = z.array(
  z
    .strictObject({
      key: configString("a backend key such as 'mhi:0000:05:00.0'").regex(/:/, { error: "a backend key such as 'mhi:0000:05:00.0'" }),
      regions: z.array(z.strictObject({ name: configString('a region name'), address: configAddress, size: regionSize }), { error: 'an array of { name, address, size }' }).min(1, { error: 'at least one region' }),
      memoryRegion: configString('the name of one of its regions').optional(),
      bdfAddr: configAddress.optional(),
      caldbAddr: configAddress.optional(),
      m3DumpAddr: configAddress.optional(),
    })
    .superRefine((entry, ctx) => {
      if (entry.memoryRegion === undefined || entry.regions.some((r) => r.name === entry.memoryRegion)) return;
      ctx.addIssue({ code: 'custom', path: ['memoryRegion'], message: `the name of one of its regions (${entry.regions.map((r) => r.name).join(', ')})`, input: entry.memoryRegion });
    }),
  { error: 'an array of reserved-memory maps' },
);

/** The `reservedMemory` section, checked by {@link reservedMemorySchema}; throws PluginConfigError naming the key. */
export function parseReservedMemory(plugin: string, raw: unknown): WlfwReservedMemoryConfig[] {
  const checked = checkConfig(reservedMemorySchema, raw, 'reservedMemory');
  if (checked.issue) throw new PluginConfigError(plugin, checked.issue.key, checked.issue.expected, checked.issue.actual);
  return checked.value.map((e) => {
    const regions = e.regions.map((r) => ({ name: r.name, busAddress: BigInt(r.address), size: Number(r.size) }));
    return {
      key: e.key,
      map: { regions, memoryRegion: regions.find((r) => r.name === e.memoryRegion), bdf: toAddress(e.bdfAddr), caldb: toAddress(e.caldbAddr), m3Dump: toAddress(e.m3DumpAddr) },
    };
  });
}
