import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';

/*
 * The package as a plugin author gets it (issue #19 item 6): `npm pack` of this repository,
 * installed into an empty directory, and the out-of-tree plugin of docs/plugin-guide.md, whose
 * files are taken from the guide's marked blocks, compiled with tsc against the installed
 * package's types and loaded into the installed `qrtrd` binary. Nothing here comes from the
 * checkout at run time except the tarball: the daemon, `qrtr`, the types and the native addon
 * are the installed copies.
 */

const REPO = resolve(__dirname, '..', '..', '..');
const GUIDE = join(REPO, 'docs', 'plugin-guide.md');
const STEP_MS = 60_000;

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** PATH with this node first, so that `#!/usr/bin/env node` bins and npm's scripts run on it. */
const env: NodeJS.ProcessEnv = { PATH: [dirname(process.execPath), process.env.PATH ?? ''].join(delimiter), NO_COLOR: '1' };
// Under `npm test` the parent npm passes its own settings and package (npm_config_*, npm_package_*,
// npm_lifecycle_*): the npm run here reads the user's configuration itself; only the cache is
// kept, since that is where `npm ci` put the packages.
for (const [key, value] of Object.entries(process.env)) if (key !== 'PATH' && key !== 'INIT_CWD' && (!key.startsWith('npm_') || key === 'npm_config_cache')) env[key] = value;

function run(command: string, args: readonly string[], cwd: string, timeoutMs = STEP_MS): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    });
  });
}

/**
 * The files of the guide: every fenced block preceded by `<!-- plugin-guide: file PATH -->`,
 * blocks of the same PATH joined in the order they appear.
 */
