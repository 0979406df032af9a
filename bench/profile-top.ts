/**
 * Summarises a V8 .cpuprofile (node --cpu-prof) as the functions with the most
 * self time: `node dist/bench/profile-top.js FILE.cpuprofile [N]`. Used to start
 * each performance change from a profile (docs/performance.md).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const [file, top = '15'] = process.argv.slice(2);
if (!file) {
  console.error('usage: profile-top FILE.cpuprofile [N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const hits = new Map<string, number>();
for (const id of profile.samples) {
  const node = byId.get(id)!;
  const f = node.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(dist|node:)/, '$1')}:${f.lineNumber + 1}` : '';
  const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
  hits.set(key, (hits.get(key) ?? 0) + 1);
}
const total = profile.samples.length;
const idle = hits.get('(idle)') ?? 0;
console.log(`${total} samples, ${((100 * idle) / total).toFixed(1)}% idle`);
for (const [key, n] of [...hits].sort((x, y) => y[1] - x[1]).slice(0, Number(top))) {
  console.log(`${((100 * n) / total).toFixed(1).padStart(5)}%  ${key}`);
}
