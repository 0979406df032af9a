import { expect } from 'chai';
import fc from 'fast-check';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';
import { DEFAULT_ROUTER_OPTIONS, QrtrWouldBlockError, type RouterOptions } from './imports';

function limits(overrides: Partial<RouterOptions['limits']>): Partial<RouterOptions> {
  return { limits: { ...DEFAULT_ROUTER_OPTIONS.limits, ...overrides } };
}

describe('Router: socket receive queues bounded in bytes and datagrams (issue #18 item 5)', () => {
  it('should have a byte bound by default, and keep the datagram bound', () => {
    expect(DEFAULT_ROUTER_OPTIONS.limits.socketQueueBytes).to.be.a('number').and.be.within(64 * 1024, 16 * 1024 * 1024);
    expect(DEFAULT_ROUTER_OPTIONS.limits.socketQueueLength).to.equal(4096);
  });

  it('should stop queuing at the byte bound for a reader that never reads, counting the drops on the socket and on the sending endpoint', async () => {
    const { router } = createHost(limits({ socketQueueBytes: 4096 }));
    const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
    const socket = router.openSocketSync();
    for (let i = 0; i < 100; i++) card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array(1000).fill(i));
    await settle();
    const stats = router.sockets().find((s) => s.port === socket.address.port)!;
    expect(stats).to.deep.include({ queued: 4, queuedBytes: 4000, received: 4, receivedBytes: 4000, droppedBytes: 96_000 });
    expect(stats.dropped).to.deep.equal({ queueFull: 0, queueBytesFull: 96, endpointFiltered: 0 });
    expect(router.endpoints()[0].counters.dropped.queueFull).to.equal(96);
    // The oldest are kept, in order; room frees as the reader takes them.
    expect((await socket.receive()).data[0]).to.equal(0);
    card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array(1000).fill(200));
    await settle();
    expect(socket.stats().queuedBytes).to.equal(4000);
    const rest = [];
    for (let i = 0; i < 4; i++) rest.push((await socket.receive()).data[0]);
    expect(rest).to.deep.equal([1, 2, 3, 200]);
    router.shutdown();
  });

  it('should take one datagram larger than the byte bound into an empty queue, so a small bound cannot wedge the socket', async () => {
    const { router } = createHost(limits({ socketQueueBytes: 100 }));
    const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
    const socket = router.openSocketSync();
    card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array(5000));
    card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array(10));
    await settle();
    expect(socket.stats()).to.deep.include({ queued: 1, queuedBytes: 5000 });
    expect(socket.stats().dropped.queueBytesFull).to.equal(1);
    expect((await socket.receive()).data.length).to.equal(5000);
    router.shutdown();
  });

  it('should count the datagram bound apart from the byte bound', async () => {
    const { router } = createHost(limits({ socketQueueLength: 3 }));
    const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
    const socket = router.openSocketSync();
    for (let i = 0; i < 5; i++) card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([i]));
    await settle();
    expect(socket.stats().dropped).to.deep.equal({ queueFull: 2, queueBytesFull: 0, endpointFiltered: 0 });
    expect(socket.stats().queued).to.equal(3);
    router.shutdown();
  });

  it('should refuse a local sender at the byte bound with QrtrWouldBlockError and count it on the receiving socket', async () => {
    const { router } = createHost(limits({ socketQueueBytes: 2048 }));
    const receiver = router.openSocketSync();
    const sender = await router.openSocket();
    await sender.send(receiver.address, new Uint8Array(2000));
    let refused: unknown;
    await sender.send(receiver.address, new Uint8Array(100)).catch((err) => (refused = err));
    expect(refused).to.be.instanceOf(QrtrWouldBlockError);
    expect(receiver.stats().dropped.queueBytesFull).to.equal(1);
    expect(receiver.stats().droppedBytes).to.equal(100);
    router.shutdown();
  });

  it('should answer a dropped confirm_rx datagram with RESUME_TX, so the sender is not left stuck', async () => {
    const { router } = createHost(limits({ socketQueueBytes: 100 }));
    const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
    const socket = router.openSocketSync();
    card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array(100));
    card.send({ srcPort: 1, dstPort: socket.address.port, confirmRx: true }, new Uint8Array(100));
    await settle();
    expect(socket.stats().dropped.queueBytesFull).to.equal(1);
    expect(card.controls().filter((c) => c.type === 7 /* RESUME_TX */)).to.have.length(1);
    router.shutdown();
  });

  it('should never hold more than the byte bound (beyond one datagram) whatever sizes arrive and however rarely the reader reads; counters add up (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20_000 }),
        fc.array(fc.record({ size: fc.integer({ min: 1, max: 8192 }), read: fc.boolean(), settle: fc.boolean() }), { minLength: 1, maxLength: 80 }),
        async (bound, steps) => {
          const { router } = createHost(limits({ socketQueueBytes: bound }));
          const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
          const socket = router.openSocketSync();
          let sentBytes = 0;
          let read = 0;
          let readBytes = 0;
          const check = () => {
            const s = socket.stats();
            if (s.queued > 1) expect(s.queuedBytes).to.be.at.most(bound);
          };
          for (const step of steps) {
            card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array(step.size));
            sentBytes += step.size;
            if (step.settle) {
              await settle();
              check();
            }
            // The slow reader: takes one datagram now and then, never keeps up.
            const m = step.read ? socket.tryReceive() : undefined;
            if (m) {
              read++;
              readBytes += m.data.length;
            }
          }
          await settle();
          check();
          const s = socket.stats();
          const dropped = s.dropped.queueBytesFull + s.dropped.queueFull;
          expect(s.received + dropped).to.equal(steps.length);
          expect(s.receivedBytes + s.droppedBytes).to.equal(sentBytes);
          expect(s.queued).to.equal(s.received - read);
          expect(s.queuedBytes).to.equal(s.receivedBytes - readBytes);
          expect(router.endpoints()[0].counters.dropped.queueFull).to.equal(dropped);
          router.shutdown();
        },
      ),
      { numRuns: 60 },
    );
  });
});
