import {
  DeviceDmaAllocationError,
  DeviceMemoryUnavailableError,
  type DeviceDmaBuffer,
  type DeviceMemoryProvider,
  type PluginLogger,
} from '../../../src/sdk';
import type { WlfwChipParams, WlfwFamily } from './chip-params';
import { WlfwFixedMemoryError, WlfwHostMemoryError } from './errors';

/** REQUEST_MEM segment types (ath11k/qmi.h, ath12k/qmi.h enum ath1xk_qmi_target_mem). */
export const TargetMemType = { HOST_DDR: 1, BDF: 2, M3_DUMP: 3, CALDB: 4, MLO_GLOBAL: 8, PAGEABLE: 9 } as const;

/** ath11k/qmi.h ATH11K_QMI_FW_MEM_REQ_SEGMENT_CNT: at most this many segments may get the delayed answer. */
export const ATH11K_QMI_FW_MEM_REQ_SEGMENT_CNT = 5;
/** ath12k/qmi.h ATH12K_QMI_MAX_CHUNK_SIZE: only a failed chunk above it gets the delayed answer. */
export const ATH12K_QMI_MAX_CHUNK_SIZE = 2 * 1024 * 1024;
/** ath11k/qmi.h ATH11K_QMI_CALDB_ADDRESS, the CALDB address without DT region when cold-boot calibration runs. */
export const ATH11K_QMI_CALDB_ADDRESS = 0x4ba0_0000n;
/** ath11k/qmi.h ATH11K_QMI_CALDB_SIZE: a larger CALDB request is refused (ath11k_qmi_assign_target_mem_chunk). */
export const ATH11K_QMI_CALDB_SIZE = 0x48_0000;
/** ath12k/hw.c IPQ5332 hw_params.bdf_addr_offset: BDF goes this far into the first reserved region. */
export const ATH12K_IPQ5332_BDF_ADDR_OFFSET = 0xc0_0000n;
/** ath11k/hw.h fw.cal_offset (ATH11K_CAL_OFFSET? 128 KiB on IPQ8074-class): caldata goes this far past bdf_addr. */
export const ATH11K_FIXED_BDF_CAL_OFFSET = 128 * 1024;

/**
 * hw_params.bdf_addr of the fixed-BDF AHB chips (ath11k/core.c ath11k_hw_params[]: IPQ8074
 * 0x4B0C0000, IPQ6018 0x4ABC0000, IPQ5018 0x4BA00000); the DT's qcom,bdf-addr wins.
 */
export const KERNEL_BDF_ADDR: Readonly<Record<string, bigint>> = { IPQ8074: 0x4b0c_0000n, IPQ6018: 0x4abc_0000n, IPQ5018: 0x4ba0_0000n };

export interface RequestedSegment {
  readonly size: number;
  readonly type: number;
}

export interface AnsweredSegment {
  readonly addr: bigint;
  readonly size: number;
  readonly type: number;
  readonly restore: number;
}

/** RESPOND_MEM: the segments, or the delayed (empty) answer after which the firmware asks again smaller. */
export type MemoryAnswer = { readonly delayed: true; readonly failed: RequestedSegment } | { readonly delayed: false; readonly segments: readonly AnsweredSegment[] };

interface Chunk {
  readonly type: number;
  readonly size: number;
  readonly buffer: DeviceDmaBuffer | undefined;
}

/** MLO_GLOBAL chunks of one ath12k hardware group (ag->mlo_mem), shared by its devices. */
export interface MloPool {
  chunks: DeviceDmaBuffer[];
  readonly users: Set<string>;
}

/** Group id → its MLO_GLOBAL pool; one map per loader. */
export type MloPools = Map<string, MloPool>;

/**
 * One card's firmware memory, as ath11k/ath12k qmi.c keep it in `ab->qmi.target_mem` and
 * `m3_mem`: coherent buffers from the link's {@link DeviceMemoryProvider} (never an
 * invented address), kept across firmware reloads when the request repeats type and size
 * (ath11k_qmi_alloc_target_mem_chunk, ath12k_qmi_alloc_chunk "Firmware reloads in
 * recovery/resume"), reserved regions for the fixed-memory AHB chips, and the fixed-BDF
 * copy. Released when the card stops.
 */
export class WlfwTargetMemory {
  private chunks: Chunk[] = [];
  private m3: DeviceDmaBuffer | undefined;
  private mlo: { pools: MloPools; id: string } | undefined;

  constructor(
    private readonly card: string,
    private readonly family: WlfwFamily,
    private readonly provider: DeviceMemoryProvider | undefined,
    private readonly logger: PluginLogger,
    /** Largest coherent allocation the loader attempts (option dmaChunkLimit); larger counts as a failed allocation. */
    private readonly chunkLimit: number,
  ) {}

