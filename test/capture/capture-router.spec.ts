import { expect } from 'chai';
import { Subject } from 'rxjs';
import { CaptureWriteFailedError, captureRouter, readCaptureFile } from '../../src/capture';
import type { PacketTrace } from '../../src/router';
import { PEER_NODE, runScenario } from './scenario';
import { tempDir } from './tmp';

const trace = (endpoint: number, size = 32): PacketTrace => ({
  direction: 'rx',
  endpoint,
  backendKind: 'mhi',
  packet: new Uint8Array(size).fill(endpoint),
  timestamp: 1_700_000_000_000 + endpoint,
});

describe('captureRouter', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => (tmp = tempDir('capture-router')));
  afterEach(() => tmp.cleanup());

  it('should write every packet a real router traces, in order, identical to packets$', async () => {
    const path = tmp.file('scenario.pcap');
    const result = await runScenario(path);
    const records = await readCaptureFile(path);
    expect(result.stats.packets).to.equal(records.length);
    expect(result.stats.dropped).to.equal(0);
    // Traces after stop() (router shutdown) are not in the file; everything before is, byte for byte.
    const expected = result.traces.slice(0, records.length);
    expect(records.map((r) => [r.direction, r.endpoint, r.backendKind, Buffer.from(r.packet).toString('hex'), r.timestamp])).to.deep.equal(
      expected.map((t) => [t.direction, t.endpoint, t.backendKind, Buffer.from(t.packet).toString('hex'), t.timestamp]),
    );
    expect(records.some((r) => r.direction === 'rx' && r.endpoint === result.peerId && r.packet[8] === PEER_NODE)).to.equal(true);
    expect(new Set(records.map((r) => r.direction))).to.deep.equal(new Set(['rx', 'tx', 'local']));
  });

  it('should stop capturing at stop(), and stop() should be idempotent', async () => {
    const packets$ = new Subject<PacketTrace>();
    const capture = captureRouter({ packets$ }, tmp.file('stop.pcap'));
    packets$.next(trace(2));
    const stopped = capture.stop();
    expect(capture.stop()).to.equal(stopped);
    packets$.next(trace(3));
    await stopped;
    expect(packets$.observed).to.equal(false);
    expect((await readCaptureFile(capture.path)).map((r) => r.endpoint)).to.deep.equal([2]);
  });

  it('should capture only what the filter accepts', async () => {
    const packets$ = new Subject<PacketTrace>();
    const capture = captureRouter({ packets$ }, tmp.file('filter.pcap'), { filter: (t) => t.endpoint === 3 });
    for (const e of [2, 3, 4, 3]) packets$.next(trace(e));
    await capture.stop();
    expect((await readCaptureFile(capture.path)).map((r) => r.endpoint)).to.deep.equal([3, 3]);
    expect(capture.stats.packets).to.equal(2);
  });

  it('should drop and count packets past maxBufferedBytes instead of slowing the router', async () => {
    const packets$ = new Subject<PacketTrace>();
    const capture = captureRouter({ packets$ }, tmp.file('drop.pcap'), { maxBufferedBytes: 24 + 3 * 64 });
    for (let i = 0; i < 10; i++) packets$.next(trace(2, 32)); // 16 + 16 + 32 = 64 bytes each
    expect(capture.stats).to.deep.equal({ packets: 3, bytes: 24 + 3 * 64, dropped: 7 });
    await capture.stop();
    expect(await readCaptureFile(capture.path)).to.have.length(3);
  });

  it('should end the capture on a write error and reject stop() with CaptureWriteFailedError', async () => {
    const packets$ = new Subject<PacketTrace>();
    const capture = captureRouter({ packets$ }, tmp.file('no/such/dir/x.pcap'));
    packets$.next(trace(2));
    // The open fails asynchronously (fs on the libuv pool); mocha's timeout bounds the wait.
    while (!capture.error) await new Promise((resolve) => setTimeout(resolve, 1));
    expect(capture.error).to.be.instanceOf(CaptureWriteFailedError);
    packets$.next(trace(2));
    expect(packets$.observed).to.equal(false);
    const err = await capture.stop().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(CaptureWriteFailedError);
  });
});
