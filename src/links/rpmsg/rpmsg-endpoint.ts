import * as fs from 'node:fs';
import { Observable, type Subscriber } from 'rxjs';
import type { QrtrdError } from '../../common/errors';
import type { BackendKey, Endpoint } from '../../router/endpoint';
import { LinkClosedError, LinkIoError, LinkPacketTooLargeError, LinkWriteQueueFullError } from '../errors';
import { SILENT_LOGGER, errorFields, type BackendLogger } from '../logger';

/** One read: the largest QRTR packet (64 KiB payload plus header) fits. */
export const RPMSG_READ_BUFFER_LENGTH = 64 * 1024 + 256;

export interface RpmsgEndpointOptions {
  /** Largest packet the channel carries in one message (GLINK intents, virtio 512-byte buffers); larger transmits fail. */
  readonly maxPacketLength?: number;
  /**
   * Bytes waiting to be written while the device is slow to accept them (rpmsg
   * writes block while the remote has no free buffer). Above it, packets are
   * refused with LinkWriteQueueFullError; the link stays up. Default 1 MiB.
   */
  readonly writeQueueLimitBytes?: number;
  readonly logger?: BackendLogger;
  /**
   * Backend key kind (default `rpmsg`). Any character device that carries one QRTR packet per
   * read and write uses this endpoint: the MHI link passes `mhi` for the IPCR channel's device.
   */
  readonly kind?: string;
}

/** Why an rpmsg link ended. */
export type RpmsgCloseReason = 'eof' | 'io-error' | 'local';

/**
 * A QRTR link over an rpmsg character device (Linux rpmsg_char bound to the
 * IPCRTR channel, as net/qrtr/smd.c binds it in the kernel): every read returns
 * exactly one message and every write sends exactly one, so one message is one
 * QRTR packet and no framing is applied. Keyed `{ kind: 'rpmsg', key: <device name> }`.
 *
 * Reads run on libuv's thread pool (a character device cannot be polled from
 * Node without an addon): one pool thread waits per open device. Each message is
 * read into one reusable 64 KiB buffer and copied out at its exact length, so the
 * router may keep it.
 */
export class RpmsgEndpoint implements Endpoint {
  readonly backendKey: BackendKey;
  readonly packets$: Observable<Uint8Array>;
  private readonly buffer = Buffer.allocUnsafe(RPMSG_READ_BUFFER_LENGTH);
  private readonly logger: BackendLogger;
  private subscriber: Subscriber<Uint8Array> | null = null;
  private reading = false;
  /** Writes go one at a time: pool threads would otherwise reorder packets. */
  private readonly writeQueue: PendingWrite[] = [];
  private writing = false;
  private queuedBytes = 0;
  private fdClosed = false;
  private reason: RpmsgCloseReason | null = null;
  private closeError: QrtrdError | undefined;

  /** `rpmsg:IPCRTR` (or `mhi:0000:01:00.0`), as errors and logs name the link. */
  get label(): string {
    return `${this.backendKey.kind}:${this.name}`;
  }

  /** Opens a device node (e.g. /dev/rpmsg0) read-write. `name` defaults to the path's basename. */
  static open(path: string, name?: string, options?: RpmsgEndpointOptions): Promise<RpmsgEndpoint> {
    return new Promise((resolve, reject) => {
      fs.open(path, fs.constants.O_RDWR | fs.constants.O_NOCTTY, (err, fd) => {
        if (err) reject(new LinkIoError(`${options?.kind ?? 'rpmsg'}:${name ?? path}`, `open ${path}`, err));
        else resolve(new RpmsgEndpoint(fd, name ?? path.slice(path.lastIndexOf('/') + 1), options));
      });
    });
  }

  /** Takes ownership of an open, blocking file descriptor carrying one message per read/write. */
  constructor(
    private readonly fd: number,
    readonly name: string,
    private readonly options: RpmsgEndpointOptions = {},
  ) {
    this.backendKey = { kind: options.kind ?? 'rpmsg', key: name };
    this.logger = options.logger ?? SILENT_LOGGER;
    this.packets$ = new Observable<Uint8Array>((subscriber) => {
      if (this.reason !== null || this.subscriber) {
        subscriber.complete();
        return undefined;
      }
      this.subscriber = subscriber;
      this.readNext();
      return () => {
        if (this.subscriber === subscriber) this.subscriber = null;
      };
    });
  }

