import type { UsageResult } from '../rotation/actions';
import type { ConsumerAdapter, ConsumerAdapters } from './consumers/adapter';
import { type ConsumerConfig, type ConsumerUpdate, ROLLOUT_ERRORS } from './contract';
import type { RolloutDeps } from './deps';
import { causeMessage, RolloutError } from './errors';
import type { ConsumerOutcome, RolloutPlan, RotationProgress, UsageGate, WorkflowState } from './plan';
import { usageWindows } from './waves';

/** The update-consumer / publish-consumer-event tasks' input (one Map item). */
export interface ConsumerTask {
  readonly Task: 'update-consumer' | 'publish-consumer-event';
  readonly consumer: ConsumerConfig;
  readonly update: ConsumerUpdate;
  /** For logs and metrics. */
  readonly credentialType?: string;
  /** publish-consumer-event: the `.waitForTaskToken` task's token (`$$.Task.Token`). */
  readonly taskToken?: string;
}

/** The adapter of a consumer's kind (the map is exhaustive, so every kind has one). */
export function adapterFor(adapters: ConsumerAdapters, consumer: ConsumerConfig): ConsumerAdapter {
  return adapters[consumer.kind] as unknown as ConsumerAdapter;
}

/**
 * Points one consumer at the update's version, then proves it healthy on it (the adapter's
 * `update`, then `verify`). Both are idempotent, so a retry (the state machine retries
 * `ConsumerNotReadyError` by name) repeats nothing that already happened. Errors propagate with
 * their own name: the Map item catches them and records the consumer as failed.
 */
export async function updateConsumer(deps: RolloutDeps, task: ConsumerTask): Promise<ConsumerOutcome> {
  const adapter = adapterFor(deps.adapters, task.consumer);
  const updated = await adapter.update(task.consumer, task.update);
  const verified = await adapter.verify(task.consumer, task.update);
  return {
    consumer: task.consumer.name,
    kind: task.consumer.kind,
    ok: true,
    outcome: updated.outcome === 'already-current' ? 'already-current' : verified.outcome,
    detail: `${updated.outcome}: ${updated.detail}; ${verified.outcome}: ${verified.detail}`,
  };
}

/**
 * Event consumers: publishes the event carrying the task token and returns; the state machine's
 * `.waitForTaskToken` task then waits for the consumer's SendTaskSuccess, which is the verification.
 */
export async function publishConsumerEvent(deps: RolloutDeps, task: ConsumerTask): Promise<ConsumerOutcome> {
  const taskToken = task.taskToken ?? task.update.taskToken;
  if (taskToken === undefined || taskToken === '') {
    throw new RolloutError(
      ROLLOUT_ERRORS.consumerFailed,
      `event consumer "${task.consumer.name}" must be updated by a .waitForTaskToken task (no task token)`,
    );
  }
  const published = await adapterFor(deps.adapters, task.consumer).update(task.consumer, {
    ...task.update,
    taskToken,
  });
  return {
    consumer: task.consumer.name,
    kind: task.consumer.kind,
    ok: true,
    outcome: published.outcome,
    detail: published.detail,
  };
}

/** The check-wave task's input. */
export interface CheckWaveTask {
  readonly Task: 'check-wave';
  readonly wave: 'canary' | 'main' | 'rollback';
  readonly rollout: RolloutPlan;
  readonly results: readonly ConsumerOutcome[];
}

/**
 * Closes a wave: counts the failed consumers (metric `ConsumerUpdateFailed`, one log line each with
 * `consumer`) and throws `Handover.ConsumerUpdateFailed` (`Handover.RollbackFailed` for the
 * rollback wave) naming each one and why, so the next wave never starts after a failure.
 */
