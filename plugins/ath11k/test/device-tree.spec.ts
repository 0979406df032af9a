import { expect } from 'chai';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readDeviceTree, reservedMemoryOf } from '../../../src/testing/devices';
import { plugin, createSimulatedCard, writeSimulatedFirmwareDir } from '../index';
import { createRig, requestsNamed, type Rig } from '../../wlfw/test/rig';
import { parseLoaderOptions, wlfwConfigSchema } from '../../wlfw/src';
import { PluginConfigError, checkConfig } from '../../../src/sdk';
import { compileDts, dtbToDirectory, requireDtc } from '../../../test/links/devicetree/dt-tools';

/** A DTS fixture next to this test's source (not compiled into dist). */
function fixture(name: string): string {
  const rel = path.join('plugins', 'ath11k', 'test', 'fixtures', name);
  const found = [path.resolve(__dirname, '../../../..', rel), path.resolve(process.cwd(), rel)].find((p) => fs.existsSync(p));
  if (!found) throw new Error(`fixture ${rel} not found`);
  return fs.readFileSync(found, 'utf8');
}

/**
 * AHB cards whose reserved memory comes from a real device tree compiled by dtc, in both forms
 * the host can meet it: a flattened blob and the kernel's directory form. The fixtures' reserved
 * memory follows the upstream dtsi files (see their headers).
 */
