import { readFileSync } from 'node:fs';
import { QrtrdError } from '../common/errors';
import type { LinkConfig } from '../links/link-factory';
import type { SimulatedModemConfig } from '../sdk/netdev';
import { parseNetdevConfig, type NetdevConfig } from './netdev-config';
import { DEFAULT_POLICY, type LocalClientPolicyConfig } from '../services/local-client/policy';
import { parsePolicyConfig } from '../services/local-client/policy-config';

/** A simulated card; `family` names the simulation a loaded plugin contributes (ath11k, ath12k, ...). */
export interface SimulatedCardConfig {
  readonly family: string;
  readonly chip: string;
  readonly pciAddress: string;
  readonly boardId: number;
  /** MHI ring sizes of the card's simulated link (`{ rings?, ulRingSize?, dlRingSize?, bufferLength? }`), checked by the family. */
  readonly mhi?: Readonly<Record<string, unknown>>;
}

export type { SimulatedModemConfig } from '../sdk/netdev';

export interface SimulationConfig {
  readonly enabled: boolean;
  readonly cards: readonly SimulatedCardConfig[];
  readonly modem: SimulatedModemConfig | null;
}

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The daemon's configuration; docs/config.md documents every key. */
export interface QrtrdConfig {
  /** This router's node id. Never 0xffffffff; 1 as in mainline by default. */
  readonly node: number;
  /** UNIX stream socket path where remote endpoints attach (remote-socket protocol), or null. */
  readonly listen: string | null;
  /** UNIX stream socket path for local clients (local-client protocol), or null. */
  readonly socket: string | null;
  /** Firmware directory (`<dir>/ath11k/<CHIP>/<hw>/...`); a temporary one is made for simulated cards if null. */
  readonly firmwareDir: string | null;
  /** Run the QMI handles and plugins over the kernel's AF_QIPCRTR instead of the in-process router. */
  readonly kernel: boolean;
  /** /dev/qrtr-tun path to bridge the in-process router into the kernel as a remote node, or null. */
  readonly tun: string | null;
  /** The bridge's own node id as the kernel sees it (never 1, the kernel's). */
  readonly tunBridgeNode: number;
  /** Kernel-side node ids the bridge presents each (endpoint, node) behind qrtrd as. */
  readonly tunNodeRange: { readonly first: number; readonly last: number };
  /** Links to open, each `{ kind, ...its keys }` (`rpmsg`, `mhi`; docs/config.md), built by its kind's factory. */
  readonly links: readonly LinkConfig[];
  /** Plugin module paths or package names, loaded in order: the default set is data, not imports. */
  readonly plugins: readonly string[];
  /** Per-plugin configuration sections, by plugin name. */
  readonly pluginConfig: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  /**
   * Card identities for the WLFW loaders (passed as `identities` to ath11k and ath12k):
   * `{ key | node | instance, bus, address, vendor, device, subsystemVendor, subsystemDevice, variant }`.
   */
  readonly cardIdentities: readonly Readonly<Record<string, unknown>>[];
  /** Who may do what through the local-client socket, and per-uid limits (docs/security.md). */
  readonly policy: LocalClientPolicyConfig;
  readonly simulation: SimulationConfig;
  readonly logLevel: LogLevel;
  /** File for the JSON log lines; null = standard error. */
  readonly logFile: string | null;
  /** pcap file capturing every packet (see docs/capture.md), or null. */
  readonly capture: string | null;
  /** Print progress and the status tables on standard output. */
  readonly console: boolean;
  /** OS network interfaces for the modem's data plane (`--netdev`), or null for none. */
  readonly netdev: NetdevConfig | null;
}

