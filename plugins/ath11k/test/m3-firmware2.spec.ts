import { expect } from 'chai';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as ath11k from '../index';
import * as ath12k from '../../ath12k/index';
import { ATH11K_SIM_PROFILES } from '../sim';
import { ATH12K_SIM_PROFILES } from '../../ath12k/sim';
import { FwIe, buildFwContainer, featureBytes } from '../../wlfw/src';
import { pseudoRandomBytes, simulatedFiles, type SimChipProfile } from '../../wlfw/sim';
import { createRig, requestsNamed, type Rig } from '../../wlfw/test/rig';

/**
 * ath11k_qmi_m3_load / ath12k_qmi_m3_load (qmi.c, v6.18): `if (ab->fw.m3_data && ab->fw.m3_len > 0)`
 * the M3 image is firmware-2.bin's M3 IE, else m3.bin. Here the directory has firmware-2.bin with an
 * M3 IE and no m3.bin at all; the simulated firmware reads the bytes behind M3_INFO out of the card's
 * simulated host memory and refuses unless they are the IE's.
 */
describe('M3 from firmware-2.bin (the M3 IE)', function () {
  this.timeout(15_000);
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });

  const cases = [
    { family: 'ath11k', chip: 'QCN9074', plugin: ath11k.plugin, create: ath11k.createSimulatedCard, write: ath11k.writeSimulatedFirmwareDir, profiles: ATH11K_SIM_PROFILES, features: [] as number[] },
    { family: 'ath12k', chip: 'WCN7850', plugin: ath12k.plugin, create: ath12k.createSimulatedCard, write: ath12k.writeSimulatedFirmwareDir, profiles: ATH12K_SIM_PROFILES, features: [1] },
  ] as const;

  for (const c of cases) {
    it(`should load ${c.chip}'s M3 from the IE when firmware-2.bin has one and there is no m3.bin`, async () => {
      const profile: SimChipProfile = c.profiles[c.chip];
      const pciAddress = '0000:01:00.0';
      const ie = pseudoRandomBytes(`${c.chip}/m3-ie`, 48 * 1024 + 12);
      const files = { ...simulatedFiles(profile, 0x1a, 'pci', pciAddress), m3: ie };
      rig = await createRig([c.plugin]);
      const card = c.create({ chip: c.chip, pciAddress, boardId: 0x1a, expectedFiles: files });
      await c.write(rig.firmwareDir, [card]);
      const chipDir = path.join(rig.firmwareDir, c.family, profile.chip, profile.hwRev);
      await fs.rm(path.join(chipDir, 'm3.bin'), { force: true });
      await fs.writeFile(
        path.join(chipDir, 'firmware-2.bin'),
        buildFwContainer(c.family, [...(c.features.length ? [{ id: FwIe.FEATURES, data: featureBytes(c.features) }] : []), { id: FwIe.M3_IMAGE, data: ie }]),
      );
      await rig.host.start(c.family);
      await card.attach(rig.router);
      const [status] = await rig.loader(c.family).whenReady([card.key], 10_000);
      expect(card.boots.flatMap((b) => b.violations)).to.deep.equal([]);
      expect(status.m3File).to.equal(path.join(chipDir, 'firmware-2.bin#M3_IMAGE'));
      const [m3Info] = requestsNamed(card, 'M3_INFO') as { addr: bigint; size: number }[];
      expect(m3Info.size).to.equal(ie.length);
      expect(Buffer.from(card.memory!.read(m3Info.addr, m3Info.size)).equals(Buffer.from(ie))).to.equal(true);
    });
  }

  it('should make the simulated firmware refuse M3_INFO whose bytes are not the M3 image the kernel loads (here m3.bin where the firmware expects the IE)', async () => {
    const profile = ATH11K_SIM_PROFILES.QCN9074;
    const pciAddress = '0000:01:00.0';
    const ie = pseudoRandomBytes('QCN9074/m3-ie', 48 * 1024 + 12);
    // The firmware expects the IE's bytes; the directory has only m3.bin, whose bytes the loader copies.
    rig = await createRig([ath11k.plugin]);
    const card = ath11k.createSimulatedCard({ chip: 'QCN9074', pciAddress, boardId: 0x1a, expectedFiles: { ...simulatedFiles(profile, 0x1a, 'pci', pciAddress), m3: ie } });
    await ath11k.writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const loader = rig.loader('ath11k');
    const deadline = Date.now() + 10_000;
    while (!['ready', 'failed'].includes(loader.snapshot()[0]?.state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(loader.snapshot()[0].state).to.equal('failed');
    expect(card.boots.flatMap((b) => b.violations)).to.deep.equal([`M3_INFO size 65536, the M3 image (firmware-2.bin M3 IE, else m3.bin) has ${ie.length} bytes`]);
  });
});
