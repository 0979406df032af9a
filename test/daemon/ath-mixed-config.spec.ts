import { expect } from 'chai';
import * as path from 'node:path';
import pino from 'pino';
import { loadConfigFile } from '../../src/daemon/config';
import { QrtrdDaemon } from '../../src/daemon/daemon';
import type { WlfwCardStatus } from '../../plugins/wlfw/src';

// docs/examples/ath-mixed.json, the configuration docs/ath.md documents: two QCN9074, a WCN6855
// hw2.1, an IPQ8074 (cold-boot calibration with its power cycle, fixed memory and fixed BDF
// address) and a WCN7850 on one host, each brought up by its family's loader.
describe('docs/examples/ath-mixed.json (five cards of both families)', function () {
  this.timeout(30_000);
  let daemon: QrtrdDaemon | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  it('should bring every card up with the revision, calibration and family the kernel would choose', async () => {
    const config = loadConfigFile(path.join(process.cwd(), 'docs/examples/ath-mixed.json'));
    daemon = new QrtrdDaemon({ ...config, console: false }, pino({ level: 'silent' }));
    await daemon.start();
    await daemon.whenReady(25_000);
    const cards = (daemon.section('cards')?.rows ?? []).map((r) => r.data as WlfwCardStatus);
    const rows = cards.map((c) => [c.key, c.family, c.chip, c.hwRev, c.state, c.calDone ?? false]);
    expect(rows).to.have.deep.members([
      ['mhi:0000:01:00.0', 'ath11k', 'QCN9074', 'hw1.0', 'ready', false],
      ['mhi:0000:02:00.0', 'ath11k', 'QCN9074', 'hw1.0', 'ready', false],
      ['mhi:0000:03:00.0', 'ath11k', 'WCN6855', 'hw2.1', 'ready', false],
      ['mhi:0000:05:00.0', 'ath11k', 'IPQ8074', 'hw2.0', 'ready', true],
      ['mhi:0000:04:00.0', 'ath12k', 'WCN7850', 'hw2.0', 'ready', false],
    ]);
    expect(cards.length).to.equal(5);
    const ipq = cards.find((c) => c.chip === 'IPQ8074')!;
    expect(ipq.chipBy).to.equal('compatible');
    // The calibration power cycle is not a crash.
    expect(ipq.recoveries).to.equal(0);
  });
});
