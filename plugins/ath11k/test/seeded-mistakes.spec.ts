import { expect } from 'chai';
import { BdfType, createWlfwPlugin, type WlfwChipParams } from '../../wlfw/src';
import { ATH11K_CHIPS, createSimulatedCard, writeSimulatedFirmwareDir } from '../index';
import * as ath12k from '../../ath12k';
import { createRig, sleep, type Rig } from '../../wlfw/test/rig';
import { TARGET_CE_QCN9074 } from '../src/ce-tables';
import { TARGET_CE_WCN7850 } from '../../ath12k/src/ce-tables';
import type { SimulatedCard } from '../sim';

// Each case is a loader with one mistake in its chip table (built through the same plugin
// factory as the real ath11k/ath12k plugins). The simulated firmware checks WLAN_CFG and
// HOST_CAP against its own witness of the kernel tables (plugins/*/sim/kernel-witness.ts), so
// the mistake must make bring-up fail with the firmware's refusal, never reach `ready`.

interface Mistake {
  readonly name: string;
  /** The faulty loader's family. */
  readonly family: 'ath11k' | 'ath12k';
  /** The simulated card's family and profile (default: the loader's family, `chip`). */
  readonly simFamily?: 'ath11k' | 'ath12k';
  readonly chip: string;
  readonly profile?: string;
  /** Which table row to mutate (default: every row of `chip`). */
  readonly row?: (c: WlfwChipParams) => boolean;
  readonly mutate: (c: WlfwChipParams) => WlfwChipParams;
  /** A mistake outside the chip table (a loader constant); returns the undo. */
  readonly patch?: () => () => void;
  readonly refusal: RegExp;
}

/** The shadow list of the old loader: 0x24000 + 4i, a contiguous range that is no SRNG's register. */
const inventedShadow = (n: number): number[] => Array.from({ length: n }, (_, i) => 0x24000 + 4 * i);

