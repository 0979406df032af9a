// Helpers for guest checks (they run inside the VM against the real kernel).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants as fsConstants, openSync, readSync, writeSync } from 'node:fs';
import { firstValueFrom, filter, take, timeout, toArray, type Observable } from 'rxjs';
import { AfQipcrtrSocket, type KernelQrtrMessage } from '../../../src/kernel';
import { decodePacket, encodeControl, encodePacket, QRTR_PORT_CTRL, QrtrType, type QrtrPacket } from '../../../src/wire';

/** Opens a kernel socket bound to `port` (0 = ephemeral). */
export function openBound(port = 0): AfQipcrtrSocket {
  const socket = new AfQipcrtrSocket().open();
  socket.bind(port);
  return socket;
}

/** The next `count` datagrams matching `predicate`, or a timeout error naming `what`. */
export function collect(
  messages$: Observable<KernelQrtrMessage>,
  count: number,
  timeoutMs: number,
  what: string,
  predicate: (m: KernelQrtrMessage) => boolean = () => true,
): Promise<KernelQrtrMessage[]> {
  return firstValueFrom(
    messages$.pipe(
      filter(predicate),
      take(count),
      toArray(),
      timeout({ first: timeoutMs, with: () => { throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`); } }),
    ),
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `condition` every 10 ms until it holds, or throws naming `what`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** One row of `qrtr-lookup` output. */
export interface LookupRow {
  service: number;
  version: number;
  instance: number;
  node: number;
  port: number;
}

/** Runs qrtr-lookup (qrtr-tools) and parses its table. */
export function qrtrLookup(): LookupRow[] {
  const result = spawnSync('qrtr-lookup', [], { encoding: 'utf8', timeout: 10_000 });
  if (result.status !== 0) throw new Error(`qrtr-lookup exited ${String(result.status)}: ${result.stderr}`);
  const rows: LookupRow[] = [];
  for (const line of result.stdout.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5 || !/^\d+$/.test(fields[0])) continue;
    const [service, version, instance, node, port] = fields.slice(0, 5).map(Number);
    rows.push({ service, version, instance, node, port });
  }
  return rows;
}

/** Polls qrtr-lookup until `predicate` holds for its rows (the name service works asynchronously). */
export async function waitForLookup(predicate: (rows: LookupRow[]) => boolean, what: string, timeoutMs = 8000): Promise<LookupRow[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = qrtrLookup();
    if (predicate(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`qrtr-lookup never showed ${what}; last output: ${JSON.stringify(rows)}`);
    await sleep(100);
  }
}

/**
 * /dev/qrtr-tun: this process plays a remote node. Each write is one whole packet,
 * each read returns one (the fd is non-blocking; reads poll).
 */
export class QrtrTun {
  private readonly fd: number;
  private readonly buffer = new Uint8Array(70_000);

  constructor() {
    this.fd = openSync('/dev/qrtr-tun', fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
  }

  /** write(2) of raw bytes; returns the errno code (e.g. 'EINVAL') or undefined on success. */
  writeRaw(bytes: Uint8Array): string | undefined {
    try {
      writeSync(this.fd, bytes);
      return undefined;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code ?? String(error);
    }
  }

  write(fields: Parameters<typeof encodePacket>[0], payload: Uint8Array): void {
    const code = this.writeRaw(encodePacket(fields, payload));
    if (code) throw new Error(`write to /dev/qrtr-tun failed: ${code}`);
  }

  /** Sends a control packet from (node, CTRL) to the kernel's name service (1, CTRL). */
  writeControl(node: number, packet: Parameters<typeof encodeControl>[0]): void {
    this.write({ type: packet.type, srcNode: node, srcPort: QRTR_PORT_CTRL, dstNode: 1, dstPort: QRTR_PORT_CTRL }, encodeControl(packet));
  }

  /** One queued packet, or undefined if none. */
  tryRead(): QrtrPacket | undefined {
    let n: number;
    try {
      n = readSync(this.fd, this.buffer, 0, this.buffer.length, null);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EAGAIN') return undefined;
      throw error;
    }
    return decodePacket(this.buffer.slice(0, n));
  }

  /** Reads packets until one matches, within timeoutMs; the others are passed to `skipped`. */
  async readUntil(predicate: (p: QrtrPacket) => boolean, timeoutMs: number, what: string, skipped?: (p: QrtrPacket) => void): Promise<QrtrPacket> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const packet = this.tryRead();
      if (packet) {
        if (predicate(packet)) return packet;
        skipped?.(packet);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting on /dev/qrtr-tun for ${what}`);
      await sleep(5);
    }
  }

  /** Everything that arrives within `ms`. */
  async drainFor(ms: number): Promise<QrtrPacket[]> {
    const packets: QrtrPacket[] = [];
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const packet = this.tryRead();
      if (packet) packets.push(packet);
      else await sleep(5);
    }
    return packets;
  }

  /** Announces node `node` to the kernel (HELLO) and waits for the kernel's HELLO back. */
  async hello(node: number): Promise<void> {
    this.writeControl(node, { type: QrtrType.HELLO });
    await this.readUntil((p) => p.type === QrtrType.HELLO, 5000, 'the kernel HELLO');
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Runs an inline Python program (the Debian python3, which has socket.AF_QIPCRTR). */
export function spawnPython(source: string, args: readonly string[] = []): ReturnType<typeof spawn> {
  return spawn('/usr/bin/python3', ['-u', '-c', source, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Asserts a promise rejects with an error of `type`, returning it. */
export async function rejectsWith<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T, what: string): Promise<T> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`${what}: expected ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  throw new Error(`${what}: expected ${type.name}, but it succeeded`);
}

/** Asserts a call throws an error of `type`, returning it. */
export function throwsWith<T extends Error>(fn: () => unknown, type: new (...args: never[]) => T, what: string): T {
  try {
    fn();
  } catch (error) {
    if (error instanceof type) return error;
    throw new Error(`${what}: expected ${type.name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  }
  throw new Error(`${what}: expected ${type.name}, but it succeeded`);
}
