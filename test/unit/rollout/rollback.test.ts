import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsumerOutcome } from '../../../lambdas/rollout/plan';
import { rollback } from '../../../lambdas/rollout/rollback';
import { ALTERNATING, CONSUMERS, NOW, plan, type RolloutTestWorld, rolloutWorld, succeeded } from './fakes';

const V1 = 'v1-00000000-0000-0000-0000-000000000001';
const V2 = 'v2-00000000-0000-0000-0000-000000000002';
const V3 = 'v3-00000000-0000-0000-0000-000000000003';
const failedCanary: ConsumerOutcome[] = [
  { consumer: 'api', kind: 'lambda', ok: false, error: 'ConsumerError', cause: 'x' },
];

let world: RolloutTestWorld;
beforeEach(() => {
  world = rolloutWorld();
});
afterEach(() => world.restore());

const run = (
  arn: string,
  overrides: { strategy?: typeof ALTERNATING; mode?: 'scheduled' | 'emergency'; main?: boolean } = {},
) =>
  rollback(world.deps, {
    Task: 'rollback',
    rollout: plan(arn, { mode: overrides.mode ?? 'scheduled' }),
    rotation: succeeded(V2, V1),
    strategy: overrides.strategy ?? ALTERNATING,
    results: { canary: failedCanary, ...(overrides.main === true ? { main: [] } : {}) },
  });
const stagesOf = (arn: string) => world.labels(arn).VersionIdsToStages;

describe('Task: rollback', () => {
  it('moves AWSCURRENT back to the old version and returns the consumers of the waves that ran', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);

    // WHEN
    const result = await run(arn);

    // THEN
    expect(stagesOf(arn)).toEqual({ [V1]: ['AWSCURRENT'], [V2]: ['AWSPREVIOUS'] });
    expect(result).toEqual({
      movedCurrent: true,
      currentVersionId: V1,
      consumers: [CONSUMERS[0]],
      at: NOW.toISOString(),
    });
  });

  it('re-points the main wave too when it ran', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);

    // WHEN
    const result = await run(arn, { main: true });

    // THEN
    expect(result.consumers.map((consumer) => consumer.name)).toEqual(['api', 'mirror', 'ci']);
  });

  it.each(['before', 'after'] as const)(
    'converges when moving AWSCURRENT fails %s it takes effect and the task runs again',
    async (timing) => {
      // GIVEN
      const arn = world.createSecret();
      world.rotate(arn, V2);
      world.secretsManager.failCall(world.secretsManager.calls.length + 1, timing);

      // WHEN
      await expect(run(arn)).rejects.toThrow();
      const result = await run(arn);

      // THEN
      expect(stagesOf(arn)).toEqual({ [V1]: ['AWSCURRENT'], [V2]: ['AWSPREVIOUS'] });
      expect(result.movedCurrent).toBe(timing === 'before');
    },
  );

  it('refuses a strategy whose previous credential stops working (single-user), saying why, and moves nothing', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);

    // WHEN / THEN
    await expect(
      run(arn, {
        strategy: {
          ...ALTERNATING,
          variant: 'single-user',
          previousStaysValid: false,
          canRevoke: false,
          canRestore: false,
        },
      }),
    ).rejects.toMatchObject({
      name: 'Handover.RollbackRefused',
      message: expect.stringMatching(
        /postgres single-user cannot roll back: .*cannot un-rotate a password.* AWSCURRENT stays on the new version/,
      ),
    });
    expect(stagesOf(arn)[V2]).toEqual(['AWSCURRENT']);
  });

  it('refuses in emergency mode: a compromised credential is never handed back', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);

    // WHEN / THEN
    await expect(run(arn, { mode: 'emergency' })).rejects.toMatchObject({ name: 'Handover.RollbackRefused' });
    expect(stagesOf(arn)[V2]).toEqual(['AWSCURRENT']);
  });

  it('refuses when the secret was rotated again since, rather than undo the newer rotation', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);
    world.rotate(arn, V3);

    // WHEN / THEN
    await expect(run(arn)).rejects.toThrow(/rotated again since \(AWSCURRENT is on v3-/);
    expect(stagesOf(arn)[V3]).toEqual(['AWSCURRENT']);
  });
});
