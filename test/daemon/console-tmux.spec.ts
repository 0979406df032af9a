import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { resolve, join } from 'node:path';

const DIST = resolve(__dirname, '..', '..');
const QRTRD = join(DIST, 'src', 'cli', 'qrtrd.js');

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));

/** The live view in a real terminal (tmux, 80 columns), read back with capture-pane. */
describe('qrtrd live view in a real terminal (tmux)', function () {
  this.timeout(60_000);
  // A fresh session name per view, the previous one killed only once the next exists:
  // killing a server's last session makes it exit, and a new-session racing that exit
  // fails with "server exited unexpectedly".
  let views = 0;
  let session = `qrtrd-view-${process.pid}-0`;

  before(function () {
    if (spawnSync('tmux', ['-V']).error) {
      if (process.env.CI) throw new Error('tmux is not installed (.ci/apt.d/console.txt)');
      console.log('    (pending: tmux is not installed; apt-get install tmux to run the live-view test)');
      this.skip();
    }
  });
  after(() => spawnSync('tmux', ['kill-session', '-t', session]));

  /** Starts qrtrd in a fresh 80-column session (`env` first: what the command line sets) and waits for its status screen. */
  async function startView(env: string[] = [], columns = 80): Promise<void> {
    const previous = session;
    session = `qrtrd-view-${process.pid}-${++views}`;
    tmux('new-session', '-d', '-s', session, '-x', String(columns), '-y', '60', `env ${env.join(' ')} ${process.execPath} ${QRTRD}; sleep 30`);
    spawnSync('tmux', ['kill-session', '-t', previous]);
    let screen = '';
    for (let i = 0; i < 100 && !/^Endpoints:/m.test(screen); i++) {
      await sleep(200);
      screen = tmux('capture-pane', '-p', '-t', session);
    }
    expect(screen).to.match(/^Endpoints:/m);
  }

  it('should fit every line to 80 columns and redraw in place without leftovers', async () => {
    await startView(['-u', 'NO_COLOR']);
    let screen = '';
    // Let the per-second redraw run a few times over what was drawn.
    await sleep(3500);
    screen = tmux('capture-pane', '-p', '-t', session);
    const lines = screen.split('\n');
    for (const line of lines) expect([...line].length, line).to.be.at.most(80);
    // Drawn once each: a redraw that miscounted rows would leave a second copy behind.
    for (const heading of ['qrtrd router: node 1', 'Cards:', 'Endpoints:']) expect(lines.filter((l) => l === heading), heading).to.have.length(1);
    expect(lines.filter((l) => /^qrtrd ready/.test(l))).to.have.length(1);
    // The finished bars stay above the screen, one per card, complete; none inside the redrawn screen.
    const bars = lines.map((l, i) => ({ l, i })).filter(({ l }) => /\[[#-]{28}\]/.test(l));
    expect(bars.map(({ l }) => / 100% /.test(l))).to.deep.equal([true, true, true, true]);
    expect(Math.max(...bars.map(({ i }) => i))).to.be.below(lines.indexOf('qrtrd router: node 1'));
    tmux('send-keys', '-t', session, 'C-c', '');
  });

  // A CSI SGR colour sequence as capture-pane -e gives it (tmux may merge attributes: 32, 39, 0).
  const COLOUR = /\x1b\[[0-9;]*m/;

  it('should colour the STATE column on a terminal (ready green) without changing what the columns hold', async () => {
    // NO_COLOR set but empty does not disable colour (no-color.org: "present and not an empty string").
    // 80 columns: STATE comes before the long FIRMWARE column, so a standard terminal shows it.
    for (const env of [['-u', 'NO_COLOR'], ['NO_COLOR=']]) {
      await startView(env);
      await sleep(1500);
      const coloured = tmux('capture-pane', '-p', '-e', '-t', session);
      const plain = tmux('capture-pane', '-p', '-t', session);
      const cards = coloured.split('\n').filter((l) => /QCN9074|WCN6855|WCN7850/.test(l) && !/\[[#-]{28}\]/.test(l));
      expect(cards, `${env.join(' ')}: card rows`).to.have.length(4);
      // Green `ready` (SGR 32), and the colour ends within the cell.
      for (const row of cards) expect(row, env.join(' ')).to.match(/\x1b\[32mready\x1b\[(39|0)?m/);
      // Without the escapes the screen is the same text, every line within 80 columns.
      const stripped = coloured.replace(/\x1b\[[0-9;]*m/g, '');
      expect(stripped.split('\n').map((l) => l.trimEnd())).to.deep.equal(plain.split('\n').map((l) => l.trimEnd()));
      for (const line of plain.split('\n')) expect([...line].length, line).to.be.at.most(80);
      tmux('send-keys', '-t', session, 'C-c', '');
    }
  });

  it('should cut coloured lines by their visible width: at 80 columns the coloured screen holds the same text as the plain one', async () => {
    await startView(['-u', 'NO_COLOR']);
    await sleep(1500);
    const coloured = tmux('capture-pane', '-p', '-e', '-t', session);
    const plain = tmux('capture-pane', '-p', '-t', session);
    expect(coloured.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.trimEnd())).to.deep.equal(plain.split('\n').map((l) => l.trimEnd()));
    const lines = plain.split('\n');
    for (const line of lines) expect([...line].length, line).to.be.at.most(80);
    for (const heading of ['qrtrd router: node 1', 'Cards:', 'Endpoints:']) expect(lines.filter((l) => l === heading), heading).to.have.length(1);
    tmux('send-keys', '-t', session, 'C-c', '');
  });

  it('should draw no colour at all when NO_COLOR is set to a non-empty value', async () => {
    for (const value of ['1', 'yes']) {
      await startView([`NO_COLOR=${value}`]);
      await sleep(1500);
      const screen = tmux('capture-pane', '-p', '-e', '-t', session);
      expect(screen).to.match(/^Cards:/m);
      expect(screen, `NO_COLOR=${value}`).to.not.match(COLOUR);
      tmux('send-keys', '-t', session, 'C-c', '');
    }
  });
});
