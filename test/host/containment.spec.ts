import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContainerModule, injectable } from 'inversify';
import { Subject, config as rxjsConfig } from 'rxjs';
import { PLUGIN_LIFECYCLE, type Plugin, type PluginContext, type PluginLifecycle } from '../../src/sdk';
import { NameService, PluginHost, Router, recordingLogger } from '../../src/testing';
import type { LookupEvent } from '../../src/ns';
import { QmiService, qmiIndication, qmiTest, req, u32 } from '../../src/qmi';

const { test_ping_req, test_ping_resp } = qmiTest;
import { plugin as ath11k, createSimulatedCard, writeSimulatedFirmwareDir } from '../../plugins/ath11k';
import { WLFW_LOADER_LIFECYCLE, type WlfwLoaderLifecycle } from '../../plugins/wlfw/src';
import { createHost, publish } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';

/** A plugin that throws on every event it can be given: hooks, NS lookups, router events, freed reservations. */
function chaosPlugin(): { plugin: Plugin; thrown: () => number } {
  let thrown = 0;
  const boom = (where: string): never => {
    thrown++;
    throw new Error(`chaos in ${where}`);
  };
  @injectable()
  class Chaos implements PluginLifecycle {
    start(ctx: PluginContext): void {
      ctx.names.lookup$({ service: 0 }).subscribe(() => boom('lookup'));
      ctx.router.endpointEvents$.subscribe(() => boom('endpoint events'));
      ctx.router.reservationFreed$.subscribe(() => boom('freed'));
      ctx.router.reserveEndpoint({ kind: 'mhi', key: 'chaos' });
    }
    stop(): void {}
    onEndpointAttached(): void {
      boom('attach hook');
    }
    onEndpointDetached(): void {
      boom('detach hook');
    }
  }
  return {
    plugin: {
      manifest: { name: 'chaos', version: '1.0.0', qmiServices: [], backendKeys: ['*'] },
      module: new ContainerModule((bind) => bind(PLUGIN_LIFECYCLE).to(Chaos).inSingletonScope()),
    },
    thrown: () => thrown,
  };
}

