import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const DIST = resolve(__dirname, '..', '..');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');

interface Entry {
  readonly sha256: string | null;
  readonly mtimeMs: number;
  readonly mode: number;
}

/** Every file and directory under `root` with its checksum (files), mtime and mode. */
function snapshot(root: string): Record<string, Entry> {
  const out: Record<string, Entry> = {};
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const st = statSync(path);
      const isDir = st.isDirectory();
      out[relative(root, path)] = {
        sha256: isDir ? null : createHash('sha256').update(readFileSync(path)).digest('hex'),
        mtimeMs: st.mtimeMs,
        mode: st.mode,
      };
      if (isDir) walk(path);
    }
  };
  walk(root);
  return out;
}

describe('qrtrd never writes its inputs', function () {
  this.timeout(60_000);
  let scratch: string;
  let child: ChildProcess | null = null;

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'qrtrd-readonly-'));
  });
  afterEach(() => {
    // A failed expectation must not leave the daemon running (mocha would wait for it).
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child = null;
    rmSync(scratch, { recursive: true, force: true });
  });

  it("should leave a user's --firmware-dir byte for byte and mtime for mtime as it was while simulating cards over it", async () => {
    const firmware = join(scratch, 'firmware');
    // The files a simulated QCN9074/WCN6855/WCN7850 would need, as a user could have them.
    const files = ['ath11k/QCN9074/hw1.0/m3.bin', 'ath11k/QCN9074/hw1.0/amss.bin', 'ath11k/QCN9074/hw1.0/board-2.bin', 'ath11k/WCN6855/hw2.0/m3.bin', 'ath12k/WCN7850/hw2.0/m3.bin', 'README'];
    for (const [i, file] of files.entries()) {
      mkdirSync(join(firmware, file, '..'), { recursive: true });
      writeFileSync(join(firmware, file), `the user's own ${file} #${i}\n`);
    }
    const before = snapshot(firmware);
    const socket = join(scratch, 'qrtrd.sock');
    const daemon = spawn(process.execPath, [QRTRD, '--firmware-dir', firmware, '--socket', socket, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = daemon;
    let stdout = '';
    let stderr = '';
    daemon.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    daemon.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => daemon.once('exit', (code) => res(code)));
    // Every simulated card is up once the view prints its final tables (after whenReady).
    await new Promise<void>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`qrtrd did not bring the cards up in 40 s; stdout: ${stdout}; stderr: ${stderr}`)), 40_000);
      const check = (): void => {
        if (/qrtrd ready/.test(stdout) && /simulated devices attached/.test(stderr)) {
          clearTimeout(timer);
          res();
        }
      };
      daemon.stdout.on('data', check);
      daemon.stderr.on('data', check);
      void exited.then((code) => rej(new Error(`qrtrd exited ${code}; stderr: ${stderr}`)));
    });
    const written = stderr
      .split('\n')
      .filter((l) => l.includes('synthetic firmware written'))
      .map((l) => (JSON.parse(l) as { firmwareDir: string }).firmwareDir);
    expect(written, 'where the simulations wrote synthetic firmware').to.not.be.empty;
    for (const dir of written) {
      expect(relative(firmware, dir).startsWith('..'), `${dir} is outside the user's firmware dir`).to.equal(true);
      expect(existsSync(dir), `${dir} exists while running`).to.equal(true);
    }
    daemon.kill('SIGTERM');
    expect(await exited).to.equal(0);
    expect(snapshot(firmware)).to.deep.equal(before);
    for (const dir of written) expect(existsSync(dir), `${dir} removed at exit`).to.equal(false);
  });
});

describe('qrtrd refuses unusable paths at start', function () {
  this.timeout(20_000);

  function runQrtrd(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((res, rej) => {
      const p = spawn(process.execPath, [QRTRD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      p.on('error', rej);
      p.on('exit', (code) => res({ code, stdout, stderr }));
    });
  }

  for (const [flag, path, reason] of [
    ['--capture', '/nonexistent-dir/x.pcap', 'directory /nonexistent-dir does not exist'],
    ['--socket', '/nonexistent-dir/qrtrd.sock', 'directory /nonexistent-dir does not exist'],
    ['--listen', '/nonexistent-dir/remote.sock', 'directory /nonexistent-dir does not exist'],
    ['--firmware-dir', '/nonexistent-dir', 'does not exist'],
    ['--firmware-dir', '/etc/hostname', 'is not a directory'],
  ] as const) {
    it(`should refuse ${flag} ${path} before starting: exit 2, one line naming it`, async () => {
      const result = await runQrtrd([flag, path]);
      expect(result.code).to.equal(2);
      expect(result.stdout).to.equal('');
      expect(result.stderr.split('\n')[0]).to.equal(`qrtrd: ${flag} ${path}: ${reason}`);
    });
  }
});
