import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dms, nas, wda, wds, type QmiMessageSchema, type QmiType } from '../../src/qmi';

/**
 * Compares every message of qrtrd's hand-written DMS, WDS, WDA and NAS schemas (message
 * ids, TLV ids, types and sizes) with libqmi's JSON service definitions, taken at test
 * time from Debian's libqmi source package and cached under node_modules/.cache (they
 * are LGPL: never committed). apt uses a private source list, so /etc/apt is untouched.
 */
const REPO = [resolve(__dirname, '..', '..', '..'), process.cwd()].find((d) => existsSync(join(d, 'package.json')))!;
const CACHE = join(REPO, 'node_modules', '.cache', 'qrtrd-libqmi');
const MIRROR = 'http://deb.debian.org/debian';
const SERVICES = { dms, wds, wda, nas } as const;

type Json = Record<string, unknown>;

/**
 * Messages of libqmi releases newer than the one Debian ships (bookworm: 1.32.2), with
 * the release that added them. If the fetched libqmi has them, they are compared like
 * every other message; if not, only their absence is accepted.
 */
const NEWER_THAN_DEBIAN: Readonly<Record<string, string>> = {
  wda_loopback_configuration_req: '1.36',
  wda_loopback_configuration_resp: '1.36',
  wda_loopback_configuration_ind: '1.36',
};

/** Fetches and unpacks libqmi's data/*.json once; returns why it could not, or undefined. */
function fetchLibqmiData(): string | undefined {
  if (existsSync(join(CACHE, 'data', 'qmi-service-wds.json'))) return undefined;
  mkdirSync(join(CACHE, 'lists', 'partial'), { recursive: true });
  const sources = join(CACHE, 'sources.list');
  writeFileSync(sources, `deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${MIRROR} bookworm main\n`);
  const apt = ['-o', `Dir::Etc::SourceList=${sources}`, '-o', 'Dir::Etc::SourceParts=/nonexistent', '-o', `Dir::State::Lists=${join(CACHE, 'lists')}`];
  const update = spawnSync('apt-get', [...apt, 'update'], { encoding: 'utf8', timeout: 120_000 });
  if (update.status !== 0) return `apt-get update with a deb-src list for ${MIRROR} failed: ${(update.stderr || update.error?.message || '').trim().split('\n').pop()}`;
  const source = spawnSync('apt-get', [...apt, 'source', '--download-only', 'libqmi'], { cwd: CACHE, encoding: 'utf8', timeout: 120_000 });
  if (source.status !== 0) return `apt-get source --download-only libqmi failed: ${(source.stderr || '').trim().split('\n').pop()}`;
  const tarball = readdirSync(CACHE).find((f) => /^libqmi_.*\.orig\.tar\.xz$/.test(f));
  if (!tarball) return 'the libqmi source package has no .orig.tar.xz';
  const untar = spawnSync('tar', ['-xf', tarball, '--wildcards', '*/data/*.json', '--strip-components=1'], { cwd: CACHE, encoding: 'utf8' });
  if (untar.status !== 0) return `unpacking ${tarball} failed: ${untar.stderr.trim()}`;
  return undefined;
}

