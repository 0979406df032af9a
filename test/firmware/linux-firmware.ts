import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Debian's ath11k/ath12k firmware package (non-free-firmware); unpacked, never installed. */
export const FIRMWARE_PACKAGE = 'firmware-atheros';

/** Where the unpacked package lives: $QRTRD_FIRMWARE_CACHE or node_modules/.cache/qrtrd-firmware. */
function cacheDir(): string {
  const root = [resolve(__dirname, '..', '..', '..'), process.cwd()].find((d) => existsSync(join(d, 'node_modules'))) ?? process.cwd();
  return resolve(process.env.QRTRD_FIRMWARE_CACHE ?? join(root, 'node_modules', '.cache', 'qrtrd-firmware'));
}

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 300_000 });
  if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status}): ${r.error?.message ?? ''}${r.stdout}${r.stderr}`.trim());
  return r.stdout;
}

/**
 * The machine's Debian mirror and suite, from its apt sources (deb822 or one-line),
 * so that the private source list below asks the same archive for non-free-firmware.
 */
function debianSource(): { uri: string; suite: string } {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'].filter((f) => existsSync(f));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suite = /^Suites:\s*(\S+)/m.exec(stanza)?.[1];
      if (uri && suite && !/security/.test(uri)) return { uri, suite };
    }
    const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s/m.exec(text);
    if (line && !/security/.test(line[1])) return { uri: line[1], suite: line[2] };
  }
  throw new Error(`no Debian source in ${files.join(', ') || '/etc/apt'}`);
}

/**
 * Fetches firmware-atheros with `apt-get download` through a private source list
 * (the system's apt configuration is not touched), unpacks it with `dpkg-deb -x`
 * and returns its /lib/firmware directory. Cached: an entry is whole or absent.
 * @throws with the failing step's output (no network, no apt).
 */
export function linuxFirmwareDir(): string {
  const dir = cacheDir();
  const target = join(dir, FIRMWARE_PACKAGE);
  const firmware = join(target, 'lib', 'firmware');
  if (existsSync(firmware)) return firmware;
  mkdirSync(dir, { recursive: true });
  const tmp = `${target}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'lists', 'partial'), { recursive: true });
  try {
    const { uri, suite } = debianSource();
    const list = join(tmp, 'sources.list');
    writeFileSync(list, `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${uri} ${suite} non-free-firmware\n`);
    const opts = ['-q', '-o', `Dir::Etc::SourceList=${list}`, '-o', 'Dir::Etc::SourceParts=/nonexistent', '-o', `Dir::State::Lists=${join(tmp, 'lists')}`];
    run('apt-get', [...opts, 'update'], tmp);
    run('apt-get', [...opts, 'download', FIRMWARE_PACKAGE], tmp);
    const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${FIRMWARE_PACKAGE} produced no .deb`);
    run('dpkg-deb', ['-x', deb, 'root'], tmp);
    try {
      renameSync(join(tmp, 'root'), target);
    } catch (error) {
      if (!existsSync(firmware)) throw error;
    }
    return firmware;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * For `before()`: the firmware directory, or a skip with the reason; under CI=true a
 * failure to fetch is an error (CI has the network and apt).
 */
export function requireLinuxFirmware(ctx: Mocha.Context): string {
  try {
    return linuxFirmwareDir();
  } catch (error) {
    if (process.env.CI === 'true') throw new Error(`CI=true requires Debian's ${FIRMWARE_PACKAGE} (apt-get download): ${(error as Error).message}`);
    console.log(`    (pending: cannot fetch Debian's ${FIRMWARE_PACKAGE}: ${(error as Error).message.split('\n')[0]})`);
    ctx.skip();
  }
}

/**
 * The DATA a board-2.bin holds under `name`, found by bytes rather than by the
 * loader's parser: the NAME sub-IE with exactly `name` (u32 id 0, u32 length, bytes),
 * then the first DATA sub-IE (id 1) after it, skipping further NAMEs.
 * @throws when the name is not there.
 */
export function entryAfterName(file: Buffer, name: string): Buffer {
  const needle = Buffer.alloc(8 + name.length);
  needle.writeUInt32LE(name.length, 4);
  needle.write(name, 8, 'latin1');
  let at = file.indexOf(needle);
  if (at < 0) throw new Error(`'${name}' is not in the container`);
  for (;;) {
    const id = file.readUInt32LE(at);
    const len = file.readUInt32LE(at + 4);
    if (id === 1) return file.subarray(at + 8, at + 8 + len);
    at += 8 + ((len + 3) & ~3);
  }
}
