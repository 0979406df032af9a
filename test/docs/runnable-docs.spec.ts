import { expect } from 'chai';
import { stopChild } from '../helpers/processes';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/*
 * Documentation that runs (issue #19 item 7). A fenced block of README.md or docs/*.md that the
 * line `<!-- runs: default simulation -->` precedes is executed against a real qrtrd on its
 * default simulation:
 * - a line `$ COMMAND` is a command; the lines after it, up to the next `$` line or the end of
 *   the block, are output the page shows: each must be a line of what the command prints
 *   (runs of spaces compared as one, so column widths may move; rows may come in any order);
 *   the command's exit status must be 0, unless its shown output ends with `[exit N]`: then it
 *   must be exactly N, and the lines shown are looked for in standard output and error;
 * - in a block without `$` lines every line is a command whose exit status must be 0;
 * - `npm start -- ARGS` stands for the daemon this test runs; `qrtr` and
 *   `node dist/src/cli/qrtr.js` are the built CLI; `qrtrd` (`node dist/src/cli/qrtrd.js`) runs
 *   only with what does not start a daemon (--print-config, --print-config-schema, --help,
 *   --version); `cat FILE` shows a file of the repository; the block's socket path is replaced by the
 *   test's own; lines with `--kernel` need the kernel harness (test/kernel runs them there) and
 *   are skipped here, which the test reports.
 * A fenced block that `<!-- output of: npm start -->` precedes is what the daemon prints on its
 * default simulation (its status screen): every line of it must be a line of this test's daemon's
 * standard output (runs of spaces compared as one).
 * The test fails when a page has no runnable block it used to have (MIN_BLOCKS), so a marker
 * lost in an edit does not pass silently, and when a shell block (```sh, or one with `$` lines)
 * is neither marked nor says on the page why it is not run: the line before it must then be
 * `_Not run by the docs test: REASON._` (root, hardware, the kernel harness, ...).
 */
const REPO = join(__dirname, '..', '..', '..');
const QRTRD = join(REPO, 'dist', 'src', 'cli', 'qrtrd.js');
const QRTR = join(REPO, 'dist', 'src', 'cli', 'qrtr.js');
const MARKER = '<!-- runs: default simulation -->';
const OUTPUT_MARKER = '<!-- output of: npm start -->';
const MIN_BLOCKS: Readonly<Record<string, number>> = { 'README.md': 1, 'docs/cli.md': 4, 'docs/config.md': 1, 'docs/dataplane.md': 1 };
const NOT_RUN = /^_Not run by the docs test: .+\._$/;
// Pages other work owns: their blocks run where they are marked, but the not-run rule is theirs to adopt.
const NOT_RUN_RULE_EXEMPT = new Set(['docs/plugin-guide.md', 'docs/performance.md']);

/** Shell blocks (```sh/bash/console, or any with `$ ` lines) neither marked runnable nor saying why not: `page:line`. */
export function unexplainedShellBlocks(page: string, text: string): string[] {
  const lines = text.split('\n');
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].startsWith('```')) continue;
    const open = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    const shell = /^```(sh|bash|console|shell)\s*$/.test(lines[open]) || body.some((l) => l.startsWith('$ '));
    if (!shell) continue;
    let k = open - 1;
    while (k >= 0 && lines[k].trim() === '') k--;
    const before = k >= 0 ? lines[k].trim() : '';
    if (before !== MARKER && !NOT_RUN.test(before)) found.push(`${page}:${open + 1}`);
  }
  return found;
}

interface Step {
  readonly command: string;
  readonly expected: readonly string[];
}

interface RunnableBlock {
  readonly page: string;
  readonly line: number;
  readonly steps: readonly Step[];
}

function pages(): string[] {
  return ['README.md', ...readdirSync(join(REPO, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
}

export function runnableBlocks(page: string, text: string): RunnableBlock[] {
  const lines = text.split('\n');
  const blocks: RunnableBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== MARKER) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === '') j++;
    if (!lines[j]?.startsWith('```')) throw new Error(`${page}:${i + 1}: ${MARKER} is not followed by a fenced block`);
    const body: string[] = [];
    for (j++; j < lines.length && !lines[j].startsWith('```'); j++) body.push(lines[j]);
    const steps: Step[] = [];
    if (body.some((l) => l.startsWith('$ '))) {
      let current: { command: string; expected: string[] } | undefined;
      for (const l of body) {
        if (l.startsWith('$ ')) steps.push((current = { command: l.slice(2).trim(), expected: [] }));
        else if (current && l.trim() !== '') current.expected.push(l);
      }
    } else {
      for (const l of body) if (l.trim() !== '' && !l.trim().startsWith('#')) steps.push({ command: l.trim(), expected: [] });
    }
    blocks.push({ page, line: i + 1, steps });
  }
  return blocks;
}

