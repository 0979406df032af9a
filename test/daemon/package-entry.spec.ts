import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..', '..');

/** `require('qrtrd')` from another project (package.json `main`/`exports` → dist/src/index.js). */
describe('the qrtrd package entry', () => {
  it('should resolve from another directory and export the SDK and the client library', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qrtrd-entry-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(REPO, join(dir, 'node_modules', 'qrtrd'));
      const script = "const q = require('qrtrd'); console.log(JSON.stringify(['QrtrdConnection', 'PluginError', 'PluginConfigError', 'qmiCodec', 'u32', 'wlfw'].map((k) => [k, typeof q[k]])))";
      const r = spawnSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' });
      expect(r.status, r.stderr).to.equal(0);
      expect(JSON.parse(r.stdout)).to.deep.equal([['QrtrdConnection', 'function'], ['PluginError', 'function'], ['PluginConfigError', 'function'], ['qmiCodec', 'function'], ['u32', 'object'], ['wlfw', 'object']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
