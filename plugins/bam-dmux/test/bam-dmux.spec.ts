import { expect } from 'chai';
import {
  BAM_DMUX_HEADER_LENGTH,
  BamDmuxChannel,
  BamDmuxCommand,
  BamDmuxError,
  writeBamDmuxHeader,
  type BamDmuxDrop,
  type BamTransport,
  type BamTransportSink,
} from '../src';
import { createRig, flushPromises, type Rig } from './helpers';

function frame(channel: number, payload: number[], command = BamDmuxCommand.DATA, magic = 0x33fc): Uint8Array {
  const b = new Uint8Array(BAM_DMUX_HEADER_LENGTH + payload.length + 4);
  writeBamDmuxHeader(b, 0, command, channel, payload.length, 0);
  b[0] = magic & 0xff;
  b[1] = magic >> 8;
  b.set(payload, BAM_DMUX_HEADER_LENGTH);
  return b.subarray(0, BAM_DMUX_HEADER_LENGTH + payload.length);
}

async function openRig(channels = [0]): Promise<{ rig: Rig; channels: BamDmuxChannel[] }> {
  const rig = createRig();
  const seen: BamDmuxChannel[] = [];
  rig.dmux.channels$.subscribe((c) => seen.push(c));
  rig.modem.start(channels);
  rig.settle();
  const opens = seen.map((c) => c.open());
  rig.settle();
  await Promise.all(opens);
  return { rig, channels: seen };
}

