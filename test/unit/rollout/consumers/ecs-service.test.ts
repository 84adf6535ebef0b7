import {
  AccessDeniedException,
  type Deployment,
  DescribeServicesCommand,
  ECSClient,
  type Service,
  ServiceNotFoundException,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConsumerNotReadyError, createEcsServiceAdapter } from '../../../../lambdas/rollout/consumers';
import type { EcsServiceConsumer } from '../../../../lambdas/rollout/contract';
import { ConsumerError } from '../../../../lambdas/shared/errors';
import { anUpdate, type FakeClock, fakeClock, recordingLogger, rejectionOf } from './helpers';

const consumer: EcsServiceConsumer = { kind: 'ecs-service', name: 'web', cluster: 'prod', service: 'web' };
const STARTED_AT = '2026-11-21T10:00:00.000Z';
const beforeStart = new Date('2026-11-21T09:00:00Z');
const afterStart = (seconds: number) => new Date(Date.parse(STARTED_AT) + seconds * 1000);
const meta = { $metadata: {} };

function deployment(overrides: Partial<Deployment>): Deployment {
  return {
    id: 'ecs-svc/1111',
    status: 'PRIMARY',
    desiredCount: 2,
    runningCount: 2,
    rolloutState: 'COMPLETED',
    createdAt: beforeStart,
    ...overrides,
  };
}

function service(deployments: Deployment[], overrides: Partial<Service> = {}): Service {
  return { serviceName: 'web', status: 'ACTIVE', deployments, events: [], ...overrides };
}

const ecs = mockClient(ECSClient);
let clock: FakeClock;

function adapter(logger = recordingLogger()) {
  return createEcsServiceAdapter({
    ecs: new ECSClient({ region: 'us-east-1' }),
    clock,
    logger,
    options: { pollIntervalMs: 1000, verifyTimeoutMs: 10_000 },
  });
}

/** DescribeServices answers with each service in turn (the last one repeats). */
function describeSequence(...services: Service[]) {
  let call = 0;
  ecs.on(DescribeServicesCommand).callsFake(() => {
    const answer = services[Math.min(call, services.length - 1)];
    call += 1;
    return { services: answer === undefined ? [] : [answer], failures: [] };
  });
}

beforeEach(() => {
  ecs.reset();
  clock = fakeClock();
});

afterEach(() => {
  ecs.reset();
});

