import { describePluginCompliance } from '../../../src/sdk/compliance';
import { NameService, PluginHost, Router } from '../../../src/sdk';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir } from '../index';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

let cleanup: (() => Promise<void>) | undefined;
let n = 0;

describePluginCompliance('ath11k', {
  async create() {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qrtrd-ath11k-compliance-'));
    const router = new Router();
    const ns = new NameService(router);
    const host = new PluginHost({ router, nameService: ns, config: { ath11k: { firmwareDir: dir, cards: ['mhi:0000:0f:00.0'], requestTimeoutMs: 1000, indicationTimeoutMs: 1000 } } });
    host.add(plugin);
    cleanup = async () => {
      await host.stopAll();
      ns.close();
      router.shutdown();
      await fs.rm(dir, { recursive: true, force: true });
    };
    return {
      host,
      router,
      pluginName: 'ath11k',
      async attachDevice() {
        const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: `0000:1${n++ % 10}:00.0`, boardId: 1 });
        await writeSimulatedFirmwareDir(dir, [card]);
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
