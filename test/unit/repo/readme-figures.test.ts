/**
 * Figures in README are checked, not remembered: the resource and alarm counts of the example
 * policy against a synth of it (as the infra tests synthesize it: bundling off), and the benchmark
 * tables against the last `npm run bench` (`docs/benchmarks.json`, written by the bench with the
 * tables it printed, which it also writes into README between the `bench:` markers), and the
 * fault-schedule figures against the last full `npm run chaos` (`docs/chaos.json`, likewise).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, describe, expect, it } from 'vitest';
import { policy as examplePolicy } from '../../../infra/policy';
import { readBenchFigures, readmeBenchBlocks } from '../../support/bench-figures';
import { outdirs, policyStack } from '../infra/helpers';

const ROOT = resolve(import.meta.dirname, '../../..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const dirs = outdirs();
afterEach(() => dirs.cleanup());

/** The CloudWatch alarm price README quotes, per alarm-month. */
const ALARM_MONTH_USD = 0.1;

describe('README figures', () => {
  it('states the resource and alarm counts of the example policy that a synth gives, and their alarm cost', () => {
    // GIVEN what README states
    const stated =
      /synthesizes to \*\*(\d+) resources\*\*, among them \*\*(\d+) CloudWatch alarms\*\* \(about\s+\$(\d+\.\d\d) a month at \$0\.10 per alarm\)/.exec(
        readme,
      );
    expect(
      stated,
      'README states "synthesizes to **N resources**, among them **M CloudWatch alarms** (about $X a month at $0.10 per alarm)"',
    ).not.toBeNull();

    // WHEN
    const { stack } = policyStack(examplePolicy, dirs.make());
    const resources = Object.values(
      Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>,
    );

    // THEN
    const alarms = resources.filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm').length;
    expect(Number(stated?.[1])).toBe(resources.length);
    expect(Number(stated?.[2])).toBe(alarms);
    expect(stated?.[3]).toBe((alarms * ALARM_MONTH_USD).toFixed(2));
  });

  it('quotes exactly the tables of the last npm run bench and npm run chaos, and every one of them', () => {
    const runs = (['npm run bench', 'npm run chaos'] as const).map((command) =>
      readBenchFigures(ROOT, command),
    );
    const tables: Record<string, string> = {};
    for (const [index, figures] of runs.entries()) {
      expect(figures.command).toBe(index === 0 ? 'npm run bench' : 'npm run chaos');
      expect(Number.isNaN(Date.parse(figures.ranAt))).toBe(false);
      expect(Object.keys(figures.tables).length).toBeGreaterThan(0);
      Object.assign(tables, figures.tables);
    }
    const blocks = readmeBenchBlocks(readme);
    expect(Object.keys(blocks).sort()).toEqual(Object.keys(tables).sort());
    for (const [id, table] of Object.entries(tables)) {
      expect(table.split('\n').length, `${id}: a header, a separator and rows`).toBeGreaterThan(2);
      expect(blocks[id], `README's bench:${id} block`).toBe(table);
    }
  });

  it('states the last full fault-schedule run as npm run chaos recorded it: at least 500 schedules, 0 violations', () => {
    const chaos = readBenchFigures(ROOT, 'npm run chaos').tables.chaos ?? '';
    const [, , row = ''] = chaos.split('\n');
    const [schedules, violations] = row
      .split('|')
      .slice(1, 3)
      .map((cell) => Number(cell.trim().replace(/,/g, '')));
    expect(schedules).toBeGreaterThanOrEqual(500);
    expect(violations).toBe(0);
  });
});
