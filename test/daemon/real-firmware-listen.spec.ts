import { expect } from 'chai';
import { runScript } from '../helpers/processes';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireLinuxFirmware } from '../firmware/linux-firmware';

const DIST = resolve(__dirname, '..', '..');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');
const QRTR = join(DIST, 'src', 'cli', 'qrtr.js');
const CARD = join(__dirname, 'fixtures', 'real-firmware-card.js');

interface Line {
  readonly connected?: boolean;
  readonly downloading?: boolean;
  readonly running?: boolean;
  readonly boots?: number;
  readonly violations?: string[];
  readonly received?: string[];
}

/** A child node process whose stdout JSON lines can be awaited one predicate at a time. */
class Child {
  readonly process: ChildProcess;
  private readonly lines: Line[] = [];
  private stderr = '';
  private readonly waiters: { test: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];

  constructor(script: string, args: string[]) {
    this.process = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buffered = '';
    this.process.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const text = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let line: Line;
        try {
          line = JSON.parse(text) as Line;
        } catch {
          line = {};
        }
        this.lines.push(line);
        for (const w of this.waiters.filter((w) => w.test(line))) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
    this.process.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  /** Whether any line so far passes `test`. */
  seen(test: (l: Line) => boolean): boolean {
    return this.lines.some(test);
  }

  when(test: (l: Line) => boolean, what: string, timeoutMs = 30_000): Promise<Line> {
    const seen = this.lines.find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} in ${timeoutMs} ms; stderr: ${this.stderr}`)), timeoutMs);
      this.process.once('exit', (code) => reject(new Error(`exited with ${code} before ${what}; stderr: ${this.stderr}`)));
      this.waiters.push({ test, resolve: (l) => (clearTimeout(timer), resolvePromise(l)) });
    });
  }

  kill(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return Promise.resolve();
    return new Promise((r) => {
      this.process.once('exit', () => r());
      this.process.kill('SIGKILL');
    });
  }
}


interface CardRow {
  key: string;
  endpoint: number;
  node?: number;
  state: string;
  chip?: string;
  boardId?: number;
  boardName?: string;
  boardSource?: string;
  boardFile?: string;
  caldataFile?: string;
  m3File?: string;
  recoveries: number;
  identity?: { address?: string };
  lastError?: { code: string };
}

describe('qrtrd as a process: three identical QCN9074 over --listen from real firmware-atheros files', function () {
  this.timeout(120_000);
  let dir: string;
  let daemon: Child | undefined;
  const cards: Child[] = [];

  after(async () => {
    await Promise.all(cards.map((c) => c.kill()));
    await daemon?.kill();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('should know each card by its node and stop each, typed, before any address: a listening socket lends no host memory', async function () {
    const real = join(requireLinuxFirmware(this), 'ath11k', 'QCN9074', 'hw1.0');
    dir = mkdtempSync(join(tmpdir(), 'qrtrd-real-fw-'));
    // The firmware tree is what a distribution installs under /lib/firmware, plus per-card caldata.
    const fwDir = join(dir, 'firmware');
    const chipDir = join(fwDir, 'ath11k', 'QCN9074', 'hw1.0');
    mkdirSync(chipDir, { recursive: true });
    for (const f of ['board-2.bin', 'm3.bin']) symlinkSync(realpathSync(join(real, f)), join(chipDir, f));
    const addresses = ['0000:51:00.0', '0000:52:00.0', '0000:53:00.0'];
    const boardIds = [160, 164, 255];
    const caldataFiles = addresses.map((a) => {
      const file = join(chipDir, `cal-pci-${a}.bin`);
      writeFileSync(file, createHash('sha512').update(`caldata of ${a}`).digest().subarray(0, 64));
      return file;
    });
    const listen = join(dir, 'remote.sock');
    const socket = join(dir, 'qrtrd.sock');
    const config = join(dir, 'qrtrd.json');
    // A --listen link knows nothing of the device: the configuration names each card by the node it presents.
    writeFileSync(
      config,
      JSON.stringify({
        cardIdentities: addresses.map((address, i) => ({ node: 7 + i, bus: 'pci', address, vendor: '0x17cb', device: '0x1104', subsystemVendor: '0x17cb', subsystemDevice: '0x1104' })),
      }),
    );
    daemon = new Child(QRTRD, ['--no-sim', '--config', config, '--listen', listen, '--socket', socket, '--firmware-dir', fwDir, '--quiet', '--log-file', join(dir, 'log.json')]);
    // The daemon writes 'qrtrd ready' (not JSON) on stdout: wait for its socket instead.
    await waitFor(async () => (await runScript(QRTR, ['cards', '--json', '--socket', socket])).code === 0, 'the daemon socket');

    const boardName = (b: number): string => `bus=pci,qmi-chip-id=0,qmi-board-id=${b}`;
    const spawnCard = (i: number): Child =>
      new Child(CARD, [JSON.stringify({ listen, chip: 'QCN9074', pciAddress: addresses[i], boardId: boardIds[i], node: 7 + i, boardFile: join(real, 'board-2.bin'), boardName: boardName(boardIds[i]), caldataFile: caldataFiles[i] })]);
    cards.push(spawnCard(0), spawnCard(1), spawnCard(2));
    // A --listen socket lends no host memory: QCN9074 needs RESPOND_MEM and M3 buffers, so each card
    // stops there with the typed error (no address is invented), each known by its node and configured
    // identity. The real board entries are checked byte for byte over the MHI link, which lends
    // memory, in plugins/ath11k/test/linux-firmware.spec.ts.
    let rows: CardRow[] = [];
    await waitFor(async () => {
      // `qrtr cards` exits non-zero while a card has failed; the rows are on stdout all the same.
      const r = await runScript(QRTR, ['cards', '--json', '--socket', socket]);
      rows = r.stdout ? (JSON.parse(r.stdout) as CardRow[]).filter((row) => row.state === 'failed') : [];
      return rows.length === 3;
    }, 'three cards stopped for want of host memory');
    rows.sort((a, b) => (a.node ?? 0) - (b.node ?? 0));
    expect(rows.map((r) => [r.node, r.state, r.lastError?.code, r.identity?.address])).to.deep.equal(
      addresses.map((a, i) => [7 + i, 'failed', 'DEVICE_MEMORY_UNAVAILABLE', a]),
    );
    for (const r of rows) expect(r.key).to.match(/^socket:/);
    expect(cards.map((c) => c.seen((l) => l.running === true || l.downloading === true))).to.deep.equal([false, false, false]);
  });
});

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} not reached in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
