import { QrtrdError } from '../../../src/sdk';

/** Base of the WLFW loader's errors; `details.card` names the card (backend key). */
export class WlfwError extends QrtrdError {}

/** A firmware file the card needs does not exist. */
export class FirmwareFileMissingError extends WlfwError {
  constructor(card: string, kind: string, path: string) {
    super('WLFW_FIRMWARE_MISSING', `Card ${card}: ${kind} file ${path} does not exist; install it or point firmwareDir at the right directory`, {
      card,
      kind,
      path,
    });
  }
}

/** A firmware file exists but cannot be what the chip needs (empty, too large, wrong format). */
export class FirmwareFileCorruptError extends WlfwError {
  constructor(card: string, kind: string, path: string, reason: string) {
    super('WLFW_FIRMWARE_CORRUPT', `Card ${card}: ${kind} file ${path} is corrupt: ${reason}`, { card, kind, path, reason });
  }
}

/** A bring-up step's request failed; `step` is the §4.3 step, the QMI failure is the cause. */
export class WlfwStepFailedError extends WlfwError {
  constructor(card: string, step: string, cause: unknown) {
    const why = cause instanceof QrtrdError ? cause.message : String((cause as Error)?.message ?? cause);
    const qmi = cause as { result?: number; error?: number };
    const suffix = qmi?.result !== undefined ? ` (${step} request failed: ${qmi.result} ${qmi.error})` : '';
    super('WLFW_STEP_FAILED', `Card ${card}: ${step} failed: ${why}${suffix}`, { card, step, result: qmi?.result, error: qmi?.error }, { cause });
  }
}

/** An indication the sequence waits for did not arrive in time. */
export class WlfwIndicationTimeoutError extends WlfwError {
  constructor(card: string, indication: string, timeoutMs: number) {
    super('WLFW_INDICATION_TIMEOUT', `Card ${card}: no ${indication} within ${timeoutMs} ms`, { card, indication, timeoutMs });
  }
}

/** The host cannot provide the memory the firmware asked for. */
export class WlfwHostMemoryError extends WlfwError {
  constructor(card: string, requested: number, limit: number, segments: number) {
    super(
      'WLFW_HOST_MEMORY',
      `Card ${card}: firmware asked for a ${requested}-byte segment (of ${segments}) but the host allocates at most ${limit} bytes per segment`,
      { card, requested, limit, segments },
    );
  }
}

/** The card's capability names a chip this loader's table does not know. */
export class WlfwUnknownChipError extends WlfwError {
  constructor(card: string, instance: number, socId: number | undefined, candidates: readonly string[]) {
    super(
      'WLFW_UNKNOWN_CHIP',
      `Card ${card}: WLFW instance ${instance} with soc_id ${socId === undefined ? 'absent' : '0x' + socId.toString(16)} matches none of ${candidates.join(', ')}`,
      { card, instance, socId, candidates: [...candidates] },
    );
  }
}

/** The firmware went away or asked to be restarted mid bring-up. */
export class WlfwFirmwareCrashError extends WlfwError {
  constructor(card: string, how: string) {
    super('WLFW_FIRMWARE_CRASH', `Card ${card}: firmware crashed (${how}); recovering`, { card, how });
  }
}

/** The bring-up was cancelled (loader stopped). */
export class WlfwCancelledError extends WlfwError {
  constructor(card: string) {
    super('WLFW_CANCELLED', `Card ${card}: bring-up cancelled`, { card });
  }
}

/**
 * A board-2.bin container is malformed (bad magic, an IE running past the end, a
 * zero-length DATA). Nothing is sent to the firmware. `offset` is the byte offset
 * in the file of the IE (or magic) at fault.
 */
export class BoardContainerMalformedError extends WlfwError {
  constructor(path: string, offset: number, reason: string) {
    super('WLFW_BOARD_CONTAINER_MALFORMED', `Board container ${path} is malformed at offset ${offset}: ${reason}`, { path, offset, reason });
  }
}

/** One place the loader looked for board data: a name in a container, or a plain file. */
export interface BoardSearchStep {
  readonly file: string;
  /** The board name searched in `file` (board-2.bin); absent for board.bin. */
  readonly name?: string;
}

/**
 * No board data for the card: none of the names matched in board-2.bin and there is
 * no board.bin. Lists every name and file tried, in order, like the kernel's
 * "failed to fetch board data for X from Y" lines. Nothing is sent to the firmware.
 */
