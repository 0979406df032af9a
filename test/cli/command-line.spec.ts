import { expect } from 'chai';
import { stopChild } from '../helpers/processes';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * qrtr and qrtrd as a user runs them: spawned binaries, a real daemon on the default
 * simulation, real files. Usage errors exit 2 with one line; --json puts the error on stdout.
 */
const REPO = join(__dirname, '..', '..', '..');
const DIST = join(REPO, 'dist');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');
const QRTR = join(DIST, 'src', 'cli', 'qrtr.js');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(script: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 30_000, cwd: options.cwd, env: { ...process.env, ...options.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectUsageError(r: Run, pattern: RegExp): void {
  expect(r.code, r.stderr).to.equal(2);
  expect(r.stdout).to.equal('');
  expect(r.stderr.trimEnd().split('\n'), 'one line').to.have.length(1);
  expect(r.stderr).to.match(pattern);
}

describe('the command lines of qrtr and qrtrd', function () {
  this.timeout(90_000);
  let dir: string;
  let daemon: ChildProcess | undefined;
  let socket: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'qrtr-cli-'));
    socket = join(dir, 'qrtrd.sock');
    const child = spawn(process.execPath, [QRTRD, '--socket', socket, '--quiet', '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    daemon = child;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`qrtrd not ready: ${out}`)), 30_000);
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^qrtrd ready/m.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`qrtrd exited ${code}: ${out}`)));
    });
    // The default simulation's cards come up within seconds; the examples below need them ready.
    for (let i = 0; i < 60; i++) {
      const cards = run(QRTR, ['cards', '--json', '--socket', socket]);
      if (cards.code === 0 && (JSON.parse(cards.stdout) as { state: string }[]).every((c) => c.state === 'ready')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  after(async () => {
    await stopChild(daemon);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should print the version of both binaries', () => {
    expect(run(QRTR, ['--version'])).to.include({ code: 0, stdout: `qrtr ${VERSION}\n` });
    expect(run(QRTRD, ['--version'])).to.include({ code: 0, stdout: `qrtrd ${VERSION}\n` });
  });

  it('should give every qrtr subcommand its own --help', () => {
    const options: Record<string, string[]> = {
      lookup: ['--endpoint', '--node', '--kernel', '--watch', '--timeout', '--format'],
      endpoints: ['--socket', '--json'],
      cards: ['--socket', '--json'],
      modem: ['--socket', '--json'],
      sections: ['--json'],
      services: ['--json'],
      qmi: ['--service', '--instance', '--version', '--endpoint', '--node', '--kernel', '--qmi', '--message', '--input', '--msg-id', '--tlv', '--timeout'],
      connect: ['--modem', '--apn', '--ip-type'],
      disconnect: ['--modem'],
      trace: ['--pcap', '--read', '--endpoint', '--count'],
    };
    for (const [command, flags] of Object.entries(options)) {
      const help = run(QRTR, [command, '--help']);
      expect(help.code, command).to.equal(0);
      expect(help.stdout).to.match(new RegExp(`^Usage: qrtr ${command}`));
      for (const flag of flags) expect(help.stdout, `${command} --help`).to.contain(flag);
    }
    expect(run(QRTR, ['--help']).stdout).to.contain('lookup').and.contain('trace');
    expect(run(QRTRD, ['--help']).stdout).to.contain('--no-default-plugins').and.contain('--print-config');
  });

  it('should refuse stray arguments and unknown options with exit 2 and one line', () => {
    expectUsageError(run(QRTR, ['endpoints', 'stray-argument', '--socket', socket]), /^qrtr endpoints: unexpected argument 'stray-argument'/);
    expectUsageError(run(QRTR, ['lookup', '2', '1', 'extra', '--socket', socket]), /unexpected argument 'extra'/);
    expectUsageError(run(QRTR, ['lookup', '--bogus', '--socket', socket]), /unknown option '--bogus'/);
    expectUsageError(run(QRTR, ['lookpu']), /unknown command 'lookpu' \(did you mean lookup\?\)/);
    expectUsageError(run(QRTR, ['connect', '--ip-type', '5', '--socket', socket]), /--ip-type/);
    expectUsageError(run(QRTR, []), /no command/);
    expectUsageError(run(QRTRD, ['stray']), /unexpected argument 'stray'/);
    expectUsageError(run(QRTRD, ['--kernl']), /unknown option '--kernl' \(Did you mean --kernel\?\)/);
    expectUsageError(run(QRTRD, ['--log-level', 'loud']), /--log-level/);
  });

  it('should print a usage error as a JSON object on stdout under --json', () => {
    const r = run(QRTR, ['endpoints', 'stray-argument', '--json', '--socket', socket]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.equal('');
    const error = (JSON.parse(r.stdout) as { error: { code: string; message: string } }).error;
    expect(error.code).to.equal('QRTR_USAGE');
    expect(error.message).to.contain('stray-argument');
    const failure = run(QRTR, ['qmi', '--service', 'test', '--msg-id', '0x20', '--json', '--socket', socket]);
    expect(failure.code, 'service 15 has no server on the default simulation').to.equal(1);
    expect((JSON.parse(failure.stdout) as { error: { code: string } }).error.code).to.equal('QRTR_NO_SERVICE');
  });

  it('should print data on stdout and errors on stderr, and under --json every outcome as JSON on stdout with stderr empty', () => {
    for (const command of [['endpoints'], ['lookup', 'dms'], ['cards'], ['modem'], ['sections'], ['services']]) {
      const r = run(QRTR, [...command, '--socket', socket]);
      expect(r.code, `${command.join(' ')}: ${r.stderr}`).to.equal(0);
      expect(r.stderr, command.join(' ')).to.equal('');
      expect(r.stdout.trim().length, command.join(' ')).to.be.above(0);
      const json = run(QRTR, [...command, '--json', '--socket', socket]);
      expect(json.stderr, command.join(' ')).to.equal('');
      expect(() => JSON.parse(json.stdout) as unknown, `${command.join(' ')} --json`).to.not.throw();
    }
    const failures: [string[], string][] = [
      [['endpoints', '--socket', join(dir, 'no-daemon.sock')], 'QRTR_NO_DAEMON'],
      [['qmi', '--service', 'test', '--msg-id', '0x20', '--socket', socket], 'QRTR_NO_SERVICE'],
    ];
    for (const [args, code] of failures) {
      const text = run(QRTR, args);
      expect(text.code, args.join(' ')).to.equal(1);
      expect(text.stdout, args.join(' ')).to.equal('');
      expect(text.stderr.trimEnd().split('\n'), 'one line').to.have.length(1);
      expect(text.stderr).to.match(new RegExp(`^qrtr ${args[0]}: .*\\[${code}\\]\n$`));
      const json = run(QRTR, [...args, '--json']);
      expect(json.code).to.equal(1);
      expect(json.stderr).to.equal('');
      expect((JSON.parse(json.stdout) as { error: { code: string } }).error.code).to.equal(code);
    }
    // A usage error under --json, whichever command: a JSON object on stdout, exit 2.
    for (const args of [['lookup', '--bogus'], ['trace', '--count', 'many'], ['qmi', '--service', 'dsm', '--msg-id', '1']]) {
      const json = run(QRTR, [...args, '--json', '--socket', socket]);
      expect(json.code, args.join(' ')).to.equal(2);
      expect(json.stderr, args.join(' ')).to.equal('');
      expect((JSON.parse(json.stdout) as { error: { code: string } }).error.code, args.join(' ')).to.equal('QRTR_USAGE');
    }
  });

  it('should accept service names wherever numbers are', () => {
    const byName = JSON.parse(run(QRTR, ['lookup', 'dms', '--json', '--socket', socket]).stdout) as unknown[];
    const byNumber = JSON.parse(run(QRTR, ['lookup', '2', '--json', '--socket', socket]).stdout) as unknown[];
    expect(byName).to.have.length(1);
    expect(byName).to.deep.equal(byNumber);
    expect(JSON.parse(run(QRTR, ['lookup', 'WLFW', '--json', '--socket', socket]).stdout)).to.deep.equal(JSON.parse(run(QRTR, ['lookup', '0x45', '--json', '--socket', socket]).stdout));
    const model = run(QRTR, ['qmi', '--service', 'dms', '--qmi', join(REPO, 'src', 'qmi', 'schemas', 'dms.qmi'), '--message', 'dms_get_model_req', '--json', '--socket', socket]);
    expect(model.code, model.stderr).to.equal(0);
    expectUsageError(run(QRTR, ['qmi', '--service', 'dsm', '--msg-id', '1', '--socket', socket]), /--service 'dsm' is neither a number nor a known service name/);
    const services = JSON.parse(run(QRTR, ['services', '--json']).stdout) as { id: number; short?: string }[];
    expect(services.find((s) => s.short === 'wlfw')?.id).to.equal(69);
  });

  it("should print exactly qrtr-lookup's header and columns with --format qrtr-lookup", () => {
    const rows = JSON.parse(run(QRTR, ['lookup', '--json', '--socket', socket]).stdout) as { service: number; version: number; instance: number; node: number; port: number; name: string }[];
    const text = run(QRTR, ['lookup', '--format', 'qrtr-lookup', '--socket', socket]);
    expect(text.code, text.stderr).to.equal(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).to.equal('  Service Version Instance Node  Port');
    // qrtr-lookup's printf("%9d %7d %8d %4d %5d %s"), row by row.
    const pad = (n: number, w: number): string => String(n).padStart(w);
    expect(lines.slice(1)).to.deep.equal(rows.map((r) => `${pad(r.service, 9)} ${pad(r.version, 7)} ${pad(r.instance, 8)} ${pad(r.node, 4)} ${pad(r.port, 5)} ${r.name}`));
    expect(lines.some((l) => l.endsWith(' Device Management Service'))).to.equal(true);
  });

  it('should run the qrtr qmi examples of docs/cli.md on the default simulation', () => {
    const docs = readFileSync(join(REPO, 'docs', 'cli.md'), 'utf8');
    const block = /### qrtr qmi[\s\S]*?```\n([\s\S]*?)```/.exec(docs)![1];
    const examples = block.trim().split('\n').filter((l) => l.startsWith('qrtr qmi') && !l.includes('--kernel'));
    expect(examples.length).to.be.greaterThan(3);
    for (const example of examples) {
      const r = run(QRTR, [...example.split(/\s+/).slice(1), '--socket', socket], { cwd: REPO });
      expect(r.code, `${example}: ${r.stderr}${r.stdout}`).to.equal(0);
      expect(r.stdout, example).to.match(/result: success|"result": 0/);
    }
  });

  describe('qrtrd configuration through the binary', () => {
    let pluginDir: string;
    before(() => {
      pluginDir = mkdtempSync(join(tmpdir(), 'qrtrd-greeter-'));
      // A third-party plugin with its own section schema, written as the plugin guide shows.
      writeFileSync(
        join(pluginDir, 'greeter.js'),
        `const { ContainerModule } = require(${JSON.stringify(require.resolve('inversify'))});
const sdk = require(${JSON.stringify(join(DIST, 'src', 'sdk'))});
const schema = sdk.z.strictObject({ greeting: sdk.z.string().default('hello'), repeat: sdk.configInt(1, 9).default(1) });
exports.plugin = {
  manifest: { name: 'greeter', version: '1.0.0', qmiServices: [], backendKeys: [] },
  module: new ContainerModule((bind) => {
    bind(sdk.PLUGIN_LIFECYCLE).toConstantValue({ start() {}, stop() {} });
    bind(sdk.CONFIG_SECTION).toConstantValue({ schema, keys: { greeting: 'what to say', repeat: 'how often' }, validate(section) { schema.parse(section); } });
  }),
};
`,
      );
    });
    after(() => rmSync(pluginDir, { recursive: true, force: true }));

    it('should print the effective configuration: defaults, file, flags, and each plugin section with its defaults', () => {
      const file = join(pluginDir, 'qrtrd.json');
      writeFileSync(file, JSON.stringify({ node: 5, pluginConfig: { ath11k: { requestTimeoutMs: 5000 } } }));
      const r = run(QRTRD, ['--config', file, '--node', '9', '--print-config']);
      expect(r.code, r.stderr).to.equal(0);
      const config = JSON.parse(r.stdout) as { node: number; pluginConfig: Record<string, Record<string, unknown>>; plugins: string[] };
      expect(config.node).to.equal(9);
      expect(config.plugins).to.deep.equal(['plugins/ath11k', 'plugins/ath12k', 'plugins/bam-dmux']);
      expect(config.pluginConfig.ath11k).to.include({ requestTimeoutMs: 5000, maxAttempts: 3, messageIds: 'current' });
      expect(config.pluginConfig.ath12k).to.include({ requestTimeoutMs: 10000 });
    });

    it('should add --plugin PATH, resolved against the current directory, to the defaults, and drop them with --no-default-plugins', () => {
      const added = run(QRTRD, ['--print-config', '--plugin', './greeter.js'], { cwd: pluginDir });
      expect(added.code, added.stderr).to.equal(0);
      const config = JSON.parse(added.stdout) as { plugins: string[]; pluginConfig: Record<string, unknown> };
      expect(config.plugins).to.deep.equal(['plugins/ath11k', 'plugins/ath12k', 'plugins/bam-dmux', join(pluginDir, 'greeter.js')]);
      expect(config.pluginConfig.greeter).to.deep.equal({ greeting: 'hello', repeat: 1 });
      const alone = JSON.parse(run(QRTRD, ['--print-config', '--no-default-plugins', '--plugin', 'greeter.js'], { cwd: pluginDir }).stdout) as { plugins: string[] };
      expect(alone.plugins).to.deep.equal([join(pluginDir, 'greeter.js')]);
      const schema = JSON.parse(run(QRTRD, ['--print-config-schema', '--plugin', './greeter.js'], { cwd: pluginDir }).stdout) as { properties: { pluginConfig: { properties: Record<string, unknown> } } };
      expect(Object.keys(schema.properties.pluginConfig.properties)).to.deep.equal(['ath11k', 'ath12k', 'bam-dmux', 'greeter']);
    });

    it("should refuse a misspelt key in a plugin's section before start, naming the key and the closest valid one", () => {
      const cases: [object, RegExp][] = [
        [{ pluginConfig: { ath11k: { requestTimoutMs: 5000 } } }, /unknown key 'pluginConfig\.ath11k\.requestTimoutMs'; did you mean 'requestTimeoutMs'\?/],
        [{ pluginConfig: { greeter: { greting: 'hi' } } }, /unknown key 'pluginConfig\.greeter\.greting'; did you mean 'greeting'\?/],
        [{ pluginConfig: { greeter: { repeat: 12 } } }, /'pluginConfig\.greeter\.repeat' must be an integer 1\.\.9, got 12/],
        [{ pluginConfig: { 'bam-dmux': { modem: [] } } }, /unknown key 'pluginConfig\.bam-dmux\.modem'; did you mean 'modems'\?/],
        [{ pluginConfig: { ath11: {} } }, /unknown key 'pluginConfig\.ath11'; did you mean 'ath11k'\?/],
        [{ simulaton: {} }, /unknown key 'simulaton'; did you mean 'simulation'\?/],
        [{ simulation: { modem: { trafficPPS: 0 } } }, /unknown key 'simulation\.modem\.trafficPPS'; did you mean 'trafficPps'\?/],
        [{ policy: { perUid: { sokets: 3 } } }, /unknown key 'policy\.perUid\.sokets'; did you mean 'sockets'\?/],
        [{ netdev: { mtu: 9 } }, /'netdev\.mtu' must be an integer 68\.\.2040, got 9/],
      ];
      for (const [content, pattern] of cases) {
        const file = join(pluginDir, 'typo.json');
        writeFileSync(file, JSON.stringify(content));
        // --print-config checks exactly what a start checks, without starting.
        for (const extra of [['--print-config'], ['--quiet', '--socket', join(pluginDir, 'never.sock')]]) {
          const r = run(QRTRD, ['--config', file, '--plugin', './greeter.js', ...extra], { cwd: pluginDir });
          expectUsageError(r, pattern);
        }
      }
    });

    it("should refuse a bad link entry before start with the kind's schema, naming the key and the closest valid key or kind", () => {
      const cases: [object, RegExp][] = [
        [{ kind: 'rpmsg', devcie: '/dev/rpmsg0' }, /unknown key 'links\[1\]\.devcie'; did you mean 'device'\?/],
        [{ kind: 'mhi', device: '/dev/mhi_IPCR', pciAdress: '0000:01:00.0' }, /unknown key 'links\[1\]\.pciAdress'; did you mean 'pciAddress'\?/],
        // `channel` is an rpmsg key: an mhi entry does not take it, and says what it takes.
        [{ kind: 'mhi', device: '/dev/mhi_IPCR', pciAddress: '0000:01:00.0', channel: 'IPCRTR' }, /unknown key 'links\[1\]\.channel'; known keys: kind, device, pciAddress, fd, maxPacketLength$/m],
        [{ kind: 'rpmgs', device: '/dev/rpmsg0' }, /'links\[1\]\.kind' must be one of rpmsg, mhi \(did you mean 'rpmsg'\?\), got "rpmgs"/],
        [{ kind: 'rpmsg', device: 'rpmsg0' }, /'links\[1\]\.device' must be an absolute device path, got "rpmsg0"/],
        [{ kind: 'rpmsg', device: '/dev/rpmsg0', fd: 3 }, /'links\[1\]\.fd' must be given alone \(not with 'device'\), got 3/],
        // Neither a path nor a stand-in: every alternative is named, for rpmsg's three as for mhi's two.
        [{ kind: 'rpmsg', channel: 'IPCRTR' }, /'links\[1\]\.device' must be given, or 'fd' or 'ctrl' instead \(one of 'device', 'fd', 'ctrl' is needed\), got nothing/],
        [{ kind: 'mhi', pciAddress: '0000:01:00.0' }, /'links\[1\]\.device' must be given, or 'fd' instead \(one of 'device', 'fd' is needed\), got nothing/],
        [{ kind: 'mhi', device: '/dev/mhi_IPCR' }, /'links\[1\]\.pciAddress' must be a PCI address such as '0000:01:00\.0', got nothing/],
      ];
      const file = join(pluginDir, 'links.json');
      for (const [link, pattern] of cases) {
        writeFileSync(file, JSON.stringify({ links: [{ kind: 'rpmsg', device: '/dev/rpmsg9' }, link] }));
        for (const extra of [['--print-config'], ['--quiet', '--log-level', 'silent', '--socket', join(pluginDir, 'never.sock')]]) {
          const r = run(QRTRD, ['--config', file, ...extra]);
          // Refused before anything starts: one line on stderr, nothing on stdout (no view, no ready line).
          expectUsageError(r, pattern);
        }
      }
      const schema = JSON.parse(run(QRTRD, ['--print-config-schema']).stdout) as { properties: { links: { items: { anyOf: { properties: Record<string, { const?: string }> }[] } } } };
      const kinds = schema.properties.links.items.anyOf.map((b) => [b.properties.kind.const, Object.keys(b.properties)]);
      expect(kinds).to.deep.equal([
        ['rpmsg', ['kind', 'device', 'ctrl', 'channel', 'name', 'fd', 'maxPacketLength']],
        ['mhi', ['kind', 'device', 'pciAddress', 'fd', 'maxPacketLength']],
      ]);
    });
  });
});
