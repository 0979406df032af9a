import { expect } from 'chai';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The layering of docs/architecture.md, enforced: each area may import only the areas
 * listed for it (plus itself), and no file takes part in an import cycle.
 */
const ALLOWED: Record<string, string[]> = {
  'src/common': [],
  'src/wire': ['src/common'],
  'src/router': ['src/wire', 'src/common'],
  'src/ns': ['src/router', 'src/wire', 'src/common'],
  'src/qmi': ['src/ns', 'src/router', 'src/wire', 'src/common'],
  'src/kernel': ['src/router', 'src/wire', 'src/common'],
  'src/backends': ['src/ns', 'src/router', 'src/wire', 'src/common'],
  'src/client': ['src/ns', 'src/router', 'src/wire', 'src/common', 'src/backends'],
  'src/capture': ['src/qmi', 'src/router', 'src/wire', 'src/common'],
  'src/sdk': ['src/qmi', 'src/ns', 'src/router', 'src/wire', 'src/common', 'src/backends'],
  plugins: ['src/sdk', 'src/common', 'plugins'],
  'src/cli': ['*'],
  'src/daemon': ['*'],
  'src/index.ts': ['*'],
};

const ROOT = resolve(__dirname, '..', '..');

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

function areaOf(file: string): string | undefined {
  const rel = relative(ROOT, file).split('\\').join('/');
  if (rel === 'src/index.ts') return rel;
  if (rel.startsWith('plugins/')) return 'plugins';
  const m = /^src\/[^/]+/.exec(rel);
  return m && !m[0].endsWith('.ts') ? m[0] : undefined;
}

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'([^']+)'|require\('([^']+)'\)|import\('([^']+)'\)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith('.')) out.push(resolve(dirname(file), spec));
  }
  return out;
}

function resolveModule(base: string): string | undefined {
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not this one
    }
  }
  return undefined;
}

describe('architecture', () => {
  // Shipped code only: tests may reach across layers to set up scenarios.
  const files = [...walk(join(ROOT, 'src')), ...walk(join(ROOT, 'plugins'))].filter((f) => !/\/test\//.test(relative(ROOT, f)));
  const graph = new Map<string, string[]>();
  for (const file of files) graph.set(file, importsOf(file).map(resolveModule).filter((f): f is string => f !== undefined));

  it('should import only downward through the layers (wire <- router <- ns <- qmi <- sdk <- plugins/cli)', () => {
    const violations: string[] = [];
    for (const [file, deps] of graph) {
      const from = areaOf(file);
      if (!from) continue;
      const allowed = ALLOWED[from];
      if (!allowed) {
        violations.push(`${relative(ROOT, file)}: area ${from} has no layering rule in test/architecture.spec.ts`);
        continue;
      }
      if (allowed.includes('*')) continue;
      for (const dep of deps) {
        const to = areaOf(dep);
        if (!to || to === from || allowed.includes(to)) continue;
        violations.push(`${relative(ROOT, file)} -> ${relative(ROOT, dep)} (${from} may not import ${to})`);
      }
    }
    expect(violations).to.deep.equal([]);
  });

  it('should load the native addon from exactly one module', () => {
    const loaders = files.filter((f) => /require\([^)]*native[^)]*\.node|bindings\(|build\/Release/.test(readFileSync(f, 'utf8')));
    expect(loaders.map((f) => relative(ROOT, f)).filter((f) => !f.startsWith('src/kernel/native-loader'))).to.deep.equal([]);
  });

  it('should have no import cycles', () => {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    let counter = 0;
    const visit = (v: string): void => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      for (const w of graph.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(relative(ROOT, w));
        } while (w !== v);
        if (component.length > 1) cycles.push(component);
      }
    };
    for (const v of graph.keys()) if (!index.has(v)) visit(v);
    expect(cycles).to.deep.equal([]);
  });
});
