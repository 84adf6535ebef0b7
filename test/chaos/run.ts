/**
 * `npm run chaos`: randomized fault schedules (fast-check), each driving whole rotations AND
 * rollouts against the AWS emulator and real PostgreSQL, with the invariants checked after every
 * schedule. Options: `--runs N` (default 500), `--seed S` (default: random, printed), `--path P`
 * (replays the schedule fast-check generated at that path for that seed, e.g. a failing one:
 * `npm run chaos -- --seed S --path P`). The last line reads `<N> schedules, <M> violations (seed <S>)`.
 */
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
process.stdout.write(`${result.schedules} schedules, ${result.violations} violations (seed ${seed})\n`);
process.exitCode = result.violations > 0 ? 1 : 0;