  /** Who provides the memory, for status. */
  get providerKind(): string | undefined {
    return this.provider?.kind;
  }

  /** MLO_GLOBAL chunks are shared by every card of `groupId` that uses the same pool map (one per loader). */
  joinMloGroup(pools: MloPools, groupId: string): void {
    this.mlo = { pools, id: groupId };
  }

  /** ath1xk_qmi_msg_mem_request_cb → alloc or assign: what RESPOND_MEM carries. */
  answer(chip: WlfwChipParams, requested: readonly RequestedSegment[], coldBootCal: boolean): MemoryAnswer {
    const provider = this.need('RESPOND_MEM');
    if (chip.fixedMemRegion) return { delayed: false, segments: this.assignFixed(chip, provider, requested, coldBootCal) };
    return this.family === 'ath11k' ? this.allocAth11k(provider, requested) : this.allocAth12k(provider, requested);
  }

  /** ath1xk_qmi_m3_load: m3.bin into a coherent buffer (kept across reloads when large enough); M3_INFO's addr/size. */
  loadM3(data: Uint8Array): { addr: bigint; size: number } {
    const provider = this.need('M3_INFO');
    if (this.m3 && this.m3.size < data.length) {
      this.m3.free();
      this.m3 = undefined;
    }
    this.m3 ??= this.tryAlloc(provider, data.length);
    if (!this.m3) throw new WlfwHostMemoryError(this.card, data.length, this.chunkLimit, 1);
    this.m3.write(data, 0);
    return { addr: this.m3.busAddress, size: data.length };
  }

  /**
   * ath11k_qmi_load_file_target_mem on fixed_bdf_addr chips: memcpy_toio of the board file
   * at bdf_addr (DT qcom,bdf-addr, else hw_params.bdf_addr), caldata at + fw.cal_offset.
   */
  writeFixedBdf(chip: WlfwChipParams, caldata: boolean, data: Uint8Array): bigint {
    const provider = this.need('the fixed-address board data');
    // ath12k (IPQ5332): the BDF sits at the memory-region + ATH12K_IPQ5332_BDF_ADDR_OFFSET, as assignFixed places it.
    const region0 = provider.memoryRegion;
    const bdf = this.family === 'ath12k' ? region0 && region0.busAddress + ATH12K_IPQ5332_BDF_ADDR_OFFSET : provider.fixedAddresses?.bdf ?? KERNEL_BDF_ADDR[chip.chip];
    if (bdf === undefined) throw new WlfwFixedMemoryError(this.card, 'BDF', `no qcom,bdf-addr in the device tree and no hw_params.bdf_addr for ${chip.chip}`);
    const at = bdf + BigInt(caldata ? ATH11K_FIXED_BDF_CAL_OFFSET : 0);
    provider.writeReserved(at, data);
    return at;
  }

  /** Frees every buffer (card stopped or device gone): dma_free_coherent of target_mem and m3_mem. */
  release(): void {
    for (const c of this.chunks) c.buffer?.free();
    this.chunks = [];
    this.m3?.free();
    this.m3 = undefined;
    this.leaveMlo();
  }

  private need(what: string): DeviceMemoryProvider {
    if (!this.provider) throw new DeviceMemoryUnavailableError(this.card, what);
    return this.provider;
  }

  private tryAlloc(provider: DeviceMemoryProvider, size: number): DeviceDmaBuffer | undefined {
    if (size > this.chunkLimit) return undefined;
    try {
      return provider.allocateCoherent(size);
    } catch (err) {
      if (err instanceof DeviceDmaAllocationError) return undefined;
      throw err;
    }
  }

  /** Reuses the chunk at `i` when the reloaded firmware asks the same type and size, else frees it. */
  private reuse(i: number, seg: RequestedSegment): DeviceDmaBuffer | undefined {
    const prev = this.chunks[i];
    if (prev?.buffer && prev.type === seg.type && prev.size === seg.size) return prev.buffer;
    prev?.buffer?.free();
    return undefined;
  }