function loadJson(file: string): Json[] {
  // libqmi's files carry // comments.
  return JSON.parse(readFileSync(join(CACHE, 'data', file), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as Json[];
}

const SCALAR_SIZES: Record<string, number> = { guint8: 1, gint8: 1, guint16: 2, gint16: 2, guint32: 4, gint32: 4, guint64: 8, gint64: 8 };

/** Layout of a libqmi TLV or member: sizes of scalars, `s` strings, `[..]` variable arrays, `xN` fixed byte runs, `{..}` structs. */
function libqmiLayout(field: Json, common: Map<string, Json>): string {
  const ref = field['common-ref'];
  if (typeof ref === 'string' && field.format === undefined) return libqmiLayout(common.get(ref)!, common);
  const format = field.format as string;
  if (format in SCALAR_SIZES) return String(SCALAR_SIZES[format]);
  if (format === 'string') return 's';
  if (format === 'sequence' || format === 'struct') return `{${(field.contents as Json[]).map((c) => libqmiLayout(c, common)).join(',')}}`;
  if (format === 'array') {
    const element = field['array-element'] as Json;
    const fixed = field['fixed-size'];
    if (fixed !== undefined && (element.format as string) in SCALAR_SIZES) return `x${Number(fixed) * SCALAR_SIZES[element.format as string]}`;
    return `[${libqmiLayout(element, common)}]`;
  }
  return `?${format}`;
}

function ourLayout(type: QmiType): string {
  switch (type.kind) {
    case 'string':
      return 's';
    case 'struct':
      return `{${Object.values(type.fields as Record<string, QmiType>).map(ourLayout).join(',')}}`;
    case 'array':
      if (type.fixed && 'size' in type.of) return `x${type.length * (type.of as { size: number }).size}`;
      return `[${ourLayout(type.of as QmiType)}]`;
    default:
      return String((type as { size: number }).size);
  }
}

describe('QMI schemas against libqmi (Debian libqmi source package, fetched at test time)', function () {
  this.timeout(300_000);
  const libqmi = new Map<string, { messages: Json[]; common: Map<string, Json> }>();

  before(function () {
    if (spawnSync('sh', ['-c', 'command -v apt-get && command -v tar && command -v xz']).status !== 0) {
      if (process.env.CI === 'true') throw new Error('apt-get, tar and xz are needed to fetch libqmi\'s definitions, and CI=true requires this check');
      this.skip();
    }
    const reason = fetchLibqmiData();
    if (reason !== undefined) {
      if (process.env.CI === 'true') throw new Error(`${reason}; CI=true requires the libqmi cross-check`);
      console.warn(`      (skipped: ${reason})`);
      this.skip();
    }
    const shared = loadJson('qmi-common.json').filter((e) => typeof e['common-ref'] === 'string');
    for (const name of Object.keys(SERVICES)) {
      const messages = loadJson(`qmi-service-${name}.json`);
      const common = new Map<string, Json>([...shared, ...messages.filter((e) => typeof e['common-ref'] === 'string')].map((e) => [e['common-ref'] as string, e]));
      libqmi.set(name, { messages, common });
    }
  });

  for (const [name, module] of Object.entries(SERVICES)) {
    it(`should match libqmi for every message and TLV of ${name}.qmi`, () => {
      const { messages, common } = libqmi.get(name)!;
      const schemas = Object.values(module).filter((v): v is QmiMessageSchema => typeof v === 'object' && v !== null && 'msgId' in v && 'fields' in v);
      expect(schemas.length).to.be.greaterThan(0);
      const mismatches: string[] = [];
      for (const schema of schemas) {
        const type = schema.kind === 'indication' ? 'Indication' : 'Message';
        const theirs = messages.find((m) => m.type === type && Number(m.id) === schema.msgId);
        if (!theirs && NEWER_THAN_DEBIAN[schema.name]) continue;
        if (!theirs) {
          mismatches.push(`${schema.name}: libqmi has no ${type} 0x${schema.msgId.toString(16)}`);
          continue;
        }
        const tlvs = ((schema.kind === 'request' ? theirs.input : theirs.output) as Json[] | undefined) ?? [];
        const byId = new Map<number, Json>();
        for (const tlv of tlvs) {
          const resolved = typeof tlv['common-ref'] === 'string' ? { ...tlv, ...common.get(tlv['common-ref'])! } : tlv;
          byId.set(Number(resolved.id), resolved);
        }
        for (const [field, spec] of Object.entries(schema.fields)) {
          const their = byId.get(spec.tlv);
          if (!their) {
            mismatches.push(`${schema.name}.${field}: libqmi's ${String(theirs.name)} has no TLV 0x${spec.tlv.toString(16)}`);
            continue;
          }
          const expected = libqmiLayout(their, common);
          const actual = ourLayout(spec.type);
          if (expected !== actual) mismatches.push(`${schema.name}.${field} (TLV 0x${spec.tlv.toString(16)} ${String(their.name)}): libqmi ${expected}, ours ${actual}`);
        }
      }
      expect(mismatches).to.deep.equal([]);
    });
  }
});
