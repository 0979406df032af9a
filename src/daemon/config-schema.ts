import { configBoolean, configEnum, configInt, configJsonSchema, configString, z, type ConfigSectionSchema } from '../sdk/config-schema';
import { DEFAULT_POLICY } from '../services/local-client/policy';
import { parsePolicyConfig } from '../services/local-client/policy-config';
import { BAM_DMUX_MAX_MTU } from '../sdk/netdev';
import { builtInLinksModule, linkFactoriesOf, type LinkFactory } from '../links';
import { closestKey } from '../common/closest-key';

/*
 * The daemon's configuration schema: every key of docs/config.md, as the config file and the
 * flags give it (before defaults are merged in; src/daemon/config.ts merges). Each loaded
 * plugin adds its own `pluginConfig.<name>` section through CONFIG_SECTION (`schema`), see
 * buildConfigSchema. test/daemon/config-docs.spec.ts checks docs/config.md against it.
 */

const MAX_NODE = 0xfffffffe;
const path = (what = 'a path or null'): z.ZodNullable<z.ZodString> => configString(what).nullable();

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const simulatedCardSchema = z.strictObject({
  family: configString("a device kind such as 'ath11k'").regex(/^[a-z][a-z0-9-]*$/, { error: "a device kind such as 'ath11k'" }).meta({
    description: 'the simulation a loaded plugin contributes (ath11k, ath12k, or a third-party kind)',
  }),
  chip: configString('a chip name such as QCN9074').meta({ description: "one of the family's simulated chips (ath11k: IPQ8074, IPQ6018, IPQ5018, QCA6390, WCN6855, 'WCN6855 hw2.1', QCA2066, QCN9074, WCN6750; ath12k: QCN9274, 'QCN9274 hw1.0', WCN7850, IPQ5332)" }),
  pciAddress: z
    .string({ error: "a PCI address such as '0000:01:00.0'" })
    .regex(/^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/, { error: "a PCI address such as '0000:01:00.0'" })
    .meta({ description: 'unique among the cards; the card is keyed mhi:<pciAddress>' }),
  boardId: configInt(0, 0xffff).meta({ description: 'board id the card reports (selects board-2.bin entries)' }),
  // The family checks the keys (rings, ulRingSize, dlRingSize, bufferLength) when it builds the card.
  deviceTree: configString('a path to a .dtb or a device-tree directory')
    .optional()
    .meta({ description: "AHB chips only: the platform's device tree (a .dtb, or a directory as /sys/firmware/devicetree/base shows it), whose reserved memory the simulated SoC has; the node is the one with the chip's DT compatible" }),
  mhi: z.record(z.string(), z.unknown(), { error: 'an object' }).optional().meta({ description: "ring sizes of the card's simulated MHI link: { rings, ulRingSize, dlRingSize, bufferLength } (default rings 'small')" }),
});

export const simulatedModemSchema = z.strictObject({
  rpmsgDevice: configString('a device name').optional().meta({ description: 'rpmsg device name; the modem is keyed rpmsg:<rpmsgDevice> (default IPCRTR-modem)' }),
  node: configInt(0, MAX_NODE).optional().meta({ description: 'node id the modem presents (default 0)' }),
  muxIds: z.array(configInt(0, 254, 'an array of integers 0..254'), { error: 'an array of integers 0..254' }).optional().meta({ description: 'QMAP mux ids of the data channels (default [1, 2])' }),
  trafficPps: configInt(0, 1_000_000).optional().meta({ description: 'demo downlink packets per second on each data channel, 0 for none (default 200)' }),
  latencyMs: configInt(0, 10_000).optional().meta({ description: 'added one-way latency of the simulated network (default 0)' }),
  lossPercent: configInt(0, 99).optional().meta({ description: 'packets the simulated network drops, in percent (default 0)' }),
});

export const simulationSchema = z.strictObject({
  enabled: configBoolean().optional().meta({ description: 'run the simulated devices (default true; --no-sim sets false)' }),
  cards: z.array(simulatedCardSchema, { error: 'an array' }).optional().meta({ description: 'simulated WLFW cards (default: two QCN9074 and one WCN6855 on ath11k, one WCN7850 on ath12k)' }),
  modem: simulatedModemSchema.nullable().optional().meta({ description: 'the simulated modem, or null for none' }),
});