  /**
   * ath11k_qmi_alloc_target_mem_chunk: every segment gets a buffer; when one fails and the
   * firmware asked for at most ATH11K_QMI_FW_MEM_REQ_SEGMENT_CNT segments, everything is freed
   * and the answer is delayed; with more segments it is an error.
   */
  private allocAth11k(provider: DeviceMemoryProvider, requested: readonly RequestedSegment[]): MemoryAnswer {
    const next: Chunk[] = [];
    for (let i = 0; i < requested.length; i++) {
      const seg = requested[i];
      const buffer = this.reuse(i, seg) ?? this.tryAlloc(provider, seg.size);
      if (!buffer) {
        for (const c of next) c.buffer?.free();
        for (const c of this.chunks.slice(i)) c.buffer?.free();
        this.chunks = [];
        if (requested.length <= ATH11K_QMI_FW_MEM_REQ_SEGMENT_CNT) {
          this.logger.debug({ size: seg.size, type: seg.type }, 'dma allocation failed; delayed memory answer');
          return { delayed: true, failed: seg };
        }
        throw new WlfwHostMemoryError(this.card, seg.size, this.chunkLimit, requested.length);
      }
      next.push({ type: seg.type, size: seg.size, buffer });
    }
    for (const c of this.chunks.slice(requested.length)) c.buffer?.free();
    this.chunks = next;
    return { delayed: false, segments: next.map((c) => ({ addr: c.buffer!.busAddress, size: c.size, type: c.type, restore: 0 })) };
  }

  /**
   * ath12k_qmi_alloc_target_mem_chunk: only HOST_DDR, M3_DUMP, PAGEABLE and CALDB get buffers;
   * MLO_GLOBAL comes from the group's shared pool (ag->mlo_mem); any other type is answered with
   * paddr 0. A failed chunk above ATH12K_QMI_MAX_CHUNK_SIZE delays the answer; a smaller one is an error.
   */
  private allocAth12k(provider: DeviceMemoryProvider, requested: readonly RequestedSegment[]): MemoryAnswer {
    const next: Chunk[] = [];
    let mloIdx = 0;
    for (let i = 0; i < requested.length; i++) {
      const seg = requested[i];
      switch (seg.type) {
        case TargetMemType.HOST_DDR:
        case TargetMemType.M3_DUMP:
        case TargetMemType.PAGEABLE:
        case TargetMemType.CALDB: {
          const buffer = this.reuse(i, seg) ?? this.tryAlloc(provider, seg.size);
          if (!buffer) {
            for (const c of next) if (c.type !== TargetMemType.MLO_GLOBAL) c.buffer?.free();
            for (const c of this.chunks.slice(i)) if (c.type !== TargetMemType.MLO_GLOBAL) c.buffer?.free();
            this.chunks = [];
            if (seg.size > ATH12K_QMI_MAX_CHUNK_SIZE) {
              this.logger.debug({ size: seg.size, type: seg.type }, 'qmi dma allocation failed; will try later with small size');
              return { delayed: true, failed: seg };
            }
            throw new WlfwHostMemoryError(this.card, seg.size, this.chunkLimit, requested.length);
          }
          next.push({ type: seg.type, size: seg.size, buffer });
          break;
        }
        case TargetMemType.MLO_GLOBAL:
          next.push({ type: seg.type, size: seg.size, buffer: this.mloChunk(provider, mloIdx++, seg) });
          break;
        default:
          this.logger.warn({ type: seg.type, size: seg.size }, 'memory type not supported; answered with paddr 0');
          next.push({ type: seg.type, size: seg.size, buffer: undefined });
      }
    }
    for (const c of this.chunks.slice(requested.length)) if (c.type !== TargetMemType.MLO_GLOBAL) c.buffer?.free();
    // MLO_GLOBAL buffers belong to the group's pool, not to this card.
    this.chunks = next.map((c) => (c.type === TargetMemType.MLO_GLOBAL ? { ...c, buffer: undefined } : c));
    const answer = next.map((c) => ({ addr: c.buffer?.busAddress ?? 0n, size: c.size, type: c.type, restore: 0 }));
    return { delayed: false, segments: answer };
  }

  /** The group's MLO_GLOBAL chunk `idx`: allocated (zeroed) by the first device, the same buffer for the others. */
  private mloChunk(provider: DeviceMemoryProvider, idx: number, seg: RequestedSegment): DeviceDmaBuffer {
    const id = this.mlo?.id ?? `${this.card} (no group)`;
    const pools = this.mlo?.pools ?? new Map<string, MloPool>();
    this.mlo ??= { pools, id };
    let pool = pools.get(id);
    if (!pool) pools.set(id, (pool = { chunks: [], users: new Set() }));
    pool.users.add(this.card);
    const have = pool.chunks[idx];
    if (have) {
      if (have.size !== seg.size) throw new WlfwHostMemoryError(this.card, seg.size, have.size, idx + 1);
      return have;
    }
    const buffer = this.tryAlloc(provider, seg.size);
    if (!buffer) throw new WlfwHostMemoryError(this.card, seg.size, this.chunkLimit, idx + 1);
    pool.chunks[idx] = buffer;
    return buffer;
  }

  private leaveMlo(): void {
    if (!this.mlo) return;
    const pool = this.mlo.pools.get(this.mlo.id);
    if (!pool) return;
    pool.users.delete(this.card);
    if (pool.users.size > 0) return;
    // ath12k_qmi_free_mlo_mem_chunk: the group's MLO memory goes when no device of it is started.
    for (const b of pool.chunks) b?.free();
    this.mlo.pools.delete(this.mlo.id);
  }

