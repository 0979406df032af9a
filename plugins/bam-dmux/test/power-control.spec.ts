import { expect } from 'chai';
import { Observable, type SchedulerLike } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import {
  BamDmuxChannel,
  BamDmuxError,
  BamDmuxPowerControl,
  BamDmuxPowerTimeoutError,
  type BamDmuxPowerLines,
} from '../src';
import { createRig, flushPromises, openChannel0, type Rig } from './helpers';

/** A rig with channel 0 open locally, then left to autosuspend. */
async function suspendedRig(modemOptions: Parameters<typeof createRig>[1] = {}): Promise<{ rig: Rig; channel: BamDmuxChannel }> {
  const rig = createRig({}, modemOptions);
  let channel!: BamDmuxChannel;
  rig.dmux.channels$.subscribe((c) => (channel = c));
  rig.modem.start([0]);
  rig.settle();
  const open = channel.open();
  rig.settle();
  rig.clock.advance(100);
  rig.settle();
  await open;
  expect(rig.dmux.powerState).to.equal('active');
  rig.clock.advance(1000);
  expect(rig.dmux.powerState).to.equal('suspended');
  expect(rig.lines.hostVote).to.equal(false);
  rig.clock.advance(100); // the modem acks the withdrawal
  rig.settle();
  return { rig, channel };
}

