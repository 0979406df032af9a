import { expect } from 'chai';
import { BamDmuxChannel } from '../src';
import { QmapMux, QmapCommandName, splitQmapAggregate, type QmapChecksumStatus, type QmapMuxOptions } from '../src/qmap';
import { buildSimPacket, readSimSequence, writeDlQmapFrame, qmapDlFrameLength } from '../sim';
import { createRig, flushPromises, openChannel0, type Rig } from './helpers';

async function muxRig(
  options: Partial<QmapMuxOptions> = {},
  modemOptions: Parameters<typeof createRig>[1] = {},
): Promise<{ rig: Rig; channel: BamDmuxChannel; mux: QmapMux }> {
  const rig = createRig({}, modemOptions);
  const channel = await openChannel0(rig);
  const mux = new QmapMux({ port: channel, scheduler: rig.clock.scheduler, ...options });
  return { rig, channel, mux };
}

describe('QmapMux', () => {
  it('should demultiplex frames by mux id and drop frames for unknown ids with a reason', async () => {
    const { rig, mux } = await muxRig();
    const a = mux.addLink(1);
    const b = mux.addLink(2);
    const gotA: number[] = [];
    const gotB: number[] = [];
    a.packets$.subscribe((p) => gotA.push(readSimSequence(p.data)));
    void rig.modem.generate({ channel: 0, count: 30, kind: 'ipv6-tcp', size: 120, qmap: { muxIds: [1, 2, 3], checksum: 'none' } });
    rig.settle();
    b.poll(100, (data) => gotB.push(readSimSequence(data)));
    expect(gotA).to.deep.equal([0, 3, 6, 9, 12, 15, 18, 21, 24, 27]);
    expect(gotB).to.deep.equal([1, 4, 7, 10, 13, 16, 19, 22, 25, 28]);
    expect(mux.stats().drops).to.deep.equal({ QMAP_UNKNOWN_MUX_ID: 10 });
    expect(mux.stats().heldBuffers).to.equal(0);
    expect(rig.transport.rxAvailable).to.equal(32);
    rig.dmux.dispose();
  });

  it('should keep lower buffers until every frame in them is consumed', async () => {
    const { rig, mux } = await muxRig();
    const a = mux.addLink(1);
    void rig.modem.generate({ channel: 0, count: 10, kind: 'ipv4-udp', size: 100, qmap: { muxIds: [1], checksum: 'none' } });
    rig.settle();
    expect(a.pending).to.equal(10);
    const held = mux.stats().heldBuffers;
    expect(held).to.be.greaterThan(0);
    expect(rig.transport.rxAvailable).to.equal(32 - held);
    a.poll(9, () => undefined);
    expect(mux.stats().heldBuffers).to.equal(1);
    a.poll(1, () => undefined);
    expect(mux.stats().heldBuffers).to.equal(0);
    expect(rig.transport.rxAvailable).to.equal(32);
    rig.dmux.dispose();
  });

  for (const mode of ['v4', 'v5'] as const) {
    it(`should drop frames whose checksum fails (${mode}) and deliver the rest as hardware-verified`, async () => {
      const { rig, mux } = await muxRig({ ingressChecksum: mode });
      const link = mux.addLink(5);
      const statuses: QmapChecksumStatus[] = [];
      const seqs: number[] = [];
      link.packets$.subscribe((p) => {
        statuses.push(p.checksum);
        seqs.push(readSimSequence(p.data));
      });
      void rig.modem.generate({
        channel: 0,
        count: 60,
        kind: 'ipv4-tcp',
        size: 300,
        invalidChecksumEvery: 4,
        qmap: { muxIds: [5], checksum: mode },
      });
      void rig.modem.generate({ channel: 0, count: 20, kind: 'ipv6-udp', size: 200, invalidChecksumEvery: 5, firstSequence: 1000, qmap: { muxIds: [5], checksum: mode } });
      rig.settle();
      expect(mux.stats().drops).to.deep.equal({ QMAP_CHECKSUM_FAILURE: 15 + 4 });
      expect(seqs.filter((s) => s < 1000 && (s + 1) % 4 === 0)).to.deep.equal([]);
      expect(seqs).to.have.length(60 - 15 + 20 - 4);
      expect(new Set(statuses)).to.deep.equal(new Set(['hw']));
      rig.dmux.dispose();
    });
  }

  it('should verify in software a v5 frame the hardware did not mark valid', async () => {
    const { rig, mux } = await muxRig({ ingressChecksum: 'v5' });
    const link = mux.addLink(1);
    const statuses: QmapChecksumStatus[] = [];
    link.packets$.subscribe((p) => statuses.push(p.checksum));
    const good = buildSimPacket('ipv4-udp', 100, 1);
    const bad = buildSimPacket('ipv4-udp', 100, 2, false);
    const agg = new Uint8Array(qmapDlFrameLength(100, 'v5') * 2);
    const second = writeDlQmapFrame(agg, 0, 1, good, 'v5');
    writeDlQmapFrame(agg, second, 1, bad, 'v5');
    agg[5] = 0; // hardware did not validate the good one
    rig.modem.sendData(0, agg);
    rig.settle();
    expect(statuses).to.deep.equal(['sw']);
    expect(mux.stats().drops).to.deep.equal({ QMAP_CHECKSUM_FAILURE: 1 });
    rig.dmux.dispose();
  });

  it('should honour FLOW_DISABLE/FLOW_ENABLE per mux id and ACK each back to the modem', async () => {
    const { rig, mux } = await muxRig();
    const one = mux.addLink(1);
    const two = mux.addLink(2);
    const acks: { muxId: number; name: number; type: number; txn: number }[] = [];
    rig.modem.qmapAcks$.subscribe((a) => acks.push({ muxId: a.muxId, name: a.command.name, type: a.command.type, txn: a.command.transactionId }));
    const writable: boolean[] = [];
    one.writable$.subscribe((w) => writable.push(w));
    const txnOff = rig.modem.sendFlowControl(0, 1, false);
    rig.settle();
    expect(one.flowEnabled).to.equal(false);
    expect(one.send(buildSimPacket('ipv4-udp', 80, 1))).to.equal(false);
    expect(two.send(buildSimPacket('ipv4-udp', 80, 1))).to.equal(true);
    const txnOn = rig.modem.sendFlowControl(0, 1, true);
    rig.settle();
    await flushPromises();
    expect(one.send(buildSimPacket('ipv4-udp', 80, 1))).to.equal(true);
    rig.settle();
    expect(writable).to.deep.equal([true, false, true]);
    expect(acks).to.deep.equal([
      { muxId: 1, name: QmapCommandName.FLOW_DISABLE, type: 1, txn: txnOff },
      { muxId: 1, name: QmapCommandName.FLOW_ENABLE, type: 1, txn: txnOn },
    ]);
    rig.modem.sendFlowControl(0, 9, false);
    rig.settle();
    expect(mux.stats().drops).to.deep.equal({ QMAP_UNKNOWN_MUX_ID: 1 });
    expect(acks).to.have.length(2);
    rig.dmux.dispose();
  });

  it('should ACK a MAPv4 command without its downlink trailer', async () => {
    const { rig, mux } = await muxRig({ ingressChecksum: 'v4' }, { autoConsumeTx: false });
    const link = mux.addLink(3);
    const txn = rig.modem.sendFlowControl(0, 3, false, 'v4');
    rig.settle();
    expect(link.flowEnabled).to.equal(false);
    const ack = rig.transport.peekTx()!;
    const payloadLength = ack[6] | (ack[7] << 8);
    expect(payloadLength).to.equal(20);
    expect([...ack.subarray(8, 14)]).to.deep.equal([0x80, 3, 0, 16, QmapCommandName.FLOW_DISABLE, 1]);
    expect((ack[16] << 24) | (ack[17] << 16) | (ack[18] << 8) | ack[19]).to.equal(txn);
    rig.dmux.dispose();
  });

  it('should release the buffers of a removed link and count its queued frames as dropped', async () => {
    const { rig, mux } = await muxRig();
    mux.addLink(1);
    void rig.modem.generate({ channel: 0, count: 12, kind: 'ipv4-udp', size: 100, qmap: { muxIds: [1], checksum: 'none' } });
    rig.settle();
    expect(mux.stats().heldBuffers).to.be.greaterThan(0);
    mux.removeLink(1);
    expect(mux.stats().heldBuffers).to.equal(0);
    expect(mux.stats().drops).to.deep.equal({ QMAP_LINK_REMOVED: 12 });
    expect(rig.transport.rxAvailable).to.equal(32);
    rig.dmux.dispose();
  });

  it('should drop truncated and unsupported commands with their reasons', async () => {
    const { rig, mux } = await muxRig();
    mux.addLink(1);
    rig.modem.sendData(0, new Uint8Array([0x80, 1, 0, 4, 1, 0, 0, 0]));
    rig.modem.sendData(0, new Uint8Array([0x80, 1, 0, 8, 5, 0, 0, 0, 0, 0, 0, 1]));
    rig.settle();
    expect(mux.stats().drops).to.deep.equal({ QMAP_TRUNCATED_COMMAND: 1, QMAP_UNSUPPORTED_COMMAND: 1 });
    rig.dmux.dispose();
  });

  it('should aggregate uplink frames up to the frame, byte and time limits', async () => {
    const { rig, mux } = await muxRig({ aggregation: { maxBytes: 1000, maxFrames: 3, timeMs: 2 } }, { autoConsumeTx: false });
    const link = mux.addLink(4);
    const transfers = (): number[][] => {
      const out: number[][] = [];
      for (let frame = rig.transport.peekTx(); frame; frame = rig.transport.peekTx()) {
        out.push(splitQmapAggregate(frame.subarray(8, 8 + (frame[6] | (frame[7] << 8))), 'none').map((f) => readSimSequence(f.payload)));
        rig.modem.consumeTx(1);
      }
      return out;
    };
    for (let i = 0; i < 3; i++) link.send(buildSimPacket('ipv4-udp', 100, i));
    rig.settle();
    expect(transfers()).to.deep.equal([[0, 1, 2]]);
    for (let i = 10; i < 13; i++) link.send(buildSimPacket('ipv4-udp', 400, i));
    rig.settle();
    expect(transfers()).to.deep.equal([[10, 11]]);
    rig.clock.advance(1);
    expect(transfers()).to.deep.equal([]);
    rig.clock.advance(1);
    expect(transfers()).to.deep.equal([[12]]);
    expect(mux.stats().tx).to.include({ flushFrames: 1, flushBytes: 1, flushTime: 1, aggregates: 3 });
    rig.dmux.dispose();
  });

  it('should turn a full TX ring into link backpressure and recover when it drains', async () => {
    const { rig, mux } = await muxRig({}, { autoConsumeTx: false });
    const link = mux.addLink(1);
    const writable: boolean[] = [];
    link.writable$.subscribe((w) => writable.push(w));
    let sent = 0;
    while (link.send(buildSimPacket('ipv4-udp', 100, sent))) sent++;
    // 32 in the TX ring plus the one aggregate the mux holds while the ring is full.
    expect(sent).to.equal(33);
    expect(writable).to.deep.equal([true, false]);
    rig.settle();
    const seqs: number[] = [];
    for (let frame = rig.transport.peekTx(); frame; frame = rig.transport.peekTx()) {
      seqs.push(readSimSequence(splitQmapAggregate(frame.subarray(8, 8 + (frame[6] | (frame[7] << 8))), 'none')[0].payload));
      rig.modem.consumeTx(1); // the first completion wakes the ring and the held aggregate goes out
    }
    expect(seqs).to.deep.equal(Array.from({ length: 33 }, (_, i) => i));
    expect(writable).to.deep.equal([true, false, true]);
    expect(link.send(buildSimPacket('ipv4-udp', 100, 99))).to.equal(true);
    rig.dmux.dispose();
  });
});