describe('Containment', function () {
  this.timeout(20_000);

  // Anything that escaped a boundary would reach RxJS's unhandled-error path, which
  // mocha reports as a failure of the running test: these tests rely on that.
  before(() => expect(rxjsConfig.onUnhandledError).to.equal(null));

  it('should leave routing, the name service and the other plugins serving when a plugin throws on every event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qrtrd-containment-'));
    const router = new Router();
    const ns = new NameService(router);
    const logger = recordingLogger();
    const host = new PluginHost({ router, logger, config: { ath11k: { firmwareDir: dir, requestTimeoutMs: 2000, indicationTimeoutMs: 2000 } } });
    const chaos = chaosPlugin();
    host.add(chaos.plugin);
    host.add(ath11k);
    try {
      await host.startAll();
      const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 1 });
      await writeSimulatedFirmwareDir(dir, [card]);
      await card.attach(router);
      const loader = host.containerOf('ath11k').get<WlfwLoaderLifecycle>(WLFW_LOADER_LIFECYCLE).loader!;
      const [ready] = await loader.whenReady(['mhi:0000:01:00.0'], 10_000);
      expect(ready.state).to.equal('ready');

      // Routing and the NS, while the chaos plugin keeps being handed events.
      const local = await router.openSocket();
      await publish(local, 15, 1, 0);
      const got: number[] = [];
      local.messages$.subscribe((m) => {
        if (m.from.port !== 0xfffffffe) got.push(m.data[0]);
      });
      for (let i = 0; i < 12; i++) {
        const peer = new RawPeer(router, { kind: 'mhi', key: `peer-${i}` }, 20 + i);
        peer.hello();
        peer.send({ srcPort: 1, dstPort: local.address.port }, new Uint8Array([i]));
        await settle();
        peer.detach();
      }
      await settle();
      expect(got).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
      expect(ns.servers({ service: 15 })).to.have.length(1);

      const status = host.plugins().find((p) => p.name === 'chaos')!;
      expect(status.state).to.equal('failed');
      expect(status.faults).to.equal(10);
      expect(status.failure).to.include({ code: 'UNCAUGHT_Error' });
      expect(chaos.thrown()).to.be.at.least(10);
      expect(router.endpointIds.reservationsHeldBy('chaos'), 'its reservation was released').to.equal(0);
      expect(host.plugins().find((p) => p.name === 'ath11k')!.state).to.equal('started');
      expect(loader.snapshot()[0].state).to.equal('ready');
      const errors = logger.records.filter((r) => r.level === 'error' && r.bindings.plugin === undefined && (r.obj as { plugin?: string }).plugin === 'chaos');
      expect(errors, 'one line per contained fault, none after it failed').to.have.length(10);
      card.detach();
    } finally {
      await host.stopAll();
      ns.close();
      router.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should tell every other NS subscriber when one throws, and count it', async () => {
    const { router, ns } = createHost();
    const seen: string[] = [];
    ns.lookup$({ service: 69 }).subscribe(() => {
      throw new Error('broken subscriber');
    });
    ns.lookup$({ service: 69 }).subscribe((e: LookupEvent) => seen.push(e.type));
    const peer = new RawPeer(router, { kind: 'mhi', key: 'a' }, 7);
    peer.announce(69, 0x101, 4);
    await settle();
    expect(seen).to.deep.equal(['snapshot', 'add']);
    expect(ns.stats().subscriberErrors).to.equal(2);
    router.shutdown();
  });

  it('should drop the packet and detach only the link whose packet made the router throw', async () => {
    const { router } = createHost();
    const broken = new Subject<Uint8Array>();
    router.attach({ backendKey: { kind: 'test', key: 'broken' }, packets$: broken, transmit: () => undefined, close: () => broken.complete() });
    const healthy = new RawPeer(router, { kind: 'mhi', key: 'ok' }, 7);
    const local = await router.openSocket();
    const got: number[] = [];
    local.messages$.subscribe((m) => got.push(m.data[0]));
    broken.next(null as unknown as Uint8Array); // a backend bug: not a buffer
    healthy.send({ srcPort: 1, dstPort: local.address.port }, new Uint8Array([42]));
    await settle();
    expect(router.endpoints().map((e) => e.key.key)).to.deep.equal(['ok']);
    expect(router.droppedTotals().internalError).to.equal(1);
    expect(got).to.deep.equal([42]);
    router.shutdown();
  });

  it("should count a throw in a plugin's QMI indication subscriber as that plugin's fault, and keep its client serving", async () => {
    const { router } = createHost();
    const tick = qmiIndication('tick_ind', 0x31, { seq: req(0x01, u32) });
    const service = await QmiService.start(router, { service: 15, version: 1, instance: 0 }, (svc) => svc.handle(test_ping_req, test_ping_resp, () => ({ pong: new Uint8Array(4) })));
    const seen: number[] = [];
    @injectable()
    class Listener implements PluginLifecycle {
      async start(ctx: PluginContext): Promise<void> {
        const client = await ctx.qmi.openClient({ service: 15 });
        await client.request(test_ping_req, test_ping_resp, { ping: new Uint8Array(4) }); // the service learns its client
        client.indications$(tick).subscribe((v) => {
          seen.push(v.seq);
          if (v.seq % 2 === 0) throw new Error('even ticks are bad');
        });
      }
      stop(): void {}
    }
    const host = new PluginHost({ router, logger: recordingLogger() });
    host.add({
      manifest: { name: 'listener', version: '1.0.0', qmiServices: [{ service: 15, role: 'client' }], backendKeys: [] },
      module: new ContainerModule((bind) => bind(PLUGIN_LIFECYCLE).to(Listener).inSingletonScope()),
    });
    await host.start('listener');
    await settle();
    for (let seq = 1; seq <= 6; seq++) await service.indicate(tick, { seq });
    await settle();
    expect(seen).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(host.plugins()[0]).to.include({ state: 'started', faults: 3 });
    await host.stopAll();
    service.close();
    router.shutdown();
  });
});