describe('ath11k AHB cards with the reserved-memory map of their device tree', function () {
  this.timeout(30_000);
  let dir: string;
  let rig: Rig | undefined;

  before(function () {
    requireDtc(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qrtrd-ath-dt-'));
  });
  afterEach(async () => {
    await rig?.close();
    rig = undefined;
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  async function bothForms(name: string, source: string, compatible: string): Promise<{ dtb: ReturnType<typeof reservedMemoryOf>; tree: ReturnType<typeof reservedMemoryOf> }> {
    const dtb = compileDts(source, path.join(dir, `${name}.dtb`));
    const base = path.join(dir, `${name}-base`);
    dtbToDirectory(dtb, base);
    return { dtb: reservedMemoryOf(await readDeviceTree(dtb), { compatible }), tree: reservedMemoryOf(await readDeviceTree(base), { compatible }) };
  }

  it('should read IPQ6018 q6_region memory@4ab00000 (ipq6018.dtsi, 0x5500000 bytes) from the .dtb and the directory form alike', async () => {
    const { dtb, tree } = await bothForms('ipq6018', fixture('ipq6018-wifi.dts'), 'qcom,ipq6018-wifi');
    expect(tree).to.deep.equal(dtb);
    expect(dtb.regions.map((r) => [r.name, `0x${r.busAddress.toString(16)}`, `0x${r.size.toString(16)}`])).to.deep.equal([
      ['memory@60000', '0x60000', '0x6000'],
      ['memory@4a600000', '0x4a600000', '0x400000'],
      ['memory@4aa00000', '0x4aa00000', '0x100000'],
      ['memory@4ab00000', '0x4ab00000', '0x5500000'],
    ]);
    expect(dtb.memoryRegion).to.equal(undefined);
  });

  for (const c of [
    { chip: 'IPQ6018', file: 'ipq6018-wifi.dts', compatible: 'qcom,ipq6018-wifi', form: 'dtb', bdf: 0x4abc_0000n },
    { chip: 'IPQ8074', file: 'ipq8074-wifi.dts', compatible: 'qcom,ipq8074-wifi', form: 'directory', bdf: 0x4b0c_0000n },
  ] as const) {
    it(`should bring ${c.chip} up (calibration and mission mode) with its regions read from the ${c.form} form, the firmware finding BDF and caldata in them`, async () => {
      const { dtb, tree } = await bothForms(c.chip, fixture(c.file), c.compatible);
      const reservedMemory = c.form === 'dtb' ? dtb : tree;
      rig = await createRig([plugin]);
      const card = createSimulatedCard({ chip: c.chip, pciAddress: '0000:05:00.0', boardId: 0x12, reservedMemory });
      await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
      await rig.host.start('ath11k');
      await card.attach(rig.router);
      const [status] = await rig.loader('ath11k').whenReady([card.key], 15_000);
      expect(status).to.include({ state: 'ready', chip: c.chip, calDone: true });
      // The simulated firmware read the board and caldata bytes back from the DT's region (memory-witness.ts).
      expect(card.boots.flatMap((b) => b.violations)).to.deep.equal([]);
      expect(card.memory!.reservedRegions).to.deep.equal(reservedMemory.regions);
      const respond = requestsNamed(card, 'RESPOND_MEM').at(-1)!.mem_seg as { addr: bigint; type: number }[];
      expect(respond.map((s) => [s.type, `0x${s.addr.toString(16)}`])).to.deep.equal([[4, '0x4ba00000'], [2, `0x${c.bdf.toString(16)}`]]);
      expect(card.memory!.backs(c.bdf, 60 * 1024)).to.equal(true);
    });
  }

  it("should fail the card with WLFW_FIXED_MEMORY before any address is sent when the DT lacks the firmware's region", async () => {
    // ipq6018-wifi.dts without q6_region: bdf_addr and the CALDB address lie in no reserved memory.
    const source = fixture('ipq6018-wifi.dts')
      .replace(/\t\tq6_region: memory@4ab00000 \{[^}]*\};\n/, '')
      .replace(/\t\t\tmemory-region = <&q6_region>;\n/, '');
    const { dtb: reservedMemory } = await bothForms('ipq6018-no-q6', source, 'qcom,ipq6018-wifi');
    expect(reservedMemory.regions.map((r) => r.name)).to.not.include('memory@4ab00000');
    rig = await createRig([plugin]);
    const card = createSimulatedCard({ chip: 'IPQ6018', pciAddress: '0000:05:00.0', boardId: 0x12, reservedMemory });
    await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
    await rig.host.start('ath11k');
    await card.attach(rig.router);
    const loader = rig.loader('ath11k');
    const deadline = Date.now() + 10_000;
    while (loader.snapshot()[0]?.state !== 'failed' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const [status] = loader.snapshot();
    expect(status.state).to.equal('failed');
    expect(status.lastError?.code).to.equal('WLFW_FIXED_MEMORY');
    expect(status.lastError?.message).to.match(/0x4ba00000 .* lies in no reserved-memory region/);
    expect(requestsNamed(card, 'RESPOND_MEM')).to.deep.equal([]);
  });

  describe('the config form (pluginConfig.ath11k.reservedMemory)', () => {
    const key = 'mhi:0000:05:00.0';
    async function bringUp(reservedMemory: unknown[]): Promise<{ state: string; code?: string }> {
      rig = await createRig([plugin], { ath11k: { reservedMemory } });
      const card = createSimulatedCard({ chip: 'IPQ6018', pciAddress: '0000:05:00.0', boardId: 0x12 });
      await writeSimulatedFirmwareDir(rig.firmwareDir, [card]);
      await rig.host.start('ath11k');
      await card.attach(rig.router);
      const loader = rig.loader('ath11k');
      const deadline = Date.now() + 10_000;
      while (!['ready', 'failed'].includes(loader.snapshot()[0]?.state) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const [status] = loader.snapshot();
      return { state: status.state, code: status.lastError?.code };
    }

    it("should place BDF and CALDB by the configured regions (named as ipq6018.dtsi's q6_region)", async () => {
      expect(await bringUp([{ key, regions: [{ name: 'memory@4ab00000', address: '0x4ab00000', size: '0x5500000' }] }])).to.deep.equal({ state: 'ready', code: undefined });
    });

    it('should use the configured map rather than the link\'s: a map without the q6 region fails WLFW_FIXED_MEMORY', async () => {
      expect(await bringUp([{ key, regions: [{ name: 'memory@4aa00000', address: 0x4aa00000, size: 0x100000 }] }])).to.deep.equal({ state: 'failed', code: 'WLFW_FIXED_MEMORY' });
    });

    it('should refuse a region without an address in the schema and in the parser, naming the key', () => {
      const section = { reservedMemory: [{ key, regions: [{ name: 'q6', size: 1 }] }] };
      expect(checkConfig(wlfwConfigSchema, section).issue?.key).to.equal('reservedMemory[0].regions[0].address');
      expect(() => parseLoaderOptions('ath11k', section)).to.throw(PluginConfigError).with.nested.property('details.key', 'reservedMemory[0].regions[0].address');
    });
  });
});
