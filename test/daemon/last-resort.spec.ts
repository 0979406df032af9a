import { expect } from 'chai';
import { join } from 'node:path';
import { QrtrType } from '../../src/wire';
import { SocketPeer } from '../helpers/socket-peer';
import { DaemonUnderTest, until } from '../soak/soak-harness';

describe('qrtrd process: errors no boundary caught', function () {
  this.timeout(30_000);
  let daemon: DaemonUnderTest;

  before(async () => {
    // --plugin paths are resolved against the current directory: name the built modules.
    const dist = join(__dirname, '..', '..');
    daemon = await DaemonUnderTest.start(['--no-default-plugins', '--plugin', join(dist, 'plugins', 'ath11k'), '--plugin', join(dist, 'test', 'daemon', 'fixtures', 'chaos-plugin')]);
  });

  after(async () => {
    await daemon?.stop();
  });

  it('should log and count a piped subscriber that throws, an unawaited rejection and a throw from a timer, and keep routing', async () => {
    const local = await daemon.conn.openSocket();
    let delivered = 0;
    local.messages$.subscribe(() => delivered++);
    for (let i = 0; i < 20; i++) {
      const peer = await SocketPeer.connect(daemon.listenPath, 7);
      const greeted = peer.next((p) => p.type === QrtrType.HELLO);
      peer.hello();
      await greeted;
      peer.announce(4242, 1, i, 1);
      peer.data(1, local.address.port, new Uint8Array(4));
      await until('the datagram', () => delivered === i + 1);
      await peer.close();
    }
    await until('the chaos to be counted', async () => {
      const c = (await daemon.status()).contained!;
      return c.subscriber >= 20 && c.unhandledRejection >= 20 && c.uncaughtException >= 20;
    });
    expect(daemon.died).to.equal(undefined);
    const status = await daemon.status();
    expect(status.plugins.map((p) => [p.name, p.state])).to.deep.equal([
      ['ath11k', 'started'],
      ['chaos', 'started'],
    ]);
    await daemon.terminate();
    const lines = daemon.logLines().filter((l) => l.component === 'last-resort');
    // One line per kind and code at once, then one summary per interval: not one per error.
    expect(lines.map((l) => `${String(l.how)} ${String(l.code)}`).sort()).to.deep.equal([
      'subscriber UNCAUGHT_Error',
      'subscriber UNCAUGHT_Error',
      'uncaughtException UNCAUGHT_TypeError',
      'uncaughtException UNCAUGHT_TypeError',
      'unhandledRejection UNCAUGHT_Error',
      'unhandledRejection UNCAUGHT_Error',
    ]);
  });
});