/** The embedded default: two QCN9074 and one WCN6855 on ath11k, one WCN7850 on ath12k, one modem. */
export const DEFAULT_SIMULATION: SimulationConfig = {
  enabled: true,
  cards: [
    { family: 'ath11k', chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 0xa1 },
    { family: 'ath11k', chip: 'QCN9074', pciAddress: '0000:02:00.0', boardId: 0xa2 },
    { family: 'ath11k', chip: 'WCN6855', pciAddress: '0000:03:00.0', boardId: 0x106 },
    { family: 'ath12k', chip: 'WCN7850', pciAddress: '0000:04:00.0', boardId: 0x1b },
  ],
  modem: { rpmsgDevice: 'IPCRTR-modem', node: 0, muxIds: [1, 2], trafficPps: 200 },
};

export const DEFAULT_CONFIG: QrtrdConfig = {
  node: 1,
  listen: null,
  socket: null,
  firmwareDir: null,
  kernel: false,
  tun: null,
  tunBridgeNode: 99,
  tunNodeRange: { first: 100, last: 199 },
  links: [],
  plugins: ['plugins/ath11k', 'plugins/ath12k', 'plugins/bam-dmux'],
  pluginConfig: {},
  cardIdentities: [],
  policy: DEFAULT_POLICY,
  simulation: DEFAULT_SIMULATION,
  logLevel: 'info',
  logFile: null,
  capture: null,
  console: true,
  netdev: null,
};

/** The configuration file or a flag has a value qrtrd cannot use. */
export class ConfigError extends QrtrdError {
  constructor(key: string, expected: string, actual: unknown, source: string) {
    super('QRTRD_CONFIG_INVALID', `${source}: '${key}' must be ${expected}, got ${JSON.stringify(actual)}`, { key, expected, source });
  }
}

