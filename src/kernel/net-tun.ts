import { readFileSync } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { InvalidArgumentError } from '../common/errors';
import { NetTunClosedError, NetTunMtuRangeError, netTunError } from './net-tun-errors';
import { loadNativeBinding, NATIVE_POLL_READABLE, type NativePoller, type NativeQrtrBinding } from './native-loader';

/** The addon's IP TUN calls (native/src/net_tun.cc); each returns -errno on failure. */
export interface NativeNetTunBinding {
  tunOpen(name: string): number;
  tunName(fd: number): string | number;
  tunReadBatch(fd: number, area: Uint8Array, lengths: Uint32Array, slotSize: number): number;
  tunWriteBatch(fd: number, area: Uint8Array, meta: Uint32Array, count: number): number;
  ifSetMtu(name: string, mtu: number): number;
  ifGetMtu(name: string): number;
  ifSetUp(name: string, up: boolean): number;
  ifGetIndex(name: string): number;
  ifSetAddr4(name: string, address: number, prefixLength: number, peer: number): number;
  ifAddAddr6(ifindex: number, address: Uint8Array, prefixLength: number): number;
}

type Binding = NativeQrtrBinding & NativeNetTunBinding;

const { EAGAIN } = osConstants.errno;
/** Linux's CAP_NET_ADMIN bit in /proc/self/status CapEff. */
const CAP_NET_ADMIN = 12;

export interface NetTunOpenOptions {
  /** Largest MTU the data plane below can carry; setMtu refuses more. Default 2040 (BAM-DMUX). */
  readonly maxMtu?: number;
  /** Packets one read() call may return. Default 32 (one BAM-DMUX TX ring). */
  readonly batch?: number;
  readonly binding?: Binding;
}

/** IPv4 settings of a point-to-point interface, host-order numbers. */
export interface NetTunIpv4 {
  readonly address: number;
  readonly prefixLength: number;
  /** The far end (gateway); 0 for none. */
  readonly peer: number;
}

function check(rc: number, operation: string): number {
  if (rc < 0) throw netTunError(-rc, operation);
  return rc;
}

/**
 * One raw-IP network interface of the OS (`IFF_TUN | IFF_NO_PI`, non-blocking):
 * what the kernel's qcom_bam_dmux registers per channel, made by userspace. Reads are
 * batched into one preallocated area; each written packet is one write() from the
 * caller's buffer (no copy). Readiness comes from the addon's poller on Node's loop.
 */
export class NetTunDevice {
  private readonly rxArea: Uint8Array;
  private readonly rxLengths: Uint32Array;
  private readonly txMeta = new Uint32Array(2);
  private readonly slotSize: number;
  private poller: NativePoller | null = null;
  private closed = false;
  readonly maxMtu: number;
  /** write() failures by errno name (the kernel refused the packet). */
  readonly writeErrors = new Map<string, number>();

  private constructor(
    private readonly binding: Binding,
    private fd: number,
    readonly name: string,
    options: NetTunOpenOptions,
  ) {
    this.maxMtu = options.maxMtu ?? 2040;
    // Room for the largest packet the MTU allows, rounded to 64 bytes.
    this.slotSize = (this.maxMtu + 63) & ~63;
    const batch = options.batch ?? 32;
    this.rxArea = new Uint8Array(this.slotSize * batch);
    this.rxLengths = new Uint32Array(batch);
  }

  /**
   * Creates (or attaches to) TUN interface `name` (a `%d` pattern lets the kernel pick).
   * @throws NET_TUN_PERMISSION_DENIED without CAP_NET_ADMIN, NET_TUN_UNAVAILABLE without /dev/net/tun,
   *   NET_TUN_NAME_IN_USE, KERNEL_BACKEND_UNAVAILABLE without the addon
   */
  static open(name: string, options: NetTunOpenOptions = {}): NetTunDevice {
    if (!/^[A-Za-z0-9_.%-]{1,15}$/.test(name)) throw new InvalidArgumentError('name', 'an interface name of 1..15 characters', name);
    const binding = options.binding ?? (loadNativeBinding() as Binding);
    const fd = binding.tunOpen(name);
    if (fd < 0) throw netTunError(-fd, `open /dev/net/tun as ${name}`, true);
    const actual = binding.tunName(fd);
    if (typeof actual === 'number') {
      binding.close(fd);
      throw netTunError(-actual, `TUNGETIFF(${name})`);
    }
    return new NetTunDevice(binding, fd, actual, options);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Reads up to `max` packets (at most the batch) and hands each to `handler` as
   * (area, offset, length); the area is reused by the next read. Returns the count,
   * 0 when nothing is waiting.
   */
  read(max: number, handler: (area: Uint8Array, offset: number, length: number) => void): number {
    this.assertOpen('read');
    const lengths = this.rxLengths;
    const n = this.binding.tunReadBatch(this.fd, max >= lengths.length ? this.rxArea : this.rxArea.subarray(0, max * this.slotSize), lengths, this.slotSize);
    if (n < 0) {
      if (-n === EAGAIN) return 0;
      throw netTunError(-n, `read(${this.name})`);
    }
    for (let i = 0; i < n; i++) handler(this.rxArea, i * this.slotSize, lengths[i]);
    return n;
  }

  /** Writes one packet to the OS (one write()). False, counted in writeErrors, if the kernel refused it. */
  write(data: Uint8Array, offset: number, length: number): boolean {
    this.assertOpen('write');
    this.txMeta[0] = offset;
    this.txMeta[1] = length;
    const rc = this.binding.tunWriteBatch(this.fd, data, this.txMeta, 1);
    if (rc >= 0) return true;
    const name = netTunError(-rc, 'write').errno;
    this.writeErrors.set(name, (this.writeErrors.get(name) ?? 0) + 1);
    return false;
  }

  /** Calls `callback` whenever packets wait to be read; null stops watching. */
  watch(callback: (() => void) | null): void {
    this.assertOpen('watch');
    if (callback === null) {
      this.poller?.start(0);
      return;
    }
    this.poller?.close();
    this.poller = new this.binding.Poller(this.fd, (status) => {
      if (status >= 0 && !this.closed) callback();
    });
    check(this.poller.start(NATIVE_POLL_READABLE), `poll(${this.name})`);
  }

  /** Pauses or resumes readiness callbacks without dropping the watcher (backpressure). */
  setPaused(paused: boolean): void {
    if (!this.poller || this.closed) return;
    check(paused ? this.poller.suspend() : this.poller.resume(), `poll(${this.name})`);
  }

  /** @throws NET_TUN_MTU_RANGE above {@link maxMtu} or below IPv4's 68 */
  setMtu(mtu: number): void {
    this.assertOpen('setMtu');
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > this.maxMtu) throw new NetTunMtuRangeError(this.name, mtu, 68, this.maxMtu);
    check(this.binding.ifSetMtu(this.name, mtu), `SIOCSIFMTU(${this.name}, ${mtu})`);
  }

