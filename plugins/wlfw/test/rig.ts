import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Plugin } from '../../../src/sdk';
import { NameService, PluginHost, Router, recordingLogger, type LogRecord } from '../../../src/testing';
import { describePluginCompliance } from '../../../src/testing/compliance';
import { WLFW_LOADER_LIFECYCLE, type WlfwLoader, type WlfwLoaderLifecycle } from '../src';
import { createSimulatedCardFrom, writeSimulatedFirmwareDirFrom, type SimChipProfile, type SimulatedCard } from '../sim';

/** A host router + name service + plugin host with WLFW plugins, and a temp firmware dir. */
export interface Rig {
  readonly router: Router;
  readonly ns: NameService;
  readonly host: PluginHost;
  readonly firmwareDir: string;
  readonly logs: LogRecord[];
  loader(name: string): WlfwLoader;
  close(): Promise<void>;
}

export async function createRig(plugins: Plugin[], config: Record<string, Record<string, unknown>> = {}, firmwareDir?: string): Promise<Rig> {
  const dir = firmwareDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), 'qrtrd-ath-')));
  const router = new Router();
  const ns = new NameService(router);
  const logger = recordingLogger();
  const full: Record<string, Record<string, unknown>> = {};
  for (const p of plugins) {
    full[p.manifest.name] = { firmwareDir: dir, requestTimeoutMs: 2000, indicationTimeoutMs: 2000, retryDelayMs: 20, groupWaitMs: 2000, ...(config[p.manifest.name] ?? {}) };
  }
  const host = new PluginHost({ router, config: full, logger });
  for (const p of plugins) host.add(p);
  const cards: SimulatedCard[] = [];
  return {
    router,
    ns,
    host,
    firmwareDir: dir,
    logs: logger.records,
    loader(name: string): WlfwLoader {
      const lifecycle = host.containerOf(name).get<WlfwLoaderLifecycle>(WLFW_LOADER_LIFECYCLE);
      if (!lifecycle.loader) throw new Error(`${name} is not started`);
      return lifecycle.loader;
    },
    async close(): Promise<void> {
      await host.stopAll();
      for (const c of cards) c.detach();
      ns.close();
      router.shutdown();
      if (!firmwareDir) await fs.rm(dir, { recursive: true, force: true });
    },
  };
}

/** Names of the requests a simulated card received, in order (across boots). */
export function requestNames(card: SimulatedCard): string[] {
  return card.log.filter((e) => e.dir === 'rx').map((e) => e.name);
}

/** The values of one request a card received. */
export function requestsNamed(card: SimulatedCard, name: string): Record<string, unknown>[] {
  return card.log.filter((e) => e.dir === 'rx' && e.name === name).map((e) => e.value as Record<string, unknown>);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** What the plugin-SDK compliance kit needs to run against one WLFW plugin. */
export interface WlfwComplianceFixture {
  readonly plugin: Plugin;
  /** The family's simulator profiles and the chip the attached devices are. */
  readonly profiles: Readonly<Record<string, SimChipProfile>>;
  readonly chip: string;
  /** Plugin config beyond firmwareDir and the short timeouts. */
  readonly config?: Record<string, unknown>;
}

/** Runs the plugin-SDK compliance kit against a WLFW plugin with simulated cards. */
export function describeWlfwCompliance(fixture: WlfwComplianceFixture): void {
  const name = fixture.plugin.manifest.name;
  let cleanup: (() => Promise<void>) | undefined;
  let n = 0;
  describePluginCompliance(name, {
    async create() {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), `qrtrd-${name}-compliance-`));
      const router = new Router();
      const ns = new NameService(router);
      const config = { [name]: { firmwareDir: dir, requestTimeoutMs: 1000, indicationTimeoutMs: 1000, ...fixture.config } };
      const host = new PluginHost({ router, config });
      host.add(fixture.plugin);
      cleanup = async () => {
        await host.stopAll();
        ns.close();
        router.shutdown();
        await fs.rm(dir, { recursive: true, force: true });
      };
      return {
        host,
        router,
        pluginName: name,
        async attachDevice() {
          const spec = { chip: fixture.chip, pciAddress: `0000:1${n++ % 10}:00.0`, boardId: 1 };
          const card = createSimulatedCardFrom(fixture.profiles, spec);
          await writeSimulatedFirmwareDirFrom(fixture.profiles, dir, [spec]);
          await card.attach(router);
          return { detach: () => card.detach() };
        },
        settle: () => new Promise((r) => setTimeout(r, 80)),
      };
    },
    async teardown() {
      await cleanup?.();
    },
  });
}
