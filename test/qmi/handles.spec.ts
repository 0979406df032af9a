import { expect } from 'chai';
import { firstValueFrom, take, toArray } from 'rxjs';
import { createMemoryLink, Router } from '../../src/router';
import { NameService } from '../../src/ns';
import { QmiClient, QmiService, qmiIndication, qmiRequest, qmiResponse, qmiResultField, req, u32, opt, u8, qmiTest } from '../../src/qmi';
import { createHost } from '../helpers/host';
import { settle } from '../helpers/raw-peer';

const { test_ping_req, test_ping_resp, test_data_req, test_data_resp } = qmiTest;

const slowReq = qmiRequest('slow_req', 0x30, { delay: req(0x01, u32) });
const slowResp = qmiResponse('slow_resp', 0x30, { resp: qmiResultField, echoed: opt(0x10, u32) });
const tickInd = qmiIndication('tick_ind', 0x31, { seq: req(0x01, u32) });
const unknownReq = qmiRequest('unknown_req', 0x99, {});
const unknownResp = qmiResponse('unknown_resp', 0x99, { resp: qmiResultField });
const badReq = qmiRequest('bad_req', 0x20, { junk: req(0x05, u8) }); // not what test_ping_req expects

/** A simulated device: its own router at node 7 (or `node`) behind a memory link, serving test service 15. */
async function device(host: Router, key: string, options: { instance?: number; tag?: number; node?: number } = {}) {
  const router = new Router({ localNode: options.node ?? 7 });
  new NameService(router);
  const [near, far] = createMemoryLink({ kind: 'mhi', key }, { kind: 'memory', key: 'host' });
  const attached = host.attach(near);
  router.attach(far);
  const service = await QmiService.start(router, { service: 15, version: 1, instance: options.instance ?? 0 }, (service) =>
    service
    .handle(test_ping_req, test_ping_resp, (request) => ({ pong: new Uint8Array([options.tag ?? 0, request.ping[1], request.ping[2], request.ping[3]]) }))
    .handle(test_data_req, test_data_resp, (request) => ({ data: request.data }))
    .handle(slowReq, slowResp, async (request) => {
      await new Promise((r) => setTimeout(r, request.delay));
      return { echoed: request.delay };
    }),
  );
  return { router, service, id: attached.id, detach: () => attached.detach() };
}

