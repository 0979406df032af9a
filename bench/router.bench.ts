/**
 * Router and name-service benchmarks (issue: Router core).
 * - packets/s from one endpoint through the router to a socket subscriber, against a bare
 *   loop that only parses the header and calls the subscriber (target >= 0.5x);
 * - name-service lookup latency p50/p99 with 1k, 10k and 100k servers (target: p99 at 100k
 *   within 1.5x of p99 at 1k), and the time to register 100k servers (target < 1 s).
 */
import 'reflect-metadata';
import { Subject } from 'rxjs';
import { QRTR_PORT_CTRL, QrtrType, decodeHeaderInto, encodeControl, encodePacket, newHeader } from '../src/wire';
import { Router, type Endpoint } from '../src/router';
import { NameService } from '../src/ns';
import { compareOpsPerSecond, nowNs, percentile, printTable, verdict } from './lib';

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

function routerThroughput(): void {
  const payloadSize = 64;
  const count = 1024;
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
  const endpoint = syncEndpoint('card');
  const attached = router.attach(endpoint);
  const socket = router.openSocketSync();
  socket.messages$.subscribe((m) => subscriber(m.data));
  const pushed = syncEndpoint('pushed');
  const pushedAttached = router.attach({ backendKey: pushed.backendKey, transmit: () => undefined, close: () => undefined });
  void attached;
  const rates = compareOpsPerSecond(
    {
      bare: (n) => {
        for (let i = 0; i < n; i++) {
          const p = packets[i & (count - 1)];
          decodeHeaderInto(p, header);
          subscriber(p.subarray(header.headerLength, header.headerLength + header.size));
        }
      },
      post: (n) => {
        for (let i = 0; i < n; i++) pushedAttached.post(packets[i & (count - 1)]);
      },
      observable: (n) => {
        for (let i = 0; i < n; i++) endpoint.inject(packets[i & (count - 1)]);
      },
    },
    count * 32,
  );
  router.shutdown();
  const bare = rates.bare;
  const routed = rates.post;
  const viaObservable = rates.observable;
  const ratio = routed / bare;
  printTable('Router: in-process packets/s, endpoint -> router -> socket subscriber (64-byte payloads)', [
    { path: 'bare loop (parse header + call subscriber)', 'packets/s': bare, ratio: 1 },
    { path: 'router via post() (validate, learn node, route, deliver)', 'packets/s': routed, ratio, target: '>= 0.5', verdict: verdict(ratio >= 0.5) },
    { path: 'router via the endpoint packets$ Observable', 'packets/s': viaObservable, ratio: viaObservable / bare, target: '', verdict: '' },
  ]);
}

function nameServiceScaling(): void {
  const rows = [];
  let p99At1k = 0;
  let registerMs = 0;
  for (const total of [1_000, 10_000, 100_000]) {
    const router = new Router({ limits: { maxEndpoints: 4096 } as never });
    const ns = new NameService(router, { nodes: 100_000, lookups: 100_000 });
    const perEndpoint = 250;
    const endpoints = Array.from({ length: Math.ceil(total / perEndpoint) }, (_, i) => {
      const e = syncEndpoint(`card-${i}`);
      router.attach(e);
      return e;
    });
    // Pre-encode so that only registration is timed: 100 services, instances spread over them.
    const packets: [number, Uint8Array][] = [];
    for (let i = 0; i < total; i++) {
      const e = Math.floor(i / perEndpoint);
      const payload = encodeControl({ type: QrtrType.NEW_SERVER, service: 1000 + (i % 100), instance: (1 | ((i % 977) << 8)) >>> 0, node: 7, port: 1 + (i % perEndpoint) });
      packets.push([e, encodePacket({ type: QrtrType.NEW_SERVER, srcNode: 7, srcPort: QRTR_PORT_CTRL, dstNode: 1, dstPort: QRTR_PORT_CTRL }, payload)]);
    }
    const start = nowNs();
    for (const [e, p] of packets) endpoints[e].inject(p);
    const elapsedMs = Number(nowNs() - start) / 1e6;
    if (ns.stats().servers !== total) throw new Error(`registered ${ns.stats().servers} of ${total}`);
    if (total === 100_000) registerMs = elapsedMs;

    // Lookup latency: service + version + instance, through the in-process API and through a
    // wire NEW_LOOKUP on a local socket (listing + sentinel delivered synchronously).
    const samples: number[] = [];
    const wireSamples: number[] = [];
    const client = router.openSocketSync();
    let received = 0;
    client.messages$.subscribe(() => received++);
    for (let i = 0; i < 4000; i++) {
      const j = (i * 7919) % total; // a registered server, spread over the registry
      const service = 1000 + (j % 100);
      const instance = j % 977;
      const t0 = nowNs();
      const found = ns.servers({ service, version: 1, instance });
      const t1 = nowNs();
      if (found.length === 0) throw new Error('lookup found nothing');
      samples.push(Number(t1 - t0));
      const t2 = nowNs();
      client.send({ node: 1, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.NEW_LOOKUP, service, instance: (1 | (instance << 8)) >>> 0 }));
      client.send({ node: 1, port: QRTR_PORT_CTRL }, encodeControl({ type: QrtrType.DEL_LOOKUP, service, instance: (1 | (instance << 8)) >>> 0 }));
      wireSamples.push(Number(nowNs() - t2));
    }
    samples.sort((a, b) => a - b);
    wireSamples.sort((a, b) => a - b);
    const p99 = percentile(samples, 99);
    if (total === 1_000) p99At1k = p99;
    rows.push({
      servers: total,
      'register ms': elapsedMs,
      'lookup p50 us': percentile(samples, 50) / 1000,
      'lookup p99 us': p99 / 1000,
      'wire lookup p50 us': percentile(wireSamples, 50) / 1000,
      'wire lookup p99 us': percentile(wireSamples, 99) / 1000,
      'p99 / p99@1k': p99At1k ? p99 / p99At1k : 1,
    });
    router.shutdown();
    if (received === 0) throw new Error('no lookup answers');
  }
  printTable('Name service: lookup latency by registry size (service+version+instance lookups, 4000 samples)', rows);
  const last = rows[rows.length - 1];
  const ratio = last['p99 / p99@1k'] as number;
  printTable('Name service targets', [
    { target: 'p99 at 100k within 1.5x of p99 at 1k', value: ratio, verdict: verdict(ratio <= 1.5) },
    { target: 'register 100k servers (wire NEW_SERVER) under 1000 ms', value: registerMs, verdict: verdict(registerMs < 1000) },
  ]);
}

routerThroughput();
nameServiceScaling();
