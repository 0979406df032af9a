import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, loadConfigFile, parseConfig } from '../../src/daemon/config';
import { configFromArgs } from '../../src/cli/qrtrd-args';

function configError(fn: () => unknown): { code: string; key: string; message: string } {
  try {
    fn();
  } catch (err) {
    const e = err as { code: string; details: { key: string }; message: string };
    return { code: e.code, key: e.details.key, message: e.message };
  }
  throw new Error('expected a configuration error');
}

describe('qrtrd configuration', () => {
  it('should default to the embedded simulation: 2 QCN9074 + 1 WCN6855 (ath11k), 1 WCN7850 (ath12k), one modem', () => {
    const cards = DEFAULT_CONFIG.simulation.cards.map((c) => `${c.family}/${c.chip}`);
    expect(cards).to.deep.equal(['ath11k/QCN9074', 'ath11k/QCN9074', 'ath11k/WCN6855', 'ath12k/WCN7850']);
    expect(DEFAULT_CONFIG.simulation.modem).to.not.equal(null);
    expect(DEFAULT_CONFIG.node).to.equal(1);
  });

  it('should name the offending key in every validation error', () => {
    expect(configError(() => parseConfig({ node: -1 }, 'f.json'))).to.include({ code: 'QRTRD_CONFIG_INVALID', key: 'node' });
    expect(configError(() => parseConfig({ lisen: '/x' }, 'f.json'))).to.include({ key: 'lisen' });
    expect(configError(() => parseConfig({ logLevel: 'loud' }, 'f.json'))).to.include({ key: 'logLevel' });
    expect(configError(() => parseConfig({ simulation: { cards: [{ family: 'ath11k', chip: 'QCN9074', pciAddress: 'nope', boardId: 1 }] } }, 'f.json'))).to.include({
      key: 'simulation.cards[0].pciAddress',
    });
    expect(configError(() => parseConfig({ simulation: { cards: [{ family: 'Ath 10k', chip: 'X', pciAddress: '0000:01:00.0', boardId: 1 }] } }, 'f.json'))).to.include({
      key: 'simulation.cards[0].family',
    });
    const dup = { family: 'ath11k', chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 1 };
    expect(configError(() => parseConfig({ simulation: { cards: [dup, dup] } }, 'f.json'))).to.include({ key: 'simulation.cards[1].pciAddress' });
    expect(configError(() => parseConfig({ plugins: [''] }, 'f.json'))).to.include({ key: 'plugins[0]' });
    expect(configError(() => parseConfig({ tunBridgeNode: 1 }, 'f.json'))).to.include({ key: 'tunBridgeNode' });
    expect(configError(() => parseConfig({ tunBridgeNode: 150 }, 'f.json'))).to.include({ key: 'tunBridgeNode' });
    expect(configError(() => parseConfig({ tunNodeRange: { first: 9, last: 3 } }, 'f.json'))).to.include({ key: 'tunNodeRange' });
    expect(parseConfig({ tunBridgeNode: 42, tunNodeRange: { first: 300, last: 310 } }, 'f.json')).to.include({ tunBridgeNode: 42 });
  });

  it("should keep a simulated card's MHI ring sizes for its family to check, and refuse a non-object", () => {
    const card = { family: 'ath11k', chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 1 };
    expect(parseConfig({ simulation: { cards: [{ ...card, mhi: { rings: 'kernel' } }] } }, 'f.json').simulation.cards[0].mhi).to.deep.equal({ rings: 'kernel' });
    expect(parseConfig({ simulation: { cards: [card] } }, 'f.json').simulation.cards[0]).to.not.have.property('mhi');
    expect(configError(() => parseConfig({ simulation: { cards: [{ ...card, mhi: 4 }] } }, 'f.json'))).to.include({ key: 'simulation.cards[0].mhi' });
  });

  it('should read a JSON file, reject unreadable or invalid ones with QRTRD_CONFIG_FILE, and let flags override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'qrtrd-config-'));
    const file = join(dir, 'qrtrd.json');
    writeFileSync(file, JSON.stringify({ node: 5, listen: '/run/a.sock', simulation: { enabled: false, modem: null, cards: [] } }));
    const fromFile = loadConfigFile(file);
    expect(fromFile).to.include({ node: 5, listen: '/run/a.sock' });
    expect(fromFile.simulation.enabled).to.equal(false);
    const merged = configFromArgs(['--config', file, '--node', '9', '--socket', '/run/b.sock', '--quiet']);
    expect(merged).to.include({ node: 9, listen: '/run/a.sock', socket: '/run/b.sock', console: false });
    writeFileSync(file, '{ nope');
    expect(configError(() => loadConfigFile(file)).code).to.equal('QRTRD_CONFIG_FILE');
    expect(configError(() => loadConfigFile(join(dir, 'missing.json'))).code).to.equal('QRTRD_CONFIG_FILE');
  });

  it('should parse the flags of qrtrd --help, with an optional device after --tun', () => {
    expect(configFromArgs(['--tun'])).to.include({ tun: '/dev/qrtr-tun' });
    expect(configFromArgs(['--tun', '/dev/other', '--no-sim'])).to.include({ tun: '/dev/other' });
    const noSim = configFromArgs(['--no-sim', '--no-default-plugins', '--plugin', '/opt/p/ath11k', '--log-level', 'debug']);
    expect(noSim).to.not.equal('help');
    if (noSim === 'help') return;
    expect(noSim.simulation.enabled).to.equal(false);
    expect(noSim.plugins).to.deep.equal(['/opt/p/ath11k']);
    const added = configFromArgs(['--plugin', './my-plugin']);
    if (added === 'help') return;
    expect(added.plugins, '--plugin adds to the defaults, resolved against the current directory').to.deep.equal([...DEFAULT_CONFIG.plugins, join(process.cwd(), 'my-plugin')]);
    expect(configFromArgs(['--help'])).to.equal('help');
    expect(configError(() => configFromArgs(['--node', 'seven']))).to.include({ key: '--node' });
    expect(() => configFromArgs(['--bogus'])).to.throw();
  });
});