describe('BamDmux', () => {
  it('should expose the backend key and endpoint ID it was bound to', () => {
    const rig = createRig({ backendKey: { kind: 'rpmsg', key: 'remoteproc0:modem' }, endpointId: 7 });
    expect(rig.dmux.backendKey).to.deep.equal({ kind: 'rpmsg', key: 'remoteproc0:modem' });
    expect(rig.dmux.endpointId).to.equal(7);
    expect(rig.dmux.stats().endpointId).to.equal(7);
    rig.dmux.dispose();
  });

  it('should post 32 RX buffers when the modem powers up', () => {
    const rig = createRig();
    rig.modem.start([]);
    expect(rig.transport.rxAvailable).to.equal(32);
    expect(rig.lines.hostAcks).to.equal(1);
    rig.dmux.dispose();
  });

  it('should create a channel object on OPEN and send OPEN back when opened locally', async () => {
    const commands: { command: number; channel: number }[] = [];
    const rig = createRig();
    rig.modem.hostCommands$.subscribe((c) => commands.push(c));
    const seen: BamDmuxChannel[] = [];
    rig.dmux.channels$.subscribe((c) => seen.push(c));
    rig.modem.start([0, 5]);
    rig.settle();
    expect(seen.map((c) => c.id)).to.deep.equal([0, 5]);
    const open = seen[1].open();
    rig.settle();
    await open;
    expect(commands).to.deep.equal([{ command: BamDmuxCommand.OPEN, channel: 5 }]);
    expect(rig.dmux.stats().openChannels).to.deep.equal([0, 5]);
    rig.dmux.dispose();
  });

  it('should type payloads by their first nibble and deliver them as views of the RX buffer', async () => {
    const { rig, channels } = await openRig();
    const got: { type: string; bytes: number[]; shared: boolean }[] = [];
    channels[0].packets$.subscribe((p) => got.push({ type: p.type, bytes: [...p.data], shared: p.data.byteOffset > 0 }));
    rig.modem.sendRaw(frame(0, [0x45, 1, 2]));
    rig.modem.sendRaw(frame(0, [0x60, 1, 2, 3]));
    rig.modem.sendRaw(frame(0, [0x00, 9, 0, 4, 1, 2, 3, 4]));
    rig.settle();
    expect(got.map((g) => g.type)).to.deep.equal(['ipv4', 'ipv6', 'qmap']);
    expect(got[1].bytes).to.deep.equal([0x60, 1, 2, 3]);
    expect(got.every((g) => g.shared)).to.equal(true);
    rig.dmux.dispose();
  });

  it('should accept both the mainline and the downstream padding on receive', async () => {
    const { rig, channels } = await openRig();
    const got: number[][] = [];
    channels[0].packets$.subscribe((p) => got.push([...p.data]));
    for (const pad of [0, 4]) {
      const b = new Uint8Array(8 + 4 + pad);
      writeBamDmuxHeader(b, 0, BamDmuxCommand.DATA, 0, 4, pad);
      b.set([0x45, 1, 2, 3], 8);
      rig.modem.sendRaw(b);
    }
    rig.settle();
    expect(got).to.deep.equal([
      [0x45, 1, 2, 3],
      [0x45, 1, 2, 3],
    ]);
    rig.dmux.dispose();
  });

  it('should drop and count each malformed buffer under its reason and re-post the buffer', async () => {
    const { rig, channels } = await openRig();
    const drops: BamDmuxDrop[] = [];
    rig.dmux.drops$.subscribe((d) => drops.push(d));
    const oversize = frame(0, [0x45]);
    oversize[6] = 0xf9; // len 2041
    oversize[7] = 0x07;
    const truncated = frame(0, [0x45, 1]);
    truncated[6] = 40;
    rig.modem.sendRaw(frame(0, [0x45], BamDmuxCommand.DATA, 0x1234));
    rig.modem.sendRaw(frame(9, [0x45]));
    rig.modem.sendRaw(frame(3, [0x45]));
    rig.modem.sendRaw(oversize);
    rig.modem.sendRaw(truncated);
    rig.modem.sendRaw(frame(0, [], 7 as BamDmuxCommand));
    rig.modem.sendRaw(frame(0, []));
    rig.modem.sendRaw(new Uint8Array([0xfc, 0x33, 0]));
    rig.settle();
    expect(drops.map((d) => d.code)).to.deep.equal([
      'BAM_DMUX_BAD_MAGIC',
      'BAM_DMUX_UNKNOWN_CHANNEL',
      'BAM_DMUX_INACTIVE_CHANNEL',
      'BAM_DMUX_OVERSIZE',
      'BAM_DMUX_TRUNCATED_PAYLOAD',
      'BAM_DMUX_UNKNOWN_COMMAND',
      'BAM_DMUX_EMPTY_PAYLOAD',
      'BAM_DMUX_TRUNCATED_HEADER',
    ]);
    expect(drops.every((d) => d.error instanceof BamDmuxError)).to.equal(true);
    expect(rig.dmux.stats().drops.BAM_DMUX_BAD_MAGIC).to.equal(1);
    expect(rig.transport.rxAvailable).to.equal(32);
    expect(channels[0].pending).to.equal(0);
    rig.dmux.dispose();
  });

  it('should take the length from the transfer for the downstream len 0xFFFF', async () => {
    const { rig, channels } = await openRig();
    const b = frame(0, [0x45, 7, 7, 7, 7, 7]);
    b[6] = 0xff;
    b[7] = 0xff;
    rig.modem.sendRaw(b);
    rig.settle();
    const got: number[][] = [];
    channels[0].poll(8, (data) => got.push([...data]));
    expect(got).to.deep.equal([[0x45, 7, 7, 7, 7, 7]]);
    rig.dmux.dispose();
  });

  it('should close the channel on CLOSE, return its queued buffers and count them as dropped', async () => {
    const { rig, channels } = await openRig();
    let completed = false;
    channels[0].closed$.subscribe({ complete: () => (completed = true) });
    rig.modem.sendRaw(frame(0, [0x45, 1]));
    rig.modem.sendRaw(frame(0, [0x45, 2]));
    rig.modem.closeChannel(0);
    rig.settle();
    expect(completed).to.equal(true);
    expect(channels[0].isOpen).to.equal(false);
    expect(rig.dmux.channel(0)).to.equal(undefined);
    expect(rig.dmux.stats().drops.BAM_DMUX_CHANNEL_CLOSED).to.equal(2);
    expect(rig.dmux.stats().rxHeld).to.equal(0);
    expect(() => channels[0].send(new Uint8Array([0x45]))).to.throw(BamDmuxError).with.property('code', 'BAM_DMUX_CHANNEL_CLOSED');
    rig.dmux.dispose();
  });

  it('should hand out a new channel object when the modem re-opens a channel', async () => {
    const { rig, channels } = await openRig();
    const seen: BamDmuxChannel[] = [];
    rig.dmux.channels$.subscribe((c) => seen.push(c));
    rig.modem.closeChannel(0);
    rig.modem.openChannel(0);
    rig.settle();
    expect(seen).to.have.length(1);
    expect(seen[0]).to.not.equal(channels[0]);
    expect(seen[0].isOpen).to.equal(true);
    rig.dmux.dispose();
  });

  it('should hold a taken packet out of the ring until it is released, and reject a second release', async () => {
    const { rig, channels } = await openRig();
    rig.modem.sendRaw(frame(0, [0x45, 1]));
    rig.settle();
    expect(rig.transport.rxAvailable).to.equal(31);
    const held = channels[0].take()!;
    expect([...held.data]).to.deep.equal([0x45, 1]);
    expect(rig.transport.rxAvailable).to.equal(31);
    held.release();
    expect(rig.transport.rxAvailable).to.equal(32);
    expect(() => held.release()).to.throw(BamDmuxError).with.property('code', 'BAM_DMUX_STALE_RELEASE');
    rig.dmux.dispose();
  });

  it('should frame TX with the chosen padding and complete it', async () => {
    for (const [padding, expectedPad] of [
      ['mainline', 4],
      ['downstream', 0],
    ] as const) {
      const rig = createRig({ padding }, { autoConsumeTx: false });
      const seen: BamDmuxChannel[] = [];
      rig.dmux.channels$.subscribe((c) => seen.push(c));
      rig.modem.start([1]);
      rig.settle();
      const open = seen[0].open();
      rig.settle();
      rig.modem.consumeTx();
      await open;
      expect(seen[0].send(new Uint8Array([0x45, 0, 0, 4]))).to.equal(true);
      rig.settle();
      const tx = rig.transport.peekTx()!;
      expect(tx[4]).to.equal(expectedPad);
      expect(tx.length).to.equal(8 + 4 + expectedPad);
      expect([...tx.subarray(0, 8)]).to.deep.equal([0xfc, 0x33, 0, 0, expectedPad, 1, 4, 0]);
      rig.dmux.dispose();
    }
  });

  it('should reject a pending open() with a typed error when disposed', async () => {
    const rig = createRig({}, { autoConsumeTx: false });
    const seen: BamDmuxChannel[] = [];
    rig.dmux.channels$.subscribe((c) => seen.push(c));
    rig.modem.start([0]);
    rig.settle();
    const open = seen[0].open().then(
      () => undefined,
      (e: unknown) => e,
    );
    rig.settle();
    rig.dmux.dispose();
    const error = (await open) as BamDmuxError;
    expect(error).to.be.instanceOf(BamDmuxError);
    expect(error.code).to.equal('BAM_DMUX_TX_ABORTED');
    expect(seen[0].isOpen).to.equal(false);
  });

  it('should count a completion for a slot the transport does not hold as a transport bug', () => {
    let sink!: BamTransportSink;
    const transport: BamTransport = {
      attach: (s) => {
        sink = s;
        return () => undefined;
      },
      postRx: () => undefined,
      cancelRx: () => undefined,
      submitTx: () => undefined,
      cancelTx: () => undefined,
    };
    const rig = createRig({ transport });
    sink.rxComplete(5, 100);
    sink.txComplete(40);
    expect(rig.dmux.stats().drops).to.deep.equal({ BAM_DMUX_TRANSPORT_PROTOCOL: 2 });
    rig.dmux.dispose();
  });

  it('should echo traffic through the simulator', async () => {
    const rig = createRig({}, { echo: true });
    const seen: BamDmuxChannel[] = [];
    rig.dmux.channels$.subscribe((c) => seen.push(c));
    rig.modem.start([2]);
    rig.settle();
    const open = seen[0].open();
    rig.settle();
    await open;
    const got: number[][] = [];
    seen[0].packets$.subscribe((p) => got.push([...p.data]));
    seen[0].send(new Uint8Array([0x60, 1, 2, 3, 4]));
    rig.settle();
    await flushPromises();
    expect(got).to.deep.equal([[0x60, 1, 2, 3, 4]]);
    rig.dmux.dispose();
  });
});