function guideFiles(markdown: string): Map<string, string> {
  const files = new Map<string, string>();
  const block = /^<!-- plugin-guide: file (\S+) -->\n```[a-z]*\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(block)) files.set(m[1], `${files.has(m[1]) ? `${files.get(m[1])}\n` : ''}${m[2]}`);
  return files;
}

interface LockEntry {
  readonly version: string;
  readonly dependencies?: Record<string, string>;
  readonly optionalDependencies?: Record<string, string>;
}

/**
 * A lock file for the plugin project that pins what the repository's package-lock.json pins:
 * qrtrd's dependencies as the package declares them, plus the project's typescript and
 * @types/node at the repository's versions. With it `npm ci --offline` installs from nothing but
 * the npm cache that `npm ci` in the checkout filled (a plain `npm install TARBALL` would want
 * full registry documents, which that cache does not hold).
 */
function pluginProjectLock(tarball: string, qrtrd: { version: string; license: string; dependencies: Record<string, string>; bin: Record<string, string>; scripts: Record<string, string> }, devDependencies: Record<string, string>) {
  const repoLock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const entries = repoLock.packages;
  // Node's resolution over the lock's paths: the nearest node_modules/NAME up from `from`.
  const locate = (from: string, name: string): string => {
    for (let dir = from; ; ) {
      const at = `${dir ? `${dir}/` : ''}node_modules/${name}`;
      if (entries[at]) return at;
      if (!dir) throw new Error(`package-lock.json has no ${name} (needed by ${from || 'the project'}): run npm install in the checkout`);
      const up = dir.lastIndexOf('/node_modules/');
      dir = up < 0 ? '' : dir.slice(0, up);
    }
  };
  const packages: Record<string, unknown> = {};
  const visit = (from: string, name: string): void => {
    const at = locate(from, name);
    if (packages[at]) return;
    packages[at] = entries[at];
    for (const dep of Object.keys({ ...entries[at].dependencies, ...entries[at].optionalDependencies })) visit(at, dep);
  };
  for (const name of [...Object.keys(qrtrd.dependencies), ...Object.keys(devDependencies)]) visit('', name);
  const project = { name: 'echo-plugin', version: '1.0.0', private: true, dependencies: { qrtrd: `file:${tarball}` }, devDependencies };
  const lock = {
    name: project.name,
    version: project.version,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': project,
      'node_modules/qrtrd': { version: qrtrd.version, resolved: `file:${tarball}`, hasInstallScript: Boolean(qrtrd.scripts.install), license: qrtrd.license, dependencies: qrtrd.dependencies, bin: qrtrd.bin },
      ...packages,
    },
  };
  return { project, lock };
}

describe('the npm package, installed into an empty directory, with the plugin of docs/plugin-guide.md', function () {
  this.timeout(STEP_MS);
  let dir: string;
  let app: string;
  let packed: { filename: string; files: { path: string }[] };
  let installed: Ran | undefined;
  let compiled: Ran | undefined;
  const guide = readFileSync(GUIDE, 'utf8');
  const bin = (name: string): string => join(app, 'node_modules', '.bin', name);

  before(async function () {
    this.timeout(3 * STEP_MS);
    expect(existsSync(join(REPO, 'dist', 'src', 'index.js')), 'npm run build first').to.equal(true);
    dir = mkdtempSync(join(tmpdir(), 'qrtrd-pack-'));
    app = join(dir, 'echo-plugin');
    mkdirSync(app);
    const pack = await run('npm', ['pack', '--json', '--pack-destination', dir], REPO);
    expect(pack.code, `npm pack failed:\n${pack.stderr}`).to.equal(0);
    packed = (JSON.parse(pack.stdout) as (typeof packed)[])[0];
    const repoPackage = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; license: string; dependencies: Record<string, string>; devDependencies: Record<string, string>; bin: Record<string, string>; scripts: Record<string, string> };
    const devDependencies = { typescript: repoPackage.devDependencies.typescript, '@types/node': repoPackage.devDependencies['@types/node'] };
    const { project, lock } = pluginProjectLock(`../${packed.filename}`, repoPackage, devDependencies);
    writeFileSync(join(app, 'package.json'), `${JSON.stringify(project, null, 2)}\n`);
    writeFileSync(join(app, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
    installed = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--foreground-scripts'], app, 2 * STEP_MS);
    if (installed.code !== 0 && /ENOTCACHED/.test(installed.stderr)) {
      throw new Error(`npm ci --offline: the npm cache lacks a package qrtrd needs; run \`npm ci\` in the checkout first (it fills the cache):\n${installed.stderr}`);
    }
    for (const [path, text] of guideFiles(guide)) {
      mkdirSync(dirname(join(app, path)), { recursive: true });
      writeFileSync(join(app, path), `${text}\n`);
    }
    if (installed.code === 0) compiled = await run(bin('tsc'), ['-p', '.'], app);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('should pack the built entry, the binaries, the default plugins and the addon sources, and no tests or TypeScript sources', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).to.include.members([
      'package.json',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli/qrtrd.js',
      'dist/src/cli/qrtr.js',
      'dist/src/testing/index.js',
      'dist/plugins/ath11k/index.js',
      'dist/plugins/ath12k/index.js',
      'dist/plugins/bam-dmux/index.js',
      'native/build.js',
      'native/binding.gyp',
      'native/src/addon.cc',
      'docs/plugin-guide.md',
    ]);
    const unwanted = paths.filter((p) => /^(dist\/(test|bench)\/|test\/|bench\/|src\/|plugins\/|native\/build\/)|\/test\/|\.tsbuildinfo$|(^|\/)[^/]+(?<!\.d)\.ts$/.test(p));
    expect(unwanted, 'tests, benchmarks, sources and build output stay out').to.deep.equal([]);
  });

  it('should install offline from the tarball and build the AF_QIPCRTR addon with its install script', async () => {
    expect(installed!.code, `npm ci failed:\n${installed!.stdout}\n${installed!.stderr}`).to.equal(0);
    const nativeDir = join(app, 'node_modules', 'qrtrd', 'native', 'build');
    const failure = join(nativeDir, 'qrtrd-build-failure.txt');
    expect(existsSync(failure) ? readFileSync(failure, 'utf8') : '', 'native/build.js recorded a failure').to.equal('');
    expect(existsSync(join(nativeDir, 'Release', 'qrtr_native.node')), `the addon was built by the install script:\n${installed!.stdout}`).to.equal(true);
    for (const name of ['qrtrd', 'qrtr', 'tsc']) expect(existsSync(bin(name)), `node_modules/.bin/${name}`).to.equal(true);
    const version = await run(bin('qrtrd'), ['--version'], app);
    expect([version.code, version.stdout.trim()], version.stderr).to.deep.equal([0, `qrtrd ${(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version}`]);
  });

  it('should compile the guide’s plugin, which imports only from the package entry, against the installed types', () => {
    const files = guideFiles(guide);
    expect([...files.keys()]).to.deep.equal(['tsconfig.json', 'src/echo.ts']);
    const specifiers = [...files.get('src/echo.ts')!.matchAll(/\bfrom\s+'([^']+)'/g)].map((m) => m[1]);
    expect(new Set(specifiers)).to.deep.equal(new Set(['qrtrd']));
    expect(guide, 'the guide shows the build command the test runs').to.contain('\nnpx tsc\n');
    const dev = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies;
    expect(guide, 'the guide pins the versions installed here').to.contain(`npm install --save-dev typescript@${dev.typescript} @types/node@${dev['@types/node']}`);
    expect(compiled, 'the install failed, so nothing was compiled').to.not.equal(undefined);
    expect(compiled!.code, `tsc:\n${compiled!.stdout}${compiled!.stderr}`).to.equal(0);
    expect(existsSync(join(app, 'dist', 'echo.js'))).to.equal(true);
  });

  it('should load the plugin into the installed qrtrd: its service in qrtr lookup, a ping answered, its status row and log line, exit 0 on SIGINT', async () => {
    expect(compiled?.code, 'the plugin was not compiled').to.equal(0);
    const daemonArgs = ['--plugin', './dist/echo.js', '--socket', 'qrtrd.sock'];
    const socket = ['--socket', 'qrtrd.sock'];
    const pingArgs = ['qmi', '--service', 'test', '--msg-id', '0x20', '--tlv', '0x01=70696e67'];
    const dataArgs = ['qmi', '--service', 'test', '--msg-id', '0x21', '--tlv', '0x01=050068656c6c6f'];
    // The commands the guide shows are the ones run here.
    for (const command of [['qrtrd', ...daemonArgs], ['qrtr', 'lookup', 'test', ...socket], ['qrtr', ...pingArgs, ...socket], ['qrtr', ...dataArgs, ...socket], ['qrtr', 'echo', ...socket]]) {
      expect(guide).to.contain(`npx ${command.join(' ')}`);
    }
    const daemon = spawn(bin('qrtrd'), daemonArgs, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    daemon.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    daemon.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => daemon.on('exit', (code, signal) => done({ code, signal })));
    const killer = setTimeout(() => daemon.kill('SIGKILL'), 40_000);
    let end: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    try {
      await new Promise<void>((ready, fail) => {
        const check = (): void => {
          if (/^qrtrd ready: /m.test(stdout)) ready();
        };
        daemon.stdout.on('data', check);
        void exited.then((e) => fail(new Error(`qrtrd exited (${e.code ?? e.signal}) before it was ready:\n${stderr}`)));
      });

      const lookup = await run(bin('qrtr'), ['lookup', 'test', '--json', ...socket], app);
      expect(lookup.code, lookup.stderr).to.equal(0);
      const servers = JSON.parse(lookup.stdout) as { service: number; version: number; instance: number; port: number; key: string }[];
      expect(servers.map((s) => [s.service, s.version, s.instance, s.key])).to.deep.equal([[15, 1, 1, 'local']]);

      const ping = await run(bin('qrtr'), [...pingArgs, '--json', ...socket], app);
      expect(ping.code, ping.stderr).to.equal(0);
      const answer = JSON.parse(ping.stdout) as { response: { result: { errorName: string }; tlvs: { type: number; value: string }[] } };
      expect(answer.response.result.errorName).to.equal('NONE');
      const tlvs = new Map(answer.response.tlvs.map((t) => [t.type, t.value]));
      expect(tlvs.get(0x10), 'pong').to.equal(Buffer.from('pong').toString('hex'));
      expect(tlvs.get(0x11), 'the configured service name, counted').to.equal(`0a${Buffer.from('qrtrd echo').toString('hex')}`);

      const section = await run(bin('qrtr'), ['echo', '--json', ...socket], app);
      expect(section.code, section.stderr).to.equal(0);
      expect(JSON.parse(section.stdout)).to.deep.equal([{ service: 15, instance: 1, address: `1:${servers[0].port}`, pings: 1, echoed: 0, clients: 1 }]);
      const table = await run(bin('qrtr'), ['echo', ...socket], app);
      expect(table.stdout).to.match(/^SERVICE\s+INSTANCE\s+ADDRESS\s+PINGS\s+ECHOED\s+CLIENTS\n15\s+1\s+1:\d+\s+1\s+0\s+1$/m);

      const echoed = await run(bin('qrtr'), [...dataArgs, '--json', ...socket], app);
      expect(echoed.code, echoed.stderr).to.equal(0);
      const data = new Map((JSON.parse(echoed.stdout) as typeof answer).response.tlvs.map((t) => [t.type, t.value]));
      expect(data.get(0x10), 'the data echoed back').to.equal('050068656c6c6f');
    } finally {
      daemon.kill('SIGINT');
      end = await exited; // stopped whatever failed above, so that nothing outlives the test
      clearTimeout(killer);
    }
    expect(end, stderr).to.deep.equal({ code: 0, signal: null });
    const logs = stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.find((l) => l.plugin === 'echo' && l.msg === 'echo: serving the QMI test service'), 'the plugin’s log line').to.include({ service: 15, instance: 1 });
    expect(stdout, 'its section in the daemon’s tables').to.match(/^Echo:\nSERVICE\s+INSTANCE/m);
  });

  it('should check the plugin’s configuration section: defaults in --print-config, a typo refused with the closest key', async () => {
    expect(compiled?.code, 'the plugin was not compiled').to.equal(0);
    const printed = await run(bin('qrtrd'), ['--plugin', './dist/echo.js', '--print-config'], app);
    expect(printed.code, printed.stderr).to.equal(0);
    expect((JSON.parse(printed.stdout) as { pluginConfig: Record<string, unknown> }).pluginConfig.echo).to.deep.equal({ instance: 1, serviceName: 'qrtrd echo' });
    expect(guide).to.contain('"echo": {"instance": 1, "serviceName": "qrtrd echo"}');
    writeFileSync(join(app, 'typo.json'), '{"pluginConfig": {"echo": {"instanse": 2}}}\n');
    expect(guide).to.contain(`$ echo '{"pluginConfig": {"echo": {"instanse": 2}}}' > typo.json`);
    const typo = await run(bin('qrtrd'), ['--plugin', './dist/echo.js', '--config', 'typo.json'], app);
    expect(typo.code, typo.stderr).to.equal(2);
    const line = "qrtrd: typo.json: unknown key 'pluginConfig.echo.instanse'; did you mean 'instance'?";
    expect(typo.stderr.trim()).to.equal(line);
    expect(guide).to.contain(line);
  });
});
