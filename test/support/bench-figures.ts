/**
 * README's benchmark figures come from the last `npm run bench`, never from memory: the bench calls
 * {@link recordBenchFigures} with the tables it printed, which writes them to `docs/benchmarks.json`
 * (committed) and into README between the markers `<!-- bench:<id> -->` and `<!-- /bench:<id> -->`.
 * `test/unit/repo/readme-figures.test.ts` checks that README holds exactly the recorded tables.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root. */
const ROOT = resolve(import.meta.dirname, '../..');

/** Where the figures of the last run are kept (relative to the repository root). */
export const BENCH_FIGURES_FILE = 'docs/benchmarks.json';

/** Where the figures of the last full `npm run chaos` are kept (its README block: `bench:chaos`). */
export const CHAOS_FIGURES_FILE = 'docs/chaos.json';

/** The commands whose figures README quotes, and the file each records them in. */
export const FIGURES_FILES = {
  'npm run bench': BENCH_FIGURES_FILE,
  'npm run chaos': CHAOS_FIGURES_FILE,
} as const;

/** What one `npm run bench` (or `npm run chaos`) recorded. */
export interface BenchFigures {
  /** The command that produced them. */
  readonly command: keyof typeof FIGURES_FILES;
  /** When it ran (ISO 8601). */
  readonly ranAt: string;
  /** The Node.js version the bench ran on. */
  readonly node: string;
  /** The CPUs the machine offered. */
  readonly cpus: number;
  /** Each table the bench printed, by id, as Markdown (header, separator and rows). */
  readonly tables: Readonly<Record<string, string>>;
}

const BLOCK = /<!-- bench:([a-z0-9-]+) -->\n([\s\S]*?)\n<!-- \/bench:\1 -->/g;

/** README's benchmark blocks, by id. */
export function readmeBenchBlocks(readme: string): Record<string, string> {
  return Object.fromEntries([...readme.matchAll(BLOCK)].map((match) => [match[1] ?? '', match[2] ?? '']));
}

/** README with each block replaced by the table of the same id; every table needs its block. */
export function withBenchTables(readme: string, tables: Readonly<Record<string, string>>): string {
  const missing = Object.keys(tables).filter((id) => !readme.includes(`<!-- bench:${id} -->`));
  if (missing.length > 0) {
    throw new Error(
      `README has no block for ${missing.join(', ')}: add <!-- bench:<id> --> and <!-- /bench:<id> --> lines where the table goes`,
    );
  }
  return readme.replace(BLOCK, (block, id: string) =>
    tables[id] === undefined ? block : `<!-- bench:${id} -->\n${tables[id]}\n<!-- /bench:${id} -->`,
  );
}

/** The Markdown table in printed lines: every line that starts with `|`, in order. */
export function markdownTable(lines: readonly string[]): string {
  return lines.filter((line) => line.startsWith('|')).join('\n');
}

/**
 * Records the tables of a bench run: `docs/benchmarks.json`, and README's blocks. Call it at the
 * end of `npm run bench` with every table README quotes.
 *
 * @example
 * ```ts
 * recordBenchFigures({ rotations: markdownTable(rotationLines), bundles: markdownTable(bundleLines) });
 * ```
 */
export function recordBenchFigures(
  tables: Readonly<Record<string, string>>,
  options: {
    readonly root?: string;
    readonly now?: Date;
    readonly command?: BenchFigures['command'];
  } = {},
): BenchFigures {
  const root = options.root ?? ROOT;
  const command = options.command ?? 'npm run bench';
  const figures: BenchFigures = {
    command,
    ranAt: (options.now ?? new Date()).toISOString(),
    node: process.version,
    cpus: availableParallelism(),
    tables,
  };
  const readmePath = join(root, 'README.md');
  const readme = withBenchTables(readFileSync(readmePath, 'utf8'), tables);
  writeFileSync(join(root, FIGURES_FILES[command]), `${JSON.stringify(figures, null, 2)}\n`);
  writeFileSync(readmePath, readme);
  return figures;
}

/** The figures of the last run of `command`. */
export function readBenchFigures(
  root: string = ROOT,
  command: BenchFigures['command'] = 'npm run bench',
): BenchFigures {
  return JSON.parse(readFileSync(join(root, FIGURES_FILES[command]), 'utf8')) as BenchFigures;
}
