/**
 * The sandbox's printed timeline: every line carries the time since the run started, and nothing
 * is printed when the caller asked for silence (the e2e test).
 */
export interface Timeline {
  /** Prints one line as it is (a header, a table row, a note). */
  line(text?: string): void;
  /** Prints one event, prefixed with the time since the start (`  +4.045s  ...`). */
  event(text: string): void;
  /** Milliseconds since the start. */
  elapsedMs(): number;
}

export function createTimeline(print: boolean): Timeline {
  const started = performance.now();
  const line = (text = '') => {
    if (print) process.stdout.write(`${text}\n`);
  };
  return {
    line,
    event: (text) => line(`${`+${((performance.now() - started) / 1000).toFixed(3)}s`.padStart(9)}  ${text}`),
    elapsedMs: () => performance.now() - started,
  };
}
