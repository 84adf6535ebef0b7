import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BENCH_FIGURES_FILE,
  CHAOS_FIGURES_FILE,
  markdownTable,
  readBenchFigures,
  readmeBenchBlocks,
  recordBenchFigures,
} from '../../support/bench-figures';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A repository with a README holding `body`. */
function repository(body: string): string {
  const root = mkdtempSync(join(tmpdir(), 'handover-bench-figures-'));
  made.push(root);
  writeFileSync(join(root, 'README.md'), body);
  mkdirSync(join(root, 'docs'));
  return root;
}

describe('Function: recordBenchFigures', () => {
  it('writes the tables into README between their markers and into docs/benchmarks.json', () => {
    // GIVEN
    const root = repository(
      '# Bench\n\nBefore.\n\n<!-- bench:sizes -->\n| old |\n<!-- /bench:sizes -->\n\nAfter.\n',
    );
    const table = markdownTable(['intro', '| a | b |', '|---|---|', '| 1 | 2 |', 'outro']);

    // WHEN
    recordBenchFigures({ sizes: table }, { root, now: new Date('2026-12-01T00:00:00Z') });

    // THEN
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(readme).toBe(
      '# Bench\n\nBefore.\n\n<!-- bench:sizes -->\n| a | b |\n|---|---|\n| 1 | 2 |\n<!-- /bench:sizes -->\n\nAfter.\n',
    );
    expect(readmeBenchBlocks(readme)).toEqual({ sizes: table });
    expect(readBenchFigures(root)).toMatchObject({
      command: 'npm run bench',
      ranAt: '2026-12-01T00:00:00.000Z',
      tables: { sizes: table },
    });
    expect(BENCH_FIGURES_FILE).toBe('docs/benchmarks.json');
  });

  it('keeps the figures of npm run chaos in their own file, leaving the bench figures and other blocks alone', () => {
    // GIVEN
    const root = repository(
      '<!-- bench:sizes -->\n| a |\n|---|\n| 1 |\n<!-- /bench:sizes -->\n<!-- bench:chaos -->\n| old |\n<!-- /bench:chaos -->\n',
    );
    recordBenchFigures({ sizes: '| a |\n|---|\n| 1 |' }, { root });
    const chaos = '| schedules | violations |\n|---|---|\n| 500 | 0 |';

    // WHEN
    recordBenchFigures({ chaos }, { root, command: 'npm run chaos' });

    // THEN
    expect(readmeBenchBlocks(readFileSync(join(root, 'README.md'), 'utf8'))).toEqual({
      sizes: '| a |\n|---|\n| 1 |',
      chaos,
    });
    expect(readBenchFigures(root).tables).toEqual({ sizes: '| a |\n|---|\n| 1 |' });
    expect(readBenchFigures(root, 'npm run chaos')).toMatchObject({
      command: 'npm run chaos',
      tables: { chaos },
    });
    expect(CHAOS_FIGURES_FILE).toBe('docs/chaos.json');
  });

  it('refuses a table README has no block for, naming the markers to add, and changes nothing', () => {
    // GIVEN
    const root = repository('# Bench\n');

    // WHEN / THEN
    expect(() => recordBenchFigures({ speed: '| a |\n|---|\n| 1 |' }, { root })).toThrow(
      'README has no block for speed: add <!-- bench:<id> --> and <!-- /bench:<id> --> lines where the table goes',
    );
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toBe('# Bench\n');
  });
});
