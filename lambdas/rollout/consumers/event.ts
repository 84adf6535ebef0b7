import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ConsumerError } from '../../shared/errors';
import type { ConsumerResult, ConsumerUpdate, EventConsumer, RolloutMode } from '../contract';
import type { ConsumerAdapter } from './adapter';
import {
  type AdapterObservability,
  type ConsumerClock,
  consumerFailure,
  label,
  observe,
  systemClock,
} from './support';

/** The EventBridge API calls the adapter makes. */
export type EventBridgePort = Pick<EventBridgeClient, 'send'>;

/** The event's `source`: match it in an EventBridge rule. */
export const ROTATION_EVENT_SOURCE = 'handover';
/** The event's `detail-type`. */
export const ROTATION_EVENT_DETAIL_TYPE = 'Handover Credential Rotated';

import { DEFAULT_ACK_TIMEOUT_SECONDS, DEFAULT_EVENT_BUS } from './event.contract';

export { DEFAULT_ACK_TIMEOUT_SECONDS, DEFAULT_EVENT_BUS } from './event.contract';

/**
 * The `detail` of a `Handover Credential Rotated` event. It never holds the secret value: the
 * consumer reads `versionId` of `secretArn` itself. `taskToken` is a capability (whoever holds it
 * can complete the task): keep the event on buses and targets only the consumer can read.
 */
export interface RotationEventDetail {
  readonly secretArn: string;
  readonly versionId: string;
  /** The consumer's name in the rollout configuration (route on it in the rule's event pattern). */
  readonly consumer: string;
  readonly rolloutId: string;
  readonly mode: RolloutMode;
  /** Send it back with SendTaskSuccess (or SendTaskFailure) once the new version is in use. */
  readonly taskToken: string;
  /** `<rolloutId>:<consumer>`: the same for every re-publication of this consumer's event. */
  readonly idempotencyKey: string;
  /** When the workflow stops waiting and fails the consumer (ISO 8601). */
  readonly respondBy: string;
  /** The CLI command that acknowledges. */
  readonly acknowledge: string;
  /** The CLI command that reports a failure. */
  readonly reject: string;
}

function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Builds the event detail (pure; exported for the README and tests). */
export function rotationEventDetail(
  consumer: EventConsumer,
  update: ConsumerUpdate & { readonly taskToken: string },
  now: Date,
): RotationEventDetail {
  const timeoutSeconds = consumer.timeoutSeconds ?? DEFAULT_ACK_TIMEOUT_SECONDS;
  const token = shellQuote(update.taskToken);
  return {
    secretArn: update.secretArn,
    versionId: update.versionId,
    consumer: consumer.name,
    rolloutId: update.rolloutId,
    mode: update.mode,
    taskToken: update.taskToken,
    idempotencyKey: `${update.rolloutId}:${consumer.name}`,
    respondBy: new Date(now.getTime() + timeoutSeconds * 1000).toISOString(),
    acknowledge: `aws stepfunctions send-task-success --task-token ${token} --task-output '{}'`,
    reject: `aws stepfunctions send-task-failure --task-token ${token} --error Handover.ConsumerRejected --cause '<why>'`,
  };
}

/** What the event adapter needs. */
export interface EventAdapterDeps extends AdapterObservability {
  readonly eventBridge: EventBridgePort;
  /** @default - the system clock */
  readonly clock?: ConsumerClock;
}

/**
 * The adapter for event consumers (CI pipelines, Kubernetes controllers, other teams): `update`
 * publishes a `Handover Credential Rotated` event (source `handover`) carrying the state machine's
 * task token and returns `published`; the state machine task waits (`.waitForTaskToken`, with the
 * consumer's `timeoutSeconds`) until the consumer calls SendTaskSuccess, so the acknowledgement IS
 * the verification and `verify` returns `verified` without a call. A re-run publishes again with
 * the new attempt's token (the old token is dead); `idempotencyKey` lets consumers ignore repeats.
 * The task token is never logged.
 *
 * @example
 * ```ts
 * const adapter = createEventAdapter({ eventBridge: new EventBridgeClient({}) });
 * await adapter.update({ kind: 'event', name: 'ci-deploy' }, { ...update, taskToken: '$$.Task.Token' });
 * ```
 */
export function createEventAdapter(deps: EventAdapterDeps): ConsumerAdapter<EventConsumer> {
  const clock = deps.clock ?? systemClock;
  const result = (
    consumer: EventConsumer,
    outcome: ConsumerResult['outcome'],
    detail: string,
  ): ConsumerResult => ({
    consumer: consumer.name,
    kind: 'event',
    outcome,
    detail,
  });

  return {
    kind: 'event',

    update: (consumer, update) =>
      observe(deps.logger, clock, 'update', consumer, update, async () => {
        const taskToken = update.taskToken;
        if (taskToken === undefined || taskToken === '') {
          throw new ConsumerError(
            consumer.name,
            `${label(consumer)}: no task token; event consumers must be updated by a .waitForTaskToken task`,
          );
        }
        const bus = consumer.eventBusName ?? DEFAULT_EVENT_BUS;
        const detail = rotationEventDetail(consumer, { ...update, taskToken }, new Date(clock.now()));
        let entry: { EventId?: string; ErrorCode?: string; ErrorMessage?: string } | undefined;
        try {
          const output = await deps.eventBridge.send(
            new PutEventsCommand({
              Entries: [
                {
                  Source: ROTATION_EVENT_SOURCE,
                  DetailType: ROTATION_EVENT_DETAIL_TYPE,
                  Detail: JSON.stringify(detail),
                  EventBusName: bus,
                  Resources: [update.secretArn],
                },
              ],
            }),
          );
          entry = output.Entries?.[0];
          if ((output.FailedEntryCount ?? 0) > 0 || entry?.EventId === undefined) {
            throw new ConsumerError(
              consumer.name,
              `${label(consumer)}: EventBridge rejected the event on bus ${bus}: ` +
                `${entry?.ErrorCode ?? 'unknown error'}: ${entry?.ErrorMessage ?? 'no message'}`.replaceAll(
                  taskToken,
                  '[task token]',
                ),
            );
          }
        } catch (error) {
          throw consumerFailure(consumer, `cannot publish to bus ${bus}`, error, [taskToken]);
        }
        return result(
          consumer,
          'published',
          `event ${entry.EventId} on bus ${bus}; waiting for SendTaskSuccess until ${detail.respondBy}`,
        );
      }),

    verify: (consumer, update) =>
      observe(deps.logger, clock, 'verify', consumer, update, async () =>
        result(consumer, 'verified', 'acknowledged with SendTaskSuccess'),
      ),
  };
}
