import { expect } from 'chai';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Container } from 'inversify';
import { RpmsgBackend, RpmsgEndpoint, rpmsgBackendModule } from '../../src/links/rpmsg';
import { BACKEND_CONTRIBUTION, Router, getContributions, routerModule, type BackendContribution } from '../../src/router';
import { QrtrType } from '../../src/wire';
import { hasPython, sourceFixture, spawnChild, tempDir, until } from './helpers';

const RPMSG_NODE = path.join(__dirname, 'fixtures', 'rpmsg-node.js');

describe('RpmsgEndpoint', () => {
  it('should carry one QRTR packet per message over a boundary-preserving descriptor (SOCK_SEQPACKET stand-in for /dev/rpmsgN)', async function () {
    if (!hasPython()) {
      // CI installs python3 (.ci/apt.d/kernel.txt): there a missing interpreter is a failure.
      if (process.env.CI === 'true') throw new Error('python3 is required when CI=true');
      console.log('      python3 is needed to create a SOCK_SEQPACKET socketpair (Node cannot)');
      this.skip();
    }
    this.timeout(20000);
    const harness = spawnChild('python3', [sourceFixture('test/links/fixtures/seqpacket_harness.py'), process.execPath, RPMSG_NODE]);
    const report = JSON.parse(await harness.ready);
    expect(report.child_exit, report.child_stderr).to.equal(0);
    expect(report.boundaries_ok).to.equal(true);
    // The router greeted the link with HELLO and the exchange went through whole packets.
    expect(report.types[0]).to.equal(QrtrType.HELLO);
    expect(report.echoed).to.equal(21);
    const child = report.child;
    expect(child.key).to.deep.equal({ kind: 'rpmsg', key: 'IPCRTR' });
    expect(child.server).to.deep.include({ service: 15, node: 5, port: 2 });
    const reversed = (text: string): string => [...text].reverse().join('');
    expect(child.replies).to.deep.equal([
      ...[...Array(12).keys()].map((i) => reversed(`ping ${i}`)),
      ...[...Array(9).keys()].map((i) => reversed(`burst ${i}`)),
    ]);
    // Two packets in one message and a 33-byte message are each one bad packet: no framing.
    expect(child.malformed).to.equal(2);
    expect(child.closeReason).to.equal('eof');
    expect(child.serversAfterDetach).to.equal(0);
  });

  it('should fail to open a missing device with a typed error naming the path', async () => {
    try {
      await RpmsgEndpoint.open('/nonexistent/rpmsg0');
      expect.fail('open should fail');
    } catch (err) {
      expect((err as { code: string }).code).to.equal('QRTR_LINK_IO');
      expect((err as { details: { errno: string } }).details.errno).to.equal('ENOENT');
    }
  });

  it('should refuse packets over the channel limit without writing them', async () => {
    const tmp = tempDir('rpmsg');
    const file = path.join(tmp.dir, 'sink');
    fs.writeFileSync(file, '');
    const endpoint = await RpmsgEndpoint.open(file, 'sink', { maxPacketLength: 512 });
    try {
      await endpoint.transmit(new Uint8Array(1024));
      expect.fail('transmit should fail');
    } catch (err) {
      expect((err as { code: string }).code).to.equal('QRTR_LINK_PACKET_TOO_LARGE');
    }
    await endpoint.transmit(new Uint8Array(64).fill(7));
    expect(fs.readFileSync(file)).to.have.length(64);
    endpoint.close();
    tmp.remove();
  });

  it('should write packets one at a time, in order, and bound the write queue', async () => {
    const tmp = tempDir('rpmsg');
    const file = path.join(tmp.dir, 'sink');
    fs.writeFileSync(file, '');
    const endpoint = await RpmsgEndpoint.open(file, 'sink', { writeQueueLimitBytes: 64 * 100 });
    const packets = [...Array(100).keys()].map((i) => new Uint8Array(64).fill(i));
    await Promise.all(packets.map((p) => endpoint.transmit(p)));
    const written = fs.readFileSync(file);
    expect([...Array(100).keys()].map((i) => written[i * 64])).to.deep.equal([...Array(100).keys()]);
    const outcomes = await Promise.all(
      [...Array(101).keys()].map((i) => endpoint.transmit(new Uint8Array(64).fill(i)).then(() => 'ok', (e) => e.code)),
    );
    expect(outcomes.filter((o) => o === 'QRTR_LINK_WRITE_QUEUE_FULL')).to.have.length(1);
    endpoint.close();
    const late = await endpoint.transmit(new Uint8Array(4)).catch((e) => e.code);
    expect(late).to.equal('QRTR_LINK_CLOSED');
    tmp.remove();
  });

  it('should attach configured devices as a BACKEND_CONTRIBUTION and skip missing ones', async () => {
    const tmp = tempDir('rpmsg');
    const file = path.join(tmp.dir, 'rpmsg7');
    fs.writeFileSync(file, '');
    const container = new Container();
    container.load(routerModule, rpmsgBackendModule({ devices: [{ path: file, name: 'modem:IPCRTR' }, { path: path.join(tmp.dir, 'missing') }] }));
    const [backend] = getContributions<BackendContribution>(container, BACKEND_CONTRIBUTION);
    expect(backend).to.be.instanceOf(RpmsgBackend);
    const router = container.get(Router);
    const seen: string[] = [];
    router.endpointEvents$.subscribe((e) => seen.push(`${e.type} ${e.key.kind}:${e.key.key}`));
    await backend.start(router);
    // A regular file reads EOF at once: the endpoint attaches, then detaches like a vanished device.
    await until(() => seen.length === 2, 'attach and detach');
    expect(seen).to.deep.equal(['attached rpmsg:modem:IPCRTR', 'detached rpmsg:modem:IPCRTR']);
    await backend.stop();
    router.shutdown();
    tmp.remove();
  });
});
