import { expect } from 'chai';
import fc from 'fast-check';
import { createHost } from '../helpers/host';
import { RawPeer, settle } from '../helpers/raw-peer';
import type { QrtrMessage } from './imports';

describe('Router: endpoint isolation', () => {
  it('should never show a socket bound to endpoint A a packet from endpoint B, whatever the interleaving (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ from: fc.constantFrom('a', 'b'), confirm: fc.boolean(), settle: fc.boolean() }), { minLength: 1, maxLength: 60 }),
        fc.boolean(),
        async (steps, attachBFirst) => {
          const { router, ns } = createHost();
          const first = attachBFirst ? 'b' : 'a';
          const peers: Record<string, RawPeer> = {};
          peers[first] = new RawPeer(router, { kind: 'mhi', key: first }, 7);
          peers[first === 'a' ? 'b' : 'a'] = new RawPeer(router, { kind: 'mhi', key: first === 'a' ? 'b' : 'a' }, 7);
          // Identical devices: same node, same port, same service and instance.
          for (const p of Object.values(peers)) p.announce(69, 0x101, 1);
          const sockA = await router.openSocket();
          const sockB = await router.openSocket();
          sockA.bindEndpoint(peers.a.id);
          sockB.bindEndpoint(peers.b.id);
          const seenA: QrtrMessage[] = [];
          const seenB: QrtrMessage[] = [];
          sockA.messages$.subscribe((m) => seenA.push(m));
          sockB.messages$.subscribe((m) => seenB.push(m));
          let sentA = 0;
          let sentB = 0;
          for (const step of steps) {
            const target = step.from === 'a' ? sockA : sockB;
            // Both devices address both sockets: only the bound one may deliver.
            peers[step.from].send({ srcPort: 1, dstPort: sockA.address.port, confirmRx: step.confirm }, new Uint8Array([step.from === 'a' ? 0xa : 0xb]));
            peers[step.from].send({ srcPort: 1, dstPort: sockB.address.port }, new Uint8Array([step.from === 'a' ? 0xa : 0xb]));
            if (step.from === 'a') sentA++;
            else sentB++;
            void target;
            if (step.settle) await settle();
          }
          await settle();
          expect(seenA.every((m) => m.endpoint === peers.a.id && m.data[0] === 0xa)).to.equal(true);
          expect(seenB.every((m) => m.endpoint === peers.b.id && m.data[0] === 0xb)).to.equal(true);
          expect(seenA).to.have.length(sentA);
          expect(seenB).to.have.length(sentB);
          // Replies from each socket reach only its own device.
          await sockA.send({ node: 7, port: 1 }, new Uint8Array([1]));
          await sockB.send({ node: 7, port: 1 }, new Uint8Array([2]));
          await settle();
          expect(peers.a.data().map((p) => p.payload[0])).to.deep.equal([1]);
          expect(peers.b.data().map((p) => p.payload[0])).to.deep.equal([2]);
          expect(ns.servers({ service: 69 })).to.have.length(2);
          router.shutdown();
        },
      ),
      { numRuns: 60 },
    );
  });
});
