import type { interfaces } from 'inversify';
import type { Observable } from 'rxjs';
import type { Router } from '../router/router';
import type { QrtrSocketProvider } from '../router/socket';
import type { PluginLogger } from './logger';
import type { ConfigSectionSchema } from './config-schema';

/*
 * Contribution points: what a plugin adds to the daemon, its live view, the `qrtr` tool and the
 * configuration. A plugin binds implementations to these tokens in its ContainerModule (several
 * per token if it likes); the host collects them from every loaded plugin, so the composition
 * root never names a plugin, and a plugin from outside the repository appears exactly as a
 * built-in one does.
 */

/** One row of a status section: the cells under the section's headers, plus machine-readable data. */
export interface StatusRow {
  /** Identity of the row (a backend key such as `mhi:0000:01:00.0`); rows are sorted by `order`, then key. */
  readonly key: string;
  readonly order: number;
  readonly cells: readonly string[];
  /** Short state word, for change lines off a terminal (`card mhi:... QCN9074: ready`). */
  readonly state: string;
  /** The row counts as a failure: `qrtr <section>` exits 1. */
  readonly failed?: boolean;
  /** Bring-up progress 0..1 and a detail (`120 KiB/340 KiB`), drawn as a bar by the live view. */
  readonly progress?: { readonly fraction: number; readonly label: string; readonly detail: string };
  /** JSON the section prints with `--json` (what `qrtr cards --json` lists). */
  readonly data: unknown;
}

/** A status section as the daemon reports it (JSON over the local-client socket). */
export interface StatusSection {
  readonly id: string;
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: readonly StatusRow[];
  /** What `qrtr <id>` prints when there are no rows. */
  readonly empty: string;
}

/**
 * A table a plugin contributes to the daemon's status. Sections with the same `id` from several
 * plugins merge into one table (ath11k and ath12k both contribute `cards`); the header of the
 * first loaded contributor wins. Each section id is also a `qrtr <id>` subcommand (`qrtr cards`),
 * and a pane of the live view.
 */
export interface StatusSectionContribution {
  readonly id: string;
  readonly title: string;
  readonly headers: readonly string[];
  readonly empty?: string;
  /** `qrtr --help` line of the subcommand. */
  readonly summary: string;
  /** The rows now. Must not throw; a throwing section is logged and shown empty. */
  rows(): readonly StatusRow[];
  /** Emits when rows change (the live view redraws, readiness is rechecked). */
  readonly changed$: Observable<unknown>;
  /**
   * Resolves when every row this section expects (e.g. each configured card) is ready;
   * rejects after `timeoutMs`. Absent: the section has nothing to wait for.
   */
  whenReady?(timeoutMs: number): Promise<void>;
}
export const STATUS_SECTION: interfaces.ServiceIdentifier<StatusSectionContribution> = Symbol.for('qrtrd.StatusSection');

/** A free-form pane of the live view (drawn under the status sections). */
export interface LiveViewPaneContribution {
  readonly title: string;
  /** The pane's lines now; an empty string hides the pane. */
  render(): string;
}
export const LIVE_VIEW_PANE: interfaces.ServiceIdentifier<LiveViewPaneContribution> = Symbol.for('qrtrd.LiveViewPane');

/**
 * The plugin's configuration section (`pluginConfig.<plugin name>` in the daemon's file),
 * checked when the daemon starts, before anything attaches: a bad value fails the start with
 * the plugin's typed error (PluginConfigError), as a bad core key does.
 */
export interface ConfigSectionContribution {
  /** Keys the section may hold and what each means (`qrtrd --help-config`, docs). */
  readonly keys: Readonly<Record<string, string>>;
  /**
   * The section as a zod object schema built with the SDK's `z` (strict: unknown keys refused).
   * With it the daemon checks the section before start (exit 2, the key and the closest valid
   * one on a typo), `qrtrd --print-config` shows its defaults and `--print-config-schema`
   * includes it in the JSON Schema for editors. Without it only `validate` runs, at start.
   */
  readonly schema?: ConfigSectionSchema;
  /** @throws PluginConfigError naming the key. */
  validate(section: Readonly<Record<string, unknown>>): void;
}
export const CONFIG_SECTION: interfaces.ServiceIdentifier<ConfigSectionContribution> = Symbol.for('qrtrd.ConfigSection');

/** One simulated device of the configuration (`simulation.cards[i]`, `simulation.modem`). */
export interface SimulatedDeviceSpec {
  /** Which simulation contribution builds it: a card's `family`, or `modem`. */
  readonly kind: string;
  readonly spec: Readonly<Record<string, unknown>>;
  /** Where in the configuration it is (`simulation.cards[2]`), for errors that name a key. */
  readonly at?: string;
}

/** What a simulation gets from the daemon. */
export interface SimulationContext {
  /** The in-process router the devices attach to. */
  readonly router: Router;
  /** Kernel mode: the provider services should also register with (AF_QIPCRTR), else null. */
  readonly kernelProvider: QrtrSocketProvider | null;
  /**
   * A directory of the daemon's own for this run (synthetic firmware and such), removed at stop.
   * The only place a simulation may write: every path the user configures is input and read-only.
   */
  readonly workDir: string;
  /**
   * Where a simulation writes synthetic firmware when not under workDir. The daemon always
   * passes null: a configured `firmwareDir` is the user's input and never written
   * (simulated devices load the synthetic files from workDir instead).
   */
  readonly firmwareDir: null;
  readonly logger: PluginLogger;
}

/** Simulated devices a plugin knows how to build (its own cards, a modem). */
export interface SimulationContribution {
  /** The `kind` of the specs it builds. */
  readonly kind: string;
  /** Checks one spec (at `at`, e.g. `simulation.cards[2]`); @throws PluginConfigError. */
  validate?(spec: Readonly<Record<string, unknown>>, at: string): void;
  /**
   * Before plugins start: prepares what the devices need (firmware files) and returns defaults
   * for the plugin's own configuration section (keys the user set win).
   */
  prepare?(specs: readonly SimulatedDeviceSpec[], context: SimulationContext): Promise<Record<string, unknown>> | Record<string, unknown>;
  /** After plugins start: attaches the devices. The handle detaches them. */
  start(specs: readonly SimulatedDeviceSpec[], context: SimulationContext): Promise<SimulationHandle>;
}
export const SIMULATION: interfaces.ServiceIdentifier<SimulationContribution> = Symbol.for('qrtrd.Simulation');

export interface SimulationHandle {
  stop(): Promise<void> | void;
}
