import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { KernelBackendUnavailableError, type NativeLoadAttempt } from './errors';

/**
 * The only file that touches the native addon (native/src/addon.cc). Every function
 * returns a negative errno on failure instead of throwing; src/kernel maps errnos to
 * typed errors. The addon throws TypeError only for arguments of the wrong type.
 */
export interface NativeQrtrBinding {
  readonly abiVersion: number;
  /** ioctl(fd, request, argument buffer | null) → result | -errno (device control for links; absent in builds before it). */
  ioctl?(fd: number, request: number, arg: Uint8Array | null): number;
  /** socket(AF_QIPCRTR, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC) → fd | -errno. */
  socket(): number;
  bind(fd: number, node: number, port: number): number;
  /** Fills out[0] = node, out[1] = port. */
  getsockname(fd: number, out: Uint32Array): number;
  /** Non-blocking sendmsg; endpoint 0 sends no QRTR_ENDPOINT cmsg. → bytes | -errno. */
  sendto(fd: number, node: number, port: number, data: Uint8Array, endpoint: number): number;
  /**
   * Blocking sendmsg on the libuv thread pool (copies data); callback(bytes | -errno),
   * -ECANCELED after cancelSend. Returns an id for cancelSend.
   */
  sendAsync(fd: number, node: number, port: number, data: Uint8Array, endpoint: number, callback: (result: number) => void): number;
  /**
   * Interrupts that send if it is still in flight (a signal to its worker thread), and
   * returns whether it was. A signal can land just before the kernel wait: repeat until false.
   */
  cancelSend(id: number): boolean;
  /** Registers the process-wide batch areas (see io-areas.ts); once per binding. */
  setAreas(rx: Uint8Array, rxMeta: Uint32Array, tx: Uint8Array, txMeta: Uint32Array): void;
  /**
   * One recvmmsg(MSG_DONTWAIT) of up to `max` datagrams into 64 KiB slots (a 1 KiB head
   * in the rx area, the rest in a side buffer), then packed back to back from the area's start → count | -errno.
   * rxMeta[5*i..] = [length, src node, src port, endpoint or 0, flags].
   */
  recvBatch(fd: number, max: number): number;
  /**
   * sendto (sendmsg with an endpoint cmsg), MSG_DONTWAIT, of tx entries first..first+count-1, txMeta[5*i..] = [node,
   * port, endpoint or 0, offset, length], stopping at the first failure → datagrams
   * sent | -errno of the first.
   */
  sendBatch(fd: number, first: number, count: number): number;
  /**
   * As sendBatch, but each entry's offset is into the rx area: datagrams of the last
   * recvBatch sent from where they were received (no copy). ABI 8.
   */
  sendBatchRx(fd: number, first: number, count: number): number;
  setsockoptInt(fd: number, level: number, name: number, value: number): number;
  getsockoptInt(fd: number, level: number, name: number, out: Uint32Array): number;
  close(fd: number): number;
  /** SO_PEERCRED of a connected UNIX socket: out = [pid, uid, gid] → 0 | -errno (absent in builds before it). */
  getPeerCredentials?(fd: number, out: Uint32Array): number;
  /**
   * One sd_notify(3) datagram (`READY=1`, `STOPPING=1`) to an AF_UNIX datagram socket path, or an
   * abstract name written `@name` → bytes | -errno (absent in builds before it).
   */
  sdNotify?(path: string, message: string): number;
  /**
   * Whether Node's event loop has I/O or a timer waiting: a watched fd ready, or an
   * active timer due (the loop's clock is brought up to date first). Immediates and
   * pending callbacks are not counted. Nothing is consumed. ABI 9.
   */
  loopHasWork(): boolean;
  /** V8's Isolate::LowMemoryNotification: collect, then return pooled heap pages (absent in builds before it). */
  lowMemoryNotification?(): void;
  readonly Poller: new (fd: number, callback: (status: number, events: number) => void) => NativePoller;
}