const MISTAKES: Mistake[] = [
  {
    name: 'pipe 4 declared IN (the old invented table)',
    family: 'ath11k',
    chip: 'QCN9074',
    mutate: (c) => ({ ...c, targetCe: TARGET_CE_QCN9074.map((p) => (p.pipe_num === 4 ? { ...p, pipe_dir: 1 } : p)) }),
    refusal: /WLAN_CFG tgt_cfg row 4/,
  },
  {
    name: 'IPQ8074 given the nine-pipe table',
    family: 'ath11k',
    chip: 'IPQ8074',
    mutate: (c) => ({ ...c, targetCe: TARGET_CE_QCN9074 }),
    refusal: /WLAN_CFG tgt_cfg has 9 pipes, expected 11/,
  },
  {
    name: 'PKT_LOG as 0x700',
    family: 'ath11k',
    chip: 'QCN9074',
    mutate: (c) => ({ ...c, serviceMap: c.serviceMap.map((s) => (s.service_id === 0x600 ? { ...s, service_id: 0x700 } : s)) }),
    refusal: /WLAN_CFG svc_cfg row 16/,
  },
  {
    name: 'QCN9074 service map without the terminator row the kernel sends',
    family: 'ath11k',
    chip: 'QCN9074',
    mutate: (c) => ({ ...c, serviceMap: c.serviceMap.filter((s) => s.service_id !== 0) }),
    refusal: /svc_cfg has 17 rows, expected 18/,
  },
  {
    name: 'nm_modem without GLOBAL_RESET on QCA6390',
    family: 'ath11k',
    chip: 'QCA6390',
    mutate: (c) => ({ ...c, globalReset: false }),
    refusal: /HOST_CAP nm_modem=22, expected 30/,
  },
  {
    name: 'nm_modem on a chip without internal sleep clock',
    family: 'ath11k',
    chip: 'QCN9074',
    mutate: (c) => ({ ...c, internalSleepClock: true }),
    refusal: /HOST_CAP nm_modem=\d+ on a chip without internal sleep clock/,
  },
  {
    name: 'the invented shadow list 0x24000 + 4i instead of the SRNG HP/TP registers',
    family: 'ath11k',
    chip: 'WCN6855',
    mutate: (c) => ({ ...c, shadowRegAddrs: inventedShadow(36) }),
    refusal: /WLAN_CFG shadow list has 36 registers, expected 30/,
  },
  {
    name: "QCA6390's shadow registers on a WCN6855 (another chip's register map)",
    family: 'ath11k',
    chip: 'WCN6855',
    mutate: (c) => ({ ...c, shadowRegAddrs: ATH11K_CHIPS.find((x) => x.chip === 'QCA6390')!.shadowRegAddrs }),
    refusal: /WLAN_CFG shadow register 4 is 0xa3b054, expected 0xa3b064/,
  },
  {
    name: 'no M3 through the driver on QCN9074 (m3_support absent)',
    family: 'ath11k',
    chip: 'QCN9074',
    mutate: (c) => ({ ...c, m3: false }),
    refusal: /HOST_CAP m3_support/,
  },
  {
    name: 'IPQ8074 taken to mission mode without cold-boot calibration',
    family: 'ath11k',
    chip: 'IPQ8074',
    mutate: (c) => ({ ...c, coldbootCalMm: false }),
    // Without calibration the kernel also answers CALDB with address 0, which the firmware refuses first.
    refusal: /WLAN_MODE\(mission\) before cold-boot calibration|RESPOND_MEM .*expected the reserved-memory answer/,
  },
  {
    name: 'cold-boot calibration on a chip without it (QCN9074 in mission mode)',
    family: 'ath11k',
    chip: 'QCN9074',
    mutate: (c) => ({ ...c, coldbootCalMm: true }),
    refusal: /WLAN_MODE\(COLD_BOOT\) to a chip without cold-boot calibration/,
  },
  {
    name: 'PHY_CAP to ath11k firmware (the ath12k loader claiming the QCN9074 PCI id)',
    family: 'ath12k',
    simFamily: 'ath11k',
    chip: 'QCN9074',
    row: (c) => c.chip === 'QCN9274' && c.hwRev === 'hw2.0',
    mutate: (c) => ({ ...c, pciDeviceId: 0x1104, socVersion: undefined }),
    refusal: /PHY_CAP sent to ath11k firmware/,
  },
  {
    name: 'ath12k caldata as bdf_type 5 (ATH12K_QMI_BDF_TYPE_CALIBRATION on the wire)',
    family: 'ath12k',
    chip: 'QCN9274',
    mutate: (c) => c,
    patch: () => {
      const types = BdfType as { CALDATA: number };
      types.CALDATA = 5;
      return () => {
        types.CALDATA = 2;
      };
    },
    refusal: /BDF_DOWNLOAD type 5, expected 2/,
  },
  {
    name: 'WCN7850 max_mlo_peer 256 (the QCN9274 value)',
    family: 'ath12k',
    chip: 'WCN7850',
    mutate: (c) => ({ ...c, maxMloPeer: 256 }),
    refusal: /HOST_CAP max_mlo_peer=256, expected 32/,
  },
  {
    name: 'ath12k feature_list 0',
    family: 'ath12k',
    chip: 'QCN9274',
    mutate: (c) => ({ ...c, cnssFeatureBitmap: 0 }),
    refusal: /HOST_CAP feature_list=0, expected 8/,
  },
  {
    name: 'DMA buffers where the kernel assigns reserved memory (IPQ8074 without fixed_mem_region)',
    family: 'ath11k',
    chip: 'IPQ8074',
    mutate: (c) => ({ ...c, fixedMemRegion: false }),
    refusal: /RESPOND_MEM .*expected the reserved-memory answer 4\/4112384@0x4ba00000, 2\/262144@0x4b0c0000/,
  },
  {
    name: 'board data in the message where the kernel copies it to bdf_addr (IPQ8074 without fixed_bdf_addr)',
    family: 'ath11k',
    chip: 'IPQ8074',
    mutate: (c) => ({ ...c, fixedBdfAddr: false }),
    refusal: /BDF_DOWNLOAD carries data on a fixed-BDF-address chip/,
  },
  {
    name: 'QCN9274 given the WCN7850 table',
    family: 'ath12k',
    chip: 'QCN9274',
    mutate: (c) => ({ ...c, targetCe: TARGET_CE_WCN7850 }),
    refusal: /WLAN_CFG tgt_cfg has 9 pipes, expected 12/,
  },
];

