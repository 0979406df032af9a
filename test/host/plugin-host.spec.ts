import { expect } from 'chai';
import * as path from 'node:path';
import { ContainerModule, injectable } from 'inversify';
import { PLUGIN_LIFECYCLE, type Plugin, type PluginContext, type PluginEndpoint, type PluginLifecycle, type PluginManifest } from '../../src/sdk';
import { NameService, PluginHost, Router, createMemoryLink, recordingLogger } from '../../src/testing';

const manifest = (over: Partial<PluginManifest> = {}): PluginManifest => ({
  name: 'probe',
  version: '1.0.0',
  qmiServices: [{ service: 15, role: 'client' }],
  backendKeys: ['mhi:*'],
  ...over,
});

/** A plugin whose behaviour each test scripts. */
function scripted(behaviour: Partial<PluginLifecycle> & { leak?: boolean }, over: Partial<PluginManifest> = {}): { plugin: Plugin; seen: string[]; ctx: () => PluginContext } {
  const seen: string[] = [];
  let context: PluginContext | undefined;
  @injectable()
  class Lifecycle implements PluginLifecycle {
    private release: (() => void) | undefined;
    private close: (() => void) | undefined;
    async start(ctx: PluginContext): Promise<void> {
      context = ctx;
      seen.push('start');
      if (behaviour.start) await behaviour.start(ctx);
      if (behaviour.leak !== undefined) {
        const r = ctx.router.reserveEndpoint({ kind: 'mhi', key: '0000:09:00.0' });
        const c = await ctx.qmi.openClient({ service: 15, endpoint: r.id });
        this.release = () => r.release();
        this.close = () => c.close();
      }
    }
    stop(): void {
      seen.push('stop');
      if (behaviour.leak === false) {
        this.release?.();
        this.close?.();
      }
    }
    onEndpointAttached(ep: PluginEndpoint): void {
      seen.push(`attached ${ep.key.kind}:${ep.key.key}`);
      behaviour.onEndpointAttached?.(ep);
    }
    onEndpointDetached(ep: PluginEndpoint): void {
      seen.push(`detached ${ep.key.kind}:${ep.key.key}`);
    }
  }
  return {
    plugin: { manifest: manifest(over), module: new ContainerModule((bind) => bind(PLUGIN_LIFECYCLE).to(Lifecycle).inSingletonScope()) },
    seen,
    ctx: () => context!,
  };
}

function world() {
  const router = new Router();
  const ns = new NameService(router);
  const logger = recordingLogger();
  const host = new PluginHost({ router, logger });
  return { router, ns, host, logger, close: () => router.shutdown() };
}

function link(router: Router, kind: string, key: string) {
  const [near] = createMemoryLink({ kind, key });
  return router.attach(near);
}