  /**
   * ath11k_qmi_assign_target_mem_chunk (IPQ8074/6018/5018) and ath12k_qmi_assign_target_mem_chunk
   * (IPQ5332): HOST_DDR at the first DT memory-region, BDF at bdf_addr, CALDB after HOST_DDR in
   * that region (else qcom,caldb-addr / ATH11K_QMI_CALDB_ADDRESS) when cold-boot calibration runs
   * and 0 otherwise; M3_DUMP only at qcom,m3-dump-addr, else dropped; other types dropped.
   */
  private assignFixed(chip: WlfwChipParams, provider: DeviceMemoryProvider, requested: readonly RequestedSegment[], coldBootCal: boolean): AnsweredSegment[] {
    const region0 = provider.memoryRegion;
    const fixed = provider.fixedAddresses ?? {};
    const out: AnsweredSegment[] = [];
    let hostDdrSize = 0;
    for (const seg of requested) {
      switch (seg.type) {
        case TargetMemType.HOST_DDR:
          if (!region0) throw new WlfwFixedMemoryError(this.card, 'HOST_DDR', 'the device has no reserved memory-region');
          if (seg.size > region0.size) throw new WlfwFixedMemoryError(this.card, 'HOST_DDR', `${seg.size} bytes do not fit ${region0.name} (${region0.size})`);
          hostDdrSize = seg.size;
          out.push({ addr: region0.busAddress, size: seg.size, type: seg.type, restore: 0 });
          break;
        case TargetMemType.BDF: {
          const addr = this.family === 'ath12k' ? region0 && region0.busAddress + ATH12K_IPQ5332_BDF_ADDR_OFFSET : fixed.bdf ?? KERNEL_BDF_ADDR[chip.chip];
          if (addr === undefined) throw new WlfwFixedMemoryError(this.card, 'BDF', `no bdf address for ${chip.chip}`);
          out.push({ addr, size: seg.size, type: seg.type, restore: 0 });
          break;
        }
        case TargetMemType.CALDB: {
          if (this.family === 'ath11k' && seg.size > ATH11K_QMI_CALDB_SIZE) throw new WlfwFixedMemoryError(this.card, 'CALDB', `${seg.size} bytes is more than ATH11K_QMI_CALDB_SIZE ${ATH11K_QMI_CALDB_SIZE}`);
          let addr = 0n;
          if (this.family === 'ath11k' && coldBootCal) addr = region0 ? region0.busAddress + BigInt(hostDdrSize) : fixed.caldb ?? ATH11K_QMI_CALDB_ADDRESS;
          out.push({ addr, size: seg.size, type: seg.type, restore: 0 });
          break;
        }
        case TargetMemType.M3_DUMP:
          if (fixed.m3Dump !== undefined) out.push({ addr: fixed.m3Dump, size: seg.size, type: seg.type, restore: 0 });
          else this.logger.debug({ size: seg.size }, 'no qcom,m3-dump-addr; M3_DUMP segment left out of the answer');
          break;
        default:
          this.logger.warn({ type: seg.type, size: seg.size }, 'qmi ignore invalid mem req type');
      }
    }
    // The kernel ioremaps these addresses unchecked; qrtrd hands the firmware only memory the device's
    // reserved-memory map sets aside (else the firmware would DMA over memory the OS may be using).
    for (const seg of out) {
      if (seg.addr === 0n) continue;
      const inside = provider.reservedRegions.some((r) => seg.addr >= r.busAddress && seg.addr + BigInt(seg.size) <= r.busAddress + BigInt(r.size));
      if (!inside) {
        const name = Object.entries(TargetMemType).find(([, v]) => v === seg.type)?.[0] ?? `type ${seg.type}`;
        throw new WlfwFixedMemoryError(this.card, name, `0x${seg.addr.toString(16)} (+${seg.size}) lies in no reserved-memory region of the device (${provider.reservedRegions.map((r) => r.name).join(', ') || 'none'})`);
      }
    }
    return out;
  }
}

/**
 * ath11k_core_coldboot_cal_support with the module parameter at its default (1) and mission
 * mode: hw_params.coldboot_cal_mm. Until the chip table carries that flag, the fixed-memory
 * AHB chips (IPQ8074/6018/5018, coldboot_cal_mm 1 in mainline) are the ones that calibrate.
 */
export function coldBootCalSupported(chip: WlfwChipParams): boolean {
  const flag = (chip as { coldbootCalMm?: boolean }).coldbootCalMm;
  if (flag !== undefined) return flag;
  return chip.family === 'ath11k' && chip.fixedMemRegion;
}