export class BoardDataNotFoundError extends WlfwError {
  constructor(card: string, kind: 'board' | 'regdb', tried: readonly BoardSearchStep[]) {
    const lines = tried.map((t) => (t.name === undefined ? `${t.file}` : `'${t.name}' in ${t.file}`));
    super('WLFW_BOARD_DATA_NOT_FOUND', `Card ${card}: no ${kind} data; tried ${lines.join(', then ')}`, { card, kind, tried: tried.map((t) => ({ ...t })) });
  }
}

/** The card's identity names a PCI device neither ath11k's nor ath12k's table knows. */
export class WlfwUnknownPciDeviceError extends WlfwError {
  constructor(card: string, device: number) {
    super('WLFW_UNKNOWN_PCI_DEVICE', `Card ${card}: PCI device 0x${device.toString(16).padStart(4, '0')} is in no ath11k/ath12k PCI id table`, { card, device });
  }
}

/**
 * A card with no identity (no PCI ids, no DT compatible) registered a WLFW instance both families use:
 * the kernel knows the family from the bus before any QMI, so qrtrd needs `identities` to name it
 * (or `probeFamily: true`, the non-kernel PHY_CAP probe).
 */
export class WlfwIdentityRequiredError extends WlfwError {
  constructor(card: string, instance: number) {
    super(
      'WLFW_IDENTITY_REQUIRED',
      `Card ${card}: WLFW instance ${instance} is used by ath11k and ath12k chips and the card has no identity; add it to cardIdentities (PCI ids or DT compatible) or set probeFamily`,
      { card, instance },
    );
  }
}

/** The PCI probe found a SoC version the driver does not support (ath1xk_pci_probe: -EOPNOTSUPP). */
export class WlfwUnsupportedSocError extends WlfwError {
  constructor(card: string, device: number, socHwVersion: number, socHwSubVersion: number | undefined) {
    super(
      'WLFW_UNSUPPORTED_SOC',
      `Card ${card}: PCI device 0x${device.toString(16)} reports TCSR_SOC_HW_VERSION 0x${socHwVersion.toString(16)}${socHwSubVersion === undefined ? '' : ` (sub 0x${socHwSubVersion.toString(16)})`}, which no hw revision matches`,
      { card, device, socHwVersion, socHwSubVersion },
    );
  }
}

/** The firmware registered another WLFW instance than the one its chip and PCI address give. */
export class WlfwInstanceMismatchError extends WlfwError {
  constructor(card: string, chip: string, instance: number, expected: number) {
    super('WLFW_INSTANCE_MISMATCH', `Card ${card} (${chip}): firmware registered WLFW instance ${instance}, expected ${expected}`, { card, chip, instance, expected });
  }
}

/** Cold-boot calibration did not report CAL_DONE or FW_READY in time (ath11k_qmi_fwreset_from_cold_boot: -ETIMEDOUT). */
export class WlfwColdBootCalTimeoutError extends WlfwError {
  constructor(card: string, timeoutMs: number) {
    super('WLFW_COLD_BOOT_CAL_TIMEOUT', `Card ${card}: cold-boot calibration reported neither CAL_DONE nor FW_READY within ${timeoutMs} ms`, { card, timeoutMs });
  }
}

/** A fixed-memory (AHB) chip asked for a segment its reserved-memory map cannot place. */
export class WlfwFixedMemoryError extends WlfwError {
  constructor(card: string, segment: string, reason: string) {
    super('WLFW_FIXED_MEMORY', `Card ${card}: cannot place the ${segment} segment in reserved memory: ${reason}`, { card, segment, reason });
  }
}

/**
 * The card's firmware kept crashing: the kernel's reset back-off gave up (ath11k/core.c
 * ath11k_core_reset: ATH11K_RESET_MAX_FAIL_COUNT_FIRST within ATH11K_RESET_FAIL_TIMEOUT_HZ, or
 * ATH11K_RESET_MAX_FAIL_COUNT_FINAL in all). Terminal until the card is unplugged or the loader restarts.
 */
export class WlfwResetExhaustedError extends WlfwError {
  constructor(card: string, failures: number, reason: string) {
    super('WLFW_RESET_EXHAUSTED', `Card ${card}: gave up resetting after ${failures} consecutive failures (${reason})`, { card, failures, reason });
  }
}
