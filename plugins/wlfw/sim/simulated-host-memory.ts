import {
  DeviceDmaAllocationError,
  DeviceMemoryRangeError,
  type DeviceDmaBuffer,
  type DeviceMemoryProvider,
  type DeviceReservedMemory,
  type ReservedMemoryRegion,
} from '../../../src/sdk';

/** A device's entry of a reserved-memory map (the DT memory-regions and firmware address properties of its node). */
export type ReservedMemoryEntry = DeviceReservedMemory;

export interface SimulatedHostMemoryOptions {
  /** The device's name, for errors ('0000:01:00.0', 'c000000.wifi'). */
  readonly device: string;
  /**
   * Largest contiguous coherent allocation the simulated host satisfies: above it
   * dma_alloc_coherent fails, as on a fragmented host (default 4 MiB).
   */
  readonly largestAllocation?: number;
  /** Start of the bus-address window this device's allocations come from. */
  readonly windowBase?: bigint;
  /** Fixed regions (AHB chips). */
  readonly reserved?: ReservedMemoryEntry;
}

interface Allocation {
  readonly busAddress: bigint;
  readonly size: number;
  /** Materialised on first write: target memory the host never touches costs nothing here. */
  bytes: Uint8Array | undefined;
  live: boolean;
}

/** What the device side reads when an address is not backed: an IOMMU fault on real hardware. */
export class SimulatedDmaFaultError extends Error {
  constructor(readonly busAddress: bigint, readonly length: number, reason: string) {
    super(`DMA fault reading ${length} bytes at 0x${busAddress.toString(16)}: ${reason}`);
  }
}

const PAGE = 4096n;

/**
 * Host memory of a simulated device: coherent DMA buffers at bus addresses in a
 * window of their own, and reserved regions, with the bytes the host wrote. The
 * host side is the {@link DeviceMemoryProvider} the link lends the loader; the
 * device side ({@link read}) is what the simulated firmware DMAs from, and it
 * faults on any address that is not a live buffer or a reserved region.
 */
export class SimulatedHostMemory implements DeviceMemoryProvider {
  readonly kind = 'simulated';
  readonly reservedRegions: readonly ReservedMemoryRegion[];
  readonly fixedAddresses: DeviceMemoryProvider['fixedAddresses'];
  readonly memoryRegion: ReservedMemoryRegion | undefined;
  private readonly allocations = new Map<bigint, Allocation>();
  private readonly reservedWrites: { busAddress: bigint; bytes: Uint8Array }[] = [];
  private next: bigint;
  private readonly largest: number;
  /** Every allocation ever made (to check reuse across firmware reloads). */
  allocationCount = 0;

  constructor(private readonly options: SimulatedHostMemoryOptions) {
    this.next = options.windowBase ?? 0x8000_0000n;
    this.largest = options.largestAllocation ?? 4 * 1024 * 1024;
    this.reservedRegions = options.reserved?.regions ?? [];
    this.memoryRegion = options.reserved?.memoryRegion;
    const r = options.reserved;
    this.fixedAddresses = r && { bdf: r.bdf, caldb: r.caldb, m3Dump: r.m3Dump };
  }

  allocateCoherent(size: number): DeviceDmaBuffer {
    if (!Number.isInteger(size) || size <= 0) throw new DeviceDmaAllocationError(this.options.device, size, 'size must be a positive integer');
    if (size > this.largest) throw new DeviceDmaAllocationError(this.options.device, size, `no contiguous block that large (largest ${this.largest})`);
    const busAddress = this.next;
    this.next += ((BigInt(size) + PAGE - 1n) / PAGE) * PAGE;
    const a: Allocation = { busAddress, size, bytes: undefined, live: true };
    this.allocations.set(busAddress, a);
    this.allocationCount++;
    const device = this.options.device;
    return {
      busAddress,
      size,
      write(bytes: Uint8Array, offset = 0): void {
        if (!a.live) throw new DeviceMemoryRangeError(device, busAddress, bytes.length, 'buffer was freed');
        if (offset < 0 || offset + bytes.length > size) throw new DeviceMemoryRangeError(device, busAddress + BigInt(offset), bytes.length, `past the end of a ${size}-byte buffer`);
        a.bytes ??= new Uint8Array(size);
        a.bytes.set(bytes, offset);
      },
      free: (): void => {
        a.live = false;
        this.allocations.delete(busAddress);
      },
    };
  }

  writeReserved(busAddress: bigint, bytes: Uint8Array): void {
    if (!this.regionOf(busAddress, bytes.length)) throw new DeviceMemoryRangeError(this.options.device, busAddress, bytes.length, 'not inside a reserved-memory region of the device');
    this.reservedWrites.push({ busAddress, bytes: Uint8Array.from(bytes) });
  }

  /** Coherent buffers currently allocated. */
  get liveAllocations(): number {
    return this.allocations.size;
  }

  /** True when [busAddress, +size) is a live coherent buffer or lies in a reserved region. */
  backs(busAddress: bigint, size: number): boolean {
    return this.bufferAt(busAddress, size) !== undefined || this.regionOf(busAddress, size) !== undefined;
  }

  /** The device's DMA read. @throws SimulatedDmaFaultError where nothing backs the range. */
  read(busAddress: bigint, length: number): Uint8Array {
    const buf = this.bufferAt(busAddress, length);
    if (buf) {
      const off = Number(busAddress - buf.busAddress);
      return buf.bytes ? buf.bytes.slice(off, off + length) : new Uint8Array(length);
    }
    if (!this.regionOf(busAddress, length)) throw new SimulatedDmaFaultError(busAddress, length, 'no live coherent buffer or reserved region there');
    const out = new Uint8Array(length);
    const end = busAddress + BigInt(length);
    // Later writes win, as in memory.
    for (const w of this.reservedWrites) {
      const wEnd = w.busAddress + BigInt(w.bytes.length);
      if (wEnd <= busAddress || w.busAddress >= end) continue;
      const from = w.busAddress > busAddress ? w.busAddress : busAddress;
      const to = wEnd < end ? wEnd : end;
      out.set(w.bytes.subarray(Number(from - w.busAddress), Number(to - w.busAddress)), Number(from - busAddress));
    }
    return out;
  }

  /**
   * True when the device would read exactly `expected` at busAddress: the witness's check of
   * M3 and board bytes, compared where they lie (no copy of a 64 KiB image per card, as
   * read() makes). @throws SimulatedDmaFaultError where nothing backs the range.
   */
  holds(busAddress: bigint, expected: Uint8Array): boolean {
    const buf = this.bufferAt(busAddress, expected.length);
    if (!buf) return equalBytes(this.read(busAddress, expected.length), expected);
    if (!buf.bytes) return expected.every((b) => b === 0);
    const off = Number(busAddress - buf.busAddress);
    return equalBytes(buf.bytes.subarray(off, off + expected.length), expected);
  }

  private bufferAt(busAddress: bigint, size: number): Allocation | undefined {
    for (const a of this.allocations.values()) {
      if (busAddress >= a.busAddress && busAddress + BigInt(size) <= a.busAddress + BigInt(a.size)) return a;
    }
    return undefined;
  }

  private regionOf(busAddress: bigint, size: number): ReservedMemoryRegion | undefined {
    return this.reservedRegions.find((r) => busAddress >= r.busAddress && busAddress + BigInt(size) <= r.busAddress + BigInt(r.size));
  }
}

/** memcmp through Buffer views of the same bytes (views, not copies). */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}
