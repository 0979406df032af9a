import { expect } from 'chai';
import { SimulatedDmaFaultError, SimulatedHostMemory } from '../sim';

describe('SimulatedHostMemory.holds (the witness compares DMA bytes where they lie)', () => {
  const image = Uint8Array.from({ length: 65536 }, (_, i) => (i * 7 + 3) & 0xff);

  it('should match the bytes a coherent buffer holds at an offset, and refuse one byte changed', () => {
    const memory = new SimulatedHostMemory({ device: 'pci0' });
    const buffer = memory.allocateCoherent(image.length + 4096);
    buffer.write(image, 4096);
    expect(memory.holds(buffer.busAddress + 4096n, image)).to.equal(true);
    expect(memory.holds(buffer.busAddress, image)).to.equal(false); // the image sits 4 KiB in
    const wrong = Uint8Array.from(image);
    wrong[wrong.length - 1] ^= 1;
    expect(memory.holds(buffer.busAddress + 4096n, wrong)).to.equal(false);
  });

  it('should read an untouched buffer as zeros, as freshly allocated coherent memory', () => {
    const memory = new SimulatedHostMemory({ device: 'pci0' });
    const buffer = memory.allocateCoherent(8192);
    expect(memory.holds(buffer.busAddress, new Uint8Array(8192))).to.equal(true);
    expect(memory.holds(buffer.busAddress, image.subarray(0, 8192))).to.equal(false);
  });

  it('should fault on a freed buffer and on a range past its end', () => {
    const memory = new SimulatedHostMemory({ device: 'pci0' });
    const buffer = memory.allocateCoherent(image.length);
    buffer.write(image);
    expect(() => memory.holds(buffer.busAddress + 1n, image)).to.throw(SimulatedDmaFaultError);
    buffer.free();
    expect(() => memory.holds(buffer.busAddress, image)).to.throw(SimulatedDmaFaultError);
  });

  it('should compare reserved-region bytes with the latest write winning (fixed-BDF chips)', () => {
    const region = { name: 'memory@4ab00000', busAddress: 0x4ab0_0000n, size: 0x10_0000 };
    const memory = new SimulatedHostMemory({ device: 'c000000.wifi', reserved: { regions: [region] } });
    memory.writeReserved(region.busAddress, new Uint8Array(image.length).fill(0xee));
    memory.writeReserved(region.busAddress, image);
    expect(memory.holds(region.busAddress, image)).to.equal(true);
    expect(memory.holds(region.busAddress + 16n, image.subarray(16))).to.equal(true);
    expect(memory.holds(region.busAddress + 1n, image.subarray(16))).to.equal(false);
  });
});
