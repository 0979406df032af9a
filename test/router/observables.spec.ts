import { expect } from 'chai';
import { config as rxjsConfig, filter, firstValueFrom, map, take, toArray } from 'rxjs';
import { NameService } from '../../src/ns';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';
import type { PacketTrace, QrtrMessage } from './imports';

/**
 * The RxJS contract of the router's hot streams (socket messages$, router packets$ and
 * drops$), now that they are served by direct sinks instead of Subject: operators,
 * unsubscription, completion and subscriber errors behave as rxjs's own.
 */
describe('Router: RxJS contract of messages$ and packets$ (direct sinks)', () => {
  let previous: typeof rxjsConfig.onUnhandledError;
  let unhandled: unknown[];
  beforeEach(() => {
    previous = rxjsConfig.onUnhandledError;
    unhandled = [];
    rxjsConfig.onUnhandledError = (err) => unhandled.push(err);
  });
  afterEach(() => {
    rxjsConfig.onUnhandledError = previous;
  });

  it('should work with operators: pipe(filter, map, take) completes and leaves the socket', async () => {
    const { router } = createHost();
    const socket = router.openSocketSync();
    const sender = await router.openSocket();
    const result = firstValueFrom(
      socket.messages$.pipe(
        filter((m) => m.data[0] % 2 === 0),
        map((m) => m.data[0]),
        take(2),
        toArray(),
      ),
    );
    for (let i = 0; i < 6; i++) await sender.send(socket.address, new Uint8Array([i]));
    expect(await result).to.deep.equal([0, 2]);
    // take(2) unsubscribed: later datagrams queue instead of going to a dead subscriber.
    expect(socket.stats().queued).to.equal(3);
    router.shutdown();
  });

  it('should stop calling a subscriber that unsubscribes from inside its own next, and keep the others', async () => {
    const { router } = createHost();
    const socket = await router.openSocket();
    const sender = await router.openSocket();
    const first: number[] = [];
    const second: number[] = [];
    const subscription = socket.messages$.subscribe((m) => {
      first.push(m.data[0]);
      subscription.unsubscribe();
    });
    socket.messages$.subscribe((m) => second.push(m.data[0]));
    for (let i = 0; i < 3; i++) await sender.send(socket.address, new Uint8Array([i]));
    expect(first).to.deep.equal([0]);
    expect(second).to.deep.equal([0, 1, 2]);
    expect(subscription.closed).to.equal(true);
    router.shutdown();
  });

  it('should report an error thrown by a subscriber through rxjs config.onUnhandledError, and go on delivering', async () => {
    const { router } = createHost();
    const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
    const socket = await router.openSocket();
    const seen: number[] = [];
    socket.messages$.subscribe(() => {
      throw new Error('subscriber bug');
    });
    socket.messages$.subscribe((m) => seen.push(m.data[0]));
    card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([1]));
    card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([2]));
    await settle();
    expect(seen).to.deep.equal([1, 2]);
    expect(unhandled.map((e) => (e as Error).message)).to.deep.equal(['subscriber bug', 'subscriber bug']);
    expect(router.endpoints()[0].counters.dropped.internalError).to.equal(0);
    router.shutdown();
  });

  it('should complete subscribers on close, complete later ones at once, and call observers with their own this', async () => {
    const { router } = createHost();
    const socket = await router.openSocket();
    const events: string[] = [];
    const observer = {
      tag: 'observer',
      next(this: { tag: string }, m: QrtrMessage) {
        events.push(`${this.tag}:next:${m.data[0]}`);
      },
      complete(this: { tag: string }) {
        events.push(`${this.tag}:complete`);
      },
    };
    socket.messages$.subscribe(observer);
    const sender = await router.openSocket();
    await sender.send(socket.address, new Uint8Array([5]));
    socket.close();
    socket.messages$.subscribe({ complete: () => events.push('late:complete') });
    expect(events).to.deep.equal(['observer:next:5', 'observer:complete', 'late:complete']);
    router.shutdown();
  });

  it('should give packets$ subscribers every rx and tx packet, and complete them on shutdown', async () => {
    const { router } = createHost();
    const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
    await settle();
    const traces: PacketTrace[] = [];
    let completed = false;
    router.packets$.subscribe({ next: (t) => traces.push(t), complete: () => (completed = true) });
    const socket = await router.openSocket();
    card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([1]));
    await settle();
    await socket.send({ node: 7, port: 1 }, new Uint8Array([2]));
    expect(traces.filter((t) => t.direction === 'rx').length).to.be.at.least(1);
    expect(traces.filter((t) => t.direction === 'tx').length).to.be.at.least(1);
    router.shutdown();
    expect(completed).to.equal(true);
  });

  it('should deliver a pending receive() before messages$ subscribers, in order', async () => {
    const { router } = createHost();
    const socket = await router.openSocket();
    const sender = await router.openSocket();
    const seen: number[] = [];
    socket.messages$.subscribe((m) => seen.push(m.data[0]));
    const pending = socket.receive();
    await sender.send(socket.address, new Uint8Array([1]));
    await sender.send(socket.address, new Uint8Array([2]));
    expect((await pending).data[0]).to.equal(1);
    expect(seen).to.deep.equal([2]);
    router.shutdown();
  });

  // A socket with one subscriber and nothing else waiting is served by a direct call
  // (RouterSocket.deliver): the same contract must hold there as with several subscribers.
  describe('with one subscriber (the direct path)', () => {
    it('should report an error thrown by the only subscriber, count the datagram received and go on delivering', async () => {
      const { router } = createHost();
      const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
      const socket = router.openSocketSync();
      const seen: number[] = [];
      socket.messages$.subscribe((m) => {
        seen.push(m.data[0]);
        if (m.data[0] === 1) throw new Error('subscriber bug');
      });
      card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([1]));
      card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([2]));
      await settle();
      expect(seen).to.deep.equal([1, 2]);
      expect(unhandled.map((e) => (e as Error).message)).to.deep.equal(['subscriber bug']);
      expect(socket.stats().received).to.equal(2);
      expect(router.endpoints()[0].counters.dropped.internalError).to.equal(0);
      router.shutdown();
    });

    it('should queue, not call, once the only subscriber unsubscribes inside its next; the next subscriber drains in order', async () => {
      const { router } = createHost();
      const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
      const socket = router.openSocketSync();
      const first: number[] = [];
      const subscription = socket.messages$.subscribe((m) => {
        first.push(m.data[0]);
        subscription.unsubscribe();
      });
      for (let i = 1; i <= 3; i++) card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([i]));
      await settle();
      expect(first).to.deep.equal([1]);
      expect(socket.stats().queued).to.equal(2);
      const later: number[] = [];
      socket.messages$.subscribe((m) => later.push(m.data[0]));
      card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([4]));
      await settle();
      expect(later).to.deep.equal([2, 3, 4]);
      router.shutdown();
    });

    it('should send RESUME_TX for a confirm_rx datagram handed straight to the only subscriber', async () => {
      const { router } = createHost();
      const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
      const socket = router.openSocketSync();
      const seen: number[] = [];
      socket.messages$.subscribe((m) => seen.push(m.data[0]));
      card.send({ srcPort: 3, dstPort: socket.address.port }, new Uint8Array([1]));
      card.send({ srcPort: 3, dstPort: socket.address.port, confirmRx: true }, new Uint8Array([2]));
      await settle();
      expect(seen).to.deep.equal([1, 2]);
      const resumes = card.controls().filter((c) => c.type === 7 /* RESUME_TX */);
      expect(resumes).to.have.length(1);
      expect(resumes[0].header.dstPort).to.equal(3);
      router.shutdown();
    });

    it('should give a receive() made while one subscriber listens the next datagram, then go back to the subscriber', async () => {
      const { router } = createHost();
      const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
      const socket = router.openSocketSync();
      const seen: number[] = [];
      socket.messages$.subscribe((m) => seen.push(m.data[0]));
      card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([1]));
      await settle();
      const pending = socket.receive();
      card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([2]));
      card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([3]));
      expect((await pending).data[0]).to.equal(2);
      await settle();
      expect(seen).to.deep.equal([1, 3]);
      router.shutdown();
    });

    it('should not end messages$ on a network reset: a subscriber that resubscribes from its error handler gets what follows', async () => {
      const { router, ns } = createHost();
      const card = new RawPeer(router, { kind: 'mhi', key: 'card' }, 7);
      const socket = router.openSocketSync();
      const seen: string[] = [];
      const listen = (generation: number): void => {
        socket.messages$.subscribe({
          next: (m) => seen.push(`${generation}:${m.data[0]}`),
          error: (err: Error) => {
            seen.push(`${generation}:error:${err.constructor.name}`);
            listen(generation + 1);
          },
        });
      };
      listen(1);
      card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([1]));
      await settle();
      // A name-service restart (its control port bound again): every other socket gets ENETRESET.
      ns.close();
      new NameService(router);
      card.send({ srcPort: 1, dstPort: socket.address.port }, new Uint8Array([2]));
      await settle();
      expect(seen).to.deep.equal(['1:1', '1:error:QrtrNetworkResetError', '2:2']);
      router.shutdown();
    });
  });
});
