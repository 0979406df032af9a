import type { Observable, Subscription } from 'rxjs';
import type { PacketTrace } from '../router';
import type { CaptureError } from './errors';
import { PcapWriter, type PcapWriterOptions } from './pcap-writer';

export interface CaptureRouterOptions extends PcapWriterOptions {
  /**
   * Bytes the capture may hold in memory while the disk is slower than the
   * router (default 32 MiB). The router is never slowed down: past this bound
   * packets are dropped from the capture and counted in `stats.dropped`.
   */
  readonly maxBufferedBytes?: number;
  /** Capture only the traces this returns true for (e.g. one endpoint). */
  readonly filter?: (trace: PacketTrace) => boolean;
}

export interface CaptureStats {
  /** Records written. */
  readonly packets: number;
  /** File size so far, global header included. */
  readonly bytes: number;
  /** Traces not written because the buffer bound was reached. */
  readonly dropped: number;
}

/** A running capture started by {@link captureRouter}. */
export interface RouterCapture {
  readonly path: string;
  readonly stats: CaptureStats;
  /** The write error that ended the capture early, if any. */
  readonly error: CaptureError | undefined;
  /**
   * Unsubscribes, then flushes and closes the file. Idempotent. Rejects with the
   * CaptureWriteFailedError if the file could not be opened or written.
   */
  stop(): Promise<void>;
}

const DEFAULT_MAX_BUFFERED = 32 * 1024 * 1024;

/**
 * Writes every packet the router traces into a pcap file at `path` (created or
 * truncated), starting now: the subscription is in place when this returns, so
 * no packet after this call is missed. A write error unsubscribes at once and is
 * reported by stop() and `error`.
 */
export function captureRouter(
  router: { readonly packets$: Observable<PacketTrace> },
  path: string,
  options: CaptureRouterOptions = {},
): RouterCapture {
  const writer = PcapWriter.create(path, options);
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED;
  const filter = options.filter;
  let dropped = 0;
  let stopping: Promise<void> | undefined;
  let subscription: Subscription | undefined;
  const onTrace = (trace: PacketTrace): void => {
    if (filter && !filter(trace)) return;
    if (writer.error) {
      subscription?.unsubscribe();
      return;
    }
    if (writer.pendingBytes >= maxBuffered) {
      dropped++;
      return;
    }
    writer.write(trace);
  };
  subscription = router.packets$.subscribe({ next: onTrace });
  return {
    path,
    get stats(): CaptureStats {
      return { packets: writer.recordsWritten, bytes: writer.bytesWritten, dropped };
    },
    get error(): CaptureError | undefined {
      return writer.error;
    },
    stop(): Promise<void> {
      if (!stopping) {
        subscription?.unsubscribe();
        stopping = writer.close();
      }
      return stopping;
    },
  };
}
