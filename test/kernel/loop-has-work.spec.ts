import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';

const ADDON = path.resolve(__dirname, '../../../native/build/Release/qrtr_native.node');

// The addon's loopHasWork, in a fresh node process so that no handle of mocha's is in the
// loop: what AfQipcrtrSocket's drain asks before reading another slice of a stream instead
// of yielding (an idle loop), each kind of waiting work on its own.
describe('native loopHasWork (the drain asks before reading on)', function () {
  it('should report a timer due and a ready fd, not immediates, and consume nothing', function () {
    if (!existsSync(ADDON)) {
      if (process.env.CI) throw new Error('the native addon is not built, but CI=true requires it (node native/build.js)');
      this.skip();
    }
    const script = `
      const dgram = require('node:dgram');
      const { execFileSync } = require('node:child_process');
      const native = require(${JSON.stringify(ADDON)});
      const seen = {};
      // A bound socket keeps the loop alive, as a drained socket's poller does.
      const rx = dgram.createSocket('udp4');
      rx.bind(0, '127.0.0.1', () => setTimeout(() => {
        seen.idle = native.loopHasWork();
        setImmediate(() => {});
        seen.immediatePending = native.loopHasWork();
        setImmediate(() => {
          seen.insideImmediate = native.loopHasWork();
          const timer = setTimeout(() => {}, 1);
          seen.timerNotYetDue = native.loopHasWork();
          for (const until = Date.now() + 20; Date.now() < until; );
          seen.timerDue = native.loopHasWork(); // the loop's clock is stale here: loopHasWork updates it
          // (A cleared timer would still count until the timer phase: Node leaves its uv timer armed.)
          clearTimeout(timer);
          // Another process sends, so that nothing of this loop's own is pending.
          execFileSync(process.execPath, ['-e', "const s = require('node:dgram').createSocket('udp4'); s.send('x', " + rx.address().port + ", '127.0.0.1', () => s.close())"]);
          seen.fdReady = native.loopHasWork();
          seen.fdStillReady = native.loopHasWork();
          rx.once('message', (m) => {
            seen.message = String(m);
            setTimeout(() => {
              seen.idleAfterRead = native.loopHasWork();
              rx.close();
              console.log(JSON.stringify(seen));
            }, 5);
          });
        });
      }, 5));`;
    const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_OPTIONS: '' } });
    expect(run.status, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout.trim())).to.deep.equal({
      idle: false,
      immediatePending: false,
      insideImmediate: false,
      timerNotYetDue: false,
      timerDue: true,
      fdReady: true,
      fdStillReady: true,
      message: 'x',
      idleAfterRead: false,
    });
  });
});
