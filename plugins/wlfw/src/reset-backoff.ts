/** ath11k/core.h ATH11K_RESET_MAX_FAIL_COUNT_FIRST (ath12k/core.h ATH12K_RESET_MAX_FAIL_COUNT_FIRST): failures that end resets within the window. */
export const RESET_MAX_FAIL_COUNT_FIRST = 3;
/** ath11k/core.h ATH11K_RESET_MAX_FAIL_COUNT_FINAL (ath12k: ATH12K_RESET_MAX_FAIL_COUNT_FINAL): failures that end resets for good. */
export const RESET_MAX_FAIL_COUNT_FINAL = 5;
/** ath11k/core.h ATH11K_RESET_FAIL_TIMEOUT_HZ (20 * HZ; ath12k the same): the window of the first rule. */
export const RESET_FAIL_TIMEOUT_MS = 20_000;

export type ResetDecision = { readonly reset: true; readonly failures: number } | { readonly reset: false; readonly failures: number; readonly reason: string };

/**
 * The reset back-off of ath11k_core_reset / ath12k_core_reset. First the checks: no reset
 * once `fail_cont_count` reached RESET_MAX_FAIL_COUNT_FINAL, nor at RESET_MAX_FAIL_COUNT_FIRST
 * before `reset_fail_timeout`. Then a reset asked for while the previous one has not completed
 * (the card never got back to ready) counts as a failed recovery (`fail_cont_count++`,
 * `reset_fail_timeout = now + 20 s`). The kernel first waits ATH11K_RESET_TIMEOUT_HZ for the
 * previous reset to complete; here a new crash report already proves it did not. A completed recovery ("reset success", ath11k_mac_op_reconfig_complete /
 * ath12k_core_restart) clears the count.
 */
export class ResetBackoff {
  private pending = false;
  private failures = 0;
  private failTimeout = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether to power-cycle the device now (the checks come before the count, as in ath11k_core_reset). */
  request(): ResetDecision {
    if (this.failures >= RESET_MAX_FAIL_COUNT_FINAL) return { reset: false, failures: this.failures, reason: `${this.failures} failed recoveries in all` };
    if (this.failures >= RESET_MAX_FAIL_COUNT_FIRST && this.now() < this.failTimeout) {
      return { reset: false, failures: this.failures, reason: `${this.failures} failed recoveries within ${RESET_FAIL_TIMEOUT_MS / 1000} s` };
    }
    if (this.pending) {
      // reset_count > 1: the previous reset never completed; that recovery failed.
      this.failTimeout = this.now() + RESET_FAIL_TIMEOUT_MS;
      this.failures++;
    }
    this.pending = true;
    return { reset: true, failures: this.failures };
  }

  /** The card came back up: the reset completed. */
  succeeded(): void {
    this.pending = false;
    this.failures = 0;
  }
}