describe('QmiClient and QmiService', () => {
  it('should find the service through the name service and complete a request/response', async () => {
    const { router } = createHost();
    await device(router, 'card0', { tag: 9 });
    const client = await QmiClient.open(router, { service: 15, version: 1 });
    const resp = await client.request(test_ping_req, test_ping_resp, { ping: new Uint8Array([1, 2, 3, 4]) });
    expect(Array.from(resp.pong!)).to.deep.equal([9, 2, 3, 4]);
    expect(resp.resp).to.deep.equal({ result: 0, error: 0 });
    router.shutdown();
  });

  it('should carry 1000 parallel requests with distinct transactions through flow control', async () => {
    const { router } = createHost();
    await device(router, 'card0');
    const client = await QmiClient.open(router, { service: 15 });
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        client.request(test_data_req, test_data_resp, { data: new Uint8Array([i & 0xff, i >> 8]) }).then((r) => r.data![0] | (r.data![1] << 8)),
      ),
    );
    expect(results).to.deep.equal(Array.from({ length: 1000 }, (_, i) => i));
    expect(client.stats()).to.include({ requests: 1000, responses: 1000, discarded: 0 });
    router.shutdown();
  });

  it('should time out with QMI_TIMEOUT and cancel with QMI_ABORTED, leaving no transaction behind', async () => {
    const { router } = createHost();
    await device(router, 'card0');
    const client = await QmiClient.open(router, { service: 15 });
    const timedOut = await client.request(slowReq, slowResp, { delay: 200 }, { timeout: 20 }).catch((e: { code: string }) => e.code);
    expect(timedOut).to.equal('QMI_TIMEOUT');
    const controller = new AbortController();
    const cancelled = client.request(slowReq, slowResp, { delay: 200 }, { signal: controller.signal }).catch((e: { code: string }) => e.code);
    controller.abort();
    expect(await cancelled).to.equal('QMI_ABORTED');
    await new Promise((r) => setTimeout(r, 250));
    expect(client.stats().discarded).to.equal(2, 'the late responses matched no transaction');
    router.shutdown();
  });

  it('should wait for a server that appears after the request was made', async () => {
    const { router } = createHost();
    const client = await QmiClient.open(router, { service: 15 });
    const pending = client.request(test_ping_req, test_ping_resp, { ping: new Uint8Array(4) }, { timeout: 2000 });
    await settle();
    await device(router, 'late');
    expect((await pending).resp.result).to.equal(0);
    const err = await (await QmiClient.open(router, { service: 16 })).waitForServer(20).catch((e: { code: string }) => e.code);
    expect(err).to.equal('QMI_SERVICE_UNAVAILABLE');
    router.shutdown();
  });

  it('should deliver indications as a stream', async () => {
    const { router } = createHost();
    const dev = await device(router, 'card0');
    const client = await QmiClient.open(router, { service: 15 });
    await client.request(test_ping_req, test_ping_resp, { ping: new Uint8Array(4) }); // the service learns its client
    const ticks = firstValueFrom(client.indications$(tickInd).pipe(take(3), toArray()));
    for (let seq = 1; seq <= 3; seq++) await dev.service.indicate(tickInd, { seq });
    expect((await ticks).map((t) => t.seq)).to.deep.equal([1, 2, 3]);
    router.shutdown();
  });

  it('should answer unknown message ids with INVALID_QMI_COMMAND and malformed requests with MALFORMED_MSG', async () => {
    const { router } = createHost();
    const dev = await device(router, 'card0');
    const client = await QmiClient.open(router, { service: 15 });
    const unknown = await client.request(unknownReq, unknownResp, {}).catch((e: { code: string; errorName: string }) => e);
    expect(unknown).to.include({ code: 'QMI_RESULT_ERROR', errorName: 'INVALID_QMI_COMMAND' });
    const malformed = await client.request(badReq, test_ping_resp, { junk: 1 }).catch((e: { code: string; errorName: string }) => e);
    expect(malformed).to.include({ code: 'QMI_RESULT_ERROR', errorName: 'MALFORMED_MSG' });
    expect(dev.service.stats()).to.include({ unknown: 1, malformed: 1 });
    router.shutdown();
  });

  it('should fail pending requests with QMI_SERVICE_LOST when the device goes away, then find the restarted service', async () => {
    const { router } = createHost();
    const reservation = router.reserveEndpoint({ kind: 'mhi', key: 'card0' }, 'test');
    const dev = await device(router, 'card0');
    const client = await QmiClient.open(router, { service: 15, endpoint: reservation.id });
    await client.waitForServer(1000);
    const pending = client.request(slowReq, slowResp, { delay: 500 }).catch((e: { code: string }) => e.code);
    await settle();
    dev.detach();
    expect(await pending).to.equal('QMI_SERVICE_LOST');
    expect(client.server).to.equal(undefined);
    await device(router, 'card0', { tag: 5 });
    const resp = await client.request(test_ping_req, test_ping_resp, { ping: new Uint8Array(4) }, { timeout: 2000 });
    expect(resp.pong![0]).to.equal(5);
    router.shutdown();
  });

  it('should keep two identical services on two endpoints apart for clients bound to each (no cross-talk)', async () => {
    const { router } = createHost();
    const a = await device(router, 'card-a', { tag: 0xa });
    const b = await device(router, 'card-b', { tag: 0xb });
    const ca = await QmiClient.open(router, { service: 15, endpoint: a.id });
    const cb = await QmiClient.open(router, { service: 15, endpoint: b.id });
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? cb : ca).request(test_ping_req, test_ping_resp, { ping: new Uint8Array(4) }).then((r) => [i % 2, r.pong![0]])),
    );
    for (const [which, tag] of answers) expect(tag).to.equal(which ? 0xb : 0xa);
    expect(ca.server!.endpoint).to.equal(a.id);
    expect(cb.server!.endpoint).to.equal(b.id);
    expect(ca.stats().discarded + cb.stats().discarded).to.equal(0);
    router.shutdown();
  });

  it('should use only servers on the node it was opened for (no endpoint IDs needed)', async () => {
    const { router } = createHost();
    await device(router, 'card-a', { tag: 0xa, node: 7 });
    await device(router, 'card-b', { tag: 0xb, node: 8 });
    const ca = await QmiClient.open(router, { service: 15, node: 7 });
    const cb = await QmiClient.open(router, { service: 15, node: 8 });
    for (const [client, tag] of [[ca, 0xa], [cb, 0xb], [ca, 0xa]] as const) {
      expect((await client.request(test_ping_req, test_ping_resp, { ping: new Uint8Array(4) })).pong![0]).to.equal(tag);
    }
    expect([ca.server!.node, cb.server!.node]).to.deep.equal([7, 8]);
    const none = await QmiClient.open(router, { service: 15, node: 9 });
    const err = await none.request(test_ping_req, test_ping_resp, { ping: new Uint8Array(4) }, { timeout: 50 }).catch((e: { code: string }) => e);
    expect((err as { code: string }).code).to.match(/^QMI_/);
    expect(err).to.have.property('message').that.includes('node 9');
    for (const c of [ca, cb, none]) c.close();
    router.shutdown();
  });

  it('should free per-client state when the client goes away (DEL_CLIENT)', async () => {
    const { router } = createHost();
    const dev = await device(router, 'card0');
    const client = await QmiClient.open(router, { service: 15 });
    await client.request(test_ping_req, test_ping_resp, { ping: new Uint8Array(4) });
    expect(dev.service.stats().clients).to.equal(1);
    const gone = firstValueFrom(dev.service.clientGone$);
    client.close();
    expect((await gone).port).to.equal(client.address.port);
    expect(dev.service.stats().clients).to.equal(0);
    router.shutdown();
  });

  it('should never reuse an in-flight transaction id across the 16-bit wrap', async function () {
    this.timeout(30000);
    const { router } = createHost();
    await device(router, 'card0');
    const client = await QmiClient.open(router, { service: 15 });
    const held = client.request(slowReq, slowResp, { delay: 3000 }, { timeout: 20000 });
    for (let batch = 0; batch < 66; batch++) {
      await Promise.all(Array.from({ length: 1000 }, () => client.request(test_ping_req, test_ping_resp, { ping: new Uint8Array(4) })));
    }
    expect((await held).echoed).to.equal(3000);
    expect(client.stats().discarded).to.equal(0);
    router.shutdown();
  });
});
