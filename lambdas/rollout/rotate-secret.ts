import { createHash } from 'node:crypto';
import { RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { STAGE } from '../rotation/constants';
import { versionWith } from '../rotation/versions';
import { lockTableOf, rotationInFlight } from './claim';
import { ROLLOUT_ERRORS } from './contract';
import type { RolloutDeps } from './deps';
import { RolloutError } from './errors';
import { mirrorVersion, setLockVersion } from './lock';
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
  if (pending !== undefined && pending !== current && plan.mode === 'emergency') {
    return adoptRotation(deps, task, secret.arn, secret.name, pending, current, now);
  }
  if (pending !== undefined && pending !== current) {
    throw new RolloutError(
      ROLLOUT_ERRORS.rotationFailed,
      `an earlier rotation of ${secret.name} did not complete: AWSPENDING is on version ${pending}, which is not AWSCURRENT. Find why in the rotation function's logs, remove the label (aws secretsmanager update-secret-version-stage --secret-id ${secret.arn} --version-stage AWSPENDING --remove-from-version-id ${pending}) and start again. Nothing was changed.`,
    );
  }
  // Preflight recorded this token as the lock's version (and its mirror), before rotating: the
  // rotation's steps pass the interlock, and the RotationSucceeded event's execution skips it.
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
 * Emergency mode, with AWSPENDING on another version (a rotation in flight, or one that failed or
 * was refused and left its label): instead of refusing, the emergency adopts that rotation. The
 * lock's version becomes its version (so its steps, and Secrets Manager's retries, pass the
 * interlock), then RotateSecret resumes it with the same token; a rotation still running is left to
 * finish (Secrets Manager answers "A previous rotation isn't complete"). Two rotations never run on
 * one secret at once, and the emergency still ends with a new credential.
 */
async function adoptRotation(
  deps: RolloutDeps,
  task: RotationTask,
  secretArn: string,
  secretName: string,
  pending: string,
  current: string | undefined,
  now: Date,
): Promise<RotationProgress> {
  const plan = task.rollout;
  if (!(await setLockVersion(lockTableOf(deps), secretArn, plan.executionArn, pending))) {
    throw new RolloutError(
      ROLLOUT_ERRORS.rotationFailed,
      `this rollout no longer holds the lock of ${secretName} (another execution took it over): nothing was rotated.`,
    );
  }
  await mirrorVersion(deps.secretsManager, secretArn, pending);
  let resumed = true;
  try {
    await deps.secretsManager.send(
      new RotateSecretCommand({ SecretId: secretArn, ClientRequestToken: pending }),
    );
  } catch (error) {
    if (!(error instanceof Error && error.name === 'InvalidRequestException')) {
      throw new RolloutError(
        ROLLOUT_ERRORS.rotationFailed,
        `Secrets Manager refused to resume the rotation of ${secretName} in flight (version ${pending}): ${errorText(error)}.`,
      );
    }
    // Still running: it finishes under this rollout's lock.
    resumed = false;
  }
  deps.logger.warn('emergency adopts the rotation in flight', {
    step: 'start-rotation',
    outcome: resumed ? 'resumed' : 'running',
    secret_id: secretArn,
    rotation_id: plan.rolloutId,
    credential_type: plan.credentialType,
    version_id: pending,
  });
  return {
    status: 'running',
    checks: 0,
    versionId: pending,
    ...(current === undefined ? {} : { previousVersionId: current }),
    requestedAt: task.rotation.requestedAt ?? now.toISOString(),
  };
}

/**
 * Event trigger, a rotation in flight when the lock was taken: waits until it is no longer in
 * flight (it completed, or its AWSPENDING label went away) or the rotation timeout has passed since
 * the lock was taken (any step that began before the lock's mirror was visible has ended by then,
 * and its later attempts are refused by the interlock). Then the rollout carries whatever is
 * AWSCURRENT; when that changed, the lock's version (and mirror) follows, so the newer rotation's
 * own RotationSucceeded execution skips.
 */
async function settleInFlight(deps: RolloutDeps, task: RotationTask, now: Date): Promise<RotationProgress> {
  const plan = task.rollout;
  const progress = task.rotation;
  const named = progress.inFlight as NonNullable<RotationProgress['inFlight']>;
  const secret = await describeSecret(deps.secretsManager, plan.secretArn);
  const checks = progress.checks + 1;
  const inFlight = rotationInFlight(secret, undefined);
  const waited = now.getTime() - Date.parse(progress.requestedAt ?? plan.startedAt);
  const bound = deps.settings.rotationTimeoutSeconds * 1000;
  if (inFlight !== undefined && waited < bound) {
    return { ...progress, status: 'running', checks, versionId: inFlight };
  }
  const current = currentVersion(secret) ?? named.newVersionId;
  const previous = versionWith(secret.versions, STAGE.previous) ?? named.oldVersionId;
  if (current !== named.newVersionId) {
    if (!(await setLockVersion(lockTableOf(deps), secret.arn, plan.executionArn, current))) {
      throw new RolloutError(
        ROLLOUT_ERRORS.rotationFailed,
        `this rollout no longer holds the lock of ${secret.name} (another execution took it over); no consumer was touched.`,
      );
    }
    await mirrorVersion(deps.secretsManager, secret.arn, current);
  }
  deps.logger.info('rotation in flight settled', {
    step: 'check-rotation',
    outcome:
      current !== named.newVersionId ? 'newer-version' : inFlight === undefined ? 'settled' : 'waited-out',
    secret_id: secret.arn,
    rotation_id: plan.rolloutId,
    credential_type: plan.credentialType,
    version_id: current,
    checks,
  });
  return {
    status: 'succeeded',
    checks,
    versionId: current,
    previousVersionId: previous,
    versions: { newVersionId: current, oldVersionId: previous },
    completedAt: now.toISOString(),
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
  if (progress.inFlight !== undefined) return settleInFlight(deps, task, now);
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
