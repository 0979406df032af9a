import { ContainerModule } from 'inversify';
import { CONFIG_SECTION, PLUGIN_LIFECYCLE, SIMULATION, STATUS_SECTION, type Plugin, type PluginManifest, type SimulationContribution } from '../../../src/sdk';
import { WLFW_SERVICE, WLFW_VERSION, type WlfwChipParams, type WlfwFamily } from './chip-params';
import { WlfwCardsSection, WlfwConfigSection } from './wlfw-contributions';
import { WLFW_CHIPS, WLFW_FAMILY, WLFW_LOADER_LIFECYCLE, WlfwLoaderLifecycle } from './wlfw-plugin';

/** Builds the plugin of a family from its chip table (and, for the daemon's simulation, its simulated cards). */
export function createWlfwPlugin(family: WlfwFamily, version: string, chips: readonly WlfwChipParams[], simulation?: SimulationContribution): Plugin {
  const manifest: PluginManifest = {
    name: family,
    version,
    description: `${family} WLFW firmware loader: QMI bring-up of every ${family} card, one endpoint per card`,
    qmiServices: [{ service: WLFW_SERVICE, version: WLFW_VERSION, instances: [...new Set(chips.map((c) => c.serviceInstance))], role: 'client' }],
    backendKeys: ['mhi:*'],
  };
  const module = new ContainerModule((bind) => {
    bind(WLFW_FAMILY).toConstantValue(family);
    bind(WLFW_CHIPS).toConstantValue(chips);
    bind(WlfwLoaderLifecycle).toSelf().inSingletonScope();
    bind(PLUGIN_LIFECYCLE).toService(WlfwLoaderLifecycle);
    bind(WLFW_LOADER_LIFECYCLE).toService(WlfwLoaderLifecycle);
    bind(STATUS_SECTION).to(WlfwCardsSection).inSingletonScope();
    bind(CONFIG_SECTION).to(WlfwConfigSection).inSingletonScope();
    if (simulation) bind(SIMULATION).toConstantValue(simulation);
  });
  return { manifest, module };
}
