import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { Subject } from 'rxjs';
import { DEFAULT_CONFIG } from '../../src/daemon/config';
import { QrtrdDaemon } from '../../src/daemon/daemon';
import { MemoryReclaimer } from '../../src/daemon/memory-reclaim';
import { createMemoryLink, type EndpointEvent } from '../../src/router';
import { NATIVE_ABI_VERSION, NATIVE_ADDON_ENV } from '../../src/kernel';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const detached = (id: number): EndpointEvent => ({ type: 'detached', id, key: { kind: 'mhi', key: `card${id}` } });
const attached = (id: number): EndpointEvent => ({ type: 'attached', id, key: { kind: 'mhi', key: `card${id}` } });

describe('MemoryReclaimer (a full collection once endpoints are quiet after a detach)', () => {
  let events: Subject<EndpointEvent>;
  let collections: number;
  const collect = (): void => void collections++;

  beforeEach(() => {
    events = new Subject();
    collections = 0;
  });

  it('should collect once after a burst of detaches, when the last one is a quiet period old', async () => {
    // Windows wide against the gaps, so a loaded machine's late timers do not fire it early.
    const reclaimer = new MemoryReclaimer(events, { afterDetachMs: 250, collect });
    for (let i = 0; i < 8; i++) {
      events.next(detached(i));
      await sleep(10);
    }
    expect(collections).to.equal(0, 'nothing while cards are still going');
    expect(reclaimer.pending).to.equal(true);
    await reclaimer.settled();
    expect(collections).to.equal(1);
    expect(reclaimer.reclaims).to.equal(1);
    expect(reclaimer.pending).to.equal(false);
    await sleep(300);
    expect(collections).to.equal(1, 'one collection per quiet period');
    reclaimer.close();
  });

  it('should not collect for attaches alone, and postpone a pending collection while cards come back', async () => {
    const reclaimer = new MemoryReclaimer(events, { afterDetachMs: 250, collect });
    events.next(attached(1));
    await sleep(300);
    expect(collections).to.equal(0);
    events.next(detached(1));
    await sleep(150);
    events.next(attached(2)); // a fleet coming back up: not now
    await sleep(150);
    expect(collections).to.equal(0);
    await reclaimer.settled();
    expect(collections).to.equal(1);
    reclaimer.close();
  });

  it('should cancel a pending collection on close and ignore events after it', async () => {
    const reclaimer = new MemoryReclaimer(events, { afterDetachMs: 20, collect });
    events.next(detached(1));
    reclaimer.close();
    await reclaimer.settled();
    events.next(detached(2));
    await sleep(40);
    expect(collections).to.equal(0);
  });

  it('should never collect (nor take the gc function) with afterDetachMs 0', async () => {
    let taken = false;
    const reclaimer = new MemoryReclaimer(events, {
      afterDetachMs: 0,
      get collect() {
        taken = true;
        return collect;
      },
    });
    events.next(detached(1));
    await sleep(20);
    expect([collections, taken, reclaimer.pending]).to.deep.equal([0, false, false]);
    reclaimer.close();
  });

  it('should log and count a collection that throws, and collect again after the next detach', async () => {
    const lines: { level: number; code?: string }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; code?: string }) });
    let fail = true;
    const reclaimer = new MemoryReclaimer(events, {
      afterDetachMs: 10,
      logger,
      collect: () => {
        if (fail) throw Object.assign(new Error('no memory'), { code: 'ENOMEM' });
        collections++;
      },
    });
    events.next(detached(1));
    await reclaimer.settled();
    expect([reclaimer.failures, reclaimer.reclaims]).to.deep.equal([1, 0]);
    expect(lines.find((l) => l.level === 40)?.code).to.equal('ENOMEM');
    fail = false;
    events.next(detached(2));
    await reclaimer.settled();
    expect([reclaimer.failures, reclaimer.reclaims, collections]).to.deep.equal([1, 1, 1]);
    reclaimer.close();
  });

  /** Runs `body` (which sets `result`) in a fresh node without --expose-gc, after a WeakRef to a dropped object was made. */
  function inFreshNode(body: string, env: NodeJS.ProcessEnv = {}): unknown {
    const module = path.resolve(__dirname, '../../src/daemon/memory-reclaim.js');
    const script = `
      const reclaim = require(${JSON.stringify(module)});
      let ref = new WeakRef({ big: new Array(1000).fill(1) });
      setImmediate(() => { let result; ${body}; console.log(JSON.stringify(result)); });`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '', ...env } });
    expect(run.status, run.stderr).to.equal(0);
    return JSON.parse(run.stdout.trim());
  }

  it("should reclaim with V8's low-memory notification through the addon, and fall back to gc with an addon built without it", function () {
    if (!existsSync(path.resolve(__dirname, '../../../native/build/Release/qrtr_native.node'))) {
      if (process.env.CI) throw new Error('the native addon is not built, but CI=true requires it (node native/build.js)');
      this.skip();
    }
    const body = 'const best = reclaim.bestReclaim(); best.run(); result = { kind: best.kind, cleared: ref.deref() === undefined, globalGc: typeof globalThis.gc }';
    expect(inFreshNode(body)).to.deep.equal({ kind: 'low-memory-notification', cleared: true, globalGc: 'undefined' });
    const stale = path.join(mkdtempSync(path.join(tmpdir(), 'qrtrd-stale-addon-')), 'stale.js');
    writeFileSync(stale, `module.exports = { abiVersion: ${NATIVE_ABI_VERSION}, socket() {}, Poller: function () {} };`);
    expect(inFreshNode(body, { [NATIVE_ADDON_ENV]: stale })).to.deep.equal({ kind: 'gc', cleared: true, globalGc: 'undefined' });
  });

  it("should take V8's gc in a process started without --expose-gc, collect with it, and leave no global gc behind", () => {
    const body = 'reclaim.fullCollection()(); result = { cleared: ref.deref() === undefined, globalGc: typeof globalThis.gc }';
    expect(inFreshNode(body)).to.deep.equal({ cleared: true, globalGc: 'undefined' });
  });
});

