import {
  type Deployment,
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  type Service,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { ConsumerError } from '../../shared/errors';
import type { ConsumerResult, ConsumerUpdate, EcsServiceConsumer } from '../contract';
import type { ConsumerAdapter } from './adapter';
import {
  type AdapterObservability,
  type ConsumerClock,
  consumerFailure,
  label,
  observe,
  pollUntil,
  positive,
  systemClock,
} from './support';

/** The ECS API calls the adapter makes. */
export type EcsPort = Pick<ECSClient, 'send'>;

/** Timing of the ECS service adapter. */
export interface EcsServiceAdapterOptions {
  /** Time between two DescribeServices calls while a deployment rolls out. @default 15000 */
  readonly pollIntervalMs?: number;
  /**
   * How long `verify` waits for the deployment to complete before throwing
   * `ConsumerNotReadyError` (the state machine retries it: the deployment keeps going).
   * @default 600000
   */
  readonly verifyTimeoutMs?: number;
}

/** What the ECS service adapter needs. */
export interface EcsServiceAdapterDeps extends AdapterObservability {
  readonly ecs: EcsPort;
  /** @default - the system clock */
  readonly clock?: ConsumerClock;
  /** @default - see {@link EcsServiceAdapterOptions} */
  readonly options?: EcsServiceAdapterOptions;
}

/** Service event messages ECS writes when a deployment fails or the circuit breaker rolls it back. */
const FAILURE_EVENT = /deployment failed|rolling back|circuit breaker/i;

function parseStartedAt(update: ConsumerUpdate): Date | undefined {
  if (update.startedAt === undefined) return undefined;
  const at = new Date(update.startedAt);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

const primaryOf = (service: Service): Deployment | undefined =>
  service.deployments?.find((deployment) => deployment.status === 'PRIMARY');

/**
 * The adapter for ECS service consumers: forces a new deployment (`UpdateService` with
 * `forceNewDeployment`), so new tasks start and read the secret again: ECS resolves a container's
 * `secrets[].valueFrom` when a task starts, and the new version is already AWSCURRENT. `verify`
 * waits (bounded) until that deployment is `COMPLETED` with `runningCount == desiredCount`; a
 * deployment `FAILED`, or the deployment circuit breaker rolling back, is a `ConsumerError` naming
 * the service and ECS's `rolloutStateReason`.
 *
 * Idempotent when the workflow passes `startedAt`: a PRIMARY deployment created after the rollout
 * started (by an earlier attempt, or by anyone: it launches tasks that read the new version) makes
 * the update `already-current` without forcing another one.
 *
 * @example
 * ```ts
 * const adapter = createEcsServiceAdapter({ ecs: new ECSClient({}) });
 * const consumer = { kind: 'ecs-service', name: 'web', cluster: 'prod', service: 'web' } as const;
 * await adapter.update(consumer, { ...update, startedAt: '2026-11-21T10:00:00Z' });
 * await adapter.verify(consumer, { ...update, startedAt: '2026-11-21T10:00:00Z' });
 * ```
 */
export function createEcsServiceAdapter(deps: EcsServiceAdapterDeps): ConsumerAdapter<EcsServiceConsumer> {
  const clock = deps.clock ?? systemClock;
  const pollIntervalMs = positive('pollIntervalMs', deps.options?.pollIntervalMs ?? 15_000, 0);
  const verifyTimeoutMs = positive('verifyTimeoutMs', deps.options?.verifyTimeoutMs ?? 600_000, 0);
  const nameOf = (consumer: EcsServiceConsumer) => `${consumer.cluster}/${consumer.service}`;

  const describe = async (consumer: EcsServiceConsumer): Promise<Service> => {
    let output: DescribeServicesCommandOutput;
    try {
      output = await deps.ecs.send(
        new DescribeServicesCommand({ cluster: consumer.cluster, services: [consumer.service] }),
      );
    } catch (error) {
      throw consumerFailure(consumer, `cannot describe service ${nameOf(consumer)}`, error);
    }
    const service = output.services?.[0];
    if (service === undefined) {
      const reason = output.failures?.[0]?.reason ?? 'not returned';
      throw new ConsumerError(consumer.name, `${label(consumer)}: service ${nameOf(consumer)}: ${reason}`);
    }
    if (service.status !== undefined && service.status !== 'ACTIVE') {
      throw new ConsumerError(
        consumer.name,
        `${label(consumer)}: service ${nameOf(consumer)} is ${service.status}, not ACTIVE`,
      );
    }
    return service;
  };

  const result = (
    consumer: EcsServiceConsumer,
    outcome: ConsumerResult['outcome'],
    detail: string,
  ): ConsumerResult => ({ consumer: consumer.name, kind: 'ecs-service', outcome, detail });

  /** Throws when a deployment since `since` failed or was rolled back by the circuit breaker. */
  const checkFailures = (consumer: EcsServiceConsumer, service: Service, since: Date | undefined) => {
    const after = (at: Date | undefined) => since === undefined || (at !== undefined && at >= since);
    const failed = service.deployments?.find((d) => d.rolloutState === 'FAILED' && after(d.createdAt));
    if (failed !== undefined) {
      throw new ConsumerError(
        consumer.name,
        `${label(consumer)}: deployment ${failed.id ?? 'unknown'} of service ${nameOf(consumer)} FAILED: ` +
          `${failed.rolloutStateReason ?? 'no reason given'}`,
      );
    }
    const event = service.events?.find(
      (e) => since !== undefined && after(e.createdAt) && FAILURE_EVENT.test(e.message ?? ''),
    );
    if (event !== undefined) {
      throw new ConsumerError(
        consumer.name,
        `${label(consumer)}: service ${nameOf(consumer)} rolled back or failed its deployment: ${event.message ?? ''}`,
      );
    }
  };

  return {
    kind: 'ecs-service',

    principals: async (consumer) => {
      const taskDefinition = (await describe(consumer)).taskDefinition;
      if (taskDefinition === undefined) return [];
      try {
        const out = await deps.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
        const roles = [out.taskDefinition?.taskRoleArn, out.taskDefinition?.executionRoleArn];
        return roles.filter((role): role is string => role !== undefined);
      } catch (error) {
        throw consumerFailure(consumer, `cannot describe task definition ${taskDefinition}`, error);
      }
    },

    update: (consumer, update) =>
      observe(deps.logger, clock, 'update', consumer, update, async () => {
        const startedAt = parseStartedAt(update);
        const service = await describe(consumer);
        const primary = primaryOf(service);
        if (startedAt !== undefined && primary?.createdAt !== undefined && primary.createdAt >= startedAt) {
          return result(
            consumer,
            'already-current',
            `deployment ${primary.id ?? 'unknown'} of ${nameOf(consumer)} started at ` +
              `${primary.createdAt.toISOString()}, after the rollout began: not forcing another`,
          );
        }
        let updated: Service | undefined;
        try {
          const output = await deps.ecs.send(
            new UpdateServiceCommand({
              cluster: consumer.cluster,
              service: consumer.service,
              forceNewDeployment: true,
            }),
          );
          updated = output.service;
        } catch (error) {
          throw consumerFailure(consumer, `cannot force a new deployment of ${nameOf(consumer)}`, error);
        }
        const deployment = updated === undefined ? undefined : primaryOf(updated);
        return result(
          consumer,
          'updated',
          `forced deployment ${deployment?.id ?? 'unknown'} of ${nameOf(consumer)}`,
        );
      }),

    verify: (consumer, update) =>
      observe(deps.logger, clock, 'verify', consumer, update, async () => {
        const startedAt = parseStartedAt(update);
        let state = 'no PRIMARY deployment';
        return pollUntil(
          clock,
          {
            consumer,
            intervalMs: pollIntervalMs,
            timeoutMs: verifyTimeoutMs,
            waitingFor: () => `waiting for the deployment of ${nameOf(consumer)} (${state})`,
          },
          async () => {
            const service = await describe(consumer);
            const primary = primaryOf(service);
            checkFailures(consumer, service, startedAt ?? primary?.createdAt);
            if (primary === undefined) return undefined;
            if (startedAt !== undefined && primary.createdAt !== undefined && primary.createdAt < startedAt) {
              throw new ConsumerError(
                consumer.name,
                `${label(consumer)}: the PRIMARY deployment ${primary.id ?? 'unknown'} of ${nameOf(consumer)} ` +
                  `predates the rollout (${primary.createdAt.toISOString()}): no new deployment was started`,
              );
            }
            const running = primary.runningCount ?? 0;
            const desired = primary.desiredCount ?? 0;
            state = `${primary.id ?? 'unknown'} ${primary.rolloutState ?? 'no rolloutState'}, ${running}/${desired} running`;
            // Without the deployment circuit breaker ECS may not report rolloutState: steady state is
            // then one deployment left, fully running.
            const complete =
              primary.rolloutState === undefined
                ? (service.deployments?.length ?? 0) === 1
                : primary.rolloutState === 'COMPLETED';
            if (!complete || running !== desired) return undefined;
            return result(
              consumer,
              'verified',
              `deployment ${primary.id ?? 'unknown'} of ${nameOf(consumer)} completed, ${running}/${desired} tasks running`,
            );
          },
        );
      }),
  };
}
