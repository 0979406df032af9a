import { expect } from 'chai';
import { createWlfwPlugin, type WlfwChipParams } from '../../wlfw/src';
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
  readonly family: 'ath11k' | 'ath12k';
  readonly chip: string;
  readonly mutate: (c: WlfwChipParams) => WlfwChipParams;
  readonly refusal: RegExp;
}

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
    const v = card.firmware?.violations ?? [];
    if (v.length > 0) return v[0];
    await sleep(20);
  }
  return undefined;
}

describe('simulated firmware refuses a loader that departs from the kernel tables', function () {
  this.timeout(15_000);
  let rig: Rig;
  afterEach(async () => rig?.close());

  for (const m of MISTAKES) {
    it(`should fail bring-up of ${m.chip} when the loader sends ${m.name}`, async () => {
      const baseChips = m.family === 'ath11k' ? ATH11K_CHIPS : ath12k.ATH12K_CHIPS;
      const chips = baseChips.map((c) => (c.chip === m.chip ? m.mutate(c) : c));
      const faulty = createWlfwPlugin(m.family, '0.0.0-seeded', chips);
      rig = await createRig([faulty], { [m.family]: { dmaChunkLimit: 4 * 1024 * 1024 } });
      const make = m.family === 'ath11k' ? createSimulatedCard : ath12k.createSimulatedCard;
      const write = m.family === 'ath11k' ? writeSimulatedFirmwareDir : ath12k.writeSimulatedFirmwareDir;
      const card = make({ chip: m.chip, pciAddress: '0000:01:00.0', boardId: 0x1a });
      await write(rig.firmwareDir, [card]);
      await rig.host.start(m.family);
      await card.attach(rig.router);
      const refusal = await firstRefusal(card, 10_000);
      expect(refusal, 'the simulated firmware refused something').to.match(m.refusal);
      const status = rig.loader(m.family).snapshot().find((s) => s.key === 'mhi:0000:01:00.0');
      expect(status?.state).to.not.equal('ready');
    });
  }

});
