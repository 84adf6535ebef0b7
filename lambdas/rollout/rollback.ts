import { UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { StrategyCapabilities } from '../rotation/actions';
import { STAGE } from '../rotation/constants';
import { ROLLOUT_ERRORS } from './contract';
import type { RolloutDeps } from './deps';
import { RolloutError } from './errors';
import { followedNothingToRevoke } from './followed';
import type { RollbackResult, RolloutPlan, RotationProgress, WorkflowState } from './plan';
import { currentVersion, describeSecret } from './secret-state';

/** The rollback task's input. */
export interface RollbackTask {
  readonly Task: 'rollback';
  readonly rollout: RolloutPlan;
  readonly rotation: RotationProgress;
  readonly strategy?: StrategyCapabilities;
  readonly results?: WorkflowState['results'];
}

/**
 * Rolls a failed rollout back, where the strategy allows it: moves AWSCURRENT back to the old
 * version (UpdateSecretVersionStage; the new version becomes AWSPREVIOUS) and returns the
 * consumers of every wave that ran, for the state machine to point back at the old version.
 *
 * Refuses with `Handover.RollbackRefused` when the old credential no longer works
 * (`previousStaysValid` is false: single-user database rotation replaced the only password, so
 * handing it back would break every consumer), when AWSCURRENT has moved on to a version this
 * rollout did not make, or in emergency mode (a compromised credential is never handed back).
 * Idempotent: with AWSCURRENT already on the old version it moves nothing.
 */
export async function rollback(deps: RolloutDeps, task: RollbackTask): Promise<RollbackResult> {
  const plan = task.rollout;
  const versions = task.rotation.versions;
  const fields = {
    step: 'rollback',
    secret_id: plan.secretArn,
    rotation_id: plan.rolloutId,
    credential_type: plan.credentialType,
  };
  const refuse = (why: string): never => {
    deps.logger.warn('rollback refused', { ...fields, outcome: 'refused', reason: why });
    throw new RolloutError(ROLLOUT_ERRORS.rollbackRefused, why);
  };
  if (versions === undefined) return refuse('no rotation completed, so there is nothing to roll back');
  if (plan.mode === 'emergency') {
    return refuse('emergency mode never hands the compromised credential back: fix the consumers instead');
  }
  if (plan.followed !== undefined) {
    return refuse(
      `${followedNothingToRevoke(plan.followed.rotatedBy)}: rolling back would hand consumers a password that no longer works. AWSCURRENT stays on the new version ${versions.newVersionId}: fix the failing consumers and point them at it.`,
    );
  }
  const strategy = task.strategy;
  if (strategy === undefined || !strategy.previousStaysValid) {
    return refuse(
      `${plan.credentialType} ${strategy?.variant ?? ''} cannot roll back: the rotation replaced the only credential (previousStaysValid is false; e.g. a single-user database rotation cannot un-rotate a password), so the old version ${versions.oldVersionId} no longer works and handing it back would break every consumer. AWSCURRENT stays on the new version ${versions.newVersionId}.`.replace(
        /\s+/g,
        ' ',
      ),
    );
  }
  const secret = await describeSecret(deps.secretsManager, plan.secretArn);
  const current = currentVersion(secret);
  let movedCurrent = false;
  if (current === versions.newVersionId) {
    if (secret.versions[versions.oldVersionId] === undefined) {
      refuse(
        `the old version ${versions.oldVersionId} is gone (no staging label left on it), so AWSCURRENT cannot move back`,
      );
    }
    try {
      await deps.secretsManager.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secret.arn,
          VersionStage: STAGE.current,
          MoveToVersionId: versions.oldVersionId,
          RemoveFromVersionId: versions.newVersionId,
        }),
      );
    } catch (error) {
      throw new RolloutError(
        ROLLOUT_ERRORS.rollbackFailed,
        `cannot move AWSCURRENT back to ${versions.oldVersionId}: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
      );
    }
    movedCurrent = true;
  } else if (current !== versions.oldVersionId) {
    refuse(
      `the secret was rotated again since (AWSCURRENT is on ${current ?? 'no version'}, neither ${versions.newVersionId} nor ${versions.oldVersionId}): rolling back would undo the newer rotation`,
    );
  }
  const results = task.results ?? {};
  const consumers = [...plan.waves.canary, ...(results.main === undefined ? [] : plan.waves.main)];
  deps.logger.info('AWSCURRENT is on the old version again', {
    ...fields,
    outcome: movedCurrent ? 'rolled-back' : 'already-rolled-back',
    version_id: versions.oldVersionId,
    consumers: consumers.length,
  });
  const at = (deps.now ?? (() => new Date()))().toISOString();
  return { movedCurrent, currentVersionId: versions.oldVersionId, consumers, at };
}