describe('PluginHost', () => {
  describe('static .resolvePlugin', () => {
    it('should load a plugin from its module path at run time', () => {
      const plugin = PluginHost.resolvePlugin('../../plugins/ath11k', __dirname);
      expect(plugin.manifest).to.include({ name: 'ath11k' });
      expect(plugin.manifest.qmiServices[0]).to.deep.include({ service: 0x45, role: 'client' });
    });

    it('should fail with PLUGIN_LOAD_FAILED listing the attempted paths for a missing module', () => {
      const err = (() => {
        try {
          PluginHost.resolvePlugin('./no-such-plugin', __dirname);
        } catch (e) {
          return e as { code: string; details: { attempted: string[] } };
        }
      })()!;
      expect(err.code).to.equal('PLUGIN_LOAD_FAILED');
      expect(err.details.attempted).to.deep.equal([path.join(__dirname, 'no-such-plugin')]);
    });

    it('should fail with PLUGIN_LOAD_FAILED for a module without a `plugin` export', () => {
      expect(() => PluginHost.resolvePlugin('../../src/sdk/errors', __dirname)).to.throw().with.property('code', 'PLUGIN_LOAD_FAILED');
    });
  });

  describe('#add', () => {
    it('should reject an invalid manifest naming the field, and a duplicate name', () => {
      const { host, close } = world();
      expect(() => host.add(scripted({}, { version: 'one' }).plugin)).to.throw().that.deep.include({ code: 'PLUGIN_MANIFEST_INVALID' }).with.nested.property('details.field', 'version');
      expect(() => host.add(scripted({}, { backendKeys: ['mhi'] }).plugin)).to.throw().with.nested.property('details.field', 'backendKeys');
      host.add(scripted({}).plugin);
      expect(() => host.add(scripted({}).plugin)).to.throw().with.property('code', 'PLUGIN_DUPLICATE');
      expect(() => host.containerOf('nope')).to.throw().with.property('code', 'PLUGIN_NOT_FOUND');
      close();
    });
  });

  describe('#start and #stop', () => {
    it('should wrap a failing start in PLUGIN_START_FAILED, mark the plugin failed and release what it took', async () => {
      const { router, host, close } = world();
      const s = scripted({
        start: (ctx) => {
          ctx.router.reserveEndpoint({ kind: 'mhi', key: '0000:01:00.0' });
          throw new Error('boom');
        },
      });
      host.add(s.plugin);
      const err = await host.start('probe').catch((e: { code: string }) => e);
      expect(err).to.have.property('code', 'PLUGIN_START_FAILED');
      expect(host.plugins()[0].state).to.equal('failed');
      expect(router.endpointIds.reservationsHeldBy('probe')).to.equal(0);
      expect(host.leaksOf('probe')).to.deep.equal({ reservations: 1, clients: 0, services: 0 });
      close();
    });

    it('should report what a plugin leaked on stop and release it', async () => {
      const { router, host, logger, close } = world();
      host.add(scripted({ leak: true }).plugin);
      const ports = router.portCount;
      await host.start('probe');
      expect(router.endpointIds.reservationsHeldBy('probe')).to.equal(1);
      expect(await host.stop('probe')).to.deep.equal({ reservations: 1, clients: 1, services: 0 });
      expect(router.endpointIds.reservationsHeldBy('probe')).to.equal(0);
      expect(router.portCount).to.equal(ports);
      expect(logger.records.some((r) => r.level === 'warn')).to.equal(true);
      close();
    });

    it('should report nothing when the plugin releases everything itself', async () => {
      const { host, close } = world();
      host.add(scripted({ leak: false }).plugin);
      await host.start('probe');
      expect(await host.stop('probe')).to.deep.equal({ reservations: 0, clients: 0, services: 0 });
      close();
    });

    it('should refuse context use after stop with PLUGIN_STOPPED', async () => {
      const { host, close } = world();
      const s = scripted({});
      host.add(s.plugin);
      await host.start('probe');
      const ctx = s.ctx();
      await host.stop('probe');
      expect(ctx.signal.aborted).to.equal(true);
      expect(() => ctx.router.reserveEndpoint({ kind: 'mhi', key: 'x' })).to.throw().with.property('code', 'PLUGIN_STOPPED');
      expect(await ctx.qmi.openClient({ service: 15 }).catch((e: { code: string }) => e.code)).to.equal('PLUGIN_STOPPED');
      close();
    });

    it('should reject a bad config section with PLUGIN_CONFIG_INVALID naming the key', async () => {
      const router = new Router();
      new NameService(router);
      const host = new PluginHost({ router, config: { ath11k: { dmaChunkLimit: -1 } } });
      host.add(PluginHost.resolvePlugin('../../plugins/ath11k', __dirname));
      const err = await host.start('ath11k').catch((e: { code: string; details: { key: string } }) => e);
      expect(err).to.have.property('code', 'PLUGIN_CONFIG_INVALID');
      expect(err).to.have.nested.property('details.key', 'dmaChunkLimit');
      router.shutdown();
    });
  });

  describe('endpoint hooks', () => {
    it('should replay attached endpoints at start, forward matching events only, and survive a throwing hook', async () => {
      const { router, host, logger, close } = world();
      const s = scripted({
        onEndpointAttached: (ep) => {
          if (ep.key.key === 'bad') throw new Error('hook failure');
        },
      });
      host.add(s.plugin);
      const early = link(router, 'mhi', 'early');
      await host.start('probe');
      link(router, 'rpmsg', 'ignored');
      link(router, 'mhi', 'bad');
      early.detach();
      const late = link(router, 'mhi', 'late');
      await host.stop('probe');
      link(router, 'mhi', 'after-stop');
      late.detach();
      expect(s.seen).to.deep.equal(['start', 'attached mhi:early', 'attached mhi:bad', 'detached mhi:early', 'attached mhi:late', 'stop']);
      expect(logger.records.some((r) => r.level === 'error' && (r.obj as { code?: string }).code === 'UNCAUGHT_Error' && /plugin probe threw/.test(String(r.msg)))).to.equal(true);
      close();
    });
  });
});
