import { inject, injectable } from 'inversify';
import type { Observable } from 'rxjs';
import { PluginConfigError, checkConfig, configBoolean, configEnum, configInt, configString, z, type ConfigSectionContribution, type StatusRow, type StatusSectionContribution } from '../../../src/sdk';
import { CARD_TABLE_HEADERS, cardTableRow, downloadProgress, type CardTableRow } from './card-table';
import type { WlfwCardStatus } from './card-status';
import { DEFAULT_WLFW_LOADER_OPTIONS, parseLoaderOptions, reservedMemorySchema } from './loader-options';
import { WLFW_FAMILY, WlfwLoaderLifecycle } from './wlfw-plugin';

const COLUMNS = Object.keys(CARD_TABLE_HEADERS) as (keyof CardTableRow)[];

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

/** A card's status as a row of the daemon's `cards` section. */
export function cardStatusRow(s: WlfwCardStatus): StatusRow {
  const cells = cardTableRow(s);
  return {
    key: s.key,
    order: s.endpoint,
    cells: COLUMNS.map((c) => cells[c]),
    state: cells.state,
    failed: s.state === 'failed',
    progress: {
      fraction: downloadProgress(s),
      label: `${s.key.padEnd(18)} ${(s.chip ?? '?').padEnd(8)}`,
      detail: s.bytesTotal > 0 ? `${kib(s.bytesDownloaded)}/${kib(s.bytesTotal)}` : '',
    },
    data: s,
  };
}

/** The family's cards in the daemon's `cards` section (`qrtr cards`, the live view). */
@injectable()
export class WlfwCardsSection implements StatusSectionContribution {
  readonly id = 'cards';
  readonly title = 'Cards';
  readonly headers = COLUMNS.map((c) => CARD_TABLE_HEADERS[c]);
  readonly summary = 'the card table with state and progress (rows from every card plugin)';
  readonly empty = 'No cards (is a card plugin such as ath11k loaded?)';
  readonly changed$: Observable<unknown>;

  constructor(@inject(WlfwLoaderLifecycle) private readonly lifecycle: WlfwLoaderLifecycle) {
    this.changed$ = lifecycle.changed$;
  }

  rows(): StatusRow[] {
    return (this.lifecycle.loader?.snapshot() ?? []).filter((s) => s.state !== 'declined').map(cardStatusRow);
  }

  async whenReady(timeoutMs: number): Promise<void> {
    const loader = this.lifecycle.loader;
    if (!loader || loader.options.cards.length === 0) return;
    await loader.whenReady(loader.options.cards, timeoutMs);
  }
}

const D = DEFAULT_WLFW_LOADER_OPTIONS;
const positiveMs = (what: string): z.ZodNumber => z.number({ error: `a positive number of ${what}` }).positive({ error: `a positive number of ${what}` });
const backendKeys = z.array(configString("a backend key such as 'mhi:0000:01:00.0'").regex(/:/, { error: "a backend key such as 'mhi:0000:01:00.0'" }), {
  error: "an array of backend keys such as 'mhi:0000:01:00.0'",
});

/**
 * `pluginConfig.<family>` (ath11k, ath12k): the WLFW loader options (WlfwLoaderOptions). Keys the
 * daemon fills in when unset (`firmwareDir` from `--firmware-dir` or the simulation's work
 * directory, `cards` from the simulated cards, `identities` from `cardIdentities`) have no default here.
 */
