import { expect } from 'chai';
import { BamDmux, BamDmuxChannel, BamDmuxError } from '../src';
import { MemoryBamTransport, ModemSimulator, SimulatedPowerLines, createSimulatedModem, readSimSequence } from '../sim';
import { createRig, openChannel0 } from './helpers';

function readRawSequence(data: Uint8Array): number {
  return ((data[4] << 24) | (data[5] << 16) | (data[6] << 8) | data[7]) >>> 0;
}

/** A data plane and modem on real time (setImmediate pumps), channel 0 open. */
async function liveRig(): Promise<{ dmux: BamDmux; modem: ModemSimulator; transport: MemoryBamTransport; channel: BamDmuxChannel }> {
  const transport = new MemoryBamTransport();
  const lines = new SimulatedPowerLines();
  const dmux = new BamDmux({ backendKey: { kind: 'rpmsg', key: 'm' }, endpointId: 1, transport, power: lines });
  const modem = new ModemSimulator({ transport, lines });
  const channel = await new Promise<BamDmuxChannel>((resolve) => {
    dmux.channels$.subscribe((c) => resolve(c));
    modem.start([0]);
  });
  await channel.open();
  return { dmux, modem, transport, channel };
}

describe('BAM-DMUX backpressure', () => {
  it('should deliver 1M packets to a slow polling consumer with no loss and at most 32 buffers held', async function () {
    this.timeout(60000);
    const { dmux, modem, channel } = await liveRig();
    const total = 1_000_000;
    let expected = 0;
    let outOfOrder = 0;
    let maxPending = 0;
    let maxOutbox = 0;
    const generated = modem.generate({ channel: 0, count: total, kind: 'raw', size: 64 });
    await new Promise<void>((resolve) => {
      // NAPI style: at most 16 packets per turn of the event loop, whatever is waiting.
      const tick = (): void => {
        maxPending = Math.max(maxPending, channel.pending);
        maxOutbox = Math.max(maxOutbox, modem.stats().outboxLength);
        channel.poll(16, (data) => {
          if (readRawSequence(data) !== expected) outOfOrder++;
          expected++;
        });
        if (expected >= total) resolve();
        else setImmediate(tick);
      };
      tick();
    });
    expect(await generated).to.equal(total);
    expect(expected).to.equal(total);
    expect(outOfOrder).to.equal(0);
    const stats = dmux.stats();
    expect(stats.rxPackets).to.equal(total);
    expect(stats.drops).to.deep.equal({});
    expect(stats.rxHeldMax).to.be.at.most(32);
    expect(maxPending).to.be.at.most(32);
    expect(maxOutbox).to.equal(0);
    // The modem had to wait for buffers: the consumer's pace reached it.
    expect(modem.stats().rxStalls).to.be.greaterThan(1000);
    dmux.dispose();
    modem.dispose();
  });

  it('should stop the modem at the ring size when the consumer stops, and resume without loss', () => {
    const rig = createRig();
    let channel!: BamDmuxChannel;
    rig.dmux.channels$.subscribe((c) => (channel = c));
    rig.modem.start([0]);
    rig.settle();
    void channel.open();
    rig.settle();
    let done = false;
    void rig.modem.generate({ channel: 0, count: 1000, kind: 'raw', size: 100 }).then(() => (done = true));
    rig.settle();
    expect(channel.pending).to.equal(32);
    expect(rig.transport.rxAvailable).to.equal(0);
    expect(rig.modem.stats().packetsGenerated).to.equal(32);
    expect(rig.dmux.stats().rxHeld).to.equal(32);
    const seen: number[] = [];
    while (seen.length < 1000) {
      channel.poll(7, (data) => seen.push(readRawSequence(data)));
      rig.settle();
    }
    expect(seen).to.deep.equal(Array.from({ length: 1000 }, (_, i) => i));
    expect(rig.dmux.stats().drops).to.deep.equal({});
    expect(done || rig.modem.stats().packetsGenerated === 1000).to.equal(true);
    rig.dmux.dispose();
  });

  it('should show the sender backpressure within the TX ring size when the modem stops consuming', async () => {
    const rig = createRig({}, { autoConsumeTx: false });
    const channel = await openChannel0(rig);
    const writable: boolean[] = [];
    channel.writable$.subscribe((w) => writable.push(w));
    let accepted = 0;
    while (channel.send(new Uint8Array([0x45, accepted & 0xff]))) accepted++;
    expect(accepted).to.equal(32);
    expect(writable).to.deep.equal([true, false]);
    expect(rig.dmux.stats().txQueueStops).to.equal(1);
    const pendingWrite = channel.write(new Uint8Array([0x45, 0xee]));
    let written = false;
    void pendingWrite.then(() => (written = true));
    await Promise.resolve();
    expect(written).to.equal(false);
    rig.settle();
    rig.modem.consumeTx(1);
    expect(writable).to.deep.equal([true, false, true]);
    await pendingWrite;
    expect(writable).to.deep.equal([true, false, true, false]);
    expect(written).to.equal(true);
    rig.modem.consumeTx();
    rig.settle();
    expect(rig.modem.stats().txConsumed).to.equal(1 + 33);
    rig.dmux.dispose();
  });

  it('should reject a writer waiting on a full ring with BAM_DMUX_CHANNEL_CLOSED when the modem closes the channel', async () => {
    const rig = createRig({}, { autoConsumeTx: false });
    const channel = await openChannel0(rig);
    while (channel.send(new Uint8Array([0x45]))) {
      // fill the ring
    }
    const waiting = channel.write(new Uint8Array([0x45, 1]));
    rig.modem.closeChannel(0);
    rig.settle();
    const error = await waiting.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(BamDmuxError);
    expect((error as BamDmuxError).code).to.equal('BAM_DMUX_CHANNEL_CLOSED');
    rig.dmux.dispose();
  });

  it('should carry QMAP over channel 0 to a slow link consumer with no loss and bounded buffers', async function () {
    this.timeout(60000);
    const sim = createSimulatedModem({ qmap: { muxIds: [1, 2], ingressChecksum: 'v5' } });
    await sim.ready;
    const { mux, links } = sim.qmap()!;
    const total = 100_000;
    const seen = new Map<number, number[]>([
      [1, []],
      [2, []],
    ]);
    const generated = sim.modem.generate({ channel: 0, count: total, kind: 'ipv4-udp', size: 200, qmap: { muxIds: [1, 2], checksum: 'v5' } });
    let notHardwareVerified = 0;
    await new Promise<void>((resolve) => {
      let received = 0;
      const tick = (): void => {
        for (const [id, link] of links) {
          received += link.poll(8, (data, checksum) => {
            if (checksum !== 'hw') notHardwareVerified++;
            seen.get(id)!.push(readSimSequence(data));
          });
        }
        if (received >= total) resolve();
        else setImmediate(tick);
      };
      tick();
    });
    expect(await generated).to.equal(total);
    expect(notHardwareVerified).to.equal(0);
    expect(seen.get(1)).to.deep.equal(Array.from({ length: total / 2 }, (_, i) => i * 2));
    expect(seen.get(2)).to.deep.equal(Array.from({ length: total / 2 }, (_, i) => i * 2 + 1));
    const stats = sim.stats();
    expect(stats.qmap!.drops).to.deep.equal({});
    expect(stats.qmap!.heldBuffersMax).to.be.at.most(32);
    expect(stats.dmux.rxHeldMax).to.be.at.most(32);
    expect(mux.stats().rxFrames).to.equal(total);
    sim.dispose();
  });
});