export const netdevSchema = z.strictObject({
  mode: configEnum(['raw-ip', 'qmap'], "'raw-ip' or 'qmap'").optional().meta({ description: 'raw-ip: one interface per BAM-DMUX channel; qmap: one per mux id (default raw-ip)' }),
  name: configString('an interface name or pattern with one %d, at most 15 characters')
    .max(15, { error: 'an interface name or pattern with one %d, at most 15 characters' })
    .regex(/^[A-Za-z0-9_.-]*(%d)?[A-Za-z0-9_.-]*$/, { error: 'an interface name or pattern with one %d, at most 15 characters' })
    .optional()
    .meta({ description: 'interface name pattern (default wwan%d, rmnet_data%d for qmap)' }),
  mtu: configInt(68, BAM_DMUX_MAX_MTU).optional().meta({ description: `interface MTU 68..${BAM_DMUX_MAX_MTU} (default 1500)` }),
});

/**
 * `policy` (docs/security.md) is checked by the local-client service's own validator
 * (src/services/local-client/policy-config.ts); the schema wraps it so that one check covers the
 * whole file, and its failures read like every other key's.
 */
export const policySchema = z
  .custom<Record<string, unknown>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), { error: 'an object' })
  .superRefine((raw, ctx) => {
    try {
      parsePolicyConfig(raw, (key, expected, actual) => {
        throw new PolicyIssue(key, expected, actual);
      }, DEFAULT_POLICY);
    } catch (err) {
      if (!(err instanceof PolicyIssue)) throw err;
      // The validator names full paths (`policy.perUid.sockets`); the issue's path is below `policy`.
      const parts = err.key.replace(/^policy\.?/, '').split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== '');
      const issuePath = parts.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
      // The validator says "unknown key" as `one of a, b, c` with the key itself as the value.
      const known = /^one of (.+)$/.exec(err.expected);
      const unknownKey = known !== null && err.actual === parts[parts.length - 1];
      ctx.addIssue({ code: 'custom', message: err.expected, path: issuePath, params: unknownKey ? { unknownKey: true, known: known[1].split(', ') } : {} });
    }
  })
  .meta({ description: 'who may do what through the local-client socket, and per-uid limits: socketMode, socketGroup, grants, defaultReservations, perUid (docs/security.md)' });

class PolicyIssue {
  constructor(
    readonly key: string,
    readonly expected: string,
    readonly actual: unknown,
  ) {}
}

/**
 * One `links[]` entry: the union of the link factories' schemas, chosen by `kind`. The factories
 * are those the daemon binds (LINK_FACTORY in builtInLinksModule, the module the daemon loads),
 * so a new link kind brings its keys here through its factory alone.
 */
export function linkEntrySchema(factories: readonly LinkFactory[]): z.ZodType {
  const kinds = factories.map((f) => f.kind);
  const expected = (kind: unknown): string => {
    const meant = typeof kind === 'string' ? closestKey(kind, kinds) : undefined;
    return `one of ${kinds.join(', ')}${meant ? ` (did you mean '${meant}'?)` : ''}`;
  };
  if (factories.length === 0) return z.never({ error: 'nothing: no link kind is available' });
  const schemas = factories.map((f) => f.schema) as [z.ZodObject, ...z.ZodObject[]];
  return z
    .discriminatedUnion('kind', schemas, {
      // No branch for the entry's kind: the issue is at `kind` (an entry that is no object is at the entry).
      error: (issue) => (typeof issue.input === 'object' && issue.input !== null ? expected((issue.input as Record<string, unknown>).kind) : 'an object { kind, ... }'),
    })
    .meta({ description: `a link: kind (${kinds.join(', ')}) plus the keys of that kind` });
}

const LINK_FACTORIES = linkFactoriesOf(builtInLinksModule);

