import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkWave,
  consumersUpdated,
  publishConsumerEvent,
  updateConsumer,
} from '../../../lambdas/rollout/consumer-tasks';
import type { ConsumerUpdate } from '../../../lambdas/rollout/contract';
import type { ConsumerOutcome } from '../../../lambdas/rollout/plan';
import { ConsumerError } from '../../../lambdas/shared/errors';
import { CONSUMERS, NOW, plan, type RolloutTestWorld, rolloutWorld, succeeded } from './fakes';

const SECRET = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:orders/db/app-AbCdEf';
const update: ConsumerUpdate = {
  secretArn: SECRET,
  versionId: 'v2',
  rolloutId: 'run-1',
  mode: 'scheduled',
  startedAt: NOW.toISOString(),
};
const [api, mirror, ci] = CONSUMERS as [(typeof CONSUMERS)[0], (typeof CONSUMERS)[1], (typeof CONSUMERS)[2]];

let world: RolloutTestWorld;
beforeEach(() => {
  world = rolloutWorld();
});
afterEach(() => world.restore());

describe('Task: update-consumer', () => {
  it('updates the consumer, then verifies it on the new version', async () => {
    // WHEN
    const outcome = await updateConsumer(world.deps, { Task: 'update-consumer', consumer: api, update });

    // THEN
    expect(world.adapterCalls).toEqual(['update:api@v2', 'verify:api@v2']);
    expect(outcome).toEqual({
      consumer: 'api',
      kind: 'lambda',
      ok: true,
      outcome: 'verified',
      detail: 'updated: lambda detail; verified: healthy',
    });
  });

  it('reports already-current when a re-run finds the consumer on the version', async () => {
    // GIVEN
    await updateConsumer(world.deps, { Task: 'update-consumer', consumer: mirror, update });

    // WHEN
    const outcome = await updateConsumer(world.deps, { Task: 'update-consumer', consumer: mirror, update });

    // THEN
    expect(outcome).toMatchObject({ ok: true, outcome: 'already-current' });
  });

  it('lets the adapter error through with its name, so the state machine can retry or record it', async () => {
    // GIVEN
    world.failing.set(
      'api',
      Object.assign(new ConsumerError('api', 'update still in progress'), { name: 'ConsumerNotReadyError' }),
    );

    // WHEN / THEN
    await expect(
      updateConsumer(world.deps, { Task: 'update-consumer', consumer: api, update }),
    ).rejects.toMatchObject({
      name: 'ConsumerNotReadyError',
    });
    expect(world.adapterCalls).toEqual(['update:api@v2']);
  });
});

describe('Task: publish-consumer-event', () => {
  it('publishes with the task token of the waiting state', async () => {
    // WHEN
    const outcome = await publishConsumerEvent(world.deps, {
      Task: 'publish-consumer-event',
      consumer: ci,
      update,
      taskToken: 'token-1',
    });

    // THEN
    expect(world.adapterCalls).toEqual(['update:ci@v2+token']);
    expect(outcome).toMatchObject({ consumer: 'ci', ok: true, outcome: 'published' });
  });

  it('refuses to publish without a task token', async () => {
    // WHEN / THEN
    await expect(
      publishConsumerEvent(world.deps, { Task: 'publish-consumer-event', consumer: ci, update }),
    ).rejects.toMatchObject({ name: 'Handover.ConsumerUpdateFailed' });
    expect(world.adapterCalls).toEqual([]);
  });
});

describe('Task: check-wave', () => {
  const ok: ConsumerOutcome = { consumer: 'api', kind: 'lambda', ok: true, outcome: 'verified', detail: 'd' };
  const failed: ConsumerOutcome = {
    consumer: 'mirror',
    kind: 'ssm-parameter',
    ok: false,
    error: 'ConsumerError',
    cause: JSON.stringify({ errorType: 'ConsumerError', errorMessage: 'parameter is a plain String' }),
  };

  it('passes a wave where every consumer is on the new version', async () => {
    // WHEN
    const result = await checkWave(world.deps, {
      Task: 'check-wave',
      wave: 'canary',
      rollout: plan(SECRET),
      results: [ok],
    });

    // THEN
    expect(result).toEqual({ wave: 'canary', updated: ['api'] });
    expect(world.metrics.recorded).toEqual([]);
  });

  it('fails the wave naming each failed consumer and why, with one metric and one log line each', async () => {
    // WHEN / THEN
    await expect(
      checkWave(world.deps, {
        Task: 'check-wave',
        wave: 'main',
        rollout: plan(SECRET),
        results: [ok, failed],
      }),
    ).rejects.toMatchObject({
      name: 'Handover.ConsumerUpdateFailed',
      message:
        '1 of 2 consumers failed in the main wave: mirror (ssm-parameter): ConsumerError: parameter is a plain String',
    });
    expect(world.metrics.recorded).toEqual(['ConsumerUpdateFailed:postgres:mirror']);
    expect(world.logger.lines.filter((line) => line.level === 'error')).toEqual([
      expect.objectContaining({
        fields: expect.objectContaining({ consumer: 'mirror', outcome: 'failure' }),
      }),
    ]);
  });

  it('fails the rollback wave with Handover.RollbackFailed', async () => {
    // WHEN / THEN
    await expect(
      checkWave(world.deps, {
        Task: 'check-wave',
        wave: 'rollback',
        rollout: plan(SECRET),
        results: [failed],
      }),
    ).rejects.toMatchObject({
      name: 'Handover.RollbackFailed',
      message: expect.stringContaining('pointing consumers back'),
    });
  });
});

describe('Task: consumers-updated', () => {
  it('publishes the milestone and plans one usage window per check', async () => {
    // WHEN
    const usage = await consumersUpdated(world.deps, {
      Task: 'consumers-updated',
      rollout: plan(SECRET),
      rotation: succeeded('v2', 'v1'),
      results: { canary: [{ consumer: 'api', kind: 'lambda', ok: true, outcome: 'verified', detail: '' }] },
    });

    // THEN: grace 3600 s, re-check 600 s, 3 checks
    expect(usage).toEqual({
      count: 0,
      windows: ['2026-11-21T10:50:00.000Z', '2026-11-21T11:00:00.000Z', '2026-11-21T11:10:00.000Z'],
    });
    const detail = JSON.parse(
      world.eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.Detail ?? '{}',
    );
    expect(detail).toMatchObject({
      consumers: { updated: ['api'], failed: [] },
      newVersionId: 'v2',
      oldVersionId: 'v1',
    });
    expect(world.milestones()).toEqual(['Handover Rollout ConsumersUpdated']);
  });
});
