import { discoverChecks, type GuestCheckEntry } from './harness/checks';
import { KernelHarnessUnavailable, runKernelSuite, type KernelSuiteRun } from './harness/kernel-suite';

// One VM boot (Linux 6.1 from Debian, under QEMU TCG) runs every check in
// test/kernel/guest/; each check is reported here as its own test. Without QEMU and the
// Debian packages the tests are pending with the reason, except in CI (CI=true), where
// a missing prerequisite is a failure.
describe('Linux kernel QRTR (real kernel under QEMU)', function () {
  const inCi = process.env.CI === 'true';
  let checks: GuestCheckEntry[] = [];
  try {
    checks = discoverChecks();
  } catch (error) {
    it('should find the guest checks', function () {
      throw error;
    });
  }
  let run: KernelSuiteRun | undefined;
  let unavailable: string | undefined;
  let bootError: Error | undefined;

  before(async function () {
    this.timeout(290_000);
    if (checks.length === 0) return;
    const consoleLines: string[] = [];
    try {
      run = await runKernelSuite(checks, (line) => {
        consoleLines.push(line);
        if (process.env.QRTRD_KERNEL_VERBOSE === '1') console.log(`      | ${line}`);
      });
      console.log(
        `      kernel ${run.kernelRelease}: artefacts ${run.artefacts.preparedInSeconds.toFixed(1)} s, VM ${run.vm.seconds.toFixed(1)} s`,
      );
    } catch (error) {
      if (error instanceof KernelHarnessUnavailable) {
        unavailable = error.reason;
        if (!inCi) console.log(`      pending: ${error.message}`);
      } else {
        bootError = error as Error;
      }
    }
  });

  for (const entry of checks) {
    it(entry.title, function () {
      if (unavailable !== undefined) {
        if (inCi) throw new Error(`CI=true but the real-kernel harness cannot run: ${unavailable}`);
        this.skip();
      }
      if (bootError) throw bootError;
      const result = run?.results.get(entry.name);
      if (!result) throw new Error(`the guest reported no result for ${entry.name} (runner crashed or timed out)`);
      if (result.status === 'skip') {
        console.log(`      pending (${entry.name}): ${result.message ?? 'no reason given'}`);
        this.skip();
      }
      if (result.status === 'fail') {
        const error = new Error(`${result.message ?? 'failed'}${result.output ? `\n--- guest output ---\n${result.output}` : ''}`);
        error.stack = error.message;
        throw error;
      }
    });
  }
});
