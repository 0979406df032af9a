import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { QrtrdError } from '../common/errors';
import type { QrtrdConfig } from './config';

/** A configured path qrtrd cannot use, found before anything starts (`qrtrd` exits 2 with its message). */
export class InputPathError extends QrtrdError {
  constructor(key: string, path: string, reason: string) {
    super('QRTRD_INPUT_PATH', `${key} ${path}: ${reason}`, { key, path });
  }
}

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** A file qrtrd will create (a capture, a socket): its directory must exist and be writable. */
function checkCreatable(key: string, path: string, what: string): void {
  const dir = dirname(path);
  const st = statOrNull(dir);
  if (!st) throw new InputPathError(key, path, `directory ${dir} does not exist`);
  if (!st.isDirectory()) throw new InputPathError(key, path, `${dir} is not a directory`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    throw new InputPathError(key, path, `directory ${dir} is not writable`);
  }
  if (statOrNull(path)?.isDirectory()) throw new InputPathError(key, path, `is a directory, not ${what}`);
}

/**
 * Refuses, before start, the paths a run would only trip over later: a capture or socket in a
 * missing or read-only directory, a firmware directory that is not one.
 * @throws InputPathError naming the key, the path and why.
 */
export function checkInputPaths(config: QrtrdConfig): void {
  if (config.capture) checkCreatable('--capture', config.capture, 'a capture file');
  if (config.socket) checkCreatable('--socket', config.socket, 'a socket');
  if (config.listen) checkCreatable('--listen', config.listen, 'a socket');
  if (config.firmwareDir) {
    const st = statOrNull(config.firmwareDir);
    if (!st) throw new InputPathError('--firmware-dir', config.firmwareDir, 'does not exist');
    if (!st.isDirectory()) throw new InputPathError('--firmware-dir', config.firmwareDir, 'is not a directory');
    try {
      accessSync(config.firmwareDir, constants.R_OK | constants.X_OK);
    } catch {
      throw new InputPathError('--firmware-dir', config.firmwareDir, 'is not readable');
    }
  }
}
