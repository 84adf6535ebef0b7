import { lockTableOf, releaseRolloutLock } from './claim';
import { milestoneBase, usageDetail } from './consumer-tasks';
import { INCOMPLETE_ROLLOUT, ROLLOUT_ERRORS } from './contract';
import type { RolloutDeps } from './deps';
import { causeMessage } from './errors';
import { parseRolloutInput, type RolloutRequest } from './input';
import { markNotRolledOut } from './lock';
import { consumerReport, summarize } from './notify';
import type { WorkflowState } from './plan';
import { readersDetail, stragglerField } from './readers/report';
import { currentVersion, describeSecret } from './secret-state';

/** How a rollout ended, as the finish task is told. */
export type FinishOutcome = 'succeeded' | 'failed' | 'rolled-back';

/** The finish task's input: the whole state document. */
export interface FinishTask {
  readonly Task: 'finish';
  readonly outcome: FinishOutcome;
  readonly state: WorkflowState;
  readonly executionArn: string;
  readonly executionName: string;
}

/** What finish returns; the Fail states read `Cause`. */
export interface FinishResult {
  readonly Error?: string;
  readonly Cause: string;
}

/**
 * Closes a rollout on every terminal path: metrics (`RolloutSucceeded` / `RolloutFailed`,
 * `OldCredentialStillInUse`, `EmergencyRollout`), milestone events (`Revoked`, `Succeeded`, `Failed`, `RolledBack`),
 * the SNS summary, and the lock (released only when this execution holds it; on success the
 * version is recorded as rolled out; a lock it no longer holds is reported: metric, log, SNS).
 * Notification and release failures are logged, never thrown: a rollout's outcome does not depend
 * on them, and a lock left behind is taken over once this execution has ended.
 */
export async function finish(deps: RolloutDeps, task: FinishTask): Promise<FinishResult> {
  const state = task.state ?? {};
  const plan = state.rollout;
  const secretId = plan?.secretArn ?? requestedSecret(state) ?? 'unknown secret';
  // Without a plan (refused, invalid input), name the secret as people know it, when it exists.
  const secretName = plan?.secretName ?? (await secretNameOf(deps, secretId));
  const credentialType = plan?.credentialType ?? 'unknown';
  const failure = state.failure;
  const succeeded = task.outcome === 'succeeded';
  const error = succeeded ? undefined : (failure?.error ?? ROLLOUT_ERRORS.preflightFailed);
  const cause = succeeded
    ? 'every consumer is on the new version'
    : [
        causeMessage(failure?.cause ?? 'no cause recorded'),
        failure?.original === undefined
          ? ''
          : ` (while answering ${failure.original.error}: ${causeMessage(failure.original.cause ?? '', 500)})`,
      ].join('');
  const fields = {
    step: 'finish',
    secret_id: secretId,
    rotation_id: task.executionName,
    credential_type: credentialType,
  };

  deps.metrics.rollout(credentialType, succeeded ? 'success' : 'failure');
  if (error === ROLLOUT_ERRORS.stillInUse) deps.metrics.oldCredentialStillInUse(credentialType);
  if (plan?.mode === 'emergency') deps.metrics.emergencyRollout(credentialType);

  if (plan !== undefined) {
    const report = consumerReport(state);
    const base = {
      ...milestoneBase(plan, state.rotation),
      consumers: { updated: report.updated, failed: report.failed.map((failed) => failed.name) },
      ...usageDetail(state.usage?.last),
      ...readersDetail(state),
    };
    if (succeeded) {
      if (state.revocation?.done === true && plan.mode === 'scheduled') {
        await deps.notifier.milestone('Revoked', base);
      }
      await deps.notifier.milestone('Succeeded', { ...base, revoked: state.revocation?.done === true });
    } else {
      if (task.outcome === 'rolled-back') {
        await deps.notifier.milestone('RolledBack', { ...base, rolledBack: report.rolledBack, error, cause });
      }
      await deps.notifier.milestone('Failed', { ...base, error, cause });
    }
  }
  const message = summarize(
    state,
    succeeded
      ? { kind: 'succeeded' }
      : { kind: 'failed', error: error ?? '', cause, rolledBack: task.outcome === 'rolled-back' },
    { executionArn: task.executionArn, runbookUrl: deps.notifier.runbookUrl, secretId: secretName },
  );
  await deps.notifier.summary(message, fields);

  if (plan === undefined && error === ROLLOUT_ERRORS.preflightFailed) {
    await recordNotRolledOut(deps, state, task, fields);
  }
  if (plan !== undefined) {
    try {
      await releaseRolloutLock(deps, plan, rolledOut(state, task));
    } catch (releaseError) {
      deps.logger.warn('rollout lock not released', {
        ...fields,
        outcome: 'failure',
        reason:
          releaseError instanceof Error
            ? `${releaseError.name}: ${releaseError.message}`
            : String(releaseError),
      });
    }
  }
  const outcomeFields = {
    ...fields,
    outcome: task.outcome,
    ...(error === undefined ? {} : { error }),
    reason: cause,
    ...(state.rotation?.versions === undefined
      ? {}
      : {
          version_id: state.rotation.versions.newVersionId,
          old_version_id: state.rotation.versions.oldVersionId,
        }),
    revoked: state.revocation?.done === true,
    ...stragglerField(state),
    ...(plan === undefined ? {} : { duration_ms: Date.now() - Date.parse(plan.startedAt) }),
  };
  if (succeeded) deps.logger.info('rollout succeeded', outcomeFields);
  else deps.logger.error('rollout failed', outcomeFields);
  return { ...(error === undefined ? {} : { Error: error }), Cause: cause };
}