export async function checkWave(
  deps: RolloutDeps,
  task: CheckWaveTask,
): Promise<{ wave: string; updated: string[] }> {
  const plan = task.rollout;
  const results = Array.isArray(task.results) ? task.results : [];
  const failed = results.filter((result) => !result.ok);
  for (const failure of failed) {
    if (failure.ok) continue;
    deps.metrics.consumerUpdateFailed(plan.credentialType, failure.consumer);
    deps.logger.error('consumer update failed', {
      step: `${task.wave}-wave`,
      outcome: 'failure',
      secret_id: plan.secretArn,
      rotation_id: plan.rolloutId,
      credential_type: plan.credentialType,
      consumer: failure.consumer,
      consumer_kind: failure.kind,
      reason: `${failure.error}: ${causeMessage(failure.cause, 500)}`,
    });
  }
  const updated = results.filter((result) => result.ok).map((result) => result.consumer);
  if (failed.length > 0) {
    const why = failed
      .map((failure) =>
        failure.ok
          ? ''
          : `${failure.consumer} (${failure.kind}): ${failure.error}: ${causeMessage(failure.cause, 300)}`,
      )
      .join('; ');
    const wave =
      task.wave === 'rollback' ? 'pointing consumers back at the old version' : `the ${task.wave} wave`;
    throw new RolloutError(
      task.wave === 'rollback' ? ROLLOUT_ERRORS.rollbackFailed : ROLLOUT_ERRORS.consumerFailed,
      `${failed.length} of ${results.length} consumer${results.length === 1 ? '' : 's'} failed in ${wave}: ${why}`,
    );
  }
  deps.logger.info('wave done', {
    step: `${task.wave}-wave`,
    outcome: 'success',
    secret_id: plan.secretArn,
    rotation_id: plan.rolloutId,
    credential_type: plan.credentialType,
    consumers: updated.length,
  });
  return { wave: task.wave, updated };
}

/** The consumers-updated task's input. */
export interface ConsumersUpdatedTask {
  readonly Task: 'consumers-updated';
  readonly rollout: RolloutPlan;
  readonly rotation: RotationProgress;
  readonly results?: WorkflowState['results'];
}

/**
 * Every consumer runs on the new version: publishes the `ConsumersUpdated` milestone and plans the
 * usage gate's windows (`$.usage`).
 */
export async function consumersUpdated(deps: RolloutDeps, task: ConsumersUpdatedTask): Promise<UsageGate> {
  const plan = task.rollout;
  const now = (deps.now ?? (() => new Date()))();
  const updated = [...(task.results?.canary ?? []), ...(task.results?.main ?? [])]
    .filter((result) => result.ok)
    .map((result) => result.consumer);
  await deps.notifier.milestone('ConsumersUpdated', {
    ...milestoneBase(plan, task.rotation),
    consumers: { updated, failed: [] },
    graceSeconds: plan.graceSeconds,
  });
  deps.logger.info('every consumer is on the new version', {
    step: 'consumers-updated',
    outcome: 'success',
    secret_id: plan.secretArn,
    rotation_id: plan.rolloutId,
    credential_type: plan.credentialType,
    consumers: updated.length,
    grace_seconds: plan.graceSeconds,
  });
  return {
    count: 0,
    windows: usageWindows(now, plan.graceSeconds, plan.usageRecheckSeconds, plan.usageMaxChecks),
  };
}

/** The emergency-revoked task's input. */
export interface EmergencyRevokedTask {
  readonly Task: 'emergency-revoked';
  readonly state: WorkflowState;
  readonly executionArn: string;
}

/** The fields every milestone event of a planned rollout carries. */
export function milestoneBase(plan: RolloutPlan, rotation: RotationProgress | undefined) {
  return {
    secretArn: plan.secretArn,
    secretName: plan.secretName,
    credentialType: plan.credentialType,
    rolloutId: plan.rolloutId,
    executionArn: plan.executionArn,
    mode: plan.mode,
    trigger: plan.trigger,
    reason: plan.reason,
    ...(rotation?.versions === undefined
      ? {}
      : { newVersionId: rotation.versions.newVersionId, oldVersionId: rotation.versions.oldVersionId }),
  };
}

/** Usage evidence, as events carry it. */
export function usageDetail(usage: UsageResult | undefined) {
  return usage === undefined
    ? {}
    : {
        oldCredentialInUse: usage.inUse,
        usageObservable: usage.observable,
        usageEvidence: usage.evidence,
        ...(usage.stragglers === undefined || usage.stragglers.length === 0
          ? {}
          : { stragglers: usage.stragglers }),
      };
}
