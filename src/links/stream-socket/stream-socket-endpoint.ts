import * as fs from 'node:fs';
import type * as net from 'node:net';
import { Observable, type Subscriber } from 'rxjs';
import type { QrtrdError } from '../../common/errors';
import type { BackendKey, Endpoint } from '../../router/endpoint';
import { formatBackendKey } from '../../router/endpoint';
import { DEFAULT_MAX_FRAME_LENGTH, QrtrStreamFramer } from '../../wire/framer';
import { LinkClosedError, LinkIoError, LinkWriteQueueFullError } from '../errors';
import { SILENT_LOGGER, errorFields, type BackendLogger } from '../logger';

/** Limits of one stream link. Reading never buffers more than one partial frame. */
export interface StreamLinkOptions {
  /** Largest frame accepted from the peer; a longer announced length cuts the link. */
  readonly maxFrameLength?: number;
  /**
   * Queued outgoing bytes above which transmit() returns a promise that settles
   * when the socket drains, so DATA senders (who await it) slow down to the peer's pace.
   */
  readonly writeHighWaterBytes?: number;
  /** Queued outgoing bytes at which the peer counts as stuck: the packet is refused and the link cut. */
  readonly writeQueueLimitBytes?: number;
  readonly logger?: BackendLogger;
}

export const DEFAULT_STREAM_LINK_LIMITS = {
  maxFrameLength: DEFAULT_MAX_FRAME_LENGTH,
  writeHighWaterBytes: 256 * 1024,
  writeQueueLimitBytes: 4 * 1024 * 1024,
} as const;

/** Why a stream link ended. */
export type StreamLinkCloseReason =
  /** The peer closed its side. */
  | 'eof'
  /** A socket error (reset, EPIPE, ...). */
  | 'io-error'
  /** The peer sent bytes that are not a QRTR packet stream (bad version, oversize frame). */
  | 'protocol'
  /** The peer stopped reading and the write queue hit its limit. */
  | 'write-queue-full'
  /** Closed from this side (router detach, shutdown). */
  | 'local';

/**
 * One QRTR link over a connected stream socket: whole packets back to back, v1
 * or v2, padded to 4 bytes, with nothing in between. Incoming bytes are split by
 * QrtrStreamFramer; each packet goes to the router (which validates it) as a view
 * of the chunk it arrived in (Node allocates a fresh buffer per read, so views stay valid).
 */
export class StreamSocketEndpoint implements Endpoint {
  readonly packets$: Observable<Uint8Array>;
  /** A connection's inode is never handed to a later connection: its key cannot return. */
  readonly keyReturns = false;
  private readonly limits: Required<Omit<StreamLinkOptions, 'logger'>>;
  private readonly logger: BackendLogger;
  private readonly name: string;
  private subscriber: Subscriber<Uint8Array> | null = null;
  private subscribed = false;
  private reason: StreamLinkCloseReason | null = null;
  private closeError: QrtrdError | undefined;
  private drain: Promise<void> | null = null;
  private readonly closeListeners: ((reason: StreamLinkCloseReason, error?: QrtrdError) => void)[] = [];

  constructor(
    readonly socket: net.Socket,
    readonly backendKey: BackendKey,
    options: StreamLinkOptions = {},
  ) {
    this.limits = {
      maxFrameLength: options.maxFrameLength ?? DEFAULT_STREAM_LINK_LIMITS.maxFrameLength,
      writeHighWaterBytes: options.writeHighWaterBytes ?? DEFAULT_STREAM_LINK_LIMITS.writeHighWaterBytes,
      writeQueueLimitBytes: options.writeQueueLimitBytes ?? DEFAULT_STREAM_LINK_LIMITS.writeQueueLimitBytes,
    };
    this.logger = options.logger ?? SILENT_LOGGER;
    this.name = formatBackendKey(backendKey);
    // Nothing is read until the router subscribes: bytes wait in the kernel socket buffer.
    socket.pause();
    socket.on('error', this.onError);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    this.packets$ = new Observable<Uint8Array>((subscriber) => {
      if (this.reason !== null || this.subscribed) {
        subscriber.complete();
        return undefined;
      }
      this.subscribed = true;
      this.subscriber = subscriber;
      const framer = new QrtrStreamFramer((packet) => subscriber.next(packet), this.limits.maxFrameLength);
      const onData = (chunk: Buffer): void => {
        try {
          framer.push(chunk);
        } catch (err) {
          this.fail('protocol', err as QrtrdError);
        }
      };
      socket.on('data', onData);
      socket.resume();
      return () => {
        socket.off('data', onData);
        if (this.subscriber === subscriber) this.subscriber = null;
      };
    });
  }