const coreShape = {
  $schema: z.string({ error: 'a JSON Schema reference' }).meta({ description: 'the JSON Schema editors check this file against (docs/qrtrd.schema.json); ignored by qrtrd' }),
  node: configInt(0, MAX_NODE).meta({ description: "this router's node id (default 1)" }),
  listen: path().meta({ description: 'UNIX stream socket where remote endpoints attach' }),
  socket: path().meta({ description: 'UNIX socket for local clients (qrtr, out-of-process plugins)' }),
  firmwareDir: path().meta({ description: 'firmware tree in linux-firmware layout; only ever read' }),
  kernel: configBoolean().meta({ description: "run QMI handles and plugins over the kernel's AF_QIPCRTR sockets" }),
  tun: path().meta({ description: 'bridge into the kernel through this qrtr-tun device' }),
  tunBridgeNode: configInt(2, MAX_NODE).meta({ description: "the bridge's own node id as the kernel sees it (default 99)" }),
  tunNodeRange: z
    .strictObject({ first: configInt(2, MAX_NODE), last: configInt(2, MAX_NODE) }, { error: 'an object {first, last}' })
    .refine((r) => r.first <= r.last, { error: 'an object {first, last} with first <= last' })
    .meta({ description: 'kernel-side node ids for each (endpoint, node) behind the bridge (default 100..199)' }),
  links: z.array(linkEntrySchema(LINK_FACTORIES), { error: 'an array of { kind, ... } objects' }).meta({ description: `links to open (${LINK_FACTORIES.map((f) => f.kind).join(', ')})` }),
  plugins: z.array(configString('an array of module paths'), { error: 'an array of module paths' }).meta({ description: 'plugin modules to load' }),
  pluginConfig: z
    .record(z.string(), z.record(z.string(), z.unknown(), { error: 'an object of per-plugin objects' }), { error: 'an object of per-plugin objects' })
    .meta({ description: 'per-plugin sections by plugin name' }),
  cardIdentities: z.array(z.record(z.string(), z.unknown()), { error: 'an array of identity objects' }).meta({ description: 'WLFW card identities given to every loader that takes identities' }),
  policy: policySchema,
  simulation: simulationSchema.meta({ description: 'the embedded simulated devices' }),
  logLevel: configEnum(LOG_LEVELS).meta({ description: 'pino level (default info)' }),
  logFile: path().meta({ description: 'JSON log lines go here instead of standard error' }),
  capture: path().meta({ description: 'pcap capture of every packet' }),
  console: configBoolean().meta({ description: 'progress and status tables on standard output' }),
  reclaimAfterDetachMs: configInt(0, 3_600_000).meta({ description: 'a memory reclaim (V8 low-memory notification, else a full GC) this long after endpoints stop detaching, so dead cards\' memory is returned (0: never; default 2000)' }),
  netdev: z
    .union([z.boolean(), z.null(), netdevSchema], { error: 'true, false, null or an object {mode, name, mtu}' })
    .meta({ description: "OS network interfaces for the simulated modem's data plane" }),
};

/** The core keys (every key optional: the file and the flags give what they change). */
export const coreConfigSchema = z.strictObject(coreShape).partial();

export type RawConfig = z.output<typeof coreConfigSchema>;

/** The core schema with each loaded plugin's section under `pluginConfig` (strict: a section must name a plugin). */
export function buildConfigSchema(sections: ReadonlyMap<string, ConfigSectionSchema | undefined>): z.ZodType {
  const pluginShape: Record<string, z.ZodType> = {};
  for (const [name, schema] of sections) pluginShape[name] = (schema ?? z.record(z.string(), z.unknown())).optional();
  return z
    .strictObject({ ...coreShape, pluginConfig: z.strictObject(pluginShape).meta({ description: 'per-plugin sections by plugin name' }) })
    .partial();
}

/** The JSON Schema editors read, for the core and the given plugins' sections. */
export function configFileJsonSchema(sections: ReadonlyMap<string, ConfigSectionSchema | undefined>): Record<string, unknown> {
  const schema = configJsonSchema(buildConfigSchema(sections)) as { properties: Record<string, Record<string, unknown>> };
  // The policy validator is code, not a schema: say at least that it is an object.
  schema.properties.policy = { type: 'object', ...schema.properties.policy };
  return {
    ...schema,
    title: 'qrtrd configuration',
    description: 'qrtrd --config FILE (docs/config.md). Generated by `qrtrd --print-config-schema`.',
  };
}
