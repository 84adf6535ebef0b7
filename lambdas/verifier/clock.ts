/** A scheduled callback, as the clock returns it. */
export type VerifierTimer = unknown;

/**
 * Time and timers, injectable so tests drive the background refresh and the metrics flush without
 * waiting or mocking globals.
 */
export interface VerifierClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Runs `callback` once after `ms` milliseconds. The timer must not keep the process alive (the
   * system clock `unref`s it).
   */
  setTimeout(callback: () => void, ms: number): VerifierTimer;
  clearTimeout(timer: VerifierTimer): void;
}

/** The real clock: `Date.now` and Node.js timers, unref'd so a verifier never holds a process open. */
export const systemClock: VerifierClock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(timer) {
    clearTimeout(timer as ReturnType<typeof setTimeout>);
  },
};