  get mtu(): number {
    return check(this.binding.ifGetMtu(this.name), `SIOCGIFMTU(${this.name})`);
  }

  setUp(up: boolean): void {
    this.assertOpen('setUp');
    check(this.binding.ifSetUp(this.name, up), `SIOCSIFFLAGS(${this.name}, ${up ? 'up' : 'down'})`);
  }

  /** Sets (or, with address 0, removes) the interface's IPv4 address and point-to-point peer. */
  setIpv4(settings: NetTunIpv4): void {
    this.assertOpen('setIpv4');
    check(this.binding.ifSetAddr4(this.name, settings.address >>> 0, settings.prefixLength, settings.peer >>> 0), `SIOCSIFADDR(${this.name})`);
  }

  /** Adds an IPv6 address (rtnetlink RTM_NEWADDR, no DAD). */
  addIpv6(address: Uint8Array, prefixLength: number): void {
    this.assertOpen('addIpv6');
    const index = check(this.binding.ifGetIndex(this.name), `SIOCGIFINDEX(${this.name})`);
    check(this.binding.ifAddAddr6(index, address, prefixLength), `RTM_NEWADDR(${this.name})`);
  }

  /** Closes the fd: the kernel removes the interface (the driver's netdev detach). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.poller?.close();
    this.poller = null;
    this.binding.close(this.fd);
    this.fd = -1;
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new NetTunClosedError(this.name, operation);
  }
}

/**
 * Configures an interface this process did not open (the `qrtr connect` side): same
 * ioctls as {@link NetTunDevice}, by name.
 */
export class NetInterfaceConfigurator {
  constructor(private readonly binding: Binding = loadNativeBinding() as Binding) {}

  exists(name: string): boolean {
    return this.binding.ifGetIndex(name) >= 0;
  }

  setMtu(name: string, mtu: number): void {
    check(this.binding.ifSetMtu(name, mtu), `SIOCSIFMTU(${name}, ${mtu})`);
  }

  setUp(name: string, up: boolean): void {
    check(this.binding.ifSetUp(name, up), `SIOCSIFFLAGS(${name}, ${up ? 'up' : 'down'})`);
  }

  setIpv4(name: string, settings: NetTunIpv4): void {
    check(this.binding.ifSetAddr4(name, settings.address >>> 0, settings.prefixLength, settings.peer >>> 0), `SIOCSIFADDR(${name})`);
  }

  addIpv6(name: string, address: Uint8Array, prefixLength: number): void {
    const index = check(this.binding.ifGetIndex(name), `SIOCGIFINDEX(${name})`);
    check(this.binding.ifAddAddr6(index, address, prefixLength), `RTM_NEWADDR(${name})`);
  }
}

/** Whether this process holds CAP_NET_ADMIN (from /proc/self/status; false where that is unreadable). */
export function hasNetAdminCapability(status = (): string => readFileSync('/proc/self/status', 'utf8')): boolean {
  try {
    const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(status());
    return line !== null && (BigInt(`0x${line[1]}`) & (1n << BigInt(CAP_NET_ADMIN))) !== 0n;
  } catch {
    return false;
  }
}

/** `10.64.0.2` → host-order u32; throws InvalidArgumentError on anything else. */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new InvalidArgumentError('address', 'a dotted IPv4 address', text);
  return parts.reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

/** Host-order u32 → `10.64.0.2`. */
export function formatIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}
