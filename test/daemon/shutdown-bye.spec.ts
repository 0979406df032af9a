import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { QRTR_PORT_CTRL, QrtrStreamFramer, QrtrType, decodeControl, decodePacket } from '../../src/wire';

const DIST = resolve(__dirname, '..', '..');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');

describe('qrtrd stopping on a signal', function () {
  this.timeout(30_000);
  let dir: string;
  let daemon: ChildProcess | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'qrtrd-bye-'));
  });
  afterEach(() => {
    // A failed expectation must not leave the daemon running (mocha would wait for it).
    if (daemon && daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
    daemon = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('should send BYE to a remote peer on SIGTERM before closing its link, and exit 0', async () => {
    const listen = join(dir, 'remote.sock');
    const child = spawn(process.execPath, [QRTRD, '--no-sim', '--listen', listen, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
    daemon = child;
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`not ready in 20 s; stderr: ${stderr}`)), 20_000);
      child.stdout!.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/qrtrd ready/.test(stdout)) {
          clearTimeout(timer);
          res();
        }
      });
    });
    const received: { type: number; node: number; srcPort: number }[] = [];
    const framer = new QrtrStreamFramer((bytes) => {
      const packet = decodePacket(bytes);
      if (packet.type !== QrtrType.DATA && packet.srcPort === QRTR_PORT_CTRL) {
        received.push({ type: packet.type, node: decodeControl(packet.payload).node, srcPort: packet.srcPort });
      }
    });
    const peer = net.connect(listen);
    await new Promise<void>((res, rej) => peer.once('connect', res).once('error', rej));
    const closed = new Promise<void>((res) => peer.once('close', () => res()));
    peer.on('data', (d: Buffer) => framer.push(new Uint8Array(d)));
    peer.on('error', () => undefined);
    // The daemon has taken the connection as an endpoint once its HELLO arrives.
    const helloDeadline = Date.now() + 10_000;
    while (!received.some((p) => p.type === QrtrType.HELLO) && Date.now() < helloDeadline) await new Promise((r) => setTimeout(r, 20));
    expect(received.map((p) => p.type), 'HELLO from the daemon').to.include(QrtrType.HELLO);
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    child.kill('SIGTERM');
    await closed;
    expect(received.filter((p) => p.type === QrtrType.BYE).map((p) => p.node), 'BYE from node 1 before the link closed').to.deep.equal([1]);
    expect(await exited).to.equal(0);
  });
});
