import { inject, injectable } from 'inversify';
import type { Observable } from 'rxjs';
import { PluginConfigError, type ConfigSectionContribution, type StatusRow, type StatusSectionContribution } from '../../../src/sdk';
import { CARD_TABLE_HEADERS, cardTableRow, downloadProgress, type CardTableRow } from './card-table';
import type { WlfwCardStatus } from './card-status';
import { DEFAULT_WLFW_LOADER_OPTIONS, parseLoaderOptions } from './loader-options';
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

/** `pluginConfig.<family>`: the loader options, every key checked, unknown keys refused. */
@injectable()
export class WlfwConfigSection implements ConfigSectionContribution {
  readonly keys: Readonly<Record<string, string>> = Object.fromEntries(Object.keys(DEFAULT_WLFW_LOADER_OPTIONS).map((k) => [k, 'see WlfwLoaderOptions (docs/ath.md)']));

  constructor(@inject(WLFW_FAMILY) private readonly family: string) {}

  validate(section: Readonly<Record<string, unknown>>): void {
    for (const key of Object.keys(section)) {
      if (!(key in this.keys)) throw new PluginConfigError(this.family, key, `one of ${Object.keys(this.keys).join(', ')}`, key);
    }
    parseLoaderOptions(this.family, section);
  }
}
