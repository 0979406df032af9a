/**
 * Router and name-service benchmarks (issue: Router core).
 * - packets/s from one endpoint through the router to a socket subscriber, against a bare
 *   loop that only parses the header and calls the subscriber (issue #20 targets: post()
 *   >= 0.8x, packets$ >= 0.6x; medians of interleaved rounds).
 * The name-service lookup benchmark is bench/ns.bench.ts.
 */
import 'reflect-metadata';
import { Observable, Subject, type Subscriber } from 'rxjs';
import { QrtrType, encodePacket } from '../src/wire';
// Straight from the module, not through the index's re-export getters, as the router does.
import { decodeHeaderInto, newHeader } from '../src/wire/packet';
import { Router, type Endpoint } from '../src/router';
import { NameService } from '../src/ns';
import { opsPerSecond, percentile, printTable, verdict } from './lib';

/** An endpoint driven synchronously by the benchmark: no link latency, only the router's own work. */
function syncEndpoint(key: string): Endpoint & { inject(packet: Uint8Array): void } {
  const rx = new Subject<Uint8Array>();
  return {
    backendKey: { kind: 'bench', key },
    packets$: rx.asObservable(),
    transmit: () => undefined,
    close: () => rx.complete(),
    inject: (packet: Uint8Array) => rx.next(packet),
  };
}

/**
 * An endpoint built like the real backends (mhi-qrtr-endpoint, stream-socket-endpoint,
 * rpmsg-endpoint): a plain Observable whose producer keeps its one subscriber and calls
 * `subscriber.next(packet)` per packet.
 */
function observableEndpoint(key: string): Endpoint & { inject(packet: Uint8Array): void } {
  let current: Subscriber<Uint8Array> | null = null;
  return {
    backendKey: { kind: 'bench', key },
    packets$: new Observable<Uint8Array>((subscriber) => {
      current = subscriber;
      return () => {
        if (current === subscriber) current = null;
      };
    }),
    transmit: () => undefined,
    close: () => current?.complete(),
    inject: (packet: Uint8Array) => current!.next(packet),
  };
}

interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: percentile(sorted, 50), min: sorted[0], max: sorted[sorted.length - 1] };
}

function formatSpread(s: Spread): string {
  return `${s.median.toFixed(2)} (${s.min.toFixed(2)}..${s.max.toFixed(2)})`;
}

/**
 * Received packets/s from one endpoint through the router to one socket subscriber, against a
 * bare loop that only parses the header and hands the payload to the same subscriber. The
 * variants run interleaved, in a rotating order, for ROUTER_BENCH_ROUNDS rounds; each round
 * gives one ratio per variant against that round's bare loop, and the table prints the median
 * and the spread (min..max) of those ratios, so load from other processes skews them little.
 * Many short rounds (41 x 50 ms) rather than few long ones (11 x 200 ms, the earlier default):
 * a round's variants then run within ~200 ms of each other, so a burst of load on the shared
 * machine hits a round's bare loop and router alike, and the median moved less from run to
 * run (0.89-0.90 against 0.84-0.90 for the same build, docs/performance.md, "Router receive path", round 3); a single round's
 * ratio spreads wider, which the median absorbs.
 */
function routerThroughput(): void {
  const payloadSize = 64;
  const count = 1024;
  const rounds = Number(process.env.ROUTER_BENCH_ROUNDS ?? 41);
  const msPerVariant = Number(process.env.ROUTER_BENCH_MS ?? 50);
  const packets = Array.from({ length: count }, (_, i) =>
    encodePacket({ type: QrtrType.DATA, srcNode: 7, srcPort: 1 + (i & 7), dstNode: 1, dstPort: 0x4000 }, new Uint8Array(payloadSize).fill(i)),
  );

  // Baseline: parse the header, hand a payload view to a subscriber.
  const header = newHeader();
  let sink = 0;
  const subscriber = (data: Uint8Array): void => {
    sink += data.length;
  };
  const router = new Router();
  new NameService(router);
  const socket = router.openSocketSync();
  socket.messages$.subscribe((m) => subscriber(m.data));
  const viaObservable = observableEndpoint('observable');
  router.attach(viaObservable);
  const viaSubject = syncEndpoint('subject');
  router.attach(viaSubject);
  const pushed = router.attach({ backendKey: { kind: 'bench', key: 'pushed' }, transmit: () => undefined, close: () => undefined });
  const variants: Record<string, (n: number) => void> = {
    bare: (n) => {
      for (let i = 0; i < n; i++) {
        const p = packets[i & (count - 1)];
        decodeHeaderInto(p, header);
        subscriber(p.subarray(header.headerLength, header.headerLength + header.size));
      }
    },
    post: (n) => {
      for (let i = 0; i < n; i++) pushed.post(packets[i & (count - 1)]);
    },
    observable: (n) => {
      for (let i = 0; i < n; i++) viaObservable.inject(packets[i & (count - 1)]);
    },
    subject: (n) => {
      for (let i = 0; i < n; i++) viaSubject.inject(packets[i & (count - 1)]);
    },
  };
  // ROUTER_BENCH_VARIANTS=bare,post limits the run (profiling one path); bare is always kept.
  const only = process.env.ROUTER_BENCH_VARIANTS?.split(',');
  const names = Object.keys(variants).filter((n) => n === 'bare' || !only || only.includes(n));
  const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const ratios: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const name of names) opsPerSecond(variants[name], count * 32, 100); // warm every path first
  for (let r = 0; r < rounds; r++) {
    const round: Record<string, number> = {};
    for (let k = 0; k < names.length; k++) {
      const name = names[(r + k) % names.length];
      round[name] = opsPerSecond(variants[name], count * 32, msPerVariant);
    }
    for (const name of names) {
      rates[name].push(round[name]);
      ratios[name].push(round[name] / round.bare);
    }
  }
  const delivered = socket.stats().received;
  router.shutdown();
  if (sink === 0 || delivered === 0) throw new Error('nothing was delivered');
  if (only) {
    for (const name of names) console.log(`${name}: ${spread(rates[name]).median.toFixed(0)}/s, ratio ${formatSpread(spread(ratios[name]))}`);
    return;
  }
  const postRatio = spread(ratios.post);
  const observableRatio = spread(ratios.observable);
  printTable(`Router: in-process packets/s, endpoint -> router -> socket subscriber (64-byte payloads; ${rounds} interleaved rounds, median (min..max))`, [
    { path: 'bare loop (parse header + call subscriber)', 'packets/s': spread(rates.bare).median, 'ratio vs bare': '1', target: '', verdict: '' },
    {
      path: 'router via post() (validate, learn node, route, deliver)',
      'packets/s': spread(rates.post).median,
      'ratio vs bare': formatSpread(postRatio),
      target: '>= 0.8',
      verdict: verdict(postRatio.median >= 0.8),
    },
    {
      path: 'router via packets$ (plain Observable backend, as the links)',
      'packets/s': spread(rates.observable).median,
      'ratio vs bare': formatSpread(observableRatio),
      target: '>= 0.6',
      verdict: verdict(observableRatio.median >= 0.6),
    },
    {
      path: 'router via packets$ (rxjs Subject backend, informational)',
      'packets/s': spread(rates.subject).median,
      'ratio vs bare': formatSpread(spread(ratios.subject)),
      target: '',
      verdict: '',
    },
  ]);
}

routerThroughput();
