import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'chai';
import { map } from 'rxjs';
import { NO_ENDPOINT_ID, type QrtrMessage, type QrtrSocket, type QrtrSocketProvider } from '../../../src/sdk';
import { NameService, PluginHost, Router, recordingLogger } from '../../../src/testing';
import { plugin, writeSimulatedFirmwareDir } from '../index';
import { SimulatedCard } from '../sim';
import { ATH11K_SIM_PROFILES } from '../sim/profiles';
import { sha256, simulatedFiles } from '../../wlfw/sim';
import { WLFW_LOADER_LIFECYCLE, type WlfwLoaderLifecycle } from '../../wlfw/src';

/**
 * What qrtrd's plugins see in kernel mode on a mainline kernel: the same sockets, but
 * every datagram and every name-service notification carries endpoint 0, and binding to
 * an endpoint is not possible. Wraps the in-process router's sockets.
 */
function withoutEndpointIds(router: Router): QrtrSocketProvider {
  const strip = (m: QrtrMessage): QrtrMessage => ({ from: m.from, data: m.data, endpoint: NO_ENDPOINT_ID });
  const wrap = (socket: QrtrSocket): QrtrSocket => {
    const messages$ = socket.messages$.pipe(map(strip));
    return Object.assign(Object.create(socket) as QrtrSocket, {
      messages$,
      bindEndpoint(): void {
        throw new Error('no endpoint IDs on this kernel');
      },
      // As the kernel provider does on mainline: an endpoint to send through is an error.
      send: (...[to, data, options]: Parameters<QrtrSocket['send']>) =>
        options?.endpoint ? Promise.reject(new Error('no endpoint IDs on this kernel')) : socket.send(to, data, options),
      receive: async (options?: { signal?: AbortSignal }) => strip(await socket.receive(options)),
    });
  };
  return { localNode: router.localNode, openSocket: async (options) => wrap(await router.openSocket(options)) };
}

describe('ath11k without endpoint IDs (kernel mode on a mainline kernel)', function () {
  this.timeout(20_000);
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('should drive identical cards that have distinct node ids as separate cards, keyed by node', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'qrtrd-ath-'));
    const router = new Router();
    const ns = new NameService(router);
    const logger = recordingLogger();
    const host = new PluginHost({
      router,
      provider: withoutEndpointIds(router),
      logger,
      // Without a backend key the node a card presents selects its identity: the PCI ids that tell the family
      // (instance 7 is QCN9074 or QCN9274) and the address (its caldata, cal-pci-<address>.bin).
      config: {
        ath11k: {
          firmwareDir: dir,
          requestTimeoutMs: 2000,
          indicationTimeoutMs: 2000,
          retryDelayMs: 20,
          identities: [7, 8].map((node, i) => ({ node, bus: 'pci', address: `0000:0${i + 1}:00.0`, compatible: 'qcom,wcn6750-wifi' })),
        },
      },
    });
    host.add(plugin);
    // Two WCN6750 cards (fixed firmware memory: no RESPOND_MEM/M3 buffer, which a kernel-mode
    // socket could not lend; a QCN9074 here fails DEVICE_MEMORY_UNAVAILABLE), same instance; firmware at nodes 7 and 8 (as the TUN bridge's
    // node translation presents two identical cards to the kernel).
    const cards = [7, 8].map(
      (node, i) => new SimulatedCard({ profile: { ...ATH11K_SIM_PROFILES.WCN6750, node }, pciAddress: `0000:0${i + 1}:00.0`, boardId: 0x200 + i }),
    );
    cleanup = async () => {
      await host.stopAll();
      for (const c of cards) c.detach();
      ns.close();
      router.shutdown();
      await fs.rm(dir, { recursive: true, force: true });
    };
    await writeSimulatedFirmwareDir(dir, cards.map((c) => ({ chip: 'WCN6750', pciAddress: c.pciAddress, boardId: c.boardId })));
    await host.start('ath11k');
    for (const card of cards) await card.attach(router);

    const loader = host.containerOf('ath11k').get<WlfwLoaderLifecycle>(WLFW_LOADER_LIFECYCLE).loader!;
    const statuses = await loader.whenReady(['node:7', 'node:8'], 15_000);
    expect(statuses.map((s) => [s.key, s.endpoint, s.node, s.state])).to.deep.equal([
      ['node:7', NO_ENDPOINT_ID, 7, 'ready'],
      ['node:8', NO_ENDPOINT_ID, 8, 'ready'],
    ]);
    for (const card of cards) {
      const expected = simulatedFiles(ATH11K_SIM_PROFILES.WCN6750, card.boardId, 'pci', card.pciAddress);
      expect(card.firmware!.violations, card.key).to.deep.equal([]);
      // Each card got its own board data and caldata: the loader told them apart.
      const p = ATH11K_SIM_PROFILES.WCN6750;
      expect(card.received.map((f) => [f.bdfType, f.fileId, f.sha256]), card.key).to.deep.equal([
        ...(expected.regdb ? [[4, card.boardId, sha256(expected.regdb)]] : []),
        [p.boardElf ? 1 : 0, card.boardId, sha256(expected.board)],
        ...(expected.caldata ? [[2, card.boardId, sha256(expected.caldata)]] : []),
      ]);
    }
  });
});