  get closeReason(): RpmsgCloseReason | null {
    return this.reason;
  }

  get error(): QrtrdError | undefined {
    return this.closeError;
  }

  transmit(packet: Uint8Array): Promise<void> {
    if (this.reason !== null) return Promise.reject(new LinkClosedError(this.label));
    const limit = this.options.maxPacketLength;
    if (limit !== undefined && packet.length > limit) return Promise.reject(new LinkPacketTooLargeError(this.label, packet.length, limit));
    const queueLimit = this.options.writeQueueLimitBytes ?? 1024 * 1024;
    if (this.queuedBytes + packet.length > queueLimit) {
      return Promise.reject(new LinkWriteQueueFullError(this.label, this.queuedBytes, queueLimit));
    }
    return new Promise<void>((resolve, reject) => {
      this.writeQueue.push({ packet, resolve, reject });
      this.queuedBytes += packet.length;
      this.writeNext();
    });
  }

  private writeNext(): void {
    if (this.writing || this.writeQueue.length === 0 || this.reason !== null) return;
    this.writing = true;
    const { packet } = this.writeQueue[0];
    fs.write(this.fd, packet, 0, packet.length, null, this.onWrite);
  }

  private readonly onWrite = (err: NodeJS.ErrnoException | null, written: number): void => {
    this.writing = false;
    const { packet, resolve, reject } = this.writeQueue.shift()!;
    this.queuedBytes -= packet.length;
    if (err) {
      const error = new LinkIoError(this.label, 'write', err);
      reject(error);
      if (isLinkGone(err)) this.finish('io-error', error);
    } else if (written !== packet.length) {
      // A message device writes all or nothing; anything else means it is not one.
      reject(new LinkIoError(this.label, 'write', new Error(`short write: ${written} of ${packet.length} bytes`)));
    } else {
      resolve();
    }
    if (this.reason !== null) this.closeFdWhenIdle();
    else this.writeNext();
  };

  close(): void {
    this.finish('local');
  }

  private readNext(): void {
    if (this.reading || this.reason !== null) return;
    this.reading = true;
    fs.read(this.fd, this.buffer, 0, this.buffer.length, null, this.onRead);
  }

  private readonly onRead = (err: NodeJS.ErrnoException | null, n: number): void => {
    this.reading = false;
    if (this.reason !== null) {
      this.closeFdWhenIdle();
      return;
    }
    if (err) {
      if (err.code === 'EAGAIN' || err.code === 'EINTR') {
        this.readNext();
        return;
      }
      const error = new LinkIoError(this.label, 'read', err);
      this.logger.warn({ link: this.label, error: errorFields(error) }, 'rpmsg link failed');
      this.finish('io-error', error);
      return;
    }
    if (n === 0) {
      this.finish('eof');
      return;
    }
    // The buffer is read into again at once: hand the router its own copy.
    this.subscriber?.next(Uint8Array.prototype.slice.call(this.buffer, 0, n));
    this.readNext();
  };

  private finish(reason: RpmsgCloseReason, error?: QrtrdError): void {
    if (this.reason !== null) return;
    this.reason = reason;
    this.closeError = error;
    const subscriber = this.subscriber;
    this.subscriber = null;
    subscriber?.complete();
    for (const pending of this.writeQueue.splice(this.writing ? 1 : 0)) {
      this.queuedBytes -= pending.packet.length;
      pending.reject(new LinkClosedError(this.label));
    }
    this.closeFdWhenIdle();
  }

  /**
   * A read or write still running in the thread pool holds the fd number: closing
   * now could let it touch a reused descriptor. The fd is closed once both are done.
   */
  private closeFdWhenIdle(): void {
    if (this.fdClosed || this.reading || this.writing) return;
    this.fdClosed = true;
    fs.close(this.fd, () => undefined);
  }
}

interface PendingWrite {
  readonly packet: Uint8Array;
  resolve(): void;
  reject(err: Error): void;
}

function isLinkGone(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EPIPE' || err.code === 'ENODEV' || err.code === 'ENXIO' || err.code === 'ECONNRESET' || err.code === 'EBADF';
}
