import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KernelBackendUnavailableError, loadNativeBindingFrom, NATIVE_ABI_VERSION, nativeAddonCandidates, NATIVE_ADDON_ENV } from '../../src/kernel';

function unavailable(fn: () => unknown): KernelBackendUnavailableError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(KernelBackendUnavailableError);
    return error as KernelBackendUnavailableError;
  }
  throw new Error('expected KernelBackendUnavailableError');
}

describe('native-loader', function () {
  let dir: string;

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'qrtrd-loader-'));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  describe('loadNativeBindingFrom()', function () {
    it('should refuse non-Linux platforms with KERNEL_BACKEND_UNAVAILABLE and no load attempt', function () {
      let loads = 0;
      const error = unavailable(() => loadNativeBindingFrom({ platform: 'darwin', candidates: [__filename], load: () => loads++ }));
      expect(error.code).to.equal('KERNEL_BACKEND_UNAVAILABLE');
      expect(error.message).to.contain('only on Linux (this is darwin)');
      expect(loads).to.equal(0);
    });

    it('should list every path tried with its reason, and the remedies', function () {
      const missing = join(dir, 'missing.node');
      const garbage = join(dir, 'garbage.node');
      writeFileSync(garbage, 'not an ELF object');
      const foreign = join(dir, 'foreign.js');
      writeFileSync(foreign, 'module.exports = { hello: 1 };');
      const stale = join(dir, 'stale.js');
      writeFileSync(stale, `module.exports = { abiVersion: ${NATIVE_ABI_VERSION + 1}, socket() {}, Poller: function () {} };`);
      const error = unavailable(() => loadNativeBindingFrom({ platform: 'linux', candidates: [missing, garbage, foreign, stale] }));
      const tried = error.details.tried as Array<{ path: string; error: string }>;
      expect(tried.map((t) => t.path)).to.deep.equal([missing, garbage, foreign, stale]);
      expect(tried[0].error).to.equal('not found');
      expect(tried[1].error).to.match(/invalid ELF header|file too short|not a valid/i);
      expect(tried[2].error).to.contain('not the qrtrd AF_QIPCRTR addon');
      expect(tried[3].error).to.contain('stale build');
      expect(error.message).to.contain(missing).and.contain('node native/build.js').and.contain(NATIVE_ADDON_ENV);
    });

    it('should surface the reason recorded by a failed install-time build', function () {
      mkdirSync(join(dir, 'build', 'Release'), { recursive: true });
      writeFileSync(join(dir, 'build', 'qrtrd-build-failure.txt'), 'node-gyp exited with status 1\nmake: g++: No such file or directory\n');
      const error = unavailable(() => loadNativeBindingFrom({ platform: 'linux', candidates: [join(dir, 'build', 'Release', 'qrtr_native.node')] }));
      expect(error.message).to.contain('the install-time build failed: node-gyp exited with status 1');
    });

    it('should return the first candidate that is the addon', function () {
      const good = join(dir, 'good.js');
      writeFileSync(good, `module.exports = { abiVersion: ${NATIVE_ABI_VERSION}, socket() {}, Poller: function () {} };`);
      const binding = loadNativeBindingFrom({ platform: 'linux', candidates: [join(dir, 'missing.node'), good] });
      expect(binding.abiVersion).to.equal(NATIVE_ABI_VERSION);
    });

    it('should load the addon built by native/build.js', function () {
      if (process.platform !== 'linux') this.skip();
      try {
        const binding = loadNativeBindingFrom();
        expect(binding.abiVersion).to.equal(NATIVE_ABI_VERSION);
        expect(binding.socket).to.be.a('function');
      } catch (error) {
        if (process.env.CI === 'true') throw error;
        console.log(`      pending: addon not built here (${(error as Error).message.split('\n')[0]}); run node native/build.js`);
        this.skip();
      }
    });
  });

  describe('nativeAddonCandidates()', function () {
    it(`should try $${NATIVE_ADDON_ENV} first`, function () {
      const saved = process.env[NATIVE_ADDON_ENV];
      process.env[NATIVE_ADDON_ENV] = join(dir, 'custom.node');
      try {
        expect(nativeAddonCandidates()[0]).to.equal(join(dir, 'custom.node'));
      } finally {
        if (saved === undefined) delete process.env[NATIVE_ADDON_ENV];
        else process.env[NATIVE_ADDON_ENV] = saved;
      }
    });
  });
});
