import { readFileSync } from 'node:fs';
import { QrtrdError } from '../common/errors';
import type { LinkConfig } from '../links/link-factory';
import type { SimulatedModemConfig } from '../sdk/netdev';
import { parseNetdevConfig, type NetdevConfig } from './netdev-config';
import { DEFAULT_POLICY, type LocalClientPolicyConfig } from '../services/local-client/policy';
import { parsePolicyConfig } from '../services/local-client/policy-config';
import { checkConfig, describeConfigIssue, type ConfigIssue } from '../sdk/config-schema';
import { coreConfigSchema, type RawConfig } from './config-schema';

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
  /** Quiet time after endpoints detach before the daemon collects garbage (src/daemon/memory-reclaim.ts); 0 = never. */
  readonly reclaimAfterDetachMs: number;
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
  reclaimAfterDetachMs: 2000,
  netdev: null,
};

/** The configuration file or a flag has a value qrtrd cannot use. */
export class ConfigError extends QrtrdError {
  constructor(key: string, expected: string, actual: unknown, source: string) {
    super('QRTRD_CONFIG_INVALID', `${source}: '${key}' must be ${expected}, got ${JSON.stringify(actual) ?? 'nothing'}`, { key, expected, source });
  }
}

/** The configuration file cannot be read or parsed. */
export class ConfigFileError extends QrtrdError {
  constructor(path: string, reason: string) {
    super('QRTRD_CONFIG_FILE', `Cannot use configuration file ${path}: ${reason}`, { path });
  }
}

/** A key the schema does not know (a typo): names it and, when one is close, the key meant. */
export class ConfigUnknownKeyError extends ConfigError {
  constructor(issue: ConfigIssue, source: string) {
    super(issue.key, issue.expected, issue.actual, source);
    this.message = `${source}: ${describeConfigIssue(issue)}`;
    Object.assign(this.details as Record<string, unknown>, { suggestion: issue.suggestion ?? null, known: issue.known ?? [] });
  }
}

/** The error for the first issue of a check: unknown keys get the did-you-mean form. */
export function configIssueError(issue: ConfigIssue, source: string): ConfigError {
  return issue.unknownKey ? new ConfigUnknownKeyError(issue, source) : new ConfigError(issue.key, issue.expected, issue.actual, source);
}

const given = <T>(raw: Record<string, unknown>, key: string, parsed: T | undefined, fallback: T): T => (key in raw ? (parsed as T) : fallback);

/**
 * Validates a parsed configuration object against the schema (src/daemon/config-schema.ts) and
 * merges it over `base`. Unknown keys are errors naming the key and the closest valid one (a typo
 * must not be silently ignored).
 */
export function parseConfig(raw: unknown, source: string, base: QrtrdConfig = DEFAULT_CONFIG): QrtrdConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError('(top level)', 'a JSON object', raw, source);
  const checked = checkConfig(coreConfigSchema, raw);
  if (checked.issue) throw configIssueError(checked.issue, source);
  const p = checked.value;
  const r = raw as Record<string, unknown>;
  const tunNodeRange = p.tunNodeRange ?? base.tunNodeRange;
  const tunBridgeNode = p.tunBridgeNode ?? base.tunBridgeNode;
  if (tunBridgeNode >= tunNodeRange.first && tunBridgeNode <= tunNodeRange.last) {
    throw new ConfigError('tunBridgeNode', `a node id outside tunNodeRange ${tunNodeRange.first}..${tunNodeRange.last}`, tunBridgeNode, source);
  }
  return {
    node: p.node ?? base.node,
    listen: given(r, 'listen', p.listen, base.listen),
    socket: given(r, 'socket', p.socket, base.socket),
    firmwareDir: given(r, 'firmwareDir', p.firmwareDir, base.firmwareDir),
    kernel: p.kernel ?? base.kernel,
    tun: given(r, 'tun', p.tun, base.tun),
    tunBridgeNode,
    tunNodeRange,
    links: (p.links as LinkConfig[] | undefined) ?? base.links,
    plugins: p.plugins ?? base.plugins,
    pluginConfig: p.pluginConfig ?? base.pluginConfig,
    cardIdentities: p.cardIdentities ?? base.cardIdentities,
    policy: parsePolicyConfig(r.policy, (key, expected, actual) => {
      throw new ConfigError(key, expected, actual, source);
    }, base.policy),
    simulation: p.simulation === undefined ? base.simulation : mergeSimulation(p.simulation, source),
    logLevel: p.logLevel ?? base.logLevel,
    logFile: given(r, 'logFile', p.logFile, base.logFile),
    capture: given(r, 'capture', p.capture, base.capture),
    console: p.console ?? base.console,
    reclaimAfterDetachMs: p.reclaimAfterDetachMs ?? base.reclaimAfterDetachMs,
    netdev: r.netdev === undefined ? base.netdev : parseNetdevConfig(r.netdev, source),
  };
}

function mergeSimulation(s: NonNullable<RawConfig['simulation']>, source: string): SimulationConfig {
  const cards = s.cards ?? DEFAULT_SIMULATION.cards;
  const addresses = new Set<string>();
  cards.forEach((c, i) => {
    if (addresses.has(c.pciAddress)) throw new ConfigError(`simulation.cards[${i}].pciAddress`, 'unique among the cards', c.pciAddress, source);
    addresses.add(c.pciAddress);
  });
  let modem: SimulatedModemConfig | null = DEFAULT_SIMULATION.modem;
  if (s.modem === null) modem = null;
  else if (s.modem !== undefined) {
    const d = DEFAULT_SIMULATION.modem!;
    const m = s.modem;
    modem = { rpmsgDevice: m.rpmsgDevice ?? d.rpmsgDevice, node: m.node ?? d.node, muxIds: m.muxIds ?? d.muxIds, trafficPps: m.trafficPps ?? d.trafficPps, latencyMs: m.latencyMs ?? 0, lossPercent: m.lossPercent ?? 0 };
  }
  return { enabled: s.enabled ?? true, cards, modem };
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
