import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/*
 * What qrtrd writes where (issue 19 item 5, docs/cli.md "Output"): with standard output not a
 * terminal it holds only the documented lines (one line per card state change, exactly one
 * `qrtrd ready` line, the status screen, and the screen again at shutdown), no escape codes;
 * every JSON log line is on standard error, or in the --log-file.
 */
const DIST = resolve(__dirname, '..', '..');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs qrtrd with pipes (not a terminal), sends SIGTERM once stdout matches `until`, and waits for the exit. */
function runUntil(args: string[], until: RegExp | null, env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new Promise((resolvePromise, reject) => {
    // TERM and NO_COLOR as a colour terminal would have them: off a terminal that must not matter.
    const child = spawn(process.execPath, [QRTRD, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TERM: 'xterm-256color', NO_COLOR: '', ...env } });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`qrtrd did not get there in 40 s; stdout: ${stdout}; stderr: ${stderr}`));
    }, 40_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (until && !signalled && until.test(stdout)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** Every non-empty line is a pino JSON object (level, time, pid, msg). */
function expectJsonLogLines(text: string): Record<string, unknown>[] {
  const lines = text.split('\n').filter(Boolean);
  return lines.map((line) => {
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(record, line).to.include.keys('level', 'time', 'pid', 'msg');
    return record;
  });
}

const SCREEN_HEADINGS = ['qrtrd router: node 1', 'Cards:', 'Modem data plane (BAM-DMUX + QMAP):', 'Endpoints:'];
// `mhi:0000:01:00.0 QCN9074: downloading 12 KiB/71 KiB`: a card's label, its state, the detail.
const STATE_CHANGE = /^(mhi|rpmsg):\S+ [A-Z0-9][\w .]*: [a-z][a-z0-9-]*( \S.*)?$/;

/** The documented lines of standard output off a terminal, in order; fails on any other. */
function expectDocumentedStdout(stdout: string, screens: number): void {
  expect(stdout).to.not.match(/\x1b/);
  const lines = stdout.split('\n');
  expect(lines.pop(), 'ends with a newline').to.equal('');
  expect(lines.filter((l) => /^qrtrd ready: /.test(l)), 'one ready line').to.deep.equal(['qrtrd ready: node 1']);
  const firstScreen = lines.indexOf(SCREEN_HEADINGS[0]);
  expect(firstScreen, 'the status screen').to.be.above(0);
  // Before the screen: the ready line and state changes only.
  const before = new RegExp(`^qrtrd ready: node 1$|${STATE_CHANGE.source}`);
  for (const line of lines.slice(0, firstScreen)) expect(line, 'a state-change line or the ready line').to.match(before);
  // Then the screens, each the same headings in order, tables between them.
  const screenText = lines.slice(firstScreen);
  const starts = screenText.map((l, i) => (l === SCREEN_HEADINGS[0] ? i : -1)).filter((i) => i >= 0);
  expect(starts, 'status screens').to.have.length(screens);
  for (const [n, at] of starts.entries()) {
    const screen = screenText.slice(at, starts[n + 1] ?? screenText.length);
    expect(screen.filter((l) => l.endsWith(':') && !l.startsWith(' '))).to.deep.equal(SCREEN_HEADINGS.slice(1));
    for (const line of screen) expect(line.startsWith('{'), `no log line on stdout: ${line}`).to.equal(false);
  }
}

/** The tables of one status screen by heading: header cells and each row's cells, cut at the header's column offsets. */
function screenTables(screen: readonly string[]): Map<string, { headers: string[]; rows: Record<string, string>[] }> {
  const tables = new Map<string, { headers: string[]; rows: Record<string, string>[] }>();
  for (let i = 0; i < screen.length; i++) {
    if (!/^[A-Z][^:]*:$/.test(screen[i]) || !screen[i + 1]) continue;
    const header = screen[i + 1];
    const headers = header.split(/ {2,}/);
    const offsets: number[] = [];
    let from = 0;
    for (const h of headers) {
      const at = header.indexOf(h, from);
      offsets.push(at);
      from = at + h.length;
    }
    const rows: Record<string, string>[] = [];
    for (let j = i + 2; j < screen.length && screen[j] !== ''; j++) {
      rows.push(Object.fromEntries(headers.map((h, k) => [h, screen[j].slice(offsets[k], offsets[k + 1] ?? undefined).trim()])));
    }
    tables.set(screen[i].slice(0, -1), { headers, rows });
  }
  return tables;
}

describe('qrtrd output streams (stdout not a terminal)', function () {
  this.timeout(90_000);
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'qrtrd-out-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('should write only the documented lines to stdout, with headings that agree with the rows, and every JSON log line to stderr', async () => {
    const r = await runUntil([], /^Endpoints:\n(.+\n){5}/m);
    expect(r.code, r.stderr).to.equal(0);
    expectDocumentedStdout(r.stdout, 2);
    const records = expectJsonLogLines(r.stderr);
    expect(records.map((l) => l.msg)).to.include.members(['started', 'shutting down', 'stopped']);

    // Headings agree with rows (README.md): the first line is the router's own node, no table
    // heading names a node, and each table's NODE column is the node the endpoint table lists
    // for that row's endpoint (every simulated card at node 7, as README.md says).
    const lines = r.stdout.split('\n');
    const screen = lines.slice(lines.indexOf('qrtrd router: node 1'));
    const tables = screenTables(screen.slice(0, screen.indexOf('qrtrd router: node 1', 1)));
    expect([...tables.keys()]).to.deep.equal(['Cards', 'Modem data plane (BAM-DMUX + QMAP)', 'Endpoints']);
    const endpoints = new Map(tables.get('Endpoints')!.rows.map((row) => [row.ID, row]));
    for (const title of ['Cards', 'Modem data plane (BAM-DMUX + QMAP)']) {
      const table = tables.get(title)!;
      expect(table.headers, title).to.include.members(['ENDPOINT', 'KEY', 'NODE']);
      for (const row of table.rows) {
        const endpoint = endpoints.get(row.ENDPOINT);
        expect(endpoint, `${title}: endpoint ${row.ENDPOINT}`).to.not.equal(undefined);
        expect(row.KEY, `${title}: endpoint ${row.ENDPOINT}`).to.equal(endpoint!.KEY);
        expect(endpoint!.NODES.split(','), `${title}: endpoint ${row.ENDPOINT}`).to.include(row.NODE);
      }
    }
    const cards = tables.get('Cards')!.rows;
    expect(cards).to.have.length(4);
    expect(cards.map((c) => c.NODE)).to.deep.equal(['7', '7', '7', '7']);
    expect(cards.map((c) => c.STATE)).to.deep.equal(['ready', 'ready', 'ready', 'ready']);
  });

  it('should write the log to --log-file (its directory made) and nothing to stderr; stdout unchanged', async () => {
    const logFile = join(dir, 'logs', 'qrtrd.json');
    const r = await runUntil(['--log-file', logFile, '--log-level', 'debug'], /^Endpoints:\n(.+\n){5}/m);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stderr).to.equal('');
    expectDocumentedStdout(r.stdout, 2);
    const records = expectJsonLogLines(readFileSync(logFile, 'utf8'));
    expect(records.map((l) => l.msg)).to.include.members(['started', 'endpoint attached', 'stopped']);
    expect(records.some((l) => l.level === 20), 'debug lines at --log-level debug').to.equal(true);
  });

  it('should write only the ready line with --quiet', async () => {
    const r = await runUntil(['--quiet'], /^qrtrd ready: .*\n/m);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('qrtrd ready: node 1\n');
    expectJsonLogLines(r.stderr);
  });

  it('should print nothing on stdout when the start fails: the reason on stderr, as a log line and one plain line', async () => {
    const config = join(dir, 'links.json');
    writeFileSync(config, JSON.stringify({ links: [{ kind: 'rpmsg', device: join(dir, 'no-such-rpmsg') }] }));
    const r = await runUntil(['--no-sim', '--config', config], null);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.equal('');
    const lines = r.stderr.split('\n').filter(Boolean);
    const plain = lines.filter((l) => !l.startsWith('{'));
    expect(plain).to.have.length(1);
    expect(plain[0]).to.match(/^qrtrd: .*ENOENT.* \[QRTR_LINK_IO\]$/);
    const records = expectJsonLogLines(lines.filter((l) => l.startsWith('{')).join('\n'));
    expect(records.find((l) => l.msg === 'start failed')).to.include({ level: 60, code: 'QRTR_LINK_IO' });
    expect(existsSync(join(dir, 'no-such-rpmsg'))).to.equal(false);
  });
});
