import { expect } from 'chai';
import fc from 'fast-check';
import { firstValueFrom, take, toArray } from 'rxjs';
import { BamDmuxChannel, BamDmuxCommand, writeBamDmuxHeader } from '../src';
import { splitQmapAggregate } from '../src/qmap';
import { buildSimPacket, createSimulatedModem, readSimSequence } from '../sim';
import { createRig, openChannel0 } from './helpers';

describe('ModemSimulator', () => {
  it('should aggregate sporadic QMAP sends like IPA: closed by the byte limit or by the time limit', async () => {
    const rig = createRig();
    const channel = await openChannel0(rig);
    const transfers: number[][] = [];
    channel.packets$.subscribe((p) => transfers.push(splitQmapAggregate(p.data, 'v5').map((f) => readSimSequence(f.payload))));
    for (let i = 0; i < 3; i++) rig.modem.sendQmap(0, 1, buildSimPacket('ipv4-udp', 800, i), 'v5', 2040, 0.5);
    rig.settle();
    expect(transfers).to.deep.equal([[0, 1]]); // the third would have passed 2040 bytes
    rig.clock.advance(0.4);
    rig.settle();
    expect(transfers).to.have.length(1);
    rig.clock.advance(0.1);
    rig.settle();
    expect(transfers).to.deep.equal([[0, 1], [2]]);
    rig.dmux.dispose();
  });

  it('should account for every random transfer exactly once: delivered, command, or dropped with a reason (property)', () => {
    const transfer = fc.oneof(
      fc.uint8Array({ minLength: 0, maxLength: 80 }),
      fc.record({
        command: fc.integer({ min: 0, max: 6 }),
        channel: fc.integer({ min: 0, max: 9 }),
        length: fc.integer({ min: 0, max: 2100 }),
        body: fc.uint8Array({ minLength: 0, maxLength: 64 }),
      }).map(({ command, channel, length, body }) => {
        const b = new Uint8Array(8 + body.length);
        writeBamDmuxHeader(b, 0, command as BamDmuxCommand, channel, length & 0xffff, 0);
        b.set(body, 8);
        return b;
      }),
    );
    fc.assert(
      fc.property(fc.array(transfer, { maxLength: 60 }), (transfers) => {
        const rig = createRig();
        const channels: BamDmuxChannel[] = [];
        rig.dmux.channels$.subscribe((c) => {
          channels.push(c);
          void c.open().catch(() => undefined);
          c.packets$.subscribe(() => undefined);
        });
        rig.modem.start([0]);
        rig.settle();
        for (const t of transfers) rig.modem.sendRaw(t);
        rig.settle();
        const stats = rig.dmux.stats();
        const dropped = Object.values(stats.drops).reduce((a, b) => a + b, 0);
        const closedDrops = stats.drops.BAM_DMUX_CHANNEL_CLOSED ?? 0;
        // +1 for the modem's initial OPEN of channel 0.
        expect(stats.rxPackets + stats.rxCommands + dropped - closedDrops).to.equal(transfers.length + 1);
        expect(stats.rxHeld).to.equal(0);
        expect(rig.transport.rxAvailable).to.equal(32);
        rig.dmux.dispose();
      }),
      { numRuns: 150 },
    );
  });
});

describe('createSimulatedModem', () => {
  it('should bring up channels, a QMAP mux and report stats bound to the endpoint', async () => {
    const sim = createSimulatedModem({
      endpointId: 9,
      backendKey: { kind: 'rpmsg', key: 'sim0' },
      channels: [0, 3],
      qmap: { muxIds: [1, 2], ingressChecksum: 'v4' },
      statsIntervalMs: 5,
    });
    await sim.ready;
    expect(sim.dmux.endpointId).to.equal(9);
    expect(sim.dmux.backendKey).to.deep.equal({ kind: 'rpmsg', key: 'sim0' });
    const { links } = sim.qmap()!;
    const seqs: number[] = [];
    links.get(2)!.packets$.subscribe((p) => seqs.push(readSimSequence(p.data)));
    await sim.modem.generate({ channel: 0, count: 20, kind: 'ipv6-tcp', size: 300, qmap: { muxIds: [1, 2], checksum: 'v4' } });
    await new Promise((resolve) => setImmediate(resolve));
    links.get(1)!.poll(100, () => undefined);
    expect(seqs).to.deep.equal([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    const snapshots = await firstValueFrom(sim.stats$.pipe(take(2), toArray()));
    const last = snapshots[1];
    expect(last.dmux.endpointId).to.equal(9);
    expect(last.dmux.openChannels).to.deep.equal([0, 3]);
    expect(last.modem.packetsGenerated).to.equal(20);
    expect(last.qmap!.rxFrames).to.equal(20);
    expect(last.qmap!.checksum.hw).to.equal(20);
    expect(sim.stats().dmux.drops).to.deep.equal({});
    sim.dispose();
  });
});
