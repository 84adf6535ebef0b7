import { createHash } from 'node:crypto';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { STAGE } from '../rotation/constants';
import { versionWith } from '../rotation/versions';
import { ROLLOUT_ERRORS } from './contract';
import type { RolloutDeps } from './deps';
import { RolloutError } from './errors';
import { tagLockVersion } from './lock';
import type { RolloutPlan, RotationProgress } from './plan';
import { currentVersion, describeSecret, shortVersion } from './secret-state';

/** The start-rotation and check-rotation tasks' input. */
export interface RotationTask {
  readonly Task: 'start-rotation' | 'check-rotation';
  readonly rollout: RolloutPlan;
  readonly rotation: RotationProgress;
}

/**
 * The RotateSecret token of an execution: a UUID derived from its ARN, so a retried
 * start-rotation finds the rotation it already started instead of starting a second one.
 */
export function rotationToken(executionArn: string): string {
  const hex = createHash('sha256').update(`handover-rollout:${executionArn}`).digest('hex');
  const variant = ((Number.parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Manual mode: starts the rotation (RotateSecret with the execution's token; Secrets Manager then
 * calls the rotation function's four steps) and returns at once; the state machine polls
 * {@link checkRotation}. Refuses, with what to do, when rotation is off or an earlier rotation left
 * AWSPENDING behind. Idempotent: a re-run finds the token's version and does not rotate again.
 */
export async function startRotation(deps: RolloutDeps, task: RotationTask): Promise<RotationProgress> {
  const plan = task.rollout;
  const now = (deps.now ?? (() => new Date()))();
  const token = rotationToken(plan.executionArn);
  const secret = await describeSecret(deps.secretsManager, plan.secretArn);
  const current = currentVersion(secret);
  if (secret.versions[token] !== undefined) {
    // A re-run: the rotation was requested already.
    const stages = secret.versions[token] ?? [];
    return {
      status: 'running',
      checks: 0,
      versionId: token,
      previousVersionId: stages.includes(STAGE.current)
        ? versionWith(secret.versions, STAGE.previous)
        : current,
      requestedAt: task.rotation.requestedAt ?? now.toISOString(),
    };
  }
  if (!secret.rotationEnabled) {
    throw new RolloutError(
      ROLLOUT_ERRORS.rotationFailed,
      `rotation is not enabled on ${secret.name}: its policy entry is paused or its schedule was removed. Nothing was changed.`,
    );
  }
  const pending = versionWith(secret.versions, STAGE.pending);
  if (pending !== undefined && pending !== current) {
    throw new RolloutError(
      ROLLOUT_ERRORS.rotationFailed,
      `an earlier rotation of ${secret.name} did not complete: AWSPENDING is on version ${pending}, which is not AWSCURRENT. Find why in the rotation function's logs, remove the label (aws secretsmanager update-secret-version-stage --secret-id ${secret.arn} --version-stage AWSPENDING --remove-from-version-id ${pending}) and start again. Nothing was changed.`,
    );
  }
  // Recorded before rotating, so the RotationSucceeded event's execution knows this one carries it.
  await tagLockVersion(deps.secretsManager, secret.arn, token);
  try {
    await deps.secretsManager.send(
      new RotateSecretCommand({ SecretId: secret.arn, ClientRequestToken: token }),
    );
  } catch (error) {
    throw new RolloutError(
      ROLLOUT_ERRORS.rotationFailed,
      `Secrets Manager refused to rotate ${secret.name}: ${errorText(error)}. Nothing was changed.`,
    );
  }
  deps.logger.info('rotation requested', {
    step: 'start-rotation',
    outcome: 'success',
    secret_id: secret.arn,
    rotation_id: plan.rolloutId,
    credential_type: plan.credentialType,
    version_id: token,
  });
  return {
    status: 'running',
    checks: 0,
    versionId: token,
    ...(current === undefined ? {} : { previousVersionId: current }),
    requestedAt: now.toISOString(),
  };
}

/**
 * Manual mode: has the rotation finished? `succeeded` once the token's version is AWSCURRENT (the
 * version pair is then known); `running` while it is not, up to the rotation timeout; then, or when
 * rotation was cancelled, `Handover.RotationFailed` (no consumer was touched).
 */
export async function checkRotation(deps: RolloutDeps, task: RotationTask): Promise<RotationProgress> {
  const plan = task.rollout;
  const progress = task.rotation;
  const now = (deps.now ?? (() => new Date()))();
  const token = progress.versionId;
  if (token === undefined) {
    throw new RolloutError(
      ROLLOUT_ERRORS.rotationFailed,
      'check-rotation ran before the rotation was started',
    );
  }
  const secret = await describeSecret(deps.secretsManager, plan.secretArn);
  const stages = secret.versions[token] ?? [];
  const checks = progress.checks + 1;
  if (stages.includes(STAGE.current)) {
    const old = progress.previousVersionId ?? versionWith(secret.versions, STAGE.previous);
    if (old === undefined) {
      throw new RolloutError(
        ROLLOUT_ERRORS.rotationFailed,
        `version ${token} of ${secret.name} is AWSCURRENT but there is no previous version to roll out from`,
      );
    }
    deps.logger.info('rotation finished', {
      step: 'check-rotation',
      outcome: 'success',
      secret_id: secret.arn,
      rotation_id: plan.rolloutId,
      credential_type: plan.credentialType,
      version_id: token,
      checks,
    });
    return {
      ...progress,
      status: 'succeeded',
      checks,
      previousVersionId: old,
      versions: { newVersionId: token, oldVersionId: old },
      completedAt: now.toISOString(),
    };
  }
  if (!secret.rotationEnabled) {
    throw new RolloutError(
      ROLLOUT_ERRORS.rotationFailed,
      `rotation of ${secret.name} was cancelled (rotation is no longer enabled); version ${shortVersion(token)} never became AWSCURRENT. AWSCURRENT still holds the old credential; no consumer was touched.`,
    );
  }
  const requested = Date.parse(progress.requestedAt ?? plan.startedAt);
  if (now.getTime() - requested >= deps.settings.rotationTimeoutSeconds * 1000) {
    throw new RolloutError(
      ROLLOUT_ERRORS.rotationFailed,
      `rotation of ${secret.name} did not finish within ${deps.settings.rotationTimeoutSeconds} s: version ${token} is ${stages.length === 0 ? 'not created' : `at ${stages.join(', ')}`}, not AWSCURRENT. A rotation step failed or is stuck: read the rotation function's logs (outcome="failure"). AWSCURRENT still holds the old credential; no consumer was touched.`,
    );
  }
  return { ...progress, status: 'running', checks };
}