/** The configuration file cannot be read or parsed. */
export class ConfigFileError extends QrtrdError {
  constructor(path: string, reason: string) {
    super('QRTRD_CONFIG_FILE', `Cannot use configuration file ${path}: ${reason}`, { path });
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const TOP_KEYS = new Set(Object.keys(DEFAULT_CONFIG));

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Validator {
  constructor(private readonly source: string) {}

  fail(key: string, expected: string, actual: unknown): never {
    throw new ConfigError(key, expected, actual, this.source);
  }

  int(raw: Raw, key: string, path: string, min: number, max: number): number | undefined {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) this.fail(path, `an integer ${min}..${max}`, v);
    return v;
  }

  bool(raw: Raw, key: string, path: string): boolean | undefined {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') this.fail(path, 'true or false', v);
    return v;
  }

  pathOrNull(raw: Raw, key: string, path: string): string | null | undefined {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (v !== null && (typeof v !== 'string' || v.length === 0)) this.fail(path, 'a path or null', v);
    return v as string | null;
  }
}

/**
 * Validates a parsed configuration object against the schema and merges it over
 * `base`. Unknown keys are errors (a typo must not be silently ignored).
 */
export function parseConfig(raw: unknown, source: string, base: QrtrdConfig = DEFAULT_CONFIG): QrtrdConfig {
  const v: Validator = new Validator(source);
  if (!isObject(raw)) v.fail('(top level)', 'a JSON object', raw);
  for (const key of Object.keys(raw)) if (!TOP_KEYS.has(key)) v.fail(key, `one of the known keys (${[...TOP_KEYS].join(', ')})`, key);
  const node = v.int(raw, 'node', 'node', 0, 0xfffffffe);
  const logLevel = raw.logLevel;
  if (logLevel !== undefined && !LOG_LEVELS.includes(logLevel as LogLevel)) v.fail('logLevel', `one of ${LOG_LEVELS.join(', ')}`, logLevel);
  const plugins = raw.plugins;
  if (plugins !== undefined && (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string' || !p))) v.fail('plugins', 'an array of module paths', plugins);
  const links = raw.links;
  if (links !== undefined && (!Array.isArray(links) || links.some((l) => !isObject(l) || typeof l.kind !== 'string' || !l.kind))) {
    v.fail('links', 'an array of { kind, ... } objects', links);
  }
  const pluginConfig = raw.pluginConfig;
  if (pluginConfig !== undefined && (!isObject(pluginConfig) || Object.values(pluginConfig).some((s) => !isObject(s)))) {
    v.fail('pluginConfig', 'an object of per-plugin objects', pluginConfig);
  }
  const cardIdentities = raw.cardIdentities;
  if (cardIdentities !== undefined && (!Array.isArray(cardIdentities) || !cardIdentities.every(isObject))) v.fail('cardIdentities', 'an array of identity objects', cardIdentities);
  return {
    node: node ?? base.node,
    listen: v.pathOrNull(raw, 'listen', 'listen') ?? (raw.listen === null ? null : base.listen),
    socket: v.pathOrNull(raw, 'socket', 'socket') ?? (raw.socket === null ? null : base.socket),
    firmwareDir: v.pathOrNull(raw, 'firmwareDir', 'firmwareDir') ?? (raw.firmwareDir === null ? null : base.firmwareDir),
    kernel: v.bool(raw, 'kernel', 'kernel') ?? base.kernel,
    tun: v.pathOrNull(raw, 'tun', 'tun') ?? (raw.tun === null ? null : base.tun),
    ...parseTunNodes(raw, v, base),
    links: (links as LinkConfig[] | undefined) ?? base.links,
    plugins: (plugins as string[] | undefined) ?? base.plugins,
    pluginConfig: (pluginConfig as QrtrdConfig['pluginConfig'] | undefined) ?? base.pluginConfig,
    cardIdentities: (cardIdentities as QrtrdConfig['cardIdentities'] | undefined) ?? base.cardIdentities,
    policy: parsePolicyConfig(raw.policy, (key, expected, actual) => v.fail(key, expected, actual), base.policy),
    simulation: raw.simulation === undefined ? base.simulation : parseSimulation(raw.simulation, v),
    logLevel: (logLevel as LogLevel | undefined) ?? base.logLevel,
    logFile: v.pathOrNull(raw, 'logFile', 'logFile') ?? (raw.logFile === null ? null : base.logFile),
    capture: v.pathOrNull(raw, 'capture', 'capture') ?? (raw.capture === null ? null : base.capture),
    console: v.bool(raw, 'console', 'console') ?? base.console,
    netdev: raw.netdev === undefined ? base.netdev : parseNetdevConfig(raw.netdev, source),
  };
}

function parseTunNodes(raw: Raw, v: Validator, base: QrtrdConfig): Pick<QrtrdConfig, 'tunBridgeNode' | 'tunNodeRange'> {
  const tunBridgeNode = v.int(raw, 'tunBridgeNode', 'tunBridgeNode', 2, 0xfffffffe) ?? base.tunBridgeNode;
  let tunNodeRange = base.tunNodeRange;
  if (raw.tunNodeRange !== undefined) {
    const r = raw.tunNodeRange;
    if (!isObject(r)) v.fail('tunNodeRange', 'an object {first, last}', r);
    const first = v.int(r, 'first', 'tunNodeRange.first', 2, 0xfffffffe);
    const last = v.int(r, 'last', 'tunNodeRange.last', 2, 0xfffffffe);
    if (first === undefined || last === undefined || last < first) v.fail('tunNodeRange', 'an object {first, last} with first <= last', r);
    tunNodeRange = { first, last };
  }
  if (tunBridgeNode >= tunNodeRange.first && tunBridgeNode <= tunNodeRange.last) {
    v.fail('tunBridgeNode', `a node id outside tunNodeRange ${tunNodeRange.first}..${tunNodeRange.last}`, tunBridgeNode);
  }
  return { tunBridgeNode, tunNodeRange };
}

function parseSimulation(raw: unknown, v: Validator): SimulationConfig {
  if (!isObject(raw)) v.fail('simulation', 'an object', raw);
  for (const key of Object.keys(raw)) if (!['enabled', 'cards', 'modem'].includes(key)) v.fail(`simulation.${key}`, 'one of enabled, cards, modem', key);
  const cardsRaw = raw.cards ?? DEFAULT_SIMULATION.cards;
  if (!Array.isArray(cardsRaw)) v.fail('simulation.cards', 'an array', cardsRaw);
  const cards = cardsRaw.map((c, i): SimulatedCardConfig => {
    const at = `simulation.cards[${i}]`;
    if (!isObject(c)) v.fail(at, 'an object', c);
    // Which plugin simulates the family is known once plugins load (the daemon checks it then).
    if (typeof c.family !== 'string' || !/^[a-z][a-z0-9-]*$/.test(c.family)) v.fail(`${at}.family`, "a device kind such as 'ath11k'", c.family);
    if (typeof c.chip !== 'string' || !c.chip) v.fail(`${at}.chip`, 'a chip name such as QCN9074', c.chip);
    if (typeof c.pciAddress !== 'string' || !/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/.test(c.pciAddress)) {
      v.fail(`${at}.pciAddress`, "a PCI address such as '0000:01:00.0'", c.pciAddress);
    }
    const boardId = v.int(c, 'boardId', `${at}.boardId`, 0, 0xffff);
    if (boardId === undefined) v.fail(`${at}.boardId`, 'an integer 0..65535', undefined);
    if (c.mhi !== undefined && !isObject(c.mhi)) v.fail(`${at}.mhi`, 'an object', c.mhi);
    return { family: c.family, chip: c.chip, pciAddress: c.pciAddress, boardId, ...(c.mhi !== undefined ? { mhi: c.mhi as Record<string, unknown> } : {}) };
  });
  const addresses = new Set<string>();
  cards.forEach((c, i) => {
    if (addresses.has(c.pciAddress)) v.fail(`simulation.cards[${i}].pciAddress`, 'unique among the cards', c.pciAddress);
    addresses.add(c.pciAddress);
  });
  let modem: SimulatedModemConfig | null = DEFAULT_SIMULATION.modem;
  if (raw.modem === null) modem = null;
  else if (raw.modem !== undefined) {
    const m = raw.modem;
    if (!isObject(m)) v.fail('simulation.modem', 'an object or null', m);
    const base = DEFAULT_SIMULATION.modem!;
    const rpmsgDevice = m.rpmsgDevice ?? base.rpmsgDevice;
    if (typeof rpmsgDevice !== 'string' || !rpmsgDevice) v.fail('simulation.modem.rpmsgDevice', 'a device name', rpmsgDevice);
    const muxIds = m.muxIds ?? base.muxIds;
    if (!Array.isArray(muxIds) || muxIds.some((x) => !Number.isInteger(x) || x < 0 || x > 254)) v.fail('simulation.modem.muxIds', 'an array of integers 0..254', muxIds);
    modem = {
      rpmsgDevice,
      node: v.int(m, 'node', 'simulation.modem.node', 0, 0xfffffffe) ?? base.node,
      muxIds,
      trafficPps: v.int(m, 'trafficPps', 'simulation.modem.trafficPps', 0, 1_000_000) ?? base.trafficPps,
      latencyMs: v.int(m, 'latencyMs', 'simulation.modem.latencyMs', 0, 10_000) ?? 0,
      lossPercent: v.int(m, 'lossPercent', 'simulation.modem.lossPercent', 0, 99) ?? 0,
    };
  }
  return { enabled: v.bool(raw, 'enabled', 'simulation.enabled') ?? true, cards, modem };
}

/** Reads and validates a JSON configuration file. */
export function loadConfigFile(path: string, base: QrtrdConfig = DEFAULT_CONFIG): QrtrdConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigFileError(path, (err as NodeJS.ErrnoException).code ?? String(err));
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigFileError(path, `not valid JSON (${(err as Error).message})`);
  }
  return parseConfig(raw, path, base);
}
