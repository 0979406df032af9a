import { fstatSync } from 'node:fs';
import type { Logger } from 'pino';
import { errnoName } from '../kernel/errors';
import { nativeSdNotify } from '../kernel/native-loader';

/**
 * Tells a service manager (systemd, `Type=notify`) where qrtrd is in its life, as sd_notify(3)
 * does: one datagram per state to the AF_UNIX socket named by `$NOTIFY_SOCKET` (a path, or an
 * abstract name written `@name`). Without NOTIFY_SOCKET it does nothing. The datagram goes
 * through the native addon (Node's dgram has no AF_UNIX datagram sockets); an addon without
 * `sdNotify` makes qrtrd say once, at warn, that readiness cannot be signalled, and go on.
 */
export class ServiceManagerNotifier {
  private warned = false;

  private constructor(
    private readonly socketPath: string | null,
    private readonly logger: Logger,
  ) {}

  /** From the environment systemd gives a `Type=notify` service. */
  static fromEnvironment(logger: Logger, env: NodeJS.ProcessEnv = process.env): ServiceManagerNotifier {
    const path = env.NOTIFY_SOCKET;
    return new ServiceManagerNotifier(path ? path : null, logger.child({ component: 'service-manager' }));
  }

  get enabled(): boolean {
    return this.socketPath !== null;
  }

  /** `READY=1` with a STATUS line, once every configured backend is up (the ready line). */
  ready(status: string): void {
    this.send(`READY=1\nSTATUS=${status}\nMAINPID=${process.pid}`);
  }

  /** `STOPPING=1` as the orderly stop begins. */
  stopping(): void {
    this.send('STOPPING=1\nSTATUS=stopping');
  }

  private send(message: string): void {
    if (!this.socketPath) return;
    const sender = nativeSdNotify();
    if ('unavailable' in sender) {
      if (!this.warned) this.logger.warn({ code: 'QRTRD_SD_NOTIFY_UNAVAILABLE', notifySocket: this.socketPath, reason: sender.unavailable }, 'NOTIFY_SOCKET is set but readiness cannot be signalled; use Type=simple or rebuild the addon');
      this.warned = true;
      return;
    }
    const result = sender.send(this.socketPath, message);
    if (result < 0) this.logger.warn({ code: 'QRTRD_SD_NOTIFY_FAILED', notifySocket: this.socketPath, errno: errnoName(-result), message: message.split('\n')[0] }, 'service manager notification not delivered');
    else this.logger.debug({ notifySocket: this.socketPath, message: message.split('\n')[0] }, 'service manager notified');
  }
}

/**
 * Whether standard error is the journal's stream: systemd sets `$JOURNAL_STREAM` to the
 * `device:inode` of the stream it connected (systemd.exec(5)); stderr redirected elsewhere
 * by the unit or a shell no longer matches.
 */
export function stderrIsJournal(env: NodeJS.ProcessEnv = process.env): boolean {
  const stream = env.JOURNAL_STREAM;
  if (!stream) return false;
  try {
    const st = fstatSync(2);
    return stream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/** pino level → syslog priority (sd-daemon(3) `<N>` prefixes): fatal crit, error err, warn warning, info info, debug/trace debug. */
export function journalPriority(level: number): number {
  if (level >= 60) return 2;
  if (level >= 50) return 3;
  if (level >= 40) return 4;
  if (level >= 30) return 6;
  return 7;
}

/**
 * A pino destination for the journal: each JSON line prefixed with its `<priority>` so
 * journald files it at the right level (`journalctl -p warning` works), the JSON kept whole
 * for `journalctl -o cat | jq`.
 */
export function journalDestination<D extends { write(text: string): unknown; flushSync?(): void }>(inner: D): { write(line: string): void; flushSync(): void } {
  return {
    write(line: string): void {
      const match = /"level":(\d+)/.exec(line);
      inner.write(`<${journalPriority(match ? Number(match[1]) : 30)}>${line}`);
    },
    flushSync(): void {
      inner.flushSync?.();
    },
  };
}
