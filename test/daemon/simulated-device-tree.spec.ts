import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { parseConfig, type QrtrdConfig } from '../../src/daemon/config';
import { QrtrdDaemon } from '../../src/daemon/daemon';
import type { WlfwCardStatus } from '../../plugins/wlfw/src';
import { compileDts, dtbToDirectory, requireDtc } from '../links/devicetree/dt-tools';

const quiet = pino({ level: 'silent' });
const ROOT = [path.resolve(__dirname, '../../..'), process.cwd()].find((p) => fs.existsSync(path.join(p, 'plugins', 'ath11k', 'test', 'fixtures')))!;
const QRTRD = path.join(ROOT, 'dist', 'src', 'cli', 'qrtrd.js');
const fixture = (name: string): string => fs.readFileSync(path.join(ROOT, 'plugins', 'ath11k', 'test', 'fixtures', name), 'utf8');

/**
 * `simulation.cards[].deviceTree`: a simulated AHB SoC whose reserved memory is the one a real
 * device tree declares (the .dtb or the kernel's directory form), as the daemon's config gives it.
 */
describe('daemon: simulated AHB cards with simulation.cards[].deviceTree', function () {
  this.timeout(40_000);
  let dir: string;
  let daemon: QrtrdDaemon | undefined;

  before(function () {
    requireDtc(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qrtrd-daemon-dt-'));
  });
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  function config(deviceTree: string, chip = 'IPQ6018'): QrtrdConfig {
    const raw = { simulation: { cards: [{ family: 'ath11k', chip, pciAddress: '0000:05:00.0', boardId: 0x12, deviceTree }], modem: null }, plugins: ['plugins/ath11k'] };
    return { ...parseConfig(raw, 'test'), console: false };
  }

  async function cardAfterStart(deviceTree: string): Promise<WlfwCardStatus> {
    daemon = new QrtrdDaemon(config(deviceTree), quiet);
    await daemon.start();
    const deadline = Date.now() + 20_000;
    let card: WlfwCardStatus | undefined;
    while (Date.now() < deadline) {
      card = daemon.section('cards')?.rows.map((r) => r.data as WlfwCardStatus)[0];
      if (card && ['ready', 'failed'].includes(card.state)) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    return card!;
  }

  it("should bring IPQ6018 up on the regions of ipq6018.dtsi's tree, from the .dtb and from the directory form", async () => {
    const dtb = compileDts(fixture('ipq6018-wifi.dts'), path.join(dir, 'ipq6018.dtb'));
    const tree = path.join(dir, 'ipq6018-base');
    dtbToDirectory(dtb, tree);
    for (const deviceTree of [dtb, tree]) {
      const card = await cardAfterStart(deviceTree);
      expect(card, deviceTree).to.include({ key: 'mhi:0000:05:00.0', chip: 'IPQ6018', state: 'ready' });
      await daemon!.stop();
      daemon = undefined;
    }
  });

  it('should use the tree rather than the built-in stand-in regions: a tree without q6_region fails the card with WLFW_FIXED_MEMORY', async () => {
    const source = fixture('ipq6018-wifi.dts')
      .replace(/\t\tq6_region: memory@4ab00000 \{[^}]*\};\n/, '')
      .replace(/\t\t\tmemory-region = <&q6_region>;\n/, '');
    expect(source).to.not.contain('memory@4ab00000 {');
    const card = await cardAfterStart(compileDts(source, path.join(dir, 'ipq6018-no-q6.dtb')));
    expect(card.state).to.equal('failed');
    expect(card.lastError?.code).to.equal('WLFW_FIXED_MEMORY');
  });

  it('should refuse a tree that is not one, or lacks the chip node, before anything attaches (PLUGIN_CONFIG_INVALID naming the key, the DT code kept)', async () => {
    const garbage = path.join(dir, 'garbage.dtb');
    fs.writeFileSync(garbage, Buffer.from('not a flattened device tree'));
    // ipq8074's tree has no qcom,ipq6018-wifi node.
    const other = compileDts(fixture('ipq8074-wifi.dts'), path.join(dir, 'ipq8074.dtb'));
    for (const [file, dtCode] of [[garbage, 'DT_MALFORMED'], [other, 'DT_MISSING'], [path.join(dir, 'absent.dtb'), '']] as const) {
      daemon = new QrtrdDaemon(config(file), quiet);
      const err = await daemon.start().then(() => undefined, (e: { code: string; message: string; details: { key: string } }) => e);
      expect(err, file).to.include({ code: 'PLUGIN_CONFIG_INVALID' });
      expect(err!.details.key).to.equal('simulation.cards[0].deviceTree');
      expect(err!.message).to.contain(dtCode).and.contain("'qcom,ipq6018-wifi'");
      expect(daemon.router.endpoints(), 'nothing attached').to.deep.equal([]);
      await daemon.stop();
      daemon = undefined;
    }
  });

  it('should refuse deviceTree on a PCI chip, and a relative path, with exit 2 and one line naming the key', () => {
    for (const [chip, deviceTree, pattern] of [
      ['QCN9074', '/tmp/x.dtb', /'simulation\.cards\[0\]\.deviceTree' must be given only for an AHB chip \(IPQ8074, [^)]*\); QCN9074 is a PCI card/],
      ['IPQ6018', 'x.dtb', /'simulation\.cards\[0\]\.deviceTree' must be an absolute path/],
    ] as const) {
      const file = path.join(dir, 'bad.json');
      fs.writeFileSync(file, JSON.stringify({ simulation: { cards: [{ family: 'ath11k', chip, pciAddress: '0000:05:00.0', boardId: 1, deviceTree }], modem: null }, plugins: ['plugins/ath11k'] }));
      const r = spawnSync(process.execPath, [QRTRD, '--config', file, '--quiet', '--log-level', 'silent'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stdout).to.equal('');
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.match(pattern);
    }
  });
});
