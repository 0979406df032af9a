/**
 * Data-plane bench: QMAP deaggregation + demux of 8 KiB aggregated buffers of
 * 1500-byte IPv4 packets, and BAM-DMUX TX framing of 1500-byte packets, each
 * against Buffer.copy of the same bytes measured in the same run.
 * Run: node dist/bench/dataplane.bench.js
 */
import { Observable, NEVER, of } from 'rxjs';
import { BAM_DMUX_BUFFER_SIZE, encodeBamDmuxData } from '../plugins/bam-dmux/src/bam-dmux-header';
import { QmapDeaggregator, type QmapFrameInfo } from '../plugins/bam-dmux/src/qmap/qmap-deaggregate';
import { QmapMux, type QmapHeldBuffer, type QmapPacketPort } from '../plugins/bam-dmux/src/qmap/qmap-mux';
import { buildSimPacket, qmapDlFrameLength, writeDlQmapFrame } from '../plugins/bam-dmux/sim';

const AGGREGATE_SIZE = 8192;
const PACKET_SIZE = 1500;
const AGGREGATES = 64;
const ROUNDS = 5;
const ROUND_MS = 300;

/** ops/s of one timed round of `fn(iterations)`. */
function round(fn: (iterations: number) => void, iterations: number): number {
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    fn(iterations);
    ops += iterations;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  }
  return (ops / elapsed) * 1000;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Measures a case and its baseline in alternating rounds (the machine may be
 * shared), returning median rates and the median of the per-round ratios.
 */
function measurePair(
  baseline: (iterations: number) => void,
  fn: (iterations: number) => void,
  iterations: number,
): { base: number; rate: number; ratio: number } {
  for (let i = 0; i < 3; i++) {
    baseline(iterations);
    fn(iterations);
  }
  const bases: number[] = [];
  const rates: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const b = round(baseline, iterations);
    const x = round(fn, iterations);
    bases.push(b);
    rates.push(x);
    ratios.push(x / b);
  }
  return { base: median(bases), rate: median(rates), ratio: median(ratios) };
}

/** Aggregates as IPA builds them: as many MAPv5 frames (hardware-validated checksums) as fit 8 KiB. */
function buildAggregates(): Uint8Array[] {
  const frameLength = qmapDlFrameLength(PACKET_SIZE, 'v5');
  const perAggregate = Math.floor(AGGREGATE_SIZE / frameLength);
  const out: Uint8Array[] = [];
  let seq = 0;
  for (let a = 0; a < AGGREGATES; a++) {
    // Plain Uint8Array like the BAM-DMUX RX ring (Buffer#subarray is several times slower).
    const buf = new Uint8Array(AGGREGATE_SIZE);
    let offset = 0;
    for (let f = 0; f < perAggregate; f++) {
      offset += writeDlQmapFrame(buf, offset, 1 + (seq % 4), buildSimPacket('ipv4-udp', PACKET_SIZE, seq), 'v5');
      seq++;
    }
    out.push(buf.subarray(0, offset));
  }
  return out;
}

/** A lower port that hands out the prepared aggregates round robin, as a channel would. */
class ReplayPort implements QmapPacketPort {
  private next = 0;
  readonly readable$: Observable<void> = NEVER;
  readonly writable$: Observable<boolean> = of(true);
  private readonly held: QmapHeldBuffer[];

  constructor(buffers: Uint8Array[]) {
    this.held = buffers.map((data) => ({ data, release: () => undefined }));
  }

  take(): QmapHeldBuffer | undefined {
    const buffer = this.held[this.next];
    this.next = this.next + 1 === this.held.length ? 0 : this.next + 1;
    return buffer;
  }

  send(): boolean {
    return true;
  }
}

function row(name: string, bytesPerOp: number, opsPerSec: number, packetsPerOp: number, ratio: number, target?: number): Record<string, string> {
  const gbps = (bytesPerOp * 8 * opsPerSec) / 1e9;
  return {
    case: name,
    'Gbit/s': gbps.toFixed(2),
    'packets/s': Math.round(opsPerSec * packetsPerOp).toLocaleString('en-US'),
    'x copy': ratio.toFixed(2),
    target: target === undefined ? '-' : `>= ${target.toFixed(1)}x ${ratio >= target ? 'met' : 'MISSED'}`,
  };
}