async function firstRefusal(card: SimulatedCard, limitMs: number): Promise<string | undefined> {
  for (let waited = 0; waited < limitMs; waited += 20) {
    const v = card.boots.flatMap((b) => b.violations);
    if (v.length > 0) return v[0];
    await sleep(20);
  }
  return undefined;
}

describe('simulated firmware refuses a loader that departs from the kernel tables', function () {
  this.timeout(15_000);
  let rig: Rig;
  afterEach(async () => rig?.close());

  it('should bring every chip up with the unmodified tables (the control case: no refusal without a mistake)', async () => {
    rig = await createRig([createWlfwPlugin('ath11k', '0.0.0-control', ATH11K_CHIPS), createWlfwPlugin('ath12k', '0.0.0-control', ath12k.ATH12K_CHIPS)], {
      ath11k: { dmaChunkLimit: 4 * 1024 * 1024 },
      ath12k: { dmaChunkLimit: 4 * 1024 * 1024 },
    });
    const cards = [
      ...['QCN9074', 'WCN6855', 'IPQ8074', 'QCA6390'].map((chip, i) => createSimulatedCard({ chip, pciAddress: `0000:0${i + 1}:00.0`, boardId: 0x1a })),
      ...['QCN9274', 'WCN7850'].map((chip, i) => ath12k.createSimulatedCard({ chip, pciAddress: `0000:0${i + 5}:00.0`, boardId: 0x1a })),
    ];
    await writeSimulatedFirmwareDir(rig.firmwareDir, cards.slice(0, 4));
    await ath12k.writeSimulatedFirmwareDir(rig.firmwareDir, cards.slice(4));
    await rig.host.startAll();
    for (const c of cards) await c.attach(rig.router);
    await rig.loader('ath11k').whenReady(cards.slice(0, 4).map((c) => c.key), 10_000);
    await rig.loader('ath12k').whenReady(cards.slice(4).map((c) => c.key), 10_000);
    for (const c of cards) expect(c.boots.flatMap((b) => b.violations), c.key).to.deep.equal([]);
  });

  for (const m of MISTAKES) {
    it(`should fail bring-up of ${m.chip} when the loader sends ${m.name}`, async () => {
      const baseChips = m.family === 'ath11k' ? ATH11K_CHIPS : ath12k.ATH12K_CHIPS;
      const chips = baseChips.map((c) => ((m.row ? m.row(c) : c.chip === m.chip) ? m.mutate(c) : c));
      const faulty = createWlfwPlugin(m.family, '0.0.0-seeded', chips);
      rig = await createRig([faulty], { [m.family]: { dmaChunkLimit: 4 * 1024 * 1024 } });
      const simFamily = m.simFamily ?? m.family;
      const make = simFamily === 'ath11k' ? createSimulatedCard : ath12k.createSimulatedCard;
      const write = simFamily === 'ath11k' ? writeSimulatedFirmwareDir : ath12k.writeSimulatedFirmwareDir;
      const card = make({ chip: m.profile ?? m.chip, pciAddress: '0000:01:00.0', boardId: 0x1a });
      await write(rig.firmwareDir, [card]);
      // The faulty loader needs its own files for a card of the other family's chip.
      if (simFamily !== m.family) await (m.family === 'ath11k' ? writeSimulatedFirmwareDir : ath12k.writeSimulatedFirmwareDir)(rig.firmwareDir, [{ chip: 'QCN9274', pciAddress: card.pciAddress, boardId: 0x1a }]);
      const undo = m.patch?.();
      try {
        await rig.host.start(m.family);
        await card.attach(rig.router);
        const refusal = await firstRefusal(card, 10_000);
        expect(refusal, 'the simulated firmware refused something').to.match(m.refusal);
        const status = rig.loader(m.family).snapshot().find((s) => s.key === 'mhi:0000:01:00.0');
        expect(status?.state).to.not.equal('ready');
      } finally {
        undo?.();
      }
    });
  }

});
