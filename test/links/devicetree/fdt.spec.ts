import { expect } from 'chai';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DeviceTreeMalformedError, DeviceTreeMissingError, parseFdt, readDeviceTree, readDeviceTreeDir, reservedMemoryOf, type DeviceTree, type DtNode } from '../../../src/links/devicetree';
import { compileDts, dtbToDirectory, fsToDtb, requireDtc } from './dt-tools';

/** A tree as plain data (names, hex property bytes, children) to compare two readings. */
function plain(node: DtNode): unknown {
  return {
    name: node.name,
    properties: Object.fromEntries([...node.properties].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, Buffer.from(v).toString('hex')])),
    children: [...node.children].sort((a, b) => (a.name < b.name ? -1 : 1)).map(plain),
  };
}

/** The directory form names the root after nothing, and the kernel adds no `name` files for dtc's trees. */
const plainTree = (t: DeviceTree): unknown => plain(t.root);

const DTS = `/dts-v1/;
/ {
  #address-cells = <2>;
  #size-cells = <2>;
  reserved-memory {
    #address-cells = <2>;
    #size-cells = <2>;
    ranges;
    high: region@1_4000_0000 { reg = <0x1 0x40000000 0x0 0x100000>; no-map; };
    hostddr: region@4a900000 { reg = <0x0 0x4a900000 0x0 0x2b00000>; no-map; };
  };
  soc {
    #address-cells = <1>;
    #size-cells = <1>;
    wifi@c000000 {
      compatible = "qcom,ipq5332-wifi";
      reg = <0xc000000 0x1000000>;
      memory-region = <&hostddr &high>;
      qcom,bdf-addr = <0x4b500000>;
      qcom,m3-dump-addr = <0x4d200000>;
    };
    wifi@d000000 { compatible = "qcom,ipq5332-wifi"; status = "disabled"; memory-region = <0x4242>; };
  };
};
`;

describe('device tree reader (src/links/devicetree)', function () {
  this.timeout(30_000);
  let dir: string;
  let dtb: string;
  let blob: Uint8Array;

  before(function () {
    requireDtc(this);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qrtrd-dt-'));
    dtb = compileDts(DTS, path.join(dir, 'test.dtb'));
    blob = new Uint8Array(fs.readFileSync(dtb));
  });
  after(() => dir && fs.rmSync(dir, { recursive: true, force: true }));

  it('should read the same tree from a dtc-built .dtb and from its directory form, which dtc -I fs reads back identically', async () => {
    const fromBlob = parseFdt(blob, dtb);
    const tree = path.join(dir, 'base');
    dtbToDirectory(dtb, tree);
    const fromDir = await readDeviceTreeDir(tree);
    expect(plainTree(fromDir)).to.deep.equal(plainTree(fromBlob));
    // dtc reading the directory (its /proc/device-tree input) gives the same blob content.
    const again = parseFdt(new Uint8Array(fs.readFileSync(fsToDtb(tree, path.join(dir, 'again.dtb')))));
    expect(plainTree(again)).to.deep.equal(plainTree(fromBlob));
    expect(plainTree(await readDeviceTree(dtb))).to.deep.equal(plainTree(fromBlob));
    expect(plainTree(await readDeviceTree(tree))).to.deep.equal(plainTree(fromBlob));
  });

  it("should resolve the device's memory-region phandles to /reserved-memory regs in the declared cells, and its qcom,* addresses", () => {
    const map = reservedMemoryOf(parseFdt(blob), { compatible: 'qcom,ipq5332-wifi' });
    expect(map.regions).to.deep.equal([
      { name: 'region@4a900000', busAddress: 0x4a90_0000n, size: 0x2b0_0000 },
      { name: 'region@1_4000_0000', busAddress: 0x1_4000_0000n, size: 0x100000 },
    ]);
    // Index 0 is the one of_reserved_mem_region_to_resource(dev->of_node, 0, ...) gives the driver.
    expect(map.memoryRegion).to.deep.equal({ name: 'region@4a900000', busAddress: 0x4a90_0000n, size: 0x2b0_0000 });
    expect(map).to.include({ bdf: 0x4b50_0000n, m3Dump: 0x4d20_0000n, caldb: undefined });
  });

  it('should fail typed when the device node is missing or a memory-region phandle names no node', () => {
    const tree = parseFdt(blob, 'test.dtb');
    expect(() => reservedMemoryOf(tree, { compatible: 'qcom,ipq8074-wifi' })).to.throw(DeviceTreeMissingError).with.property('code', 'DT_MISSING');
    expect(() => reservedMemoryOf(tree, { path: '/soc/wifi@d000000' })).to.throw(DeviceTreeMissingError, /phandle 0x4242 names no node/);
  });

  it('should refuse malformed blobs with DT_MALFORMED naming the offset', () => {
    const bad = (mutate: (b: Uint8Array, v: DataView) => void): DeviceTreeMalformedError => {
      const copy = Uint8Array.from(blob);
      mutate(copy, new DataView(copy.buffer));
      try {
        parseFdt(copy);
      } catch (err) {
        expect(err).to.be.instanceOf(DeviceTreeMalformedError);
        return err as DeviceTreeMalformedError;
      }
      throw new Error('parsed');
    };
    expect(bad((b, v) => v.setUint32(0, 0xdeadbeef)).details).to.include({ offset: 0 });
    expect(bad((b, v) => v.setUint32(4, b.length + 1)).message).to.match(/totalsize/);
    expect(bad((b, v) => v.setUint32(20, 15)).message).to.match(/version/);
    const off = new DataView(blob.buffer, blob.byteOffset).getUint32(8, false);
    expect(bad((b, v) => v.setUint32(off, 7)).message).to.match(/unknown struct token 0x7/);
    expect(bad((b, v) => v.setUint32(36, 12)).message).to.match(/without FDT_END|past the struct block|NUL-terminated/);
    expect(() => parseFdt(blob.subarray(0, 39))).to.throw(DeviceTreeMalformedError, /shorter than the 40-byte FDT header/);
  });

  it('should either parse or throw DeviceTreeMalformedError for any corruption of a real blob (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(blob.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(blob.length), (edits, cut) => {
        const copy = Uint8Array.from(blob.subarray(0, Math.max(cut, 1)));
        for (const [at, value] of edits) if (at < copy.length) copy[at] = value;
        try {
          const tree = parseFdt(copy);
          // A tree that parses can be walked for reserved memory without anything but typed errors.
          try {
            reservedMemoryOf(tree, { compatible: 'qcom,ipq5332-wifi' });
          } catch (err) {
            if (!(err instanceof DeviceTreeMissingError)) throw err;
          }
        } catch (err) {
          if (!(err instanceof DeviceTreeMalformedError) && !(err instanceof DeviceTreeMissingError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        expect(() => parseFdt(bytes)).to.throw(DeviceTreeMalformedError);
      }),
    );
  });
});
