import {
  type CheckWaveTask,
  type ConsumersUpdatedTask,
  type ConsumerTask,
  checkWave,
  consumersUpdated,
  type EmergencyRevokedTask,
  publishConsumerEvent,
  updateConsumer,
} from './consumer-tasks';
import { ROLLOUT_ERRORS, ROLLOUT_TASKS, type RolloutTaskName } from './contract';
import type { RolloutDeps } from './deps';
import { RolloutError } from './errors';
import { emergencyRevoked, type FinishTask, finish } from './finish';
import { type PreflightTask, preflight } from './preflight';
import { type CheckReadersTask, checkReaders, type FindReadersTask, findReaders } from './readers/tasks';
import { type RollbackTask, rollback } from './rollback';
import { checkRotation, type RotationTask, startRotation } from './rotate-secret';

type Handlers = {
  readonly [K in RolloutTaskName]: (deps: RolloutDeps, event: never) => Promise<unknown>;
};

const HANDLERS: Handlers = {
  preflight: (deps, event: PreflightTask) => preflight(deps, event),
  'find-readers': (deps, event: FindReadersTask) => findReaders(deps, event),
  'check-readers': (deps, event: CheckReadersTask) => checkReaders(deps, event),
  'start-rotation': (deps, event: RotationTask) => startRotation(deps, event),
  'check-rotation': (deps, event: RotationTask) => checkRotation(deps, event),
  'update-consumer': (deps, event: ConsumerTask) => updateConsumer(deps, event),
  'publish-consumer-event': (deps, event: ConsumerTask) => publishConsumerEvent(deps, event),
  'check-wave': (deps, event: CheckWaveTask) => checkWave(deps, event),
  'consumers-updated': (deps, event: ConsumersUpdatedTask) => consumersUpdated(deps, event),
  'emergency-revoked': (deps, event: EmergencyRevokedTask) => emergencyRevoked(deps, event),
  rollback: (deps, event: RollbackTask) => rollback(deps, event),
  finish: (deps, event: FinishTask) => finish(deps, event),
};

const isTask = (value: unknown): value is RolloutTaskName =>
  typeof value === 'string' && (ROLLOUT_TASKS as readonly string[]).includes(value);

/**
 * The rollout function: one Lambda serving every task of the state machine, dispatched on the
 * payload's `Task` field (`preflight`, `start-rotation`, `check-rotation`, `update-consumer`,
 * `publish-consumer-event`, `check-wave`, `consumers-updated`, `emergency-revoked`, `rollback`,
 * `finish`). The state machine is its only caller. Errors keep their name (the state machine's
 * Retry / Catch match on it) and are logged once, with the task and the reason.
 *
 * @example
 * ```ts
 * // lambdas/rollout/handler.ts
 * export const handler = createRolloutHandler({ secretsManager, ssm, sfn, adapters, notifier, metrics, logger, settings });
 * ```
 */
export function createRolloutHandler(deps: RolloutDeps): (event: unknown) => Promise<unknown> {
  return async (event) => {
    const task = typeof event === 'object' && event !== null ? (event as { Task?: unknown }).Task : undefined;
    if (!isTask(task)) {
      throw new RolloutError(
        ROLLOUT_ERRORS.invalidInput,
        `the rollout function needs a Task field, one of ${ROLLOUT_TASKS.join(', ')}; got ${JSON.stringify(task ?? null)}`,
      );
    }
    const started = performance.now();
    try {
      return await HANDLERS[task](deps, event as never);
    } catch (error) {
      deps.logger.error(`${task} failed`, {
        step: task,
        outcome: 'failure',
        ...contextOf(event as TaskEvent),
        reason: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
        duration_ms: Math.round(performance.now() - started),
      });
      throw error;
    }
  };
}

/** The fields of a task payload that identify what it was about. */
interface TaskEvent {
  readonly rollout?: {
    readonly secretArn?: unknown;
    readonly rolloutId?: unknown;
    readonly credentialType?: unknown;
  };
  readonly state?: TaskEvent;
  readonly update?: { readonly secretArn?: unknown; readonly rolloutId?: unknown };
  readonly consumer?: { readonly name?: unknown };
  readonly credentialType?: unknown;
  readonly executionName?: unknown;
}

/** `secret_id`, `rotation_id`, `credential_type`, `consumer` of a failed task, as far as its payload tells. */
function contextOf(event: TaskEvent): Record<string, string> {
  const rollout = event.rollout ?? event.state?.rollout;
  const fields: Record<string, unknown> = {
    secret_id: rollout?.secretArn ?? event.update?.secretArn,
    rotation_id: rollout?.rolloutId ?? event.update?.rolloutId ?? event.executionName,
    credential_type: rollout?.credentialType ?? event.credentialType,
    consumer: event.consumer?.name,
  };
  return Object.fromEntries(
    Object.entries(fields).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
