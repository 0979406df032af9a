import type { WlfwFamily } from './chip-params';

/** firmware-2.bin magics, NUL included (ath11k/fw.h ATH11K_FIRMWARE_MAGIC, ath12k/fw.h ATH12K_FIRMWARE_MAGIC). */
export const FW_MAGIC: Readonly<Record<WlfwFamily, string>> = { ath11k: 'QCOM-ATH11K-FW', ath12k: 'QCOM-ATH12K-FW' };

/** ATH1xK_FW_API2_FILE. */
export const FW_API2_FILE = 'firmware-2.bin';

/** enum ath1xk_fw_ie_type (fw.h). */
export const FwIe = { TIMESTAMP: 0, FEATURES: 1, AMSS_IMAGE: 2, M3_IMAGE: 3, AMSS_DUALMAC_IMAGE: 4 } as const;

/** enum ath12k_fw_features (ath12k/fw.h): bit numbers of the FEATURES IE. */
export const Ath12kFwFeature = { MULTI_QRTR_ID: 0, MLO: 1 } as const;

/** What firmware-2.bin tells the host (ath1xk_fw_request_firmware_api_n). */
export interface FwContainer {
  readonly timestamp?: number;
  /** Feature bit numbers set in the FEATURES IE. */
  readonly features: ReadonlySet<number>;
  /** The file has a FEATURES IE (ab->fw.fw_features_valid). */
  readonly featuresValid: boolean;
  readonly amssLength?: number;
  /** The M3 image (views into the file), used instead of m3.bin when present (ath1xk_qmi_m3_load). */
  readonly m3?: Uint8Array;
  /** Unknown IE ids, which the kernel warns about and skips. */
  readonly unknownIes: readonly number[];
}

/** firmware-2.bin the kernel would refuse (ath1xk_fw_request_firmware_api_n returns -EINVAL). */
export class FwContainerError extends Error {
  constructor(readonly reason: string, readonly offset: number) {
    super(`${reason} at byte ${offset}`);
  }
}

const FEATURE_COUNT = 64;

/**
 * Parses firmware-2.bin as ath11k/fw.c and ath12k/fw.c do: the NUL-terminated magic padded to 4
 * bytes, then IEs of { le32 id, le32 len, data padded to 4 }; an IE longer than what is left is an
 * error, a missing final padding ends the walk; unknown IEs are skipped.
 */
export function parseFwContainer(data: Uint8Array, family: WlfwFamily): FwContainer {
  const magic = FW_MAGIC[family];
  const magicLen = magic.length + 1;
  if (data.length < magicLen) throw new FwContainerError('firmware image too small to contain magic', 0);
  for (let i = 0; i < magic.length; i++) if (data[i] !== magic.charCodeAt(i)) throw new FwContainerError('invalid firmware magic', i);
  if (data[magic.length] !== 0) throw new FwContainerError('invalid firmware magic', magic.length);
  let offset = (magicLen + 3) & ~3;
  if (offset > data.length) throw new FwContainerError('no space for padding after magic', magicLen);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const features = new Set<number>();
  const unknownIes: number[] = [];
  let timestamp: number | undefined;
  let amssLength: number | undefined;
  let m3: Uint8Array | undefined;
  let featuresValid = false;
  while (data.length - offset > 8) {
    const id = view.getUint32(offset, true);
    const len = view.getUint32(offset + 4, true);
    offset += 8;
    if (data.length - offset < len) throw new FwContainerError(`invalid length for FW IE ${id} (${data.length - offset} < ${len})`, offset - 4);
    const body = data.subarray(offset, offset + len);
    if (id === FwIe.TIMESTAMP) {
      if (len === 4) timestamp = view.getUint32(offset, true);
    } else if (id === FwIe.FEATURES) {
      featuresValid = true;
      for (let bit = 0; bit < FEATURE_COUNT; bit++) {
        const index = bit >> 3;
        if (index === len) break;
        if (body[index] & (1 << (bit & 7))) features.add(bit);
      }
    } else if (id === FwIe.AMSS_IMAGE) amssLength = len;
    else if (id === FwIe.M3_IMAGE) m3 = body;
    else if (id !== FwIe.AMSS_DUALMAC_IMAGE) unknownIes.push(id);
    const padded = (len + 3) & ~3;
    if (padded > data.length - offset) break;
    offset += padded;
  }
  return { timestamp, features, featuresValid, amssLength, m3, unknownIes };
}

/** Builds a firmware-2.bin (for simulators and tests): magic, then the IEs in order. */
export function buildFwContainer(family: WlfwFamily, ies: readonly { id: number; data: Uint8Array }[]): Uint8Array {
  const magicLen = (FW_MAGIC[family].length + 1 + 3) & ~3;
  const total = magicLen + ies.reduce((n, ie) => n + 8 + ((ie.data.length + 3) & ~3), 0);
  const out = new Uint8Array(total);
  for (let i = 0; i < FW_MAGIC[family].length; i++) out[i] = FW_MAGIC[family].charCodeAt(i);
  const view = new DataView(out.buffer);
  let offset = magicLen;
  for (const ie of ies) {
    view.setUint32(offset, ie.id, true);
    view.setUint32(offset + 4, ie.data.length, true);
    out.set(ie.data, offset + 8);
    offset += 8 + ((ie.data.length + 3) & ~3);
  }
  return out;
}

/** The FEATURES IE bytes for a set of feature bits. */
export function featureBytes(bits: readonly number[]): Uint8Array {
  const out = new Uint8Array(Math.max(1, Math.ceil((Math.max(-1, ...bits) + 1) / 8)));
  for (const b of bits) out[b >> 3] |= 1 << (b & 7);
  return out;
}