/** The fenced blocks `<!-- output of: npm start -->` precedes: their non-empty lines. */
export function daemonOutputBlocks(page: string, text: string): { page: string; line: number; lines: string[] }[] {
  const lines = text.split('\n');
  const blocks: { page: string; line: number; lines: string[] }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== OUTPUT_MARKER) continue;
    let j = i + 1;
    while (j < lines.length && lines[j].trim() === '') j++;
    if (!lines[j]?.startsWith('```')) throw new Error(`${page}:${i + 1}: ${OUTPUT_MARKER} is not followed by a fenced block`);
    const body: string[] = [];
    for (j++; j < lines.length && !lines[j].startsWith('```'); j++) if (lines[j].trim() !== '') body.push(lines[j]);
    blocks.push({ page, line: i + 1, lines: body });
  }
  return blocks;
}

const squash = (line: string): string => line.trim().replace(/\s+/g, ' ');

/** What does not start a daemon: the qrtrd commands a page may run. */
const QRTRD_ACTIONS = ['--print-config', '--print-config-schema', '--help', '-h', '--version', '-V'];

/** The script and argv of a documented `qrtr` or `qrtrd` command, or undefined for the daemon line. */
function commandArgs(command: string, socketInDocs: string | undefined, socket: string): { script: string; args: string[] } | undefined {
  const words = command.split(/\s+/).map((w) => (socketInDocs !== undefined && w === socketInDocs ? socket : w));
  if (words[0] === 'npm' && words[1] === 'start') return undefined;
  if (words[0] === 'qrtr') return { script: QRTR, args: words.slice(1) };
  if (words[0] === 'node' && words[1] === 'dist/src/cli/qrtr.js') return { script: QRTR, args: words.slice(2) };
  const daemon = words[0] === 'qrtrd' ? words.slice(1) : words[0] === 'node' && words[1] === 'dist/src/cli/qrtrd.js' ? words.slice(2) : undefined;
  if (daemon) {
    if (!daemon.some((w) => QRTRD_ACTIONS.includes(w))) throw new Error(`would start a second daemon (only ${QRTRD_ACTIONS.join(', ')} run here): ${command}`);
    return { script: QRTRD, args: daemon };
  }
  throw new Error(`not a qrtr or qrtrd command: ${command}`);
}

