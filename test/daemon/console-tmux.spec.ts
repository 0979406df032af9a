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
  const session = `qrtrd-view-${process.pid}`;

  before(function () {
    if (spawnSync('tmux', ['-V']).error) {
      if (process.env.CI) throw new Error('tmux is not installed (.ci/apt.d/console.txt)');
      console.log('    (pending: tmux is not installed; apt-get install tmux to run the live-view test)');
      this.skip();
    }
  });
  after(() => spawnSync('tmux', ['kill-session', '-t', session]));

  it('should fit every line to 80 columns and redraw in place without leftovers', async () => {
    tmux('new-session', '-d', '-s', session, '-x', '80', '-y', '60', `${process.execPath} ${QRTRD}; sleep 30`);
    let screen = '';
    for (let i = 0; i < 100 && !/^Endpoints:/m.test(screen); i++) {
      await sleep(200);
      screen = tmux('capture-pane', '-p', '-t', session);
    }
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
});
