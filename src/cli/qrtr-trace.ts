import { QrtrdError } from '../common/errors';
import type { QrtrdConnection } from '../client';
import { PcapWriter, TraceFormatter, QmiNameRegistry, readCaptureStream } from '../capture';
import { createReadStream } from 'node:fs';
import type { PacketTrace } from '../router';
import { toJson } from './qrtr-qmi';
import { stopOnSignals } from './stop-signals';
import { dms, qmiTest, rmtfs, wlfw } from '../qmi';

interface Output {
  write(text: string): unknown;
}

/**
 * `qrtr trace`: decoded QRTR and QMI traffic, one line per packet, live from the
 * daemon (optionally also written to a pcap file) or read back from a capture.
 */
export async function runTrace(conn: QrtrdConnection | undefined, values: Record<string, unknown>, out: Output): Promise<number> {
  const endpoint = values.endpoint === undefined ? undefined : Number(values.endpoint);
  const count = values.count === undefined ? Infinity : Number(values.count);
  if (endpoint !== undefined && (!Number.isInteger(endpoint) || endpoint < 0)) throw new QrtrdError('QRTR_USAGE', `--endpoint must be an endpoint id, got '${String(values.endpoint)}'`);
  if (!(count > 0)) throw new QrtrdError('QRTR_USAGE', `--count must be a positive number, got '${String(values.count)}'`);
  // Shipped schemas decode WLFW, DMS, RMTFS and the test service field by field.
  const names = QmiNameRegistry.withDefaults();
  for (const module of [wlfw, dms, rmtfs, qmiTest]) names.addSchemaModule(module);
  const formatter = new TraceFormatter(names);
  const json = values.json === true;
  let seen = 0;
  const emit = (trace: PacketTrace, dropped = 0): boolean => {
    if (endpoint !== undefined && trace.endpoint !== endpoint) return true;
    const line = formatter.format(trace);
    out.write(json ? `${toJson({ ...trace, packet: trace.packet, dropped, line })}\n` : `${line}\n`);
    return ++seen < count;
  };

  if (typeof values.read === 'string') {
    for await (const record of readCaptureStream(createReadStream(values.read), values.read)) if (!emit(record)) break;
    return 0;
  }
  if (!conn) throw new QrtrdError('QRTR_USAGE', 'qrtr trace needs a daemon, or --read FILE');
  const writer = typeof values.pcap === 'string' ? await PcapWriter.open(values.pcap) : null;
  let lastDropped = 0;
  try {
    let removeSignals = (): void => undefined;
    await new Promise<void>((resolve, reject) => {
      const subscription = conn.trace$({ endpoint }).subscribe({
        next: (trace) => {
          writer?.write(trace);
          if (trace.dropped > lastDropped) {
            out.write(`# ${trace.dropped - lastDropped} packets dropped by the daemon: this reader was too slow\n`);
            lastDropped = trace.dropped;
          }
          if (!emit(trace, trace.dropped)) {
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
        complete: resolve,
      });
      removeSignals = stopOnSignals(subscription, resolve);
    }).finally(() => removeSignals());
  } finally {
    await writer?.close();
  }
  return 0;
}