/** Emergency mode, right after revoking: the `Revoked` milestone and the "what will break" summary. */
export async function emergencyRevoked(
  deps: RolloutDeps,
  task: { readonly state: WorkflowState; readonly executionArn: string },
): Promise<{ notified: boolean }> {
  const state = task.state;
  const plan = state.rollout;
  if (plan === undefined) return { notified: false };
  const consumers = [...plan.waves.canary, ...plan.waves.main];
  await deps.notifier.milestone('Revoked', {
    ...milestoneBase(plan, state.rotation),
    revoked: state.revocation?.done === true,
    ...(state.revocation?.reason === undefined || state.revocation.reason === ''
      ? {}
      : { revokeNote: state.revocation.reason }),
    consumersThatWillBreak: consumers.map((consumer) => consumer.name),
    ...usageDetail(state.precheck),
    ...readersDetail(state),
  });
  const notified = await deps.notifier.summary(
    summarize(
      state,
      { kind: 'emergency-revoked' },
      {
        executionArn: task.executionArn,
        runbookUrl: deps.notifier.runbookUrl,
        secretId: plan.secretArn,
      },
    ),
    { step: 'emergency-revoked', secret_id: plan.secretArn, rotation_id: plan.rolloutId },
  );
  deps.logger.warn('emergency: old credential revoked before consumers moved', {
    step: 'emergency-revoked',
    outcome: state.revocation?.done === true ? 'revoked' : 'not-revoked',
    secret_id: plan.secretArn,
    rotation_id: plan.rolloutId,
    credential_type: plan.credentialType,
    consumers_that_will_break: consumers.map((consumer) => consumer.name),
    ...stragglerField(state),
    ...(state.precheck === undefined
      ? {}
      : { in_use: state.precheck.inUse, reason: state.precheck.evidence }),
  });
  return { notified };
}

/**
 * What the lock records as rolled out when this rollout ends, which the rotation functions compare
 * with AWSCURRENT (the interlock): the new version when it succeeded; the old one after a complete
 * rollback (AWSCURRENT is on it again and every consumer points at it); nothing new when no consumer
 * was touched; otherwise (consumers split between versions, an old credential still in use or not
 * revoked) a marker no version equals, so no rotation takes away what some consumer may still hold
 * until a rollout completes.
 */
function rolledOut(state: WorkflowState, task: FinishTask): string | undefined {
  const versions = state.rotation?.versions;
  if (task.outcome === 'succeeded') return versions?.newVersionId;
  if (task.outcome === 'rolled-back') return versions?.oldVersionId;
  const touched =
    (state.results?.canary?.length ?? 0) + (state.results?.main?.length ?? 0) > 0 ||
    state.revocation?.done === true;
  if (touched) return `${INCOMPLETE_ROLLOUT}${task.executionName}`;
  // No consumer touched: a new version this rollout carried still reached none of them. Recorded
  // as not rolled out even when no rollout tracked the secret before (else the next rotation
  // alternates back onto the user every consumer holds: fault schedules, seed 1915447251, path 310).
  return versions === undefined ? undefined : `${INCOMPLETE_ROLLOUT}${task.executionName}`;
}

/**
 * A rotation's rollout (a `RotationSucceeded` event) whose preflight failed before it planned:
 * its AWSCURRENT reached no consumer, so it is recorded as not rolled out (`incomplete:<execution>`
 * in the lock and the `handover:rolled-out` tag) unless a rollout holds the lock or completed it.
 * Until a rollout carries it, rotations of the secret are refused: without this, the first rotation
 * of a secret whose rollout never ran left it untracked, and the next rotation alternated back onto
 * the user every consumer still held (found by the fault schedules: seed 1915447251, path 60).
 * Failures are logged, never thrown.
 */
async function recordNotRolledOut(
  deps: RolloutDeps,
  state: WorkflowState,
  task: FinishTask,
  fields: Record<string, string>,
): Promise<void> {
  const request = requestOf(state);
  if (request?.trigger !== 'event') return;
  let secretArn: string | undefined;
  try {
    const secret = await describeSecret(deps.secretsManager, request.secretId);
    secretArn = secret.arn;
    const current = currentVersion(secret);
    if (current === undefined) return;
    const marker = `${INCOMPLETE_ROLLOUT}${task.executionName}`;
    if (await markNotRolledOut(lockTableOf(deps), deps.secretsManager, secret.arn, current, marker)) {
      deps.logger.warn(
        'AWSCURRENT recorded as not rolled out: rotations are refused until a rollout carries it',
        {
          ...fields,
          secret_id: secret.arn,
          outcome: 'not-rolled-out',
          version_id: current,
        },
      );
    }
  } catch (recordError) {
    deps.logger.warn('AWSCURRENT could not be recorded as not rolled out', {
      ...fields,
      ...(secretArn === undefined ? {} : { secret_id: secretArn }),
      outcome: 'failure',
      reason:
        recordError instanceof Error ? `${recordError.name}: ${recordError.message}` : String(recordError),
    });
  }
}

/** The secret an execution's input names, when preflight failed before planning. */
function requestedSecret(state: WorkflowState): string | undefined {
  return (
    requestOf(state)?.secretId ??
    (typeof state.secretId === 'string' && state.secretId !== '' ? state.secretId : undefined)
  );
}

/** The execution's input as the workflow parses it (what the failure path added left out), if valid. */
function requestOf(state: WorkflowState): RolloutRequest | undefined {
  const { caught: _caught, failure: _failure, report: _report, ...input } = state;
  try {
    return parseRolloutInput(input);
  } catch {
    return undefined;
  }
}

/** The secret's name (DescribeSecret), or the id as given when it cannot be read. */
async function secretNameOf(deps: RolloutDeps, secretId: string): Promise<string> {
  try {
    return (await describeSecret(deps.secretsManager, secretId)).name;
  } catch {
    return secretId;
  }
}
