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
      res({ code, left, stderr });
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

  // Reproduced, not yet fixed: SIGTERM while the WLFW cards are still loading firmware (after the
  // ready line, ~3200 bytes of log) leaves qrtrd running; skipped with this reason until fixed.
  it.skip('should exit 0 on SIGTERM while the simulated cards are mid-bring-up after the ready line (known hang, issue #19)');

  it('should stop cleanly on SIGINT when started with SIGINT ignored', async () => {
    const { code, left, stderr } = await stopDuringStart('SIGINT', 400, true);
    expect(code, stderr).to.equal(0);
    expect(left).to.deep.equal([]);
  });
});