describe('documentation that runs: the commands README.md and docs/ show, on the default simulation (issue #19)', function () {
  this.timeout(180_000);
  const blocks = pages().flatMap((page) => runnableBlocks(page, readFileSync(join(REPO, page), 'utf8')));
  const outputBlocks = pages().flatMap((page) => daemonOutputBlocks(page, readFileSync(join(REPO, page), 'utf8')));
  let daemonOut = '';
  let dir: string;
  let socket: string;
  let daemon: ChildProcess | undefined;

  before(async function () {
    dir = mkdtempSync(join(tmpdir(), 'qrtrd-docs-'));
    socket = join(dir, 'qrtrd.sock');
    daemon = spawn(process.execPath, [QRTRD, '--socket', socket], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`qrtrd not ready: ${daemonOut}`)), 30_000);
      daemon!.stdout!.on('data', (d: Buffer) => {
        daemonOut += d.toString();
        if (/^qrtrd ready/m.test(daemonOut)) {
          clearTimeout(timer);
          resolve();
        }
      });
      daemon!.once('exit', (code) => reject(new Error(`qrtrd exited ${code}: ${daemonOut}`)));
    });
    daemon.stderr!.resume();
    // The pages show the simulation with every card up: wait for that (bounded).
    const deadline = Date.now() + 30_000;
    for (;;) {
      const cards = spawnSync(process.execPath, [QRTR, 'cards', '--json', '--socket', socket], { encoding: 'utf8', timeout: 10_000 });
      if (cards.status === 0 && (JSON.parse(cards.stdout) as { state: string }[]).every((c) => c.state === 'ready')) break;
      if (Date.now() > deadline) throw new Error(`cards not ready: ${cards.stdout}${cards.stderr}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  after(async () => {
    await stopChild(daemon);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should find the runnable blocks each page is known to have', () => {
    for (const [page, min] of Object.entries(MIN_BLOCKS)) {
      expect(blocks.filter((b) => b.page === page).length, `${page}: blocks marked ${MARKER}`).to.be.at.least(min);
    }
  });

  it('should run every command of every runnable block with the exit status (0 unless [exit N]) and the output the page shows', () => {
    const skipped: string[] = [];
    let ran = 0;
    for (const block of blocks) {
      const socketInDocs = block.steps.map((s) => /--socket\s+(\S+)/.exec(s.command)?.[1]).find((s) => s !== undefined);
      for (const step of block.steps) {
        const where = `${block.page}:${block.line}: ${step.command}`;
        if (/\s--kernel(\s|$)/.test(step.command)) {
          skipped.push(where);
          continue;
        }
        // `cat FILE` shows a file of the repository the next commands use (docs/examples/...).
        const cat = /^cat (\S+)$/.exec(step.command);
        if (cat) expect(cat[1], `${where}: a path inside the repository`).to.match(/^(?!\/)(?!.*\.\.)/);
        const run = cat ? { script: '', args: [] } : commandArgs(step.command, socketInDocs, socket);
        if (run === undefined) continue;
        const r = cat
          ? spawnSync('cat', [cat[1]], { cwd: REPO, encoding: 'utf8' })
          : spawnSync(process.execPath, [run.script, ...run.args], { cwd: REPO, encoding: 'utf8', timeout: 30_000, env: { ...process.env, QRTRD_SOCKET: socket } });
        ran++;
        const exit = step.expected.map((l) => /^\[exit (\d+)\]$/.exec(l.trim())).find((m) => m !== null);
        expect(r.status, `${where}\n${r.stderr}${r.stdout}`).to.equal(exit ? Number(exit[1]) : 0);
        const printed = exit ? `${r.stdout}${r.stderr}` : r.stdout;
        const actual = new Set(printed.split('\n').map(squash));
        for (const line of step.expected.filter((l) => !/^\[exit \d+\]$/.test(l.trim()))) {
          expect(actual.has(squash(line)), `${where}: the page shows\n  ${line}\nbut it printed\n${printed}`).to.equal(true);
        }
      }
    }
    expect(ran, 'commands run').to.be.greaterThan(0);
    if (skipped.length) console.log(`      skipped (need the kernel harness, run by test/kernel): ${skipped.join('; ')}`);
  });

  it("should show in every `output of: npm start` block only lines the daemon prints", async () => {
    expect(outputBlocks.filter((b) => b.page === 'README.md').length, `README.md: blocks marked ${OUTPUT_MARKER}`).to.be.at.least(1);
    // The status screen follows once every card is ready (off a terminal: printed once, then at stop).
    for (let i = 0; i < 100 && !/^Endpoints:$/m.test(daemonOut); i++) await new Promise((r) => setTimeout(r, 100));
    const printed = new Set(daemonOut.split('\n').map(squash));
    for (const block of outputBlocks) {
      for (const line of block.lines) expect(printed.has(squash(line)), `${block.page}:${block.line}: the page shows\n  ${line}\nbut qrtrd printed\n${daemonOut}`).to.equal(true);
    }
  });

  it('should have every shell block of the pages marked runnable or saying on the page why it is not run', () => {
    const unexplained = pages()
      .filter((page) => !NOT_RUN_RULE_EXEMPT.has(page))
      .flatMap((page) => unexplainedShellBlocks(page, readFileSync(join(REPO, page), 'utf8')));
    expect(unexplained, `blocks without ${MARKER} or a "_Not run by the docs test: REASON._" line before them`).to.deep.equal([]);
    expect(unexplainedShellBlocks('x.md', '```sh\nqrtr lookup\n```')).to.deep.equal(['x.md:1']);
    expect(unexplainedShellBlocks('x.md', '_Not run by the docs test: needs root._\n\n```sh\nip link\n```')).to.deep.equal([]);
    expect(unexplainedShellBlocks('x.md', '```\n$ qrtr cards\n```\n```\nplain\n```')).to.deep.equal(['x.md:1']);
  });

  it('should refuse a marker that is not followed by a fenced block, and read $-commands with their output', () => {
    expect(() => runnableBlocks('x.md', `${MARKER}\ntext`)).to.throw(/not followed by a fenced block/);
    const [b] = runnableBlocks('x.md', `${MARKER}\n\`\`\`\n$ qrtr lookup\n  a  b\n$ qrtr cards\n\`\`\``);
    expect(b.steps).to.deep.equal([
      { command: 'qrtr lookup', expected: ['  a  b'] },
      { command: 'qrtr cards', expected: [] },
    ]);
  });
});