describe('QrtrdDaemon memory reclaim (reclaimAfterDetachMs)', function () {
  this.timeout(20000);
  const quiet = pino({ level: 'silent' });
  const config = { ...DEFAULT_CONFIG, console: false, plugins: [], simulation: { ...DEFAULT_CONFIG.simulation, enabled: false } };

  it('should collect after an endpoint detaches and report it in the status', async () => {
    const daemon = new QrtrdDaemon({ ...config, reclaimAfterDetachMs: 30 }, quiet);
    try {
      await daemon.start();
      expect(daemon.status().memoryReclaims).to.include({ count: 0, pending: false });
      expect(daemon.status().memoryReclaims!.kind).to.be.oneOf(['low-memory-notification', 'gc']);
      const [near] = createMemoryLink({ kind: 'tun', key: 'reclaim-test' });
      const link = daemon.router.attach(near);
      await sleep(60);
      expect(daemon.status().memoryReclaims!.count).to.equal(0, 'an attach asks for no collection');
      link.detach();
      expect(daemon.status().memoryReclaims!.pending).to.equal(true);
      for (let waited = 0; daemon.status().memoryReclaims!.pending && waited < 5000; waited += 20) await sleep(20);
      expect(daemon.status().memoryReclaims).to.include({ count: 1, failures: 0, pending: false });
    } finally {
      await daemon.stop();
    }
  });

  it('should run no reclaimer with reclaimAfterDetachMs 0', async () => {
    const daemon = new QrtrdDaemon({ ...config, reclaimAfterDetachMs: 0 }, quiet);
    try {
      await daemon.start();
      expect(daemon.status().memoryReclaims).to.equal(null);
    } finally {
      await daemon.stop();
    }
  });
});
