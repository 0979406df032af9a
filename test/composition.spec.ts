import 'reflect-metadata';
import { expect } from 'chai';
import { Container } from 'inversify';
import { BACKEND_CONTRIBUTION, ROUTER_OPTIONS, Router, createMemoryLink, getContributions, routerModule, type BackendContribution } from '../src/router';
import { NameService, nameServiceModule } from '../src/ns';
import { QmiService } from '../src/qmi';
import { settle } from './helpers/raw-peer';

describe('inversify composition', () => {
  it('should compose one ContainerModule per package and start backends contributed by other modules', async () => {
    const container = new Container();
    container.bind(ROUTER_OPTIONS).toConstantValue({ localNode: 3 });
    container.load(routerModule, nameServiceModule);
    expect(getContributions<BackendContribution>(container, BACKEND_CONTRIBUTION)).to.deep.equal([]);
    const started: string[] = [];
    class MemoryBackend implements BackendContribution {
      readonly kind = 'memory';
      start(router: Router): void {
        const [near] = createMemoryLink({ kind: 'memory', key: 'x' });
        router.attach(near);
        started.push(this.kind);
      }
      stop(): void {}
    }
    container.bind(BACKEND_CONTRIBUTION).toConstantValue(new MemoryBackend());
    const router = container.get(Router);
    const ns = container.get(NameService);
    for (const backend of getContributions<BackendContribution>(container, BACKEND_CONTRIBUTION)) await backend.start(router);
    expect(started).to.deep.equal(['memory']);
    expect(router.localNode).to.equal(3);
    const service = await QmiService.start(router, { service: 15, version: 1, instance: 0 });
    await settle();
    expect(ns.servers().map((s) => s.port)).to.deep.equal([service.address.port]);
    router.shutdown();
  });
});