describe('Function: createEcsServiceAdapter', () => {
  describe('update', () => {
    it('forces a new deployment and reports its id', async () => {
      describeSequence(service([deployment({})]));
      ecs.on(UpdateServiceCommand).resolves({
        service: service([
          deployment({
            id: 'ecs-svc/2222',
            rolloutState: 'IN_PROGRESS',
            createdAt: afterStart(1),
            runningCount: 0,
          }),
          deployment({ status: 'ACTIVE' }),
        ]),
      });

      const result = await adapter().update(consumer, anUpdate({ startedAt: STARTED_AT }));

      expect(result).toMatchObject({ kind: 'ecs-service', outcome: 'updated', consumer: 'web' });
      expect(result.detail).toContain('ecs-svc/2222');
      expect(ecs.commandCalls(UpdateServiceCommand)[0]?.args[0].input).toEqual({
        cluster: 'prod',
        service: 'web',
        forceNewDeployment: true,
      });
    });

    it('does not force another deployment when a PRIMARY one started after the rollout began', async () => {
      describeSequence(
        service([deployment({ id: 'ecs-svc/2222', createdAt: afterStart(30), rolloutState: 'IN_PROGRESS' })]),
      );

      const result = await adapter().update(consumer, anUpdate({ startedAt: STARTED_AT }));

      expect(result.outcome).toBe('already-current');
      expect(result.detail).toContain('ecs-svc/2222');
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    });

    it('forces a deployment on every update when the rollout start is unknown', async () => {
      describeSequence(service([deployment({ createdAt: afterStart(30) })]));
      ecs.on(UpdateServiceCommand).resolves({ service: service([deployment({ id: 'ecs-svc/3333' })]) });

      const result = await adapter().update(consumer, anUpdate());

      expect(result.outcome).toBe('updated');
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    });

    it('does not force a second deployment on re-run after the first attempt failed once it forced one', async () => {
      // Attempt 1: the deployment is forced, then the task dies before reporting.
      describeSequence(service([deployment({})]));
      ecs.on(UpdateServiceCommand).resolves({});
      await adapter().update(consumer, anUpdate({ startedAt: STARTED_AT }));
      // Attempt 2 sees the deployment attempt 1 started.
      describeSequence(
        service([deployment({ id: 'ecs-svc/2222', createdAt: afterStart(5), rolloutState: 'IN_PROGRESS' })]),
      );

      const result = await adapter().update(consumer, anUpdate({ startedAt: STARTED_AT }));

      expect(result.outcome).toBe('already-current');
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(1);
    });

    it('succeeds on re-run after UpdateService failed', async () => {
      describeSequence(service([deployment({})]));
      ecs
        .on(UpdateServiceCommand)
        .rejectsOnce(new AccessDeniedException({ message: 'not allowed', ...meta }));
      const error = await rejectionOf(adapter().update(consumer, anUpdate({ startedAt: STARTED_AT })));
      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('AccessDeniedException');
      ecs.on(UpdateServiceCommand).resolves({ service: service([deployment({ id: 'ecs-svc/4444' })]) });

      const result = await adapter().update(consumer, anUpdate({ startedAt: STARTED_AT }));

      expect(result.outcome).toBe('updated');
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(2);
    });

    it('fails naming the service when ECS does not know it', async () => {
      ecs
        .on(DescribeServicesCommand)
        .resolves({ services: [], failures: [{ arn: 'arn:...', reason: 'MISSING' }] });

      const error = await rejectionOf(adapter().update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toBe('ecs-service consumer "web": service prod/web: MISSING');
      expect(ecs.commandCalls(UpdateServiceCommand)).toHaveLength(0);
    });

    it('fails when the service is not ACTIVE', async () => {
      describeSequence(service([deployment({})], { status: 'DRAINING' }));

      const error = await rejectionOf(adapter().update(consumer, anUpdate()));

      expect(error.message).toContain('is DRAINING, not ACTIVE');
    });

    it('fails with a ConsumerError when DescribeServices fails', async () => {
      ecs.on(DescribeServicesCommand).rejects(new ServiceNotFoundException({ message: 'gone', ...meta }));

      const error = await rejectionOf(adapter().update(consumer, anUpdate()));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('ServiceNotFoundException');
    });
  });

  describe('verify', () => {
    const update = anUpdate({ startedAt: STARTED_AT });

    it('waits until the deployment is COMPLETED with every task running', async () => {
      describeSequence(
        service([
          deployment({
            id: 'ecs-svc/2222',
            createdAt: afterStart(5),
            rolloutState: 'IN_PROGRESS',
            runningCount: 0,
          }),
          deployment({ status: 'ACTIVE' }),
        ]),
        service([
          deployment({
            id: 'ecs-svc/2222',
            createdAt: afterStart(5),
            rolloutState: 'IN_PROGRESS',
            runningCount: 1,
          }),
        ]),
        service([
          deployment({
            id: 'ecs-svc/2222',
            createdAt: afterStart(5),
            rolloutState: 'COMPLETED',
            runningCount: 2,
          }),
        ]),
      );

      const result = await adapter().verify(consumer, update);

      expect(result).toMatchObject({ outcome: 'verified', kind: 'ecs-service' });
      expect(result.detail).toContain('ecs-svc/2222 of prod/web completed, 2/2 tasks running');
      expect(clock.sleeps).toEqual([1000, 1000]);
    });

    it('waits while COMPLETED but not every task runs yet', async () => {
      describeSequence(
        service([deployment({ createdAt: afterStart(5), runningCount: 1 })]),
        service([deployment({ createdAt: afterStart(5), runningCount: 2 })]),
      );

      const result = await adapter().verify(consumer, update);

      expect(result.outcome).toBe('verified');
      expect(clock.sleeps).toHaveLength(1);
    });

    it('treats a single fully running deployment as steady without the circuit breaker', async () => {
      describeSequence(
        service([
          deployment({ createdAt: afterStart(5), rolloutState: undefined }),
          deployment({ status: 'ACTIVE' }),
        ]),
        service([deployment({ createdAt: afterStart(5), rolloutState: undefined })]),
      );

      const result = await adapter().verify(consumer, update);

      expect(result.outcome).toBe('verified');
      expect(clock.sleeps).toHaveLength(1);
    });

    it('fails with the rolloutStateReason when the deployment FAILED', async () => {
      describeSequence(
        service([
          deployment({
            id: 'ecs-svc/2222',
            createdAt: afterStart(5),
            rolloutState: 'FAILED',
            rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.',
          }),
        ]),
      );

      const error = await rejectionOf(adapter().verify(consumer, update));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toBe(
        'ecs-service consumer "web": deployment ecs-svc/2222 of service prod/web FAILED: ECS deployment circuit breaker: tasks failed to start.',
      );
    });

    it('fails when the circuit breaker rolled back, even after the rollback completed', async () => {
      describeSequence(
        service([deployment({ id: 'ecs-svc/5555', createdAt: afterStart(300) })], {
          events: [
            {
              id: 'e2',
              createdAt: afterStart(290),
              message: '(service web) rolling back to deployment ecs-svc/1111.',
            },
            { id: 'e1', createdAt: beforeStart, message: '(service web) has reached a steady state.' },
          ],
        }),
      );

      const error = await rejectionOf(adapter().verify(consumer, update));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('rolling back to deployment ecs-svc/1111');
    });

    it('ignores a FAILED deployment and failure events from before the rollout', async () => {
      describeSequence(
        service(
          [
            deployment({ createdAt: afterStart(5) }),
            deployment({
              id: 'ecs-svc/0',
              status: 'ACTIVE',
              rolloutState: 'FAILED',
              createdAt: beforeStart,
              runningCount: 0,
            }),
          ],
          {
            events: [
              {
                id: 'e0',
                createdAt: beforeStart,
                message: '(service web) deployment failed: tasks failed to start.',
              },
            ],
          },
        ),
      );

      const result = await adapter().verify(consumer, update);

      expect(result.outcome).toBe('verified');
    });

    it('fails when the PRIMARY deployment predates the rollout', async () => {
      describeSequence(service([deployment({ createdAt: beforeStart })]));

      const error = await rejectionOf(adapter().verify(consumer, update));

      expect(error).toBeInstanceOf(ConsumerError);
      expect(error.message).toContain('predates the rollout');
    });

    it('throws ConsumerNotReadyError when the deployment is still rolling out at the deadline', async () => {
      describeSequence(
        service([deployment({ createdAt: afterStart(5), rolloutState: 'IN_PROGRESS', runningCount: 1 })]),
      );

      const error = await rejectionOf(adapter().verify(consumer, update));

      expect(error).toBeInstanceOf(ConsumerNotReadyError);
      expect(error.message).toContain('IN_PROGRESS, 1/2 running');
      expect(error.message).toContain('retry later');
      expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(10_000);
    });

    it('logs the failure with the consumer name', async () => {
      describeSequence(
        service([deployment({ createdAt: afterStart(5), rolloutState: 'FAILED', rolloutStateReason: 'x' })]),
      );
      const logger = recordingLogger();

      await rejectionOf(adapter(logger).verify(consumer, update));

      expect(logger.lines[0]).toMatchObject({
        level: 'error',
        fields: { consumer: 'web', consumer_kind: 'ecs-service', outcome: 'failure' },
      });
    });
  });
});
