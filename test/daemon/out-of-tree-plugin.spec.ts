import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_CONFIG } from '../../src/daemon/config';

const DIST = resolve(__dirname, '..', '..');
const REPO = resolve(DIST, '..');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');
const QRTR = join(DIST, 'src', 'cli', 'qrtr.js');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(script: string, args: string[], until?: { stdout: RegExp; then: () => Promise<void> }): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let triggered = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (until && !triggered && until.stdout.test(stdout)) {
        triggered = true;
        until.then().then(
          () => child.kill('SIGINT'),
          (err: unknown) => {
            child.kill('SIGKILL');
            fail(err);
          },
        );
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('exit', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/**
 * A plugin that lives outside the repository (a directory of its own that finds qrtrd as the
 * `qrtrd` package), run by the real qrtrd and queried with the real qrtr: it must appear in
 * `qrtr cards`, the live view and the configuration exactly as the built-in plugins do.
 */
describe('an out-of-tree plugin', function () {
  this.timeout(60_000);
  let dir: string;
  let pluginDir: string;
  const acmeCard = { family: 'acme', chip: 'ACME-1', pciAddress: '0000:09:00.0', boardId: 1 };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'qrtrd-oot-'));
    pluginDir = join(dir, 'acme-wifi');
    cpSync(join(REPO, 'test', 'fixtures', 'out-of-tree-plugin'), pluginDir, { recursive: true });
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(REPO, join(dir, 'node_modules', 'qrtrd'));
    for (const dep of ['inversify', 'rxjs', 'reflect-metadata']) symlinkSync(join(REPO, 'node_modules', dep), join(dir, 'node_modules', dep));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  function writeConfig(name: string, extra: Record<string, unknown>): string {
    const file = join(dir, name);
    const config = {
      plugins: [...DEFAULT_CONFIG.plugins, pluginDir],
      simulation: { cards: [...DEFAULT_CONFIG.simulation.cards, acmeCard] },
      pluginConfig: { 'acme-wifi': { greeting: 'hi from acme' } },
      logLevel: 'silent',
      ...extra,
    };
    writeFileSync(file, JSON.stringify(config));
    return file;
  }

  it('should show its cards in qrtr cards (text and --json) and the live view, and its pane, beside the built-in ones', async () => {
    const socket = join(dir, 'qrtrd.sock');
    const file = writeConfig('good.json', { socket });
    let text: Ran | undefined;
    let json: Ran | undefined;
    const daemon = await run(QRTRD, ['--config', file], {
      stdout: /^Endpoints:$/m,
      then: async () => {
        text = await run(QRTR, ['cards', '--socket', socket]);
        json = await run(QRTR, ['cards', '--json', '--socket', socket]);
      },
    });
    expect(daemon.code, daemon.stderr).to.equal(0);
    // The live view: its card's change line and row in the Cards table, and its pane.
    expect(daemon.stdout).to.match(/^mhi:0000:09:00\.0 ACME-1: ready$/m);
    expect(daemon.stdout).to.match(/^\d+\s+mhi:0000:09:00\.0\s+-\s+ACME-1\s+0x1\s+acme-fw-1\.0\s+ready\s+acme-board\s+built-in$/m);
    expect(daemon.stdout).to.contain('Acme:\ngreeting: hi from acme; cards: 1');
    expect(text!.code, text!.stderr).to.equal(0);
    const lines = text!.stdout.trim().split('\n');
    expect(lines[0]).to.match(/^ENDPOINT\s+KEY\s+NODE\s+CHIP\s+BOARD\s+STATE\s+FIRMWARE\b/);
    expect(lines.filter((l) => /\sready(\s|$)/.test(l))).to.have.length(5, 'four built-in cards and the acme card');
    expect(lines.some((l) => /mhi:0000:09:00\.0\s+-\s+ACME-1/.test(l))).to.equal(true);
    expect(json!.code, json!.stderr).to.equal(0);
    const rows = JSON.parse(json!.stdout) as { key: string; state: string; endpoint: number; family?: string }[];
    expect(rows.map((r) => [r.key, r.state])).to.deep.include.members([
      ['mhi:0000:01:00.0', 'ready'],
      ['mhi:0000:09:00.0', 'ready'],
    ]);
    const acme = rows.find((r) => r.key === 'mhi:0000:09:00.0')!;
    expect(acme.family).to.equal('acme-wifi');
    expect(new Set(rows.map((r) => r.endpoint)).size, 'every card on its own endpoint').to.equal(5);
  });

  it('should have its configuration section checked by the plugin before anything attaches', async () => {
    const bad = await run(QRTRD, ['--config', writeConfig('bad.json', { pluginConfig: { 'acme-wifi': { greeting: 5 } } })]);
    expect(bad.code, 'a configuration error').to.equal(2);
    expect(bad.stderr).to.match(/acme-wifi.*greeting.*\[PLUGIN_CONFIG_INVALID\]/);
    const unknown = await run(QRTRD, ['--config', writeConfig('typo.json', { pluginConfig: { 'acme-wfi': {} } })]);
    expect(unknown.code, 'refused before start').to.equal(2);
    expect(unknown.stderr).to.match(/unknown key 'pluginConfig\.acme-wfi'; did you mean 'acme-wifi'\?/);
    const badSpec = await run(QRTRD, ['--config', writeConfig('spec.json', { simulation: { cards: [{ ...acmeCard, chip: 'ACME-9' }] } })]);
    expect(badSpec.code).to.equal(2);
    expect(badSpec.stderr).to.match(/simulation\.cards\[0\]\.chip.*\[PLUGIN_CONFIG_INVALID\]/);
  });
});
