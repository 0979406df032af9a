import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { QrtrMessage, QrtrSocket } from '../../src/router';

/** A fresh directory for socket files; removed by the returned cleanup. */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `qrtrd-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A fixture that is not compiled (Python): next to the sources, found from the build output or the working directory. */
export function sourceFixture(relative: string): string {
  const candidates = [path.resolve(__dirname, '../../..', relative), path.resolve(process.cwd(), relative)];
  const found = candidates.find((p) => fs.existsSync(p));
  if (!found) throw new Error(`fixture ${relative} not found in ${candidates.join(', ')}`);
  return found;
}

export interface ChildHandle {
  readonly child: ChildProcess;
  /** Resolves with the first stdout line (the fixture's ready report). */
  readonly ready: Promise<string>;
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  kill(): void;
}

export function spawnChild(command: string, args: string[], options: { stdio?: ('pipe' | 'ignore' | number)[] } = {}): ChildHandle {
  const child = spawn(command, args, { stdio: options.stdio ?? ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    exited.then((code) => reject(new Error(`${command} ${args.join(' ')} exited with ${code} before it was ready: ${err}`)));
  });
  return {
    child,
    ready,
    stderr: () => err,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/** Waits until `predicate` holds, polling on the event loop; fails after `timeoutMs`. */
export async function until(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The next datagram on a socket, or a timeout error. */
export function nextMessage(socket: QrtrSocket, timeoutMs = 5000): Promise<QrtrMessage> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  return socket.receive({ signal: controller.signal }).finally(() => clearTimeout(timer));
}

export function hasPython(): boolean {
  try {
    return require('node:child_process').spawnSync('python3', ['--version']).status === 0;
  } catch {
    return false;
  }
}
