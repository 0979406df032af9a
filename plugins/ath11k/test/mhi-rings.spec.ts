import { expect } from 'chai';
import { MhiRxBufferPool, SIMULATED_MHI_RINGS } from '../../../src/testing/devices';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir } from '../index';
import { simulatedFiles, wlfwSimulation } from '../../wlfw/sim';
import { ATH11K_SIM_PROFILES } from '../sim/profiles';
import { createRig, requestNames, type Rig } from '../../wlfw/test/rig';

const pci = (i: number): string => `0000:${(i >> 4).toString(16).padStart(2, '0')}:${(i & 15).toString(16).padStart(2, '0')}.0`;

describe('ath11k cards on small MHI rings', function () {
  this.timeout(20_000);
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('should bring 8 cards up in one attempt over rings of one descriptor each way (back-pressure, no packet lost)', async () => {
    rig = await createRig([plugin], { ath11k: { maxAttempts: 1, requestTimeoutMs: 1000 } });
    const cards = Array.from({ length: 8 }, (_, i) => createSimulatedCard({ chip: 'QCN9074', pciAddress: pci(i + 1), boardId: i, mhi: { ringSize: 1 } }));
    await writeSimulatedFirmwareDir(rig.firmwareDir, cards);
    await rig.host.start('ath11k');
    await Promise.all(cards.map((c) => c.attach(rig!.router)));
    const statuses = await rig.loader('ath11k').whenReady(cards.map((c) => c.key), 15_000);
    expect(statuses.map((s) => [s.state, s.attempts])).to.deep.equal(cards.map(() => ['ready', 1]));
    for (const card of cards) {
      expect(card.firmware!.violations).to.deep.equal([]);
      expect(requestNames(card).filter((n) => n === 'HOST_CAP')).to.have.length(1);
    }
  });

  it("should give a detached card's DL buffers back at once, for the next card to reuse", async () => {
    rig = await createRig([plugin], { ath11k: { maxAttempts: 1 } });
    const rings = SIMULATED_MHI_RINGS.small;
    const pool = new MhiRxBufferPool();
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: pci(1), boardId: 1, mhi: { rxBuffers: pool } });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    await rig.loader('ath11k').whenReady([card.key], 10_000);
    expect(pool.freeBytes).to.equal(0);
    card.detach();
    expect(pool.freeBytes).to.equal(rings.dlRingSize * rings.bufferLength);
    await card.attach(rig.router);
    expect(pool.freeBytes).to.equal(0);
  });

  it("should check a simulated card's MHI ring sizes in the daemon's simulation config", () => {
    const simulation = wlfwSimulation('ath11k', ATH11K_SIM_PROFILES);
    const card = { chip: 'QCN9074', pciAddress: pci(1), boardId: 1 };
    expect(() => simulation.validate!({ ...card, mhi: { rings: 'kernel', ulRingSize: 8 } }, 'simulation.cards[0]')).to.not.throw();
    const refused = (mhi: unknown): unknown => {
      try {
        simulation.validate!({ ...card, mhi } as never, 'simulation.cards[0]');
      } catch (err) {
        return (err as { details?: { key?: string } }).details?.key;
      }
      return 'accepted';
    };
    expect(refused({ rings: 'huge' })).to.equal('simulation.cards[0].mhi.rings');
    expect(refused({ dlRingSize: 0 })).to.equal('simulation.cards[0].mhi.dlRingSize');
    expect(refused('small')).to.equal('simulation.cards[0].mhi');
    expect(refused({ rxBuffers: {} })).to.equal('simulation.cards[0].mhi.rxBuffers');
  });

  it('should share the firmware images of identical cards instead of copying them', () => {
    const profile = ATH11K_SIM_PROFILES.QCN9074;
    const a = simulatedFiles(profile, 5, 'pci', pci(1));
    const b = simulatedFiles(profile, 5, 'pci', pci(2));
    expect(a.board).to.equal(b.board);
    expect(a.regdb).to.equal(b.regdb);
    expect(a.m3).to.equal(b.m3);
    // Per-card data stays per card: caldata is named by PCI address, the board file by board id.
    expect(a.caldata).to.not.equal(b.caldata);
    expect(simulatedFiles(profile, 6, 'pci', pci(1)).board).to.not.equal(a.board);
  });
});

describe("ath11k loader after a lost HOST_CAP answer (no in-place retry, as the kernel's ATH11K_FLAG_QMI_FAIL)", function () {
  this.timeout(20_000);
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  it('should not resend HOST_CAP to firmware that already took the first one: the card fails typed until the next incarnation', async () => {
    rig = await createRig([plugin], { ath11k: { maxAttempts: 3, requestTimeoutMs: 150 } });
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: pci(1), boardId: 1, faults: { loseResponse: 'host-cap' } });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const failure = await rig
      .loader('ath11k')
      .whenReady([card.key], 10_000)
      .then(
        () => undefined,
        (e: { status?: { state: string; attempts: number; lastError?: { code: string; message: string } } }) => e.status,
      );
    expect(failure, 'the card should have failed').to.not.equal(undefined);
    expect(failure!.state).to.equal('failed');
    // One firmware incarnation and one HOST_CAP: the firmware moved on (its answer was lost); a resend
    // would be refused INCOMPATIBLE_STATE, so the loader waits for the firmware's next incarnation instead.
    expect(card.boots).to.have.length(1);
    expect(requestNames(card).filter((n) => n === 'HOST_CAP')).to.have.length(1);
    expect(card.firmware!.violations).to.deep.equal([]);
    expect(failure!.lastError?.message).to.match(/host capability/);
  });
});
