import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import { DEFAULT_CONFIG, parseConfig, type QrtrdConfig } from '../../src/daemon/config';
import { QrtrdDaemon } from '../../src/daemon/daemon';
import { hasPython, sourceFixture, spawnChild, tempDir, until } from './helpers';

const RPMSG_NODE = path.join(__dirname, 'fixtures', 'rpmsg-node.js');
const quiet = pino({ level: 'silent' });

function configWith(links: unknown[]): QrtrdConfig {
  return parseConfig({ links, simulation: { enabled: false, cards: [], modem: null }, plugins: [], console: false }, 'test.json', DEFAULT_CONFIG);
}

async function startFailure(config: QrtrdConfig): Promise<{ code: string; details: Record<string, unknown> }> {
  const daemon = new QrtrdDaemon(config, quiet);
  try {
    await daemon.start();
  } catch (err) {
    return err as { code: string; details: Record<string, unknown> };
  } finally {
    await daemon.stop();
  }
  throw new Error('start should have failed');
}

describe('links from the configuration file', () => {
  for (const [kind, key] of [
    ['rpmsg', { kind: 'rpmsg', key: 'IPCRTR' }],
    ['mhi', { kind: 'mhi', key: '0000:05:00.0' }],
  ] as const) {
    it(`should run a configured ${kind} link over a message-preserving stand-in (SOCK_SEQPACKET socketpair): one packet per message, the exchange whole`, async function () {
      if (!hasPython()) {
        // CI installs python3 (.ci/apt.d/kernel.txt): there a missing interpreter is a failure.
        if (process.env.CI === 'true') throw new Error('python3 is required when CI=true');
        console.log('      python3 is needed to create a SOCK_SEQPACKET socketpair (Node cannot)');
        this.skip();
      }
      this.timeout(20000);
      const harness = spawnChild('python3', [sourceFixture('test/links/fixtures/seqpacket_harness.py'), process.execPath, RPMSG_NODE, kind]);
      const report = JSON.parse(await harness.ready);
      expect(report.child_exit, report.child_stderr).to.equal(0);
      expect(report.boundaries_ok).to.equal(true);
      expect(report.echoed).to.equal(21);
      expect(report.child.key).to.deep.equal(key);
      expect(report.child.server).to.deep.include({ service: 15, node: 5, port: 2 });
      // Two packets in one message and a 33-byte message are each one bad packet: no framing.
      expect(report.child.malformed).to.equal(2);
      expect(report.child.serversAfterDetach).to.equal(0);
    });
  }

  it('should open the configured device path of each kind and key the endpoint by it', async () => {
    const tmp = tempDir('links');
    const rpmsg = path.join(tmp.dir, 'rpmsg3');
    const mhi = path.join(tmp.dir, 'mhi_IPCR');
    fs.writeFileSync(rpmsg, '');
    fs.writeFileSync(mhi, '');
    const daemon = new QrtrdDaemon(configWith([{ kind: 'rpmsg', device: rpmsg, name: 'adsp:IPCRTR' }, { kind: 'mhi', device: mhi, pciAddress: '0000:07:00.0' }]), quiet);
    const seen: string[] = [];
    daemon.router.endpointEvents$.subscribe((e) => seen.push(`${e.type} ${e.key.kind}:${e.key.key}`));
    await daemon.start();
    // A regular file reads EOF at once: each endpoint attaches, then detaches like a vanished device.
    await until(() => seen.length === 4, 'attach and detach of both');
    expect([...seen].sort()).to.deep.equal(['attached mhi:0000:07:00.0', 'attached rpmsg:adsp:IPCRTR', 'detached mhi:0000:07:00.0', 'detached rpmsg:adsp:IPCRTR']);
    await daemon.stop();
    tmp.remove();
  });

  it('should fail the start with a typed error naming the key or the device', async () => {
    expect(await startFailure(configWith([{ kind: 'usb' }]))).to.include({ code: 'QRTR_LINK_CONFIG_INVALID' }).and.have.nested.property('details.key', 'links[0].kind');
    expect((await startFailure(configWith([{ kind: 'mhi', device: '/dev/mhi_IPCR' }]))).details.key).to.equal('links[0].pciAddress');
    expect((await startFailure(configWith([{ kind: 'rpmsg', device: 'rpmsg0' }]))).details.key).to.equal('links[0].device');
    expect((await startFailure(configWith([{ kind: 'rpmsg', device: '/dev/rpmsg0', speed: 9 }]))).details.key).to.equal('links[0].speed');
    const missing = await startFailure(configWith([{ kind: 'rpmsg', device: '/nonexistent/rpmsg0' }]));
    expect(missing.code).to.equal('QRTR_LINK_IO');
    expect(missing.details.errno).to.equal('ENOENT');
    expect(() => parseConfig({ links: [{ device: '/dev/rpmsg0' }] }, 'f.json')).to.throw().with.property('code', 'QRTRD_CONFIG_INVALID');
  });
});