export const wlfwConfigSchema = z.strictObject({
  firmwareDir: configString('a directory path').optional().meta({ description: `root of the <family>/<CHIP>/<hw>/ firmware tree; default: --firmware-dir, else ${D.firmwareDir}` }),
  bindEndpoints: configBoolean().default(D.bindEndpoints).meta({ description: "bind each card's QMI client to its own endpoint; false reproduces the pre-endpoint-ID kernel (identical cards cross-talk)" }),
  messageIds: configEnum(['current', 'pre-2022'], "'current' or 'pre-2022'").default(D.messageIds).meta({ description: 'WLFW message ids: after (current) or before (pre-2022) the 2022 ath11k QMI id fix' }),
  probeFamily: configBoolean().default(D.probeFamily).meta({ description: 'the non-kernel PHY_CAP family probe for cards with no identity on an instance both families use (default off: identity comes from the bus)' }),
  ftmMode: configBoolean().default(D.ftmMode).meta({ description: "the drivers' ftm_mode: mission mode FTM (1), cold-boot calibration per coldboot_cal_ftm, ath11k caldata optional" }),
  coldBootCal: configBoolean().default(D.coldBootCal).meta({ description: "ath11k's cold_boot_cal module parameter" }),
  coldBootCalTimeoutMs: positiveMs('milliseconds').default(D.coldBootCalTimeoutMs).meta({ description: 'wait for CAL_DONE / FW_READY during cold-boot calibration (ATH11K_COLD_BOOT_FW_RESET_DELAY)' }),
  qcn9074InstanceShift: configBoolean().default(D.qcn9074InstanceShift).meta({ description: 'match QCN9074 at instance 7 + (PCI domain, bus), the OpenWrt ath11k scheme' }),
  dmaChunkLimit: z.number({ error: 'a positive number of bytes' }).positive({ error: 'a positive number of bytes' }).default(D.dmaChunkLimit).meta({ description: 'largest DMA segment the host can allocate (bytes)' }),
  requestTimeoutMs: positiveMs('milliseconds').default(D.requestTimeoutMs).meta({ description: 'how long one QMI request may take' }),
  indicationTimeoutMs: positiveMs('milliseconds').default(D.indicationTimeoutMs).meta({ description: 'how long to wait for an expected indication' }),
  maxAttempts: configInt(1, Number.MAX_SAFE_INTEGER, 'an integer >= 1').default(D.maxAttempts).meta({ description: 'accepted, no effect: failed steps are not resent in place (the card waits for its next firmware incarnation)' }),
  retryDelayMs: z.number({ error: 'a number of milliseconds >= 0' }).min(0, { error: 'a number of milliseconds >= 0' }).default(D.retryDelayMs).meta({ description: 'accepted, no effect (see maxAttempts)' }),
  groupWaitMs: positiveMs('milliseconds').default(D.groupWaitMs).meta({ description: 'how long an ath12k card waits for the rest of its MLO group' }),
  groups: z
    .array(z.strictObject({ id: configString('a group id'), keys: backendKeys }), { error: 'an array of { id, keys: [backend keys] }' })
    .default([])
    .meta({ description: 'ath12k MLO hardware groups: cards whose HOST_CAP waits for each other' }),
  cards: backendKeys.optional().meta({ description: 'backend keys to reserve (and bind to) before their devices attach; default: the simulated cards' }),
  detachGraceMs: z.number({ error: 'a number of milliseconds >= 0' }).min(0, { error: 'a number of milliseconds >= 0' }).default(D.detachGraceMs).meta({ description: "how long a card found by lookup keeps its endpoint id after its device detaches" }),
  identities: z
    .array(z.record(z.string(), z.unknown()), { error: 'an array of identity objects' })
    .optional()
    .meta({ description: "card identities ({ key | node | instance, bus, address, vendor, device, subsystemVendor, subsystemDevice, variant }); default: cardIdentities (docs/ath.md)" }),
  reservedMemory: reservedMemorySchema
    .default([])
    .meta({ description: "AHB devices' reserved memory by backend key ({ key, regions: [{ name, address, size }], memoryRegion?, bdfAddr?, caldbAddr?, m3DumpAddr? }), the config form of the DT /reserved-memory map, used where the link lends memory without one" }),
});

/** `pluginConfig.<family>`: the loader options, every key checked, unknown keys refused. */
@injectable()
export class WlfwConfigSection implements ConfigSectionContribution {
  readonly schema = wlfwConfigSchema;
  readonly keys: Readonly<Record<string, string>> = Object.fromEntries(
    Object.entries(wlfwConfigSchema.shape).map(([k, s]) => [k, (s as z.ZodType).meta()?.description ?? 'see WlfwLoaderOptions (docs/ath.md)']),
  );

  constructor(@inject(WLFW_FAMILY) private readonly family: string) {}

  validate(section: Readonly<Record<string, unknown>>): void {
    const checked = checkConfig(wlfwConfigSchema, section);
    if (checked.issue) {
      const { key, expected, actual, suggestion } = checked.issue;
      throw new PluginConfigError(this.family, key, suggestion ? `${expected} (did you mean '${suggestion}'?)` : expected, actual);
    }
    // The identity rules' own checks (selectors, PCI ids), beyond the shape.
    parseLoaderOptions(this.family, section);
  }
}
