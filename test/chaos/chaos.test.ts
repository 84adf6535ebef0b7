import { describe, expect, it } from 'vitest';
import { runChaos } from './runner';

/**
 * A small fixed set of the fault schedules `npm run chaos` runs by the hundred (see `runner.ts`):
 * the same harness, seed and invariants, so a regression of the interlock or the lock shows up in
 * `npm test`. A failure lists each violation with the command that replays its schedule.
 */
describe('Fault schedules: rotations and rollouts under faults, overlaps and takeovers', () => {
  it('breaks no invariant in 16 seeded schedules', async () => {
    const seed = 20_261_203;
    const result = await runChaos({ seed, runs: 16 });

    expect(result.schedules).toBe(16);
    expect(
      result.found,
      result.found.map((line) => `npm run chaos -- --seed ${seed} --path ${line}`).join('\n'),
    ).toEqual([]);
    // The schedules did exercise the interlock and the takeovers, not only quiet rotations.
    expect(Object.keys(result.figures).some((key) => key.startsWith('execution FAILED'))).toBe(true);
  }, 600_000);
});
