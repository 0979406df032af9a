import { expect } from 'chai';
import type { Router } from '../router/router';
import { validateManifest } from '../sdk/manifest';
import type { PluginHost } from '../host/plugin-host';

/** What a plugin's compliance run needs; build a fresh one per test in `create`. */
export interface PluginComplianceFixture {
  readonly host: PluginHost;
  readonly router: Router;
  /** The plugin under test, already added (not started) to `host`. */
  readonly pluginName: string;
  /** Attaches one device the plugin is meant to drive (a simulated card, a modem). */
  attachDevice(): Promise<{ detach(): void }>;
  /** Waits until the plugin has reacted to what happened (default: 20 ms of turns). */
  settle?(): Promise<void>;
}

export interface PluginComplianceSetup {
  create(): Promise<PluginComplianceFixture>;
  teardown(): Promise<void>;
}

function turns(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Registers the plugin contract's mocha suites: a valid manifest, idempotent start
 * and stop, nothing left behind after stop (reservations, sockets, handles), and
 * endpoint attach/detach hooks that never take the plugin down. Any plugin
 * (in-tree or third-party) runs it from its own spec file.
 */
export function describePluginCompliance(name: string, setup: PluginComplianceSetup): void {
  describe(`${name} plugin compliance`, function () {
    this.timeout(20_000);
    let fx: PluginComplianceFixture;
    const settle = (): Promise<void> => (fx.settle ? fx.settle() : turns(20));
    const held = (): number => fx.router.endpointIds.reservationsHeldBy(fx.pluginName);

    beforeEach(async () => {
      fx = await setup.create();
    });
    afterEach(async () => {
      await setup.teardown();
    });

    it('should declare a valid manifest named like the plugin', () => {
      const status = fx.host.plugins().find((p) => p.name === fx.pluginName);
      expect(status, `plugin ${fx.pluginName} is added to the host`).to.not.equal(undefined);
      const manifest = fx.host.manifestOf(fx.pluginName);
      expect(manifest.name).to.equal(fx.pluginName);
      expect(() => validateManifest(manifest)).to.not.throw();
      expect(manifest.backendKeys.length, 'claims at least one backend key pattern').to.be.greaterThan(0);
    });

    it('should treat a second start as a no-op', async () => {
      const ports = fx.router.portCount;
      await fx.host.start(fx.pluginName);
      await settle();
      const afterOne = { ports: fx.router.portCount - ports, reservations: held() };
      await fx.host.start(fx.pluginName);
      await settle();
      expect({ ports: fx.router.portCount - ports, reservations: held() }).to.deep.equal(afterOne);
      expect(fx.host.plugins().find((p) => p.name === fx.pluginName)!.state).to.equal('started');
    });

    it('should release every reservation, socket and handle on stop, and tolerate a second stop', async () => {
      const ports = fx.router.portCount;
      await fx.host.start(fx.pluginName);
      const device = await fx.attachDevice();
      await settle();
      const leaks = await fx.host.stop(fx.pluginName);
      expect(leaks, 'resources the plugin itself failed to release').to.deep.equal({ reservations: 0, clients: 0, services: 0 });
      expect(held(), 'reservations still owned by the plugin').to.equal(0);
      expect(fx.router.portCount, 'sockets still bound').to.equal(ports);
      expect(await fx.host.stop(fx.pluginName)).to.deep.equal({ reservations: 0, clients: 0, services: 0 });
      device.detach();
    });

    it('should survive endpoints attaching and detaching repeatedly and still stop cleanly', async () => {
      await fx.host.start(fx.pluginName);
      for (let i = 0; i < 3; i++) {
        const device = await fx.attachDevice();
        await settle();
        device.detach();
        await settle();
      }
      expect(fx.host.plugins().find((p) => p.name === fx.pluginName)!.state).to.equal('started');
      expect(await fx.host.stop(fx.pluginName)).to.deep.equal({ reservations: 0, clients: 0, services: 0 });
    });

    it('should start again after stop', async () => {
      await fx.host.start(fx.pluginName);
      await fx.host.stop(fx.pluginName);
      await fx.host.start(fx.pluginName);
      const device = await fx.attachDevice();
      await settle();
      expect(fx.host.plugins().find((p) => p.name === fx.pluginName)!.state).to.equal('started');
      expect(await fx.host.stop(fx.pluginName)).to.deep.equal({ reservations: 0, clients: 0, services: 0 });
      device.detach();
    });
  });
}
