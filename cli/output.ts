import { SingleBar } from 'cli-progress';

/**
 * Where a verb writes: text lines for people (stdout), or ONE JSON document for scripts
 * (`--json`, stdout), notes and progress on stderr. Verbs build a result object and call
 * {@link Output.result}; in text mode they also print lines as things happen.
 */
export interface Output {
  /** `--json`: only the final document goes to stdout. */
  readonly json: boolean;
  /** A line for people (text mode only). */
  line(text?: string): void;
  /** A note on stderr (both modes): warnings, what is happening, prompts' context. */
  note(text: string): void;
  /** The verb's result: printed as JSON in `--json` mode, ignored otherwise. */
  result(document: unknown): void;
  /** A progress bar on stderr for `total` items (nothing when stderr is not a terminal, or in `--json` mode). */
  progress(total: number, label: string): Progress;
}

/** A progress bar. */
export interface Progress {
  update(done: number, detail?: string): void;
  stop(): void;
}

/** The streams an {@link Output} writes to. */
export interface OutputStreams {
  readonly stdout: Pick<NodeJS.WriteStream, 'write'>;
  readonly stderr: Pick<NodeJS.WriteStream, 'write'> & { readonly isTTY?: boolean };
}

const NO_PROGRESS: Progress = { update: () => undefined, stop: () => undefined };

/** Creates the output of one command. */
export function createOutput(json: boolean, streams: OutputStreams = process): Output {
  return {
    json,
    line(text = '') {
      if (!json) streams.stdout.write(`${text}\n`);
    },
    note(text) {
      streams.stderr.write(`${text}\n`);
    },
    result(document) {
      if (json) streams.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
    },
    progress(total, label) {
      if (json || streams.stderr.isTTY !== true) return NO_PROGRESS;
      const bar = new SingleBar({
        format: `${label} [{bar}] {value}/{total} {detail}`,
        stream: streams.stderr as NodeJS.WriteStream,
        hideCursor: true,
        clearOnComplete: false,
      });
      bar.start(total, 0, { detail: '' });
      return {
        update: (done, detail = '') => bar.update(done, { detail }),
        stop: () => bar.stop(),
      };
    },
  };
}

/** `2d 4h`, `35m`, `12s`: a duration for people. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  if (days > 0) return `${days}d${hours > 0 ? ` ${hours}h` : ''}`;
  if (hours > 0) return `${hours}h${minutes > 0 ? ` ${minutes}m` : ''}`;
  if (minutes > 0) return `${minutes}m`;
  return `${seconds}s`;
}

/** A table of text rows, columns padded to the widest cell. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}
