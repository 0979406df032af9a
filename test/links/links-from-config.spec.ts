import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import pino from 'pino';
import { DEFAULT_CONFIG, parseConfig, type QrtrdConfig } from '../../src/daemon/config';
import { QrtrdDaemon } from '../../src/daemon/daemon';
import { RPMSG_ADDR_ANY, RPMSG_CREATE_EPT_IOCTL, RPMSG_DESTROY_EPT_IOCTL, encodeEndpointInfo } from '../../src/links/rpmsg';
import { hasPython, sourceFixture, spawnChild, tempDir, until } from './helpers';

const RPMSG_NODE = path.join(__dirname, 'fixtures', 'rpmsg-node.js');
const quiet = pino({ level: 'silent' });

function configWith(links: unknown[]): QrtrdConfig {
  return parseConfig({ links, simulation: { enabled: false, cards: [], modem: null }, plugins: [], console: false }, 'test.json', DEFAULT_CONFIG);
}

/** The links as given, past the configuration check: what a program that builds QrtrdConfig itself hands the daemon. */
function uncheckedConfigWith(links: unknown[]): QrtrdConfig {
  return { ...configWith([]), links: links as QrtrdConfig['links'] };
}

/** The key the configuration check refuses (the link kinds' schemas), as a ConfigError's details name it. */
function refusedKey(links: unknown[]): unknown {
  try {
    configWith(links);
  } catch (err) {
    expect(err).to.have.property('code').that.matches(/^QRTRD_CONFIG_/);
    return (err as { details: { key: string } }).details.key;
  }
  throw new Error('the configuration check should have refused the links');
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

  it('should refuse a bad entry in the configuration check and at the factory, naming the same key; a device that cannot be opened fails the start', async () => {
    const cases: [unknown, string][] = [
      [{ kind: 'usb' }, 'links[0].kind'],
      [{ kind: 'mhi', device: '/dev/mhi_IPCR' }, 'links[0].pciAddress'],
      [{ kind: 'rpmsg', device: 'rpmsg0' }, 'links[0].device'],
      [{ kind: 'rpmsg', device: '/dev/rpmsg0', speed: 9 }, 'links[0].speed'],
      [{ kind: 'rpmsg', ctrl: '/dev/rpmsg_ctrl0', device: '/dev/rpmsg0' }, 'links[0].ctrl'],
      [{ kind: 'rpmsg', ctrl: '/dev/rpmsg_ctrl0', channel: '' }, 'links[0].channel'],
    ];
    for (const [link, key] of cases) {
      expect(refusedKey([link]), JSON.stringify(link)).to.equal(key);
      const atFactory = await startFailure(uncheckedConfigWith([link]));
      expect(atFactory, JSON.stringify(link)).to.include({ code: 'QRTR_LINK_CONFIG_INVALID' }).and.have.nested.property('details.key', key);
    }
    const missing = await startFailure(configWith([{ kind: 'rpmsg', device: '/nonexistent/rpmsg0' }]));
    expect(missing.code).to.equal('QRTR_LINK_IO');
    expect(missing.details.errno).to.equal('ENOENT');
    expect(() => parseConfig({ links: [{ device: '/dev/rpmsg0' }] }, 'f.json')).to.throw().with.property('code', 'QRTRD_CONFIG_INVALID');
  });

  describe('rpmsg through /dev/rpmsg_ctrlN (RPMSG_CREATE_EPT_IOCTL)', () => {
    it('should encode struct rpmsg_endpoint_info and the ioctl numbers as include/uapi/linux/rpmsg.h defines them', () => {
      // _IOW(0xb5, 1, 40-byte struct) and _IO(0xb5, 2), computed from the _IOC layout (dir 30, size 16, type 8, nr 0).
      expect(RPMSG_CREATE_EPT_IOCTL).to.equal(((1 << 30) | (40 << 16) | (0xb5 << 8) | 1) >>> 0);
      expect(RPMSG_DESTROY_EPT_IOCTL).to.equal((0xb5 << 8) | 2);
      const info = Buffer.from(encodeEndpointInfo('IPCRTR', RPMSG_ADDR_ANY, 0x400));
      expect(info.length).to.equal(40);
      expect(info.subarray(0, 32).toString('latin1').replace(/\0+$/, '')).to.equal('IPCRTR');
      expect([info.readUInt32LE(32), info.readUInt32LE(36)]).to.deep.equal([0xffffffff, 0x400]);
      expect(() => encodeEndpointInfo('x'.repeat(32))).to.throw(RangeError);
    });

    it('should issue the create ioctl on the configured ctrl device and fail the start with its errno (ENOTTY from a device that is not rpmsg_ctrl)', async () => {
      const failure = await startFailure(configWith([{ kind: 'rpmsg', ctrl: '/dev/null', channel: 'IPCRTR' }]));
      expect(failure.code).to.equal('QRTR_LINK_IO');
      expect(failure.details).to.include({ errno: 'ENOTTY', syscall: 'ioctl' });
      expect(String(failure.details.operation)).to.contain('RPMSG_CREATE_EPT_IOCTL on /dev/null');
    });
  });
});
