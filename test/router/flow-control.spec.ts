import { expect } from 'chai';
import { QrtrType, encodeControl } from '../../src/wire';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';
import type { QrtrdErrorLike } from './imports';

describe('Router: flow control (reference §3.4)', () => {
  async function setup() {
    const host = createHost();
    const peer = new RawPeer(host.router, { kind: 'mhi', key: 'slow' }, 7);
    peer.hello();
    await settle();
    const socket = await host.router.openSocket();
    return { ...host, peer, socket };
  }

  function resume(peer: RawPeer, port: number): void {
    peer.send({ type: QrtrType.RESUME_TX, srcPort: port, dstPort: 0x4000 }, encodeControl({ type: QrtrType.RESUME_TX, node: 7, port }));
  }

  it('should never have more than 10 unconfirmed packets to a remote that never reads, and ask on the 5th', async () => {
    const { router, peer, socket } = await setup();
    const sends = Array.from({ length: 30 }, (_, i) => socket.send({ node: 7, port: 1 }, new Uint8Array([i])));
    await settle();
    const data = peer.data();
    expect(data).to.have.length(10);
    expect(data.map((p) => p.confirmRx)).to.deep.equal([false, false, false, false, true, false, false, false, false, false]);
    resume(peer, 1);
    await settle();
    expect(peer.data()).to.have.length(20);
    expect(peer.data().map((p) => p.payload[0])).to.deep.equal(Array.from({ length: 20 }, (_, i) => i), 'FIFO order kept');
    resume(peer, 1);
    await settle();
    await Promise.all(sends);
    expect(peer.data()).to.have.length(30);
    router.shutdown();
  });

  it('should keep flows of the same port on different nodes and endpoints apart', async () => {
    const { router, peer, socket } = await setup();
    const other = new RawPeer(router, { kind: 'mhi', key: 'other' }, 7);
    other.hello();
    await settle();
    for (let i = 0; i < 12; i++) void socket.send({ node: 7, port: 1 }, new Uint8Array([i]));
    for (let i = 0; i < 3; i++) void socket.send({ node: 7, port: 1 }, new Uint8Array([i]), { endpoint: other.id });
    await settle();
    expect(peer.data()).to.have.length(10);
    expect(other.data()).to.have.length(3);
    router.shutdown();
  });

  it('should fail a non-blocking send with QRTR_WOULD_BLOCK instead of waiting (§7.3 #35)', async () => {
    const { router, socket } = await setup();
    for (let i = 0; i < 10; i++) await socket.send({ node: 7, port: 1 }, new Uint8Array([i]));
    const err = await socket.send({ node: 7, port: 1 }, new Uint8Array([1]), { nonBlocking: true }).catch((e: QrtrdErrorLike) => e);
    expect((err as QrtrdErrorLike).code).to.equal('QRTR_WOULD_BLOCK');
    router.shutdown();
  });

  it('should abort a waiting send through its signal', async () => {
    const { router, socket } = await setup();
    for (let i = 0; i < 10; i++) await socket.send({ node: 7, port: 1 }, new Uint8Array([i]));
    const controller = new AbortController();
    const pending = socket.send({ node: 7, port: 1 }, new Uint8Array([1]), { signal: controller.signal }).catch((e: QrtrdErrorLike) => e.code);
    controller.abort();
    expect(await pending).to.equal('QRTR_ABORTED');
    router.shutdown();
  });

  it('should wake and fail waiting senders with QRTR_ENDPOINT_GONE when the endpoint detaches (§7.3 #35)', async () => {
    const { router, peer, socket } = await setup();
    for (let i = 0; i < 10; i++) await socket.send({ node: 7, port: 1 }, new Uint8Array([i]));
    const pending = socket.send({ node: 7, port: 1 }, new Uint8Array([1])).catch((e: QrtrdErrorLike) => e.code);
    peer.detach();
    expect(await pending).to.equal('QRTR_ENDPOINT_GONE');
    router.shutdown();
  });

  it('should free the flow and fail its waiters when the remote port goes away (DEL_CLIENT)', async () => {
    const { router, peer, socket } = await setup();
    for (let i = 0; i < 10; i++) await socket.send({ node: 7, port: 1 }, new Uint8Array([i]));
    const pending = socket.send({ node: 7, port: 1 }, new Uint8Array([1])).catch((e: QrtrdErrorLike) => e.code);
    expect(router.endpoints()[0].flows).to.equal(1);
    peer.control({ type: QrtrType.DEL_CLIENT, node: 7, port: 1 });
    await settle();
    expect(await pending).to.equal('QRTR_REMOTE_PORT_GONE');
    expect(router.endpoints()[0].flows).to.equal(0);
    router.shutdown();
  });

  it('should re-arm confirm_rx on the next packet when a confirm_rx transmit fails (tx_failed)', async () => {
    const { router, peer, socket } = await setup();
    let failNext = false;
    const transmit = peer.link.peer.transmit.bind(peer.link.peer);
    peer.link.peer.transmit = (packet: Uint8Array) => {
      if (failNext) {
        failNext = false;
        throw new Error('link hiccup');
      }
      transmit(packet);
    };
    for (let i = 0; i < 4; i++) await socket.send({ node: 7, port: 1 }, new Uint8Array([i]));
    failNext = true;
    await socket.send({ node: 7, port: 1 }, new Uint8Array([4])).catch(() => undefined); // the 5th, with confirm_rx, is lost
    await socket.send({ node: 7, port: 1 }, new Uint8Array([5]));
    await settle();
    expect(peer.data().map((p) => [p.payload[0], p.confirmRx])).to.deep.equal([
      [0, false],
      [1, false],
      [2, false],
      [3, false],
      [5, true],
    ]);
    router.shutdown();
  });

  it('should answer a consumed confirm_rx packet with RESUME_TX from the receiving port', async () => {
    const { router, peer, socket } = await setup();
    peer.send({ srcPort: 3, dstPort: socket.address.port, confirmRx: true }, new Uint8Array([1]));
    await settle();
    expect(peer.controls(QrtrType.RESUME_TX)).to.have.length(0, 'not before the application consumed it');
    await socket.receive();
    await settle();
    const resumes = peer.controls(QrtrType.RESUME_TX);
    expect(resumes).to.have.length(1);
    expect([resumes[0].node, resumes[0].port]).to.deep.equal([1, socket.address.port]);
    expect([resumes[0].header.srcPort, resumes[0].header.dstNode, resumes[0].header.dstPort]).to.deep.equal([socket.address.port, 7, 3]);
    router.shutdown();
  });

  it('should still answer RESUME_TX when a confirm_rx packet is dropped, so the sender does not stall (§7.3 #35)', async () => {
    const { router, peer } = await setup();
    peer.send({ srcPort: 3, dstPort: 0x7777, confirmRx: true }, new Uint8Array([1]));
    await settle();
    expect(peer.controls(QrtrType.RESUME_TX)).to.have.length(1);
    expect(router.endpoints()[0].counters.dropped.noSuchPort).to.equal(1);
    router.shutdown();
  });

  it('should let two qrtrd routers exchange 1000 packets with flow control and no stall', async () => {
    const { createMemoryLink, Router } = await import('../../src/router');
    const host = createHost();
    const device = new Router({ localNode: 7 });
    const [near, far] = createMemoryLink({ kind: 'mhi', key: 'dev' }, { kind: 'memory', key: 'host' });
    host.router.attach(near);
    device.attach(far);
    const rx = device.openSocketSync({ port: 1, trusted: true });
    const tx = await host.router.openSocket();
    await settle();
    let received = 0;
    let maxUnconsumed = 0;
    const consumer = (async () => {
      while (received < 1000) {
        await rx.receive();
        received++;
        if (received % 50 === 0) await settle();
      }
    })();
    for (let i = 0; i < 1000; i++) {
      await tx.send({ node: 7, port: 1 }, new Uint8Array([i & 0xff]));
      maxUnconsumed = Math.max(maxUnconsumed, (rx as unknown as { queued: number }).queued);
    }
    await consumer;
    expect(received).to.equal(1000);
    expect(maxUnconsumed).to.be.at.most(10);
    host.router.shutdown();
    device.shutdown();
  });
});
