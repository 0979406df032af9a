import { ContainerModule, inject, injectable } from 'inversify';
import { PLUGIN_LIFECYCLE, type Plugin, type PluginContext, type PluginLifecycle, type PluginManifest } from '../../../src/sdk';
import { WLFW_SERVICE, WLFW_VERSION, type WlfwChipParams, type WlfwFamily } from './chip-params';
import { WlfwLoader } from './wlfw-loader';

/** DI token of a WLFW plugin's lifecycle, to reach its loader (status views). */
export const WLFW_LOADER_LIFECYCLE = Symbol.for('qrtrd.WlfwLoaderLifecycle');

/** The lifecycle of a WLFW plugin: one loader per start. */
@injectable()
export class WlfwLoaderLifecycle implements PluginLifecycle {
  private current: WlfwLoader | undefined;

  constructor(
    @inject('wlfw.family') private readonly family: WlfwFamily,
    @inject('wlfw.chips') private readonly chips: readonly WlfwChipParams[],
  ) {}

  /** The running loader, if started. */
  get loader(): WlfwLoader | undefined {
    return this.current;
  }

  async start(context: PluginContext): Promise<void> {
    if (this.current) return;
    const loader = new WlfwLoader(this.family, this.chips, context);
    this.current = loader;
    try {
      await loader.start();
    } catch (err) {
      this.current = undefined;
      await loader.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    const loader = this.current;
    this.current = undefined;
    await loader?.stop();
  }
}

/** Builds the plugin of a family from its chip table. */
export function createWlfwPlugin(family: WlfwFamily, version: string, chips: readonly WlfwChipParams[]): Plugin {
  const manifest: PluginManifest = {
    name: family,
    version,
    description: `${family} WLFW firmware loader: QMI bring-up of every ${family} card, one endpoint per card`,
    qmiServices: [{ service: WLFW_SERVICE, version: WLFW_VERSION, instances: [...new Set(chips.map((c) => c.serviceInstance))], role: 'client' }],
    backendKeys: ['mhi:*'],
  };
  const module = new ContainerModule((bind) => {
    bind('wlfw.family').toConstantValue(family);
    bind('wlfw.chips').toConstantValue(chips);
    bind(WlfwLoaderLifecycle).toSelf().inSingletonScope();
    bind(PLUGIN_LIFECYCLE).toService(WlfwLoaderLifecycle);
    bind(WLFW_LOADER_LIFECYCLE).toService(WlfwLoaderLifecycle);
  });
  return { manifest, module };
}
