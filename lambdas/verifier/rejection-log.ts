import { type RejectionOutcome, zeroRejectionCounts } from './constants';

/** Rejection log lines suppressed in a window, by reason. */
export type SuppressedCounts = Record<RejectionOutcome, number>;

/**
 * Decides which rejections get a log line, so a client (or an attacker) sending bad keys cannot
 * flood the logs:
 *
 * - within a window (the verifier's metrics flush interval: {@link endWindow} is called on every
 *   flush), the FIRST rejection per (reason, key id) is logged; repeats are only counted;
 * - at most `maxLinesPerWindow` rejection lines are written per window in total, whatever the number
 *   of distinct key ids (an attacker can invent any number of well-formed ids), so memory and log
 *   volume are bounded by `maxLinesPerWindow`;
 * - everything suppressed is counted by reason and reported in one summary line when the window
 *   ends, and every rejection is counted in the `AuthRejected` metric anyway.
 *
 * No clock is read: deciding costs a size check and one set lookup.
 */
export class RejectionLogLimiter {
  readonly #maxLines: number;
  /** Logged key ids in this window, per reason (`''` for no key id). */
  readonly #logged: Record<RejectionOutcome, Set<string>> = {
    'rejected-unknown': new Set(),
    'rejected-revoked': new Set(),
    'rejected-stale': new Set(),
    'rejected-malformed': new Set(),
  };
  #lines = 0;
  #suppressed = zeroRejectionCounts();
  #anySuppressed = false;

  constructor(maxLinesPerWindow: number) {
    this.#maxLines = maxLinesPerWindow;
  }

  /** Whether this rejection gets a log line; counts it as suppressed otherwise. */
  admit(reason: RejectionOutcome, keyId: string | undefined): boolean {
    // The cap first: a flood of invented key ids costs one comparison each.
    if (this.#lines < this.#maxLines) {
      const logged = this.#logged[reason];
      const key = keyId ?? '';
      if (!logged.has(key)) {
        logged.add(key);
        this.#lines += 1;
        return true;
      }
    }
    this.#suppressed[reason] += 1;
    this.#anySuppressed = true;
    return false;
  }

  /**
   * Ends the window: the next rejection per (reason, key id) is logged again. Returns what was
   * suppressed in the window, or `undefined` when nothing was.
   */
  endWindow(): SuppressedCounts | undefined {
    for (const logged of Object.values(this.#logged)) logged.clear();
    this.#lines = 0;
    if (!this.#anySuppressed) return undefined;
    const counts = this.#suppressed;
    this.#suppressed = zeroRejectionCounts();
    this.#anySuppressed = false;
    return counts;
  }
}