function print(title: string, rows: Record<string, string>[]): void {
  console.log(`\n${title}`);
  const cols = Object.keys(rows[0]);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c].length)));
  console.log(cols.map((c, i) => c.padEnd(widths[i])).join('  '));
  for (const r of rows) console.log(cols.map((c, i) => r[c].padEnd(widths[i])).join('  '));
}

function benchDeaggregation(): boolean {
  const aggregates = buildAggregates();
  const bytes = aggregates.reduce((n, a) => n + a.length, 0) / aggregates.length;
  const framesPer = Math.floor(AGGREGATE_SIZE / qmapDlFrameLength(PACKET_SIZE, 'v5'));
  const sources = aggregates.map((a) => Buffer.from(a.buffer, a.byteOffset, a.length));
  const dest = Buffer.alloc(AGGREGATE_SIZE);
  let sink = 0;

  const copy = (n: number): void => {
    for (let i = 0; i < n; i++) sources[i & (AGGREGATES - 1)].copy(dest, 0);
  };

  // The whole mux, measured first so its code paths are not shaped by the other cases:
  // lower buffer pulled, frames queued per link (pinning the buffer), polled by consumers.
  const mux = new QmapMux({ port: new ReplayPort(aggregates), ingressChecksum: 'v5', maxHeldBuffers: 32 });
  const links = [1, 2, 3, 4].map((id) => mux.addLink(id));
  const consumeFrame = (_buffer: Uint8Array, _offset: number, length: number): void => {
    sink += length;
  };
  const consume = (data: Uint8Array): void => {
    sink += data.length;
  };
  const frames = measurePair(copy, (n) => {
    let got = 0;
    const want = n * framesPer;
    while (got < want) for (const link of links) got += link.pollFrames(64, consumeFrame);
  }, 256);
  const views = measurePair(copy, (n) => {
    let got = 0;
    const want = n * framesPer;
    while (got < want) for (const link of links) got += link.poll(64, consume);
  }, 256);
  if (Object.keys(mux.stats().drops).length > 0) throw new Error(`unexpected drops ${JSON.stringify(mux.stats().drops)}`);

  // Deaggregation and demux into per-mux-id counters: the parsing core alone, no queues.
  const deaggregator = new QmapDeaggregator('v5');
  const perMux = new Float64Array(256);
  const frameSink = {
    frame: (_b: Uint8Array, info: QmapFrameInfo) => {
      perMux[info.muxId] += info.payloadLength;
    },
    drop: () => undefined,
  };
  const core = measurePair(copy, (n) => {
    for (let i = 0; i < n; i++) deaggregator.run(aggregates[i & (AGGREGATES - 1)], frameSink);
  }, 1024);

  const rows = [
    row('Buffer.copy of each aggregate (baseline)', bytes, core.base, framesPer, 1),
    row('QmapDeaggregator + demux by mux id', bytes, core.rate, framesPer, core.ratio, 1.0),
    row('QmapMux + link.pollFrames (queued, offset/length)', bytes, frames.rate, framesPer, frames.ratio),
    row('QmapMux + link.poll (queued, a view per packet)', bytes, views.rate, framesPer, views.ratio),
  ];
  print(`QMAP RX: ${AGGREGATE_SIZE}-byte aggregates of ${framesPer} x ${PACKET_SIZE}-byte IPv4 (MAPv5), ${Math.round(bytes)} bytes each`, rows);
  void sink;
  return core.ratio >= 1.0;
}

function benchFraming(): boolean {
  const packets = Array.from({ length: 64 }, (_, i) => Buffer.from(buildSimPacket('ipv4-tcp', PACKET_SIZE, i)));
  const dest = Buffer.alloc(BAM_DMUX_BUFFER_SIZE);
  const copy = (n: number): void => {
    for (let i = 0; i < n; i++) packets[i & 63].copy(dest, 0);
  };
  const framing = measurePair(copy, (n) => {
    for (let i = 0; i < n; i++) encodeBamDmuxData(dest, 0, packets[i & 63], 'mainline');
  }, 4096);
  print(`BAM-DMUX TX framing of ${PACKET_SIZE}-byte packets into a 2 KiB TX buffer`, [
    row('Buffer.copy of each packet (baseline)', PACKET_SIZE, framing.base, 1, 1),
    row('encodeBamDmuxData (header + copy + pad)', PACKET_SIZE, framing.rate, 1, framing.ratio, 0.5),
  ]);
  return framing.ratio >= 0.5;
}

const ok = [benchDeaggregation(), benchFraming()].every(Boolean);
console.log(`\ntargets: ${ok ? 'all met' : 'some MISSED'}`);
