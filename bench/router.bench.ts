/**
 * Router and name-service benchmarks (issue: Router core).
 * - packets/s from one endpoint through the router to a socket subscriber, against a bare
 *   loop that only parses the header and calls the subscriber (target >= 0.5x);
 * The name-service lookup benchmark is bench/ns.bench.ts.
 */
import 'reflect-metadata';
import { Subject } from 'rxjs';
import { QrtrType, decodeHeaderInto, encodePacket, newHeader } from '../src/wire';
import { Router, type Endpoint } from '../src/router';
import { NameService } from '../src/ns';
import { compareOpsPerSecond, printTable, verdict } from './lib';

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

routerThroughput();