/** libuv readiness watcher on one fd; events bitmask: 1 readable, 2 writable (0 stops). */
export interface NativePoller {
  /** Watches for `events` (0 stops, so the fd no longer keeps the loop alive): 0 | -errno. */
  start(events: number): number;
  /**
   * Takes the fd out of polling until resume(), keeping the watcher itself on: for a
   * reader that drains the fd anyway, so that datagrams queued meanwhile skip the
   * kernel's poll wake-up. 0 | -errno.
   */
  suspend(): number;
  /** Puts the fd back with the events last given to start(): 0 | -errno. */
  resume(): number;
  stop(): void;
  close(): void;
}

/** recvBatch() flag bits (rxMeta[5*i+4]). */
export const NATIVE_RECV_TRUNCATED = 1;
export const NATIVE_RECV_CONTROL_TRUNCATED = 2;
/** Poller event bits. */
export const NATIVE_POLL_READABLE = 1;
export const NATIVE_POLL_WRITABLE = 2;

/** ABI this TypeScript expects; bumped together with native/src/addon.cc. */
export const NATIVE_ABI_VERSION = 9;

/** Environment variable naming an explicit addon path, tried first. */
export const NATIVE_ADDON_ENV = 'QRTRD_NATIVE_ADDON';

const ADDON_RELATIVE = join('native', 'build', 'Release', 'qrtr_native.node');

export interface NativeLoaderOptions {
  /** Paths to try, in order; default {@link nativeAddonCandidates}. */
  readonly candidates?: readonly string[];
  readonly platform?: NodeJS.Platform;
  /** Loads one candidate; default Node's require. */
  readonly load?: (path: string) => unknown;
}

/**
 * Where the addon may be: $QRTRD_NATIVE_ADDON, then the package root this file was
 * compiled into (dist/src/kernel → ../../..), then the current directory (running a
 * build emitted outside the checkout, e.g. `tsc --outDir /tmp/x` from the repo root).
 */