describe('BamDmuxPowerControl', () => {
  it('should follow resume, ack and autosuspend in virtual time (marbles)', () => {
    const testScheduler = new TestScheduler((actual, expected) => {
      expect(actual).to.deep.equal(expected);
    });
    testScheduler.run(({ hot, expectObservable }) => {
      const votes: string[] = [];
      const lines: BamDmuxPowerLines = {
        setVote: (on) => votes.push(`${testScheduler.now()}:${on}`),
        toggleAck: () => undefined,
        remotePower$: hot('a', { a: true }),
        remoteAck$: hot('-- 10ms a', { a: undefined }) as Observable<void>,
      };
      const power = new BamDmuxPowerControl(
        { lines, scheduler: testScheduler as SchedulerLike },
        { remotePower: () => undefined, active: () => undefined, resumeFailed: () => undefined },
      );
      testScheduler.schedule(() => power.get(), 1);
      testScheduler.schedule(() => power.put(), 20);
      expectObservable(power.state$).toBe('s r 10ms a 1007ms s', { s: 'suspended', r: 'resuming', a: 'active' });
      testScheduler.schedule(() => {
        expect(votes).to.deep.equal(['1:true', '1020:false']);
      }, 1500);
    });
  });

  it('should defer TX while resuming and flush it after the ack', async () => {
    const { rig, channel } = await suspendedRig({ ackDelayMs: 50 });
    expect(channel.send(new Uint8Array([0x45, 1, 2, 3]))).to.equal(true);
    expect(channel.send(new Uint8Array([0x45, 4, 5, 6]))).to.equal(true);
    expect(rig.dmux.powerState).to.equal('resuming');
    expect(rig.lines.hostVote).to.equal(true);
    expect(rig.transport.txPending).to.equal(0);
    expect(rig.dmux.stats().txDeferred).to.equal(2);
    rig.clock.advance(49);
    expect(rig.transport.txPending).to.equal(0);
    rig.clock.advance(1);
    expect(rig.dmux.powerState).to.equal('active');
    expect(rig.transport.txPending).to.equal(2);
    expect([...rig.transport.peekTx()!.subarray(8, 12)]).to.deep.equal([0x45, 1, 2, 3]);
    rig.dmux.dispose();
  });

  it('should autosuspend 1 s after the last TX completes, not before', async () => {
    const { rig, channel } = await suspendedRig();
    channel.send(new Uint8Array([0x45]));
    rig.settle();
    expect(rig.dmux.powerState).to.equal('active');
    expect(rig.modem.stats().txConsumed).to.be.greaterThan(0);
    rig.clock.advance(999);
    expect(rig.dmux.powerState).to.equal('active');
    rig.clock.advance(1);
    expect(rig.dmux.powerState).to.equal('suspended');
    expect(rig.lines.hostVote).to.equal(false);
    rig.dmux.dispose();
  });

  it('should time out after 2 s on a missed ack, withdraw the vote and drop the deferred TX with a reason', async () => {
    const { rig, channel } = await suspendedRig();
    const errors: BamDmuxPowerTimeoutError[] = [];
    rig.dmux.powerErrors$.subscribe((e) => errors.push(e));
    rig.modem.missNextAcks(1);
    channel.send(new Uint8Array([0x45, 1]));
    rig.clock.advance(1999);
    expect(rig.dmux.powerState).to.equal('resuming');
    expect(errors).to.have.length(0);
    rig.clock.advance(1);
    expect(errors.map((e) => [e.code, e.details.stage])).to.deep.equal([['BAM_DMUX_POWER_TIMEOUT', 'vote-ack']]);
    expect(errors[0]).to.be.instanceOf(BamDmuxError);
    expect(rig.dmux.powerState).to.equal('suspended');
    expect(rig.lines.hostVote).to.equal(false);
    expect(rig.dmux.stats().drops.BAM_DMUX_TX_ABORTED).to.equal(1);
    expect(rig.dmux.stats().txDeferred).to.equal(0);
    expect(rig.dmux.stats().power.timeouts).to.equal(1);
    expect(rig.dmux.txWritable).to.equal(true);
    rig.dmux.dispose();
  });

  it('should recover on the next TX once the modem acks again', async () => {
    const { rig, channel } = await suspendedRig();
    rig.modem.missNextAcks(1);
    channel.send(new Uint8Array([0x45, 1]));
    rig.clock.advance(2000);
    rig.settle(); // the withdrawal is acked
    expect(channel.send(new Uint8Array([0x45, 2]))).to.equal(true);
    rig.settle();
    expect(rig.dmux.powerState).to.equal('active');
    expect(rig.dmux.stats().txPackets).to.equal(2);
    expect(rig.modem.stats().txConsumed).to.equal(2); // OPEN and the second packet
    rig.dmux.dispose();
  });

  it('should fail without voting when the previous withdrawal was never acked', async () => {
    const { rig, channel } = await suspendedRig();
    rig.modem.missNextAcks(2); // the up-vote and the withdrawal after its timeout
    channel.send(new Uint8Array([0x45, 1]));
    rig.clock.advance(2000);
    const votesBefore = rig.modem.stats().votesSeen;
    const errors: BamDmuxPowerTimeoutError[] = [];
    rig.dmux.powerErrors$.subscribe((e) => errors.push(e));
    channel.send(new Uint8Array([0x45, 2]));
    rig.clock.advance(2000);
    expect(errors.map((e) => e.details.stage)).to.deep.equal(['previous-ack']);
    expect(rig.modem.stats().votesSeen).to.equal(votesBefore);
    rig.dmux.dispose();
  });

  it('should time out waiting for the modem to power up, and withdraw the vote', async () => {
    const { rig, channel } = await suspendedRig();
    rig.modem.powerUpOnVote = false;
    rig.modem.setPower(false);
    rig.settle();
    const errors: BamDmuxPowerTimeoutError[] = [];
    rig.dmux.powerErrors$.subscribe((e) => errors.push(e));
    channel.send(new Uint8Array([0x45, 1]));
    rig.clock.advance(0);
    expect(rig.dmux.powerState).to.equal('resuming');
    rig.clock.advance(2000);
    expect(errors.map((e) => e.details.stage)).to.deep.equal(['remote-up']);
    expect(rig.lines.hostVote).to.equal(false);
    rig.dmux.dispose();
  });

  it('should keep receiving while suspended (RX follows the modem, not our vote)', async () => {
    const { rig, channel } = await suspendedRig();
    const got: number[] = [];
    channel.packets$.subscribe((p) => got.push(p.data[1]));
    rig.modem.sendData(0, new Uint8Array([0x45, 42]));
    rig.settle();
    expect(rig.dmux.powerState).to.equal('suspended');
    expect(got).to.deep.equal([42]);
    rig.dmux.dispose();
  });

  it('should stop RX, abort in-flight TX and ack when the modem powers down', async () => {
    const rig = createRig({}, { autoConsumeTx: false });
    const channel = await openChannel0(rig);
    channel.send(new Uint8Array([0x45, 1]));
    rig.settle();
    expect(rig.transport.txPending).to.equal(1);
    const acks = rig.lines.hostAcks;
    rig.modem.setPower(false);
    expect(rig.lines.hostAcks).to.equal(acks + 1);
    expect(rig.transport.rxAvailable).to.equal(0);
    expect(rig.transport.txPending).to.equal(0);
    expect(rig.dmux.stats().drops.BAM_DMUX_TX_ABORTED).to.equal(1);
    expect(rig.dmux.powerState).to.equal('suspended');
    rig.modem.setPower(true);
    expect(rig.transport.rxAvailable).to.equal(32);
    await flushPromises();
    rig.dmux.dispose();
  });
});
