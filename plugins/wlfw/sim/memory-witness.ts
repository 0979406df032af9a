import type { SimChipProfile } from './sim-profile';
import { SimulatedDmaFaultError, type SimulatedHostMemory } from './simulated-host-memory';

/**
 * What the simulated firmware checks of the memory it is given, against the kernel (not
 * the loader): every RESPOND_MEM address is backed by host memory of that size, or is the
 * reserved-memory address ath11k_qmi_assign_target_mem_chunk places it at (profile
 * `fixedMemoryAnswer`, from a real IPQ8074 log); M3_INFO names a buffer holding m3.bin; on
 * fixed-BDF chips the board bytes are at bdf_addr. Each returns the refusal, or undefined.
 */
export class MemoryWitness {
  constructor(
    private readonly profile: SimChipProfile,
    private readonly memory: SimulatedHostMemory | undefined,
  ) {}

  respondMem(asked: readonly { size: number; type: number }[], got: readonly { addr: bigint; size: number; type: number }[]): string | undefined {
    const fixed = this.profile.fixedMemoryAnswer;
    if (fixed) {
      const want = fixed.map((s) => `${s.type}/${s.size}@0x${s.addr.toString(16)}`).join(', ');
      const have = got.map((s) => `${s.type}/${s.size}@0x${s.addr.toString(16)}`).join(', ');
      return want === have ? this.backed(got) : `RESPOND_MEM ${have || 'empty'}, expected the reserved-memory answer ${want}`;
    }
    const ok = got.length === asked.length && got.every((s, i) => s.size === asked[i].size && s.type === asked[i].type);
    if (!ok) return 'RESPOND_MEM does not match the request';
    return this.backed(got.filter((s) => !this.profile.paddrZeroTypes?.includes(s.type)), got.filter((s) => this.profile.paddrZeroTypes?.includes(s.type)));
  }

  /** Every segment's address must be host memory of its size; unsupported types (ath12k) must be 0. */
  private backed(segs: readonly { addr: bigint; size: number; type: number }[], zero: readonly { addr: bigint; type: number }[] = []): string | undefined {
    const nonZero = zero.find((s) => s.addr !== 0n);
    if (nonZero) return `RESPOND_MEM type ${nonZero.type} at 0x${nonZero.addr.toString(16)}; the kernel answers this type with paddr 0`;
    for (const s of segs) {
      if (s.addr === 0n && this.profile.fixedMemoryAnswer) continue;
      if (s.addr === 0n) return `RESPOND_MEM type ${s.type} with address 0`;
      if (!this.memory) return 'RESPOND_MEM names addresses but the card lent no host memory';
      if (!this.memory.backs(s.addr, s.size)) return `RESPOND_MEM type ${s.type}: 0x${s.addr.toString(16)} (+${s.size}) is not host memory lent to the card (DMA would fault)`;
    }
    return undefined;
  }

  /** M3_INFO: the bytes at addr must be the M3 image the kernel loads (firmware-2.bin's M3 IE when it has one, else m3.bin). */
  m3(addr: bigint, size: number, expected: Uint8Array | undefined): string | undefined {
    if (!expected) return undefined;
    if (size !== expected.length) return `M3_INFO size ${size}, the M3 image (firmware-2.bin M3 IE, else m3.bin) has ${expected.length} bytes`;
    const held = this.holds(addr, expected);
    if (typeof held === 'string') return `M3_INFO: ${held}`;
    return held ? undefined : `M3_INFO: the ${size} bytes at 0x${addr.toString(16)} are not the M3 image`;
  }

  /** Fixed-BDF chips: the file's bytes at bdf_addr (+ cal_offset for caldata), as the data-less BDF_DOWNLOAD announces. */
  fixedBdf(caldata: boolean, expected: Uint8Array): string | undefined {
    const base = this.profile.bdfAddr;
    if (base === undefined) return 'fixed-BDF chip without bdf_addr in its profile';
    const at = base + BigInt(caldata ? this.profile.calOffset ?? 0 : 0);
    const held = this.holds(at, expected);
    if (typeof held === 'string') return `BDF_DOWNLOAD: ${held}`;
    return held ? undefined : `BDF_DOWNLOAD: the ${expected.length} bytes at 0x${at.toString(16)} are not the ${caldata ? 'caldata' : 'board'} file`;
  }

  /** Whether the device's DMA read at addr gives `expected`, or why it faults. */
  private holds(addr: bigint, expected: Uint8Array): boolean | string {
    if (!this.memory) return 'the card lent no host memory';
    try {
      return this.memory.holds(addr, expected);
    } catch (err) {
      if (err instanceof SimulatedDmaFaultError) return err.message;
      throw err;
    }
  }
}
