import { setTimeout as sleep } from 'node:timers/promises';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { PostgresMode } from '../../lambdas/credentials/postgres/options';
import { MODES, postgresFunctionArn } from './postgres-secrets';
import type { RolloutSummary } from './results';
import type { RolledOutSecret, RunRollout } from './rollout';
import { describeAttempts } from './rotation-functions';
import type { Stage } from './stage';
import type { Timeline } from './timeline';

/** What the story did: failed rotations per PostgreSQL strategy, and every rollout. */
export interface StoryOutcome {
  readonly failedRotations: ReadonlyMap<PostgresMode, number>;
  readonly rollouts: readonly RolloutSummary[];
}

/**
 * The story: `rounds` rounds in which each PostgreSQL secret is rotated (RotateSecret, as the
 * schedule would) while the clients keep working, every successful alternating-users rotation
 * followed by its rollout; then the shared key is rotated once and rolled out.
 */
export async function tellStory(
  stage: Stage,
  timeline: Timeline,
  rollout: RunRollout,
  secrets: {
    readonly postgres: ReadonlyMap<PostgresMode, string>;
    readonly alternating: RolledOutSecret;
    readonly sharedKey: RolledOutSecret;
  },
  rounds: number,
): Promise<StoryOutcome> {
  const { sm, emulator } = stage;
  const rotate = async (arn: string, functionArn: string) => {
    await sm.send(
      new RotateSecretCommand({
        SecretId: arn,
        RotationLambdaARN: functionArn,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    return emulator.secretsManager.waitForRotation(arn);
  };
  timeline.line();
  timeline.line(`${'time'.padStart(9)}  ${'strategy'.padEnd(17)} ${'step'.padEnd(12)} version     duration`);
  const failedRotations = new Map(MODES.map((mode) => [mode, 0]));
  const rollouts: RolloutSummary[] = [];
  await sleep(300);
  for (let round = 1; round <= rounds; round++) {
    for (const mode of MODES) {
      const arn = secrets.postgres.get(mode) ?? '';
      const outcome = await rotate(arn, postgresFunctionArn(mode));
      if (outcome.status !== 'succeeded') failedRotations.set(mode, (failedRotations.get(mode) ?? 0) + 1);
      timeline.event(
        `${mode.padEnd(17)} rotation ${round} ${outcome.status} (${describeAttempts(outcome.steps)})`,
      );
      if (mode === 'alternating-users' && outcome.status === 'succeeded') {
        rollouts.push(await rollout(secrets.alternating, round));
      }
      await sleep(mode === 'alternating-users' ? 100 : 300);
    }
  }
  const shared = secrets.sharedKey;
  const sharedOutcome = await rotate(shared.arn, shared.functionArn);
  timeline.event(
    `shared-key        rotation ${sharedOutcome.status} (${describeAttempts(sharedOutcome.steps)})`,
  );
  if (sharedOutcome.status === 'succeeded') rollouts.push(await rollout(shared, 1));
  await sleep(300);
  return { failedRotations, rollouts };
}