  /** Why the link ended, once it has. */
  get closeReason(): StreamLinkCloseReason | null {
    return this.reason;
  }

  /** The error behind a 'protocol', 'io-error' or 'write-queue-full' close. */
  get error(): QrtrdError | undefined {
    return this.closeError;
  }

  get closed(): boolean {
    return this.reason !== null;
  }

  /** Called once when the link ends, with the reason. */
  onClosed(listener: (reason: StreamLinkCloseReason, error?: QrtrdError) => void): void {
    if (this.reason !== null) listener(this.reason, this.closeError);
    else this.closeListeners.push(listener);
  }

  transmit(packet: Uint8Array): void | Promise<void> {
    if (this.reason !== null) throw new LinkClosedError(this.name);
    this.socket.write(packet);
    const queued = this.socket.writableLength;
    if (queued <= this.limits.writeHighWaterBytes) return undefined;
    if (queued > this.limits.writeQueueLimitBytes) {
      const error = new LinkWriteQueueFullError(this.name, queued, this.limits.writeQueueLimitBytes);
      this.fail('write-queue-full', error);
      throw error;
    }
    return (this.drain ??= new Promise<void>((resolve, reject) => {
      const settle = (): void => {
        this.socket.off('drain', settle);
        this.socket.off('close', settle);
        this.drain = null;
        if (this.reason !== null) reject(new LinkClosedError(this.name));
        else resolve();
      };
      this.socket.on('drain', settle);
      this.socket.on('close', settle);
    }));
  }

  close(): void {
    this.finish('local');
    this.socket.destroy();
  }

  private fail(reason: StreamLinkCloseReason, error: QrtrdError): void {
    if (this.reason !== null) return;
    this.logger.warn({ link: this.name, reason, error: errorFields(error) }, `QRTR link ${this.name} cut: ${error.message}`);
    this.finish(reason, error);
    this.socket.destroy();
  }

  private readonly onError = (err: Error): void => {
    if (this.reason !== null) return;
    const error = new LinkIoError(this.name, 'socket I/O', err);
    this.logger.info({ link: this.name, error: errorFields(error) }, `QRTR link ${this.name} failed`);
    this.finish('io-error', error);
  };

  private readonly onEnd = (): void => {
    // Half-closed by the peer: a QRTR link is over once either side stops.
    this.finish('eof');
    this.socket.destroy();
  };

  private readonly onClose = (): void => {
    this.finish('eof');
  };

  private finish(reason: StreamLinkCloseReason, error?: QrtrdError): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.closeError = error;
    const subscriber = this.subscriber;
    this.subscriber = null;
    subscriber?.complete();
    for (const listener of this.closeListeners.splice(0)) listener(reason, error);
  }
}

let connectionCounter = 0;

/**
 * A unique, stable identity for a connected UNIX socket: the inode of its socket
 * file (sockfs hands every socket a fresh inode number, so it is unique among live
 * sockets and is what `ss -x` and /proc/<pid>/fd show). Node exposes the fd of a
 * pipe handle on Unix; when it does not (another platform, a handle without fd),
 * a process-wide connection counter `conn-<n>` is used instead.
 */
export function connectionIdentity(socket: net.Socket): string {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd === 'number' && fd >= 0) {
    try {
      return fs.fstatSync(fd, { bigint: true }).ino.toString();
    } catch {
      // fall through to the counter
    }
  }
  connectionCounter++;
  return `conn-${connectionCounter}`;
}
