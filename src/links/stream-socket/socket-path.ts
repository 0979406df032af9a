import * as fs from 'node:fs';
import * as net from 'node:net';
import { ListenError } from '../errors';

/**
 * Listens on a UNIX socket path. A leftover socket file from a crashed daemon is
 * removed only if nothing answers on it; a live server on the path is an error,
 * never silently displaced. `mode` (e.g. 0o660) is applied to the socket file.
 */
export async function listenOnPath(server: net.Server, path: string, mode?: number): Promise<void> {
  try {
    await listenOnce(server, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new ListenError(path, (err as Error).message, err);
    if (await isAlive(path)) throw new ListenError(path, 'another server is listening on it', err);
    try {
      const stat = fs.lstatSync(path);
      if (!stat.isSocket()) throw new ListenError(path, 'the path exists and is not a socket');
      fs.unlinkSync(path);
    } catch (unlinkErr) {
      if (unlinkErr instanceof ListenError) throw unlinkErr;
      throw new ListenError(path, `cannot remove the stale socket: ${(unlinkErr as Error).message}`, unlinkErr);
    }
    try {
      await listenOnce(server, path);
    } catch (retryErr) {
      throw new ListenError(path, (retryErr as Error).message, retryErr);
    }
  }
  if (mode !== undefined) fs.chmodSync(path, mode);
}

function listenOnce(server: net.Server, path: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      server.off('listening', onListening);
      reject(err);
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(path);
  });
}

function isAlive(path: string): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const probe = net.createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Closes a server and removes its socket file. */
export function closeServer(server: net.Server, path: string): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
  }).then(() => {
    try {
      if (fs.lstatSync(path).isSocket()) fs.unlinkSync(path);
    } catch {
      // already gone
    }
  });
}