export function nativeAddonCandidates(): string[] {
  const candidates: string[] = [];
  const fromEnv = process.env[NATIVE_ADDON_ENV];
  if (fromEnv) candidates.push(resolve(fromEnv));
  for (const root of [resolve(__dirname, '..', '..', '..'), process.cwd()]) {
    const candidate = join(root, ADDON_RELATIVE);
    if (!candidates.includes(candidate)) candidates.push(candidate);
  }
  return candidates;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

function buildFailureNote(candidate: string): string | undefined {
  const file = join(dirname(dirname(candidate)), 'qrtrd-build-failure.txt');
  if (!existsSync(file)) return undefined;
  return readFileSync(file, 'utf8').split('\n')[0];
}

function isBinding(value: unknown): value is NativeQrtrBinding {
  const v = value as Partial<NativeQrtrBinding> | undefined;
  return typeof v === 'object' && v !== null && typeof v.socket === 'function' && typeof v.Poller === 'function';
}

/**
 * Loads the addon or throws one KernelBackendUnavailableError listing every path
 * tried, the reason each failed, and what to do. Never throws anything else.
 */
export function loadNativeBindingFrom(options: NativeLoaderOptions = {}): NativeQrtrBinding {
  const platform = options.platform ?? process.platform;
  if (platform !== 'linux') {
    throw new KernelBackendUnavailableError(`AF_QIPCRTR exists only on Linux (this is ${platform})`, [], [
      'run qrtrd with its in-process router, or on a Linux host with the qrtr module',
    ]);
  }
  const load = options.load ?? ((path: string) => require(path) as unknown);
  const tried: NativeLoadAttempt[] = [];
  let buildNote: string | undefined;
  for (const path of options.candidates ?? nativeAddonCandidates()) {
    buildNote ??= buildFailureNote(path);
    if (!existsSync(path)) {
      tried.push({ path, error: 'not found' });
      continue;
    }
    let loaded: unknown;
    try {
      loaded = load(path);
    } catch (error) {
      tried.push({ path, error: describe(error) });
      continue;
    }
    if (!isBinding(loaded)) {
      tried.push({ path, error: 'not the qrtrd AF_QIPCRTR addon (or built for another platform)' });
    } else if (loaded.abiVersion !== NATIVE_ABI_VERSION) {
      tried.push({ path, error: `ABI version ${String(loaded.abiVersion)}, expected ${NATIVE_ABI_VERSION} (stale build)` });
    } else {
      return loaded;
    }
  }
  const remedies = [
    'build it with `node native/build.js` from the package root (needs python3, make and a C++17 compiler)',
    `or point ${NATIVE_ADDON_ENV} at a built qrtr_native.node`,
  ];
  if (buildNote) remedies.unshift(`the install-time build failed: ${buildNote}; see native/build/qrtrd-build-failure.txt`);
  throw new KernelBackendUnavailableError('the native AF_QIPCRTR addon could not be loaded', tried, remedies);
}

let cached: { binding?: NativeQrtrBinding; error?: KernelBackendUnavailableError } | undefined;

/** The process-wide addon, loaded once; later calls rethrow the same error. */
export function loadNativeBinding(): NativeQrtrBinding {
  if (!cached) {
    try {
      cached = { binding: loadNativeBindingFrom() };
    } catch (error) {
      cached = { error: error as KernelBackendUnavailableError };
    }
  }
  if (cached.error) throw cached.error;
  return cached.binding as NativeQrtrBinding;
}

/** Who is at the other end of a UNIX socket (same shape as the local-client server's PeerCredentials). */
export interface PeerCredentials {
  readonly pid: number;
  readonly uid: number;
  readonly gid: number;
}

/**
 * SO_PEERCRED of a connected UNIX socket fd through the addon, or null when the addon
 * (or this function of it) is unavailable or the call fails: callers then fall back to
 * the socket file's mode and group as their only access control.
 */
export function readPeerCredentials(fd: number): PeerCredentials | null {
  let binding: NativeQrtrBinding;
  try {
    binding = loadNativeBinding();
  } catch {
    return null;
  }
  if (typeof binding.getPeerCredentials !== 'function' || !Number.isInteger(fd) || fd < 0) return null;
  const out = new Uint32Array(3);
  if (binding.getPeerCredentials(fd, out) !== 0) return null;
  return { pid: out[0], uid: out[1], gid: out[2] };
}

/** Whether peer credentials can be read at all (the daemon says so at start when not). */
export function peerCredentialsAvailable(): boolean {
  try {
    return typeof loadNativeBinding().getPeerCredentials === 'function';
  } catch {
    return false;
  }
}

type OptionalNativeFunction = 'sdNotify' | 'lowMemoryNotification';

/**
 * One of the addon's later functions bound to the addon, or why there is none: the addon did
 * not load, or was built before it had that function (rebuild with `node native/build.js`).
 */
function optionalNativeFunction<K extends OptionalNativeFunction>(name: K): { fn: NonNullable<NativeQrtrBinding[K]> } | { unavailable: string } {
  let binding: NativeQrtrBinding;
  try {
    binding = loadNativeBinding();
  } catch (error) {
    return { unavailable: describe(error) };
  }
  const fn = binding[name];
  if (typeof fn !== 'function') return { unavailable: `the native addon was built without ${name} (rebuild it: node native/build.js)` };
  return { fn: fn.bind(binding) as NonNullable<NativeQrtrBinding[K]> };
}

/** The addon's sd_notify sender, or why there is none. */
export function nativeSdNotify(): { send: (path: string, message: string) => number } | { unavailable: string } {
  const found = optionalNativeFunction('sdNotify');
  return 'fn' in found ? { send: found.fn } : found;
}

/** The addon's V8 low-memory notification (see native/src/addon.cc), or why there is none. */
export function nativeLowMemoryNotification(): { run: () => void } | { unavailable: string } {
  const found = optionalNativeFunction('lowMemoryNotification');
  return 'fn' in found ? { run: found.fn } : found;
}
