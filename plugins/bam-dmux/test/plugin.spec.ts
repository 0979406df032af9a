import { expect } from 'chai';
import { describePluginCompliance } from '../../../src/testing/compliance';
import { NameService, PluginHost, Router, createMemoryLink } from '../../../src/testing';
import { plugin, BAM_DMUX_LIFECYCLE, type BamDmuxLifecycle } from '../index';

let cleanup: (() => Promise<void>) | undefined;
let n = 0;

function setup(config: Record<string, unknown>) {
  const router = new Router();
  const ns = new NameService(router);
  const host = new PluginHost({ router, config: { 'bam-dmux': config } });
  host.add(plugin);
  cleanup = async () => {
    await host.stopAll();
    ns.close();
    router.shutdown();
  };
  return { router, host };
}

describePluginCompliance('bam-dmux', {
  async create() {
    const { router, host } = setup({ modems: [{ rpmsgDevice: 'modem-a', transport: 'simulated', muxIds: [1, 2] }] });
    return {
      host,
      router,
      pluginName: 'bam-dmux',
      async attachDevice() {
        const [near] = createMemoryLink({ kind: 'rpmsg', key: `modem-${n++}` });
        const attached = router.attach(near);
        return { detach: () => attached.detach() };
      },
    };
  },
  async teardown() {
    await cleanup?.();
  },
});

describe('bam-dmux plugin', () => {
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('should bind each modem data plane to the endpoint ID its rpmsg device gets when it attaches', async () => {
    const { router, host } = setup({
      modems: [
        { rpmsgDevice: 'modem-a', transport: 'simulated' },
        { rpmsgDevice: 'modem-b', transport: 'simulated' },
      ],
    });
    await host.startAll();
    const lifecycle = host.containerOf('bam-dmux').get<BamDmuxLifecycle>(BAM_DMUX_LIFECYCLE);
    const [b] = createMemoryLink({ kind: 'rpmsg', key: 'modem-b' });
    const [a] = createMemoryLink({ kind: 'rpmsg', key: 'modem-a' });
    const ids = { b: router.attach(b).id, a: router.attach(a).id };
    const status = lifecycle.snapshot();
    expect(status.map((s) => [s.key, s.endpoint, s.stats.dmux.endpointId])).to.deep.equal([
      ['rpmsg:modem-a', ids.a, ids.a],
      ['rpmsg:modem-b', ids.b, ids.b],
    ]);
  });

  it('should refuse a transport that does not exist with a typed configuration error', async () => {
    const { host } = setup({ modems: [{ rpmsgDevice: 'modem-a', transport: 'bam-pipes' }] });
    const err = await host.startAll().catch((e: { code: string }) => e);
    expect(JSON.stringify(err)).to.match(/PLUGIN_(CONFIG|START)/);
  });
});
