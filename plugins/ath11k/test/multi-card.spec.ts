import { expect } from 'chai';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir } from '../index';
import type { SimulatedCard } from '../sim';
import { sha256, simulatedFiles } from '../../wlfw/sim';
import { ATH11K_SIM_PROFILES } from '../sim/profiles';
import { createRig, requestsNamed, sleep, type Rig } from '../../wlfw/test/rig';

/** A seeded PRNG so a failing order can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

function eightCards(faultyIndex?: number): SimulatedCard[] {
  return Array.from({ length: 8 }, (_, i) =>
    createSimulatedCard({
      chip: 'QCN9074',
      pciAddress: `0000:0${i + 1}:00.0`,
      boardId: 0x100 + i,
      faults: i === faultyIndex ? { crashAt: { step: 'bdf', afterSegments: 4, mode: 'detach', restartAfterMs: 30 } } : undefined,
    }),
  );
}

async function attachShuffled(rig: Rig, cards: SimulatedCard[], seed: number): Promise<void> {
  const random = rng(seed);
  const order = cards.map((c) => ({ c, k: random() })).sort((a, b) => a.k - b.k).map((x) => x.c);
  await Promise.all(order.map(async (card) => {
    await sleep(Math.floor(random() * 40));
    await card.attach(rig.router);
  }));
}

function expectOwnBoardData(card: SimulatedCard): void {
  const expected = simulatedFiles(ATH11K_SIM_PROFILES.QCN9074, card.boardId, 'pci', card.pciAddress);
  expect(card.firmware!.violations, card.key).to.deep.equal([]);
  expect(card.received.map((f) => [f.bdfType, f.fileId, f.size, f.sha256]), card.key).to.deep.equal([
    [0, card.boardId, expected.board.length, sha256(expected.board)],
    [2, card.boardId, expected.caldata!.length, sha256(expected.caldata!)],
  ]);
}

describe('ath11k with many identical QCN9074 cards', function () {
  this.timeout(20_000);
  let rig: Rig;
  afterEach(async () => rig?.close());

  for (const seed of [1, 7, 42]) {
    it(`should bring up 8 cards with the same node and instance, attached in random order (seed ${seed}), each with its own board data`, async () => {
      const cards = eightCards();
      rig = await createRig([plugin], { ath11k: { cards: cards.slice(0, 4).map((c) => c.key) } });
      await writeSimulatedFirmwareDir(rig.firmwareDir, cards);
      await rig.host.start('ath11k');
      await attachShuffled(rig, cards, seed);
      const statuses = await rig.loader('ath11k').whenReady(cards.map((c) => c.key), 15_000);
      expect(new Set(statuses.map((s) => s.node))).to.deep.equal(new Set([7]));
      expect(new Set(statuses.map((s) => s.endpoint)).size).to.equal(8);
      for (const card of cards) {
        expectOwnBoardData(card);
        const status = statuses.find((s) => s.key === card.key)!;
        expect(status).to.include({ state: 'ready', boardId: card.boardId, endpoint: card.endpointId, chip: 'QCN9074' });
        // Every request the card's firmware saw came from one host client.
        expect(new Set(card.log.filter((e) => e.dir === 'rx').map((e) => `${e.peer!.endpoint}:${e.peer!.port}`)).size).to.equal(1);
      }
    });
  }

  it('should recover a card that crashes mid-download and leave the other seven untouched', async () => {
    const cards = eightCards(5);
    rig = await createRig([plugin]);
    await writeSimulatedFirmwareDir(rig.firmwareDir, cards);
    await rig.host.start('ath11k');
    const seen: string[] = [];
    rig.loader('ath11k').cards$.subscribe((all) => {
      for (const s of all) if (s.state === 'recovering' && !seen.includes(s.key)) seen.push(s.key);
    });
    await attachShuffled(rig, cards, 3);
    const statuses = await rig.loader('ath11k').whenReady(cards.map((c) => c.key), 15_000);
    expect(seen).to.deep.equal([cards[5].key]);
    for (const [i, card] of cards.entries()) {
      const status = statuses.find((s) => s.key === card.key)!;
      expect(status.state).to.equal('ready');
      expect(status.recoveries, card.key).to.equal(i === 5 ? 1 : 0);
      expect(card.boots.length, card.key).to.equal(i === 5 ? 2 : 1);
      expectOwnBoardData(card);
    }
    // The crashed boot got the first segments of its own board and nothing else.
    const first = cards[5].boots[0];
    // Four segments were answered; the host may have sent the fifth before the link dropped.
    expect(first.log.filter((e) => e.name === 'BDF_DOWNLOAD').length).to.be.within(4, 5);
    expect(first.received).to.deep.equal([]);
    expect(requestsNamed(cards[5], 'HOST_CAP')).to.have.length(2);
  });

  it('should show the kernel failure mode without endpoint binding: identical cards collide (control)', async () => {
    const cards = eightCards().slice(0, 2);
    rig = await createRig([plugin], { ath11k: { bindEndpoints: false, maxAttempts: 1 } });
    await writeSimulatedFirmwareDir(rig.firmwareDir, cards);
    await rig.host.start('ath11k');
    await cards[0].attach(rig.router);
    await cards[1].attach(rig.router);
    await sleep(600);
    const statuses = rig.loader('ath11k').snapshot();
    expect(statuses).to.have.length(2);
    const ready = statuses.filter((s) => s.state === 'ready');
    const failed = statuses.filter((s) => s.state === 'failed');
    expect(failed.length, JSON.stringify(statuses.map((s) => [s.key, s.state, s.lastError?.message]))).to.be.greaterThan(0);
    expect(failed.some((s) => /host capability request failed: 1 90/.test(s.lastError!.message))).to.equal(true);
    // Both host clients talked to the same firmware; the other card never got a request past probing.
    const talkedTo = cards.filter((c) => requestsNamed(c, 'HOST_CAP').length > 0);
    expect(talkedTo).to.have.length(1);
    expect(ready.length).to.be.lessThan(2);
  });
});
