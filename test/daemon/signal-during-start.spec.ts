import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const DIST = resolve(__dirname, '..', '..');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');

/**
 * Spawns the default simulation with its own TMPDIR, sends `signal` once `afterBytes` of stderr
 * (log lines: start progress) arrived, and reports the exit code and what was left in TMPDIR.
 */
function stopDuringStart(signal: NodeJS.Signals, afterBytes: number, stdinIgnoreSigint = false): Promise<{ code: number | null; left: string[]; stderr: string }> {
  const tmp = mkdtempSync(join(tmpdir(), 'qrtrd-sigstart-'));
  return new Promise((res, rej) => {
    // `sh -c 'trap "" INT; exec node ...'` starts qrtrd with SIGINT ignored, as a shell's background job is.
    const child = stdinIgnoreSigint
      ? spawn('sh', ['-c', `trap '' INT; exec "${process.execPath}" "${QRTRD}" --log-level info`], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } })
      : spawn(process.execPath, [QRTRD, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && stderr.length >= afterBytes) {
        sent = true;
        child.kill(signal);
      }
    });
    child.on('error', rej);
    child.on('exit', (code) => {
      clearTimeout(timer);
      const left = readdirSync(tmp);
      rmSync(tmp, { recursive: true, force: true });
      // A threshold past the whole log would never signal: say so rather than report a "hang".
      if (!sent) return rej(new Error(`the signal was never sent: stderr reached only ${stderr.length} of ${afterBytes} bytes`));
      res({ code, left, stderr });
    });
  });
}

/**
 * Spawns the default simulation (stdout piped: one line per card state change) and sends
 * `signal` as soon as stdout contains `marker`; the exit must follow within 10 s or the
 * child is killed and the exit code is null.
 */
function stopOnOutput(signal: NodeJS.Signals, marker: string): Promise<{ code: number | null; left: string[]; stderr: string; stopMs: number }> {
  const tmp = mkdtempSync(join(tmpdir(), 'qrtrd-sigready-'));
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [QRTRD, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMPDIR: tmp } });
    let stdout = '';
    let stderr = '';
    let sentAt = 0;
    let timer: NodeJS.Timeout | null = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (sentAt === 0 && stdout.includes(marker)) {
        sentAt = Date.now();
        child.kill(signal);
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', rej);
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      const left = readdirSync(tmp);
      rmSync(tmp, { recursive: true, force: true });
      if (sentAt === 0) return rej(new Error(`qrtrd exited before printing '${marker}': ${stdout}`));
      res({ code, left, stderr, stopMs: Date.now() - sentAt });
    });
  });
}

describe('qrtrd stopped during its start', function () {
  this.timeout(120_000);

  // From the first log line (before backends start) to the simulated devices attaching.
  for (const afterBytes of [1, 200, 400, 800, 1600]) {
    it(`should exit 0 and leave no temporary directory on SIGTERM after ${afterBytes} bytes of start log`, async () => {
      const { code, left, stderr } = await stopDuringStart('SIGTERM', afterBytes);
      expect(code, stderr).to.equal(0);
      expect(left, 'left in TMPDIR').to.deep.equal([]);
      expect(stderr).to.not.match(/unhandled|start failed/i);
    });
  }

  // The hang once reported here was this test's own: it waited for ~3200 bytes of log, but the
  // default simulation writes ~2600 bytes in all before the signal, so SIGTERM was never sent
  // and the 15 s SIGKILL looked like a hang. Triggering on what the daemon prints instead, each
  // state of a card's bring-up after the ready line gets its signal.
  for (const marker of ['qrtrd ready', 'downloading', 'm3 ', 'firmware-init', 'WCN7850: ready']) {
    it(`should exit 0 within 5 s on SIGTERM once stdout shows '${marker.trim()}' (cards mid-bring-up after the ready line)`, async () => {
      const { code, left, stderr, stopMs } = await stopOnOutput('SIGTERM', marker);
      expect(code, stderr).to.equal(0);
      expect(stopMs, 'ms from SIGTERM to exit').to.be.below(5000);
      expect(left, 'left in TMPDIR').to.deep.equal([]);
      expect(stderr).to.match(/"msg":"stopped"/);
    });
  }

  it('should keep running with nothing to serve (--no-sim, no --listen or --socket) until SIGTERM', async () => {
    const child = spawn(process.execPath, [QRTRD, '--no-sim'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
    const early = await Promise.race([exited.then((code) => `exited with ${code}`), new Promise<null>((res) => setTimeout(() => res(null), 3000))]);
    expect(early, stderr).to.equal(null);
    child.kill('SIGTERM');
    expect(await exited, stderr).to.equal(0);
    expect(stderr).to.match(/"msg":"shutting down"/).and.to.match(/"msg":"stopped"/);
  });

  it('should stop cleanly on SIGINT when started with SIGINT ignored', async () => {
    const { code, left, stderr } = await stopDuringStart('SIGINT', 400, true);
    expect(code, stderr).to.equal(0);
    expect(left).to.deep.equal([]);
  });
});
