import { expect } from 'chai';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

/**
 * The layering of docs/architecture.md is .dependency-cruiser.cjs, checked by dependency-cruiser
 * (which parses every import form with the TypeScript compiler). These tests run the same check
 * `npm run lint:deps` runs, on the tree and on a copy of it with violations planted.
 */
const ROOT = resolve(__dirname, '..', '..');
const CRUISER = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string };
  readonly cycle?: readonly unknown[];
}
interface CruiseResult {
  readonly modules: readonly { readonly source: string }[];
  readonly summary: { readonly violations: readonly Violation[]; readonly error: number };
}

function depcruise(root: string, outputType: 'json' | 'err'): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [CRUISER, 'src', 'plugins', '--config', '.dependency-cruiser.cjs', '--output-type', outputType], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The JSON report (dependency-cruiser exits 0 with it, whatever it found). */
function cruise(root: string): CruiseResult {
  const run = depcruise(root, 'json');
  if (!run.stdout) throw new Error(`dependency-cruiser produced no report (status ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as CruiseResult;
}

/** The exit status of the check as `npm run lint:deps` runs it (the `err` reporter: non-zero on errors). */
function lintStatus(root: string): number | null {
  return depcruise(root, 'err').status;
}

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) sourceFiles(full, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(ROOT, full));
  }
  return out;
}

/** One planted file per way of importing across a layer, and the rule that must catch it. */
const PLANTED: readonly { file: string; text: string; rule: string }[] = [
  { file: 'src/router/planted-double-quote.ts', text: 'import { PluginError } from "../sdk/errors";\nexport const e = PluginError;\n', rule: 'layer:src/router' },
  { file: 'src/wire/planted-side-effect.ts', text: "import '../qmi/codec';\n", rule: 'layer:src/wire' },
  { file: 'src/ns/planted-dynamic.ts', text: "export async function later(): Promise<unknown> {\n  return import('../qmi/client');\n}\n", rule: 'layer:src/ns' },
  { file: 'src/router/planted-require.ts', text: "// eslint-disable-next-line\nexport const ns = require('../ns/name-service');\n", rule: 'layer:src/router' },
  { file: 'src/wire/planted-reexport.ts', text: "export { NameService } from '../ns/name-service';\n", rule: 'layer:src/wire' },
  { file: 'src/common/planted-through-root.ts', text: "export * from '../index';\n", rule: 'layer:src/common' },
  { file: 'src/planted-root.ts', text: "export * from './daemon/daemon';\n", rule: 'layer:src-root' },
  { file: 'src/daemon/planted-plugin.ts', text: "import * as ath11k from '../../plugins/ath11k';\nexport const p = ath11k.plugin;\n", rule: 'layer:src/daemon' },
  { file: 'src/cli/planted-type-only.ts', text: "import type { WlfwCardStatus } from '../../plugins/wlfw/src';\nexport type S = WlfwCardStatus;\n", rule: 'layer:src/cli' },
  { file: 'src/qmi/planted-chai.ts', text: "import { expect } from 'chai';\nexport const e = expect;\n", rule: 'test-kit-only-chai' },
  { file: 'plugins/ath11k/src/planted-core.ts', text: "import { Router } from '../../../src/router/router';\nexport const r = Router;\n", rule: 'layer:plugins' },
  { file: 'plugins/wlfw/sim/planted-kit.ts', text: "export { describePluginCompliance } from '../../../src/testing';\n", rule: 'layer:plugin-simulators' },
  { file: 'src/common/planted-cycle-a.ts', text: "import { b } from './planted-cycle-b';\nexport const a = (): number => b() + 1;\n", rule: 'no-circular' },
  { file: 'src/common/planted-cycle-b.ts', text: "import { a } from './planted-cycle-a';\nexport const b = (): number => a() - 1;\n", rule: 'no-circular' },
  { file: 'src/links/planted-missing.ts', text: "import { gone } from './does-not-exist';\nexport const g = gone;\n", rule: 'no-unresolvable' },
];

describe('architecture', function () {
  this.timeout(60_000);

  it('should pass the layering check (dependency-cruiser, every import form) over every file under src/ and plugins/', () => {
    const result = cruise(ROOT);
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).to.deep.equal([]);
    expect(lintStatus(ROOT), 'exit status of npm run lint:deps').to.equal(0);
    const cruised = new Set(result.modules.map((m) => m.source));
    const missed = [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'plugins'))].filter((f) => !cruised.has(f));
    expect(missed, 'files the check never looked at').to.deep.equal([]);
  });

  it('should go red on each planted violation in a copy of the tree', () => {
    const copy = mkdtempSync(join(tmpdir(), 'qrtrd-layers-'));
    try {
      for (const entry of ['src', 'plugins', 'test', 'tsconfig.json', '.dependency-cruiser.cjs']) cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
      for (const p of PLANTED) writeFileSync(join(copy, p.file), p.text);
      const result = cruise(copy);
      expect(lintStatus(copy), 'exit status of npm run lint:deps').to.not.equal(0);
      const caught = (p: (typeof PLANTED)[number]): boolean =>
        result.summary.violations.some((v) => v.rule.name === p.rule && (v.from === p.file || (v.cycle !== undefined && v.from.startsWith('src/common/planted-cycle'))));
      expect(PLANTED.filter((p) => !caught(p)).map((p) => `${p.file} (${p.rule})`), 'planted violations the check missed').to.deep.equal([]);
      const planted = new Set(PLANTED.map((p) => p.file));
      const others = result.summary.violations.filter((v) => !planted.has(v.from));
      expect(others.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`), 'violations outside the planted files').to.deep.equal([]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('should load the native addon from exactly one module', () => {
    const files = [...sourceFiles(join(ROOT, 'src')), ...sourceFiles(join(ROOT, 'plugins'))];
    const loaders = files.filter((f) => /require\([^)]*native[^)]*\.node|bindings\(|build\/Release/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(loaders.filter((f) => !f.startsWith('src/kernel/native-loader'))).to.deep.equal([]);
  });
});
