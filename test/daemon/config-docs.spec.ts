import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * docs/config.md and docs/qrtrd.schema.json against the schema the binary prints
 * (`qrtrd --print-config-schema`: the core keys plus each default plugin's section).
 */
const REPO = join(__dirname, '..', '..', '..');
const QRTRD = join(REPO, 'dist', 'src', 'cli', 'qrtrd.js');

type JsonSchema = { properties?: Record<string, JsonSchema>; anyOf?: JsonSchema[]; items?: JsonSchema; type?: string; const?: unknown };

function printedSchema(args: string[] = []): Record<string, unknown> {
  const result = spawnSync(process.execPath, [QRTRD, '--print-config-schema', ...args], { encoding: 'utf8', timeout: 20_000 });
  expect(result.status, result.stderr).to.equal(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

/**
 * The object schema at a documented path (`simulation.modem`, `simulation.cards[]`,
 * `pluginConfig.ath11k`; `links[kind=rpmsg]`: the branch of the array's items whose `kind` is that).
 */
function objectAt(schema: JsonSchema, path: string): JsonSchema | undefined {
  let at: JsonSchema | undefined = schema;
  for (const part of path.split('.').filter(Boolean)) {
    const [, name, index, kind] = /^([^[]+)(\[(?:kind=([^\]]+))?\])?$/.exec(part) ?? [];
    at = objectBranch(at?.properties?.[name]);
    if (kind !== undefined) at = at?.items?.anyOf?.find((b) => b.properties?.kind?.const === kind);
    else if (index) at = objectBranch(at?.items);
  }
  return objectBranch(at);
}

function objectBranch(s: JsonSchema | undefined): JsonSchema | undefined {
  if (!s) return undefined;
  if (s.properties || s.items) return s;
  return s.anyOf?.find((b) => b.properties || b.items);
}

/** Every `key` table of the page by the path its heading names (the untitled first table is the top level). */
function documentedTables(markdown: string): Map<string, string[]> {
  const tables = new Map<string, string[]>();
  let paths = [''];
  let inKeyTable = false;
  for (const line of markdown.split('\n')) {
    const heading = /^#{1,4} (.*)$/.exec(line);
    if (heading) {
      const named = [...heading[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      paths = line.startsWith('# ') ? [''] : named;
      inKeyTable = false;
      continue;
    }
    if (/^\| key \|/.test(line)) {
      inKeyTable = true;
      for (const p of paths) tables.set(p, []);
      continue;
    }
    if (!line.startsWith('|')) {
      inKeyTable = false;
      continue;
    }
    const key = /^\| `([^`]+)` \|/.exec(line);
    if (inKeyTable && key) for (const p of paths) tables.get(p)!.push(key[1]);
  }
  return tables;
}

describe('the configuration schema and its documentation', () => {
  const schema = printedSchema() as JsonSchema;

  it('should match the committed docs/qrtrd.schema.json (npm run config-schema regenerates it)', () => {
    const committed = JSON.parse(readFileSync(join(REPO, 'docs', 'qrtrd.schema.json'), 'utf8')) as unknown;
    expect(committed).to.deep.equal(schema);
  });

  it('should document in docs/config.md every key of the schema, and no key it does not have', () => {
    const tables = documentedTables(readFileSync(join(REPO, 'docs', 'config.md'), 'utf8'));
    const plugins = Object.keys(schema.properties!.pluginConfig.properties!);
    expect(plugins).to.include.members(['ath11k', 'ath12k', 'bam-dmux']);
    const linkKinds = (schema.properties!.links.items!.anyOf ?? []).map((b) => String(b.properties!.kind.const));
    expect(linkKinds).to.include.members(['rpmsg', 'mhi']);
    const required = ['', 'simulation', 'simulation.cards[]', 'simulation.modem', 'netdev', ...linkKinds.map((k) => `links[kind=${k}]`), ...plugins.map((p) => `pluginConfig.${p}`)];
    for (const path of required) expect([...tables.keys()], `docs/config.md has a key table for '${path || 'the top level'}'`).to.include(path);
    for (const [path, documented] of tables) {
      const object = objectAt(schema, path);
      expect(object, `'${path}' of docs/config.md is an object of the schema`).to.not.equal(undefined);
      const keys = Object.keys(object!.properties ?? {});
      expect(documented, `keys documented for '${path || 'the top level'}'`).to.have.members(keys);
    }
  });

  it('should include the section schema of a plugin given with --plugin, resolved against the current directory', () => {
    const withOne = spawnSync(process.execPath, [QRTRD, '--print-config-schema', '--no-default-plugins', '--plugin', './dist/plugins/bam-dmux'], { cwd: REPO, encoding: 'utf8', timeout: 20_000 });
    expect(withOne.status, withOne.stderr).to.equal(0);
    const sections = Object.keys((JSON.parse(withOne.stdout) as JsonSchema).properties!.pluginConfig.properties!);
    expect(sections).to.deep.equal(['bam-dmux']);
  });
});
