import type { PluginHost } from '../host';
import { SIMULATION, type SimulatedDeviceSpec, type SimulationContext, type SimulationContribution, type SimulationHandle } from '../sdk';
import { ConfigError, type QrtrdConfig } from './config';

interface PlacedSpec extends SimulatedDeviceSpec {
  /** Where in the configuration the device is (`simulation.cards[2]`). */
  readonly at: string;
}

interface KindGroup {
  readonly plugin: string;
  readonly contribution: SimulationContribution;
  readonly specs: PlacedSpec[];
}

/**
 * The configured simulated devices, built by whichever loaded plugin contributes a simulation
 * of their kind (a card's `family`, or `modem`): the daemon names no device and no plugin.
 */
export class DaemonSimulations {
  private readonly groups: KindGroup[] = [];
  private readonly handles: SimulationHandle[] = [];

  /**
   * Matches every configured device with a contributed simulation and checks its spec.
   * @throws ConfigError for a device no loaded plugin simulates; the plugin's PluginConfigError for a bad spec.
   */
  constructor(host: PluginHost, config: QrtrdConfig) {
    const sim = config.simulation;
    if (!sim.enabled) return;
    const specs: PlacedSpec[] = sim.cards.map((card, i) => ({ kind: card.family, spec: { ...card }, at: `simulation.cards[${i}]` }));
    // The modem gets the daemon's `netdev` section: whether its data plane becomes OS interfaces.
    if (sim.modem) specs.push({ kind: 'modem', spec: { ...sim.modem, netdev: config.netdev }, at: 'simulation.modem' });
    const byKind = new Map(host.contributions(SIMULATION).map((c) => [c.contribution.kind, c]));
    for (const spec of specs) {
      const found = byKind.get(spec.kind);
      if (!found) {
        const key = spec.kind === 'modem' ? spec.at : `${spec.at}.family`;
        throw new ConfigError(key, `a device kind a loaded plugin simulates (${[...byKind.keys()].join(', ') || 'no plugin loaded simulates any'})`, spec.kind, 'simulation');
      }
      found.contribution.validate?.(spec.spec, spec.at);
      let group = this.groups.find((g) => g.contribution === found.contribution);
      if (!group) this.groups.push((group = { plugin: found.plugin, contribution: found.contribution, specs: [] }));
      group.specs.push(spec);
    }
  }

  /** The plugins that simulate at least one configured device (their loaders read the synthetic firmware). */
  get simulatingPlugins(): ReadonlySet<string> {
    return new Set(this.groups.map((g) => g.plugin));
  }

  get count(): number {
    return this.groups.reduce((n, g) => n + g.specs.length, 0);
  }

  /** Runs each simulation's prepare and gives its plugin the defaults it returned (the plugin's section as configured wins). */
  async prepare(host: PluginHost, context: SimulationContext): Promise<void> {
    for (const group of this.groups) {
      const defaults = (await group.contribution.prepare?.(group.specs, context)) ?? {};
      host.configure(group.plugin, { ...defaults, ...host.configOf(group.plugin) });
    }
  }

  /** Attaches every device (after the plugins started). */
  async start(context: SimulationContext): Promise<void> {
    for (const group of this.groups) this.handles.push(await group.contribution.start(group.specs, context));
  }

  /** Detaches every device, last started first. */
  async stop(): Promise<void> {
    for (const handle of this.handles.splice(0).reverse()) await handle.stop();
  }
}
