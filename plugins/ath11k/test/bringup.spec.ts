import { expect } from 'chai';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir, formatCardTable } from '../index';
import { createRig, requestNames, requestsNamed, type Rig } from '../../wlfw/test/rig';

interface Case {
  chip: string;
  order: string[];
  board: { type: number; regdb: boolean; cal?: number; elf: boolean };
}

// ath11k firmware does not know PHY_CAP (the family probe): its service answers INVALID_QMI_COMMAND before any handler sees it.
const PROBE: string[] = [];
const CASES: Case[] = [
  {
    chip: 'QCN9074',
    order: [...PROBE, 'IND_REGISTER', 'HOST_CAP', 'RESPOND_MEM', 'CAP', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_CFG', 'WLAN_MODE'],
    board: { type: 0, regdb: false, cal: 2, elf: false },
  },
  {
    chip: 'QCA6390',
    order: [...PROBE, 'IND_REGISTER', 'HOST_CAP', 'RESPOND_MEM', 'RESPOND_MEM', 'CAP', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_INI', 'WLAN_CFG', 'WLAN_MODE'],
    board: { type: 1, regdb: false, elf: true },
  },
  {
    chip: 'WCN6855',
    order: [...PROBE, 'IND_REGISTER', 'HOST_CAP', 'RESPOND_MEM', 'RESPOND_MEM', 'CAP', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_INI', 'WLAN_CFG', 'WLAN_MODE'],
    board: { type: 1, regdb: true, elf: true },
  },
  {
    // Cold-boot calibration (coldboot_cal_mm, cbcal_restart_fw): WLAN_MODE(7), CAL_DONE, power cycle,
    // then the second boot runs the whole sequence again into mission mode.
    chip: 'IPQ8074',
    order: [
      ...['IND_REGISTER', 'HOST_CAP', 'RESPOND_MEM', 'CAP', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_MODE'],
      ...['IND_REGISTER', 'HOST_CAP', 'RESPOND_MEM', 'CAP', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_CFG', 'WLAN_MODE'],
    ],
    board: { type: 0, regdb: false, cal: 2, elf: false },
  },
  {
    // Cold-boot calibration without restart: WLAN_MODE(7), CAL_DONE, then mission mode in the same boot.
    chip: 'WCN6750',
    order: [...PROBE, 'IND_REGISTER', 'HOST_CAP', 'CAP', 'DEVICE_INFO', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_MODE', 'WLAN_INI', 'WLAN_CFG', 'WLAN_MODE'],
    board: { type: 1, regdb: true, elf: true },
  },
  {
    // WCN6855 hw2.1: the revision from TCSR_SOC_HW_VERSION minor 0x10 (ath11k_pci_probe), files from WCN6855/hw2.1.
    chip: 'WCN6855 hw2.1',
    order: [...PROBE, 'IND_REGISTER', 'HOST_CAP', 'RESPOND_MEM', 'RESPOND_MEM', 'CAP', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_INI', 'WLAN_CFG', 'WLAN_MODE'],
    board: { type: 1, regdb: true, elf: true },
  },
  {
    chip: 'QCA2066',
    order: [...PROBE, 'IND_REGISTER', 'HOST_CAP', 'RESPOND_MEM', 'CAP', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_INI', 'WLAN_CFG', 'WLAN_MODE'],
    board: { type: 1, regdb: true, elf: true },
  },
  {
    chip: 'IPQ6018',
    order: [
      ...['IND_REGISTER', 'HOST_CAP', 'RESPOND_MEM', 'CAP', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_MODE'],
      ...['IND_REGISTER', 'HOST_CAP', 'RESPOND_MEM', 'CAP', 'BDF_DOWNLOAD', 'M3_INFO', 'WLAN_CFG', 'WLAN_MODE'],
    ],
    board: { type: 0, regdb: false, cal: 2, elf: false },
  },
];

const COLD_BOOT_RESTART = ['IPQ8074', 'IPQ6018'];

/** Collapses runs of the same request (BDF segments) into one entry. */
function collapse(names: string[]): string[] {
  return names.filter((n, i) => n !== 'BDF_DOWNLOAD' || names[i - 1] !== 'BDF_DOWNLOAD');
}

describe('ath11k loader against its firmware simulators', function () {
  this.timeout(15_000);
  let rig: Rig;
  afterEach(async () => rig?.close());

  for (const c of CASES) {
    it(`should bring up ${c.chip} with the §4.3 sequence and TLVs`, async () => {
      rig = await createRig([plugin]);
      const card = createSimulatedCard({ chip: c.chip, pciAddress: '0000:01:00.0', boardId: 0x1a });
      await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
      await rig.host.start('ath11k');
      await card.attach(rig.router);
      const [status] = await rig.loader('ath11k').whenReady(['mhi:0000:01:00.0'], 10_000).catch((e) => {
        throw new Error(`${e.message}; log: ${JSON.stringify(rig.logs.filter((l) => l.level !== 'debug').map((l) => l.obj))}`);
      });

      expect(card.boots.flatMap((b) => b.violations)).to.deep.equal([]);
      expect(collapse(requestNames(card))).to.deep.equal(c.order);
      const chipName = c.chip.split(' ')[0];
      const restart = COLD_BOOT_RESTART.includes(c.chip);
      expect(card.powerCycles).to.equal(restart ? 1 : 0);

      const [ind] = requestsNamed(card, 'IND_REGISTER');
      expect(ind).to.include({ fw_ready_enable: 1, client_id: 0x4b4e454c, fw_init_done_enable: 1, cal_done_enable: 1 });
      // ath11k_qmi_fw_ind_register_send leaves these TLVs out.
      for (const k of ['initiate_cal_download_enable', 'initiate_cal_update_enable', 'msa_ready_enable', 'pin_connect_result_enable']) expect(ind[k], k).to.equal(undefined);
      if (c.chip === 'WCN6750') expect(ind.request_mem_enable).to.equal(undefined);
      else expect(ind).to.include({ request_mem_enable: 1, fw_mem_ready_enable: 1 });

      const hostCaps = requestsNamed(card, 'HOST_CAP');
      const hostCap = hostCaps[hostCaps.length - 1];
      expect(hostCap).to.include({ num_clients: 1, bdf_support: 1 });
      // cal_done is 0 until cold-boot calibration ran, then 1 in the next boot's HOST_CAP.
      expect(hostCaps.map((h) => h.cal_done)).to.deep.equal(restart ? [0, 1] : [0]);
      const m3 = ['QCA6390', 'WCN6855', 'QCN9074', 'QCA2066'].includes(chipName);
      expect(hostCap.m3_support).to.equal(m3 ? 1 : undefined);
      expect(hostCap.nm_modem).to.equal(['QCA6390', 'WCN6855', 'QCA2066'].includes(chipName) ? 0x1e : undefined);
      expect(hostCap.mem_cfg_mode).to.equal(c.chip === 'QCN9074' ? 2 : 0);

      const lastBoot = card.boots[card.boots.length - 1];
      const bdf = lastBoot.log.filter((l) => l.dir === 'rx' && l.name === 'BDF_DOWNLOAD').map((l) => l.value as Record<string, unknown>);
      const types = [...new Set(bdf.map((b) => b.bdf_type))];
      expect(types).to.deep.equal([...(c.board.regdb ? [4] : []), c.board.type, ...(c.board.cal !== undefined ? [c.board.cal] : [])]);
      for (const b of bdf) expect(b.file_id).to.equal(0x1a);
      const board = bdf.filter((b) => b.bdf_type === c.board.type);
      if (restart) {
        expect(board).to.have.length(1);
        expect(board[0]).to.include({ end: 1, data: undefined });
      } else {
        expect(board.map((b) => b.seg_id)).to.deep.equal(board.map((_, i) => i));
        // total_size is what is left to send, shrinking by 6144 per segment.
        for (let i = 1; i < board.length; i++) expect((board[i - 1].total_size as number) - (board[i].total_size as number)).to.equal(6144);
        expect(board.slice(0, -1).every((b) => b.data === 6144 && b.end === 0)).to.equal(true);
        expect(board[board.length - 1].end).to.equal(1);
      }
      expect(card.firmware!.received.map((f) => f.bdfType)).to.deep.equal(types);

      const m3info = requestsNamed(card, 'M3_INFO').pop()!;
      if (m3) expect(m3info.size).to.equal(64 * 1024);
      else expect(m3info).to.deep.equal({ addr: 0n, size: 0 });

      const [cfg] = requestsNamed(card, 'WLAN_CFG') as { host_version: string; tgt_cfg: unknown[]; shadow_reg_v2?: unknown[]; shadow_reg_v3?: unknown[] }[];
      expect(cfg.host_version).to.equal('WIN');
      expect(cfg.tgt_cfg.length).to.be.within(1, 12);
      // One target HP/TP register per SRNG: 20 non-CE rings and 10 CE rings (of HAL_SHADOW_NUM_REGS 36).
      expect(cfg.shadow_reg_v2?.length ?? 0).to.equal(['QCA6390', 'WCN6855', 'WCN6750', 'QCA2066'].includes(chipName) ? 30 : 0);
      expect(cfg.shadow_reg_v3).to.equal(undefined);
      const calibrates = restart || c.chip === 'WCN6750';
      expect(requestsNamed(card, 'WLAN_MODE')).to.deep.equal([...(calibrates ? [{ mode: 7, hw_debug: 0 }] : []), { mode: 0, hw_debug: 0 }]);

      expect(status).to.include({ state: 'ready', chip: chipName, hwRev: card.profile.hwRev, boardId: 0x1a, node: 7, family: 'ath11k' });
      expect(status.calDone).to.equal(calibrates ? true : undefined);
      expect(status.chipBy).to.equal(card.profile.ahb ? 'compatible' : 'pci');
      expect(status.recoveries).to.equal(0);
      expect(status.fwBuildId).to.not.match(/^QC_IMAGE_VERSION_STRING=/);
      expect(status.bytesDownloaded).to.equal(status.bytesTotal);
      const table = formatCardTable([status]).split('\n');
      expect(table[0].split(/\s+/)).to.deep.equal(['ENDPOINT', 'KEY', 'NODE', 'CHIP', 'BOARD', 'STATE', 'FIRMWARE', 'BOARD-NAME', 'FILES(board,regdb,cal,m3)']);
      // The simulated card's board data comes from the generated board-2.bin under its kernel name.
      expect(status.boardSource).to.equal('board-2.bin');
      expect(status.boardName).to.match(/^bus=(pci|ahb),/);
      expect(table[1]).to.contain(status.boardName!);
      expect(table[1].split(/\s+/)).to.include.members([String(status.endpoint), 'mhi:0000:01:00.0', '7', chipName, '0x1a', 'ready']);
    });
  }

  it('should answer the QCA6390 large-block request with the delayed empty response, then take the small chunks', async () => {
    rig = await createRig([plugin], { ath11k: { dmaChunkLimit: 1024 * 1024 } });
    const card = createSimulatedCard({ chip: 'QCA6390', pciAddress: '0000:02:00.0', boardId: 0xff });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const [status] = await rig.loader('ath11k').whenReady(undefined, 10_000);
    const mem = requestsNamed(card, 'RESPOND_MEM') as { mem_seg: { size: number }[] }[];
    expect(mem[0].mem_seg).to.deep.equal([]);
    expect(mem[1].mem_seg).to.have.length(16);
    expect(status).to.include({ memorySegments: 16, memoryBytes: 15 * 512 * 1024 + 256 * 1024 });
  });

  it('should register without fw_init_done/cal_done under the pre-2022 message ids and still start on 0x38', async () => {
    rig = await createRig([plugin], { ath11k: { messageIds: 'pre-2022' } });
    const card = createSimulatedCard({ chip: 'QCN9074', pciAddress: '0000:01:00.0', boardId: 3 });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    await rig.loader('ath11k').whenReady(undefined, 10_000);
    const [ind] = requestsNamed(card, 'IND_REGISTER');
    expect(ind).to.include({ fw_ready_enable: 1 });
    expect(ind.fw_init_done_enable).to.equal(undefined);
    expect(ind.cal_done_enable).to.equal(undefined);
  });
});
