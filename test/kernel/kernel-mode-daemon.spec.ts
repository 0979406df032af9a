import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { KernelBackendUnavailableError, KernelQrtrUnsupportedError } from '../../src/kernel';
import { configFromArgs } from '../../src/cli/qrtrd-args';
import { QrtrdDaemon } from '../../src/daemon/daemon';
import type { QrtrdConfig } from '../../src/daemon/config';

const QRTRD = join(resolve(__dirname, '..', '..'), 'src', 'cli', 'qrtrd.js');

/** Whether this host can run kernel mode at all (then the guest checks cover it). */
function kernelModeUnavailable(): boolean {
  try {
    // Imported lazily so a host without the addon still loads this file.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { KernelSocketProvider } = require('../../src/kernel/kernel-socket-provider') as typeof import('../../src/kernel/kernel-socket-provider');
    KernelSocketProvider.open();
    return false;
  } catch {
    return true;
  }
}

describe('qrtrd --kernel on a host without AF_QIPCRTR', function () {
  before(function () {
    if (!kernelModeUnavailable()) {
      console.log('      pending: this kernel has AF_QIPCRTR; the guest checks cover kernel mode');
      this.skip();
    }
  });

  it('should reject start() with one typed error before anything attaches', async () => {
    const config = configFromArgs(['--kernel', '--no-sim', '--quiet']) as QrtrdConfig;
    const daemon = new QrtrdDaemon(config, pino({ level: 'silent' }));
    let error: unknown;
    await daemon.start().catch((e: unknown) => (error = e));
    expect(error).to.satisfy((e: unknown) => e instanceof KernelQrtrUnsupportedError || e instanceof KernelBackendUnavailableError);
    expect(daemon.router.endpoints().filter((e) => e.id > 1)).to.deep.equal([]);
    await daemon.stop();
  });

  it('should make the qrtrd process exit 1 with the error and its code on one line', async () => {
    const result = await new Promise<{ code: number | null; stderr: string }>((done, fail) => {
      const child = spawn(process.execPath, [QRTRD, '--kernel', '--no-sim', '--log-level', 'silent'], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', fail);
      child.on('exit', (code) => done({ code, stderr }));
    });
    expect(result.code).to.equal(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(/^qrtrd: .*\[(KERNEL_QRTR_UNSUPPORTED|KERNEL_BACKEND_UNAVAILABLE)\]$/);
  });
});
