import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROLLOUT_TAG } from '../../../lambdas/rollout/contract';
import { emergencyRevoked, finish } from '../../../lambdas/rollout/finish';
import type { WorkflowState } from '../../../lambdas/rollout/plan';
import { rotationSucceededEvent } from '../../../local/workflow/events';
import {
  ALTERNATING,
  EXECUTION_ARN,
  OTHER_EXECUTION,
  plan,
  type RolloutTestWorld,
  rolloutWorld,
  succeeded,
} from './fakes';

const V1 = 'v1-00000000-0000-0000-0000-000000000001';
const V2 = 'v2-00000000-0000-0000-0000-000000000002';

let world: RolloutTestWorld;
beforeEach(() => {
  world = rolloutWorld();
});
afterEach(() => world.restore());

/** The lock item `holder` holds, and its mirror in the tags, as preflight leaves them. */
const locked = (arn: string, holder = EXECUTION_ARN) => {
  world.putLock(arn, { holder, mode: 'scheduled', leaseUntil: '2026-11-21T12:00:00.000Z', version: V2 });
  world.service.invoke('TagResource', {
    SecretId: arn,
    Tags: [
      { Key: ROLLOUT_TAG.holder, Value: holder },
      { Key: ROLLOUT_TAG.lease, Value: '2026-11-21T12:00:00.000Z' },
      { Key: ROLLOUT_TAG.mode, Value: 'scheduled' },
      { Key: ROLLOUT_TAG.version, Value: V2 },
    ],
  });
};
const run = (state: WorkflowState, outcome: 'succeeded' | 'failed' | 'rolled-back') =>
  finish(world.deps, { Task: 'finish', outcome, state, executionArn: EXECUTION_ARN, executionName: 'run-1' });
const published = () => world.sns.commandCalls(PublishCommand).map((call) => call.args[0].input);

describe('Task: finish', () => {
  it('closes a successful rollout: metric, Revoked and Succeeded events, a summary, and the lock released', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);
    locked(arn);
    const state: WorkflowState = {
      rollout: plan(arn),
      rotation: succeeded(V2, V1),
      strategy: ALTERNATING,
      results: {
        canary: [{ consumer: 'api', kind: 'lambda', ok: true, outcome: 'verified', detail: '' }],
        main: [],
      },
      usage: {
        count: 1,
        windows: [],
        last: { action: 'inUse', inUse: false, observable: true, evidence: '0 sessions of app' },
      },
      revocation: { action: 'revoke', done: true },
    };

    // WHEN
    const result = await run(state, 'succeeded');

    // THEN
    expect(result).toEqual({ Cause: 'every consumer is on the new version' });
    expect(world.metrics.recorded).toEqual(['RolloutSucceeded:postgres']);
    expect(world.milestones()).toEqual(['Handover Rollout Revoked', 'Handover Rollout Succeeded']);
    const [message] = published();
    expect(message?.Subject).toBe('Handover: rollout of orders/db/app succeeded');
    expect(message?.Message).toContain('Old credential: not in use: 0 sessions of app');
    expect(message?.Message).toContain('Revoked:     yes');
    expect(world.tags(arn)).toEqual({ [ROLLOUT_TAG.done]: V2 });
    expect(world.lock(arn)).toEqual({ secretArn: arn, done: V2, releasedBy: EXECUTION_ARN });
  });

  it('closes a failure: RolloutFailed and OldCredentialStillInUse, the summary with the revoke command and runbook, the lock released', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);
    locked(arn);
    const state: WorkflowState = {
      rollout: plan(arn),
      rotation: succeeded(V2, V1),
      usage: {
        count: 3,
        windows: [],
        last: { action: 'inUse', inUse: true, observable: true, evidence: '2 sessions of app' },
      },
      failure: { error: 'Handover.OldCredentialStillInUse', cause: 'still in use after 3 checks' },
    };

    // WHEN
    const result = await run(state, 'failed');

    // THEN
    expect(result).toEqual({
      Error: 'Handover.OldCredentialStillInUse',
      Cause: 'still in use after 3 checks',
    });
    expect(world.metrics.recorded).toEqual(['RolloutFailed:postgres', 'OldCredentialStillInUse:postgres']);
    expect(world.milestones()).toEqual(['Handover Rollout Failed']);
    const [message] = published();
    expect(message?.Subject).toBe('Handover: rollout of orders/db/app FAILED (OldCredentialStillInUse)');
    expect(message?.Message).toContain(`"Action":"revoke","SecretId":"${arn}","VersionId":"${V1}"`);
    expect(message?.Message).toContain(
      'https://example.com/README.md#runbook-rollout-old-credential-still-in-use',
    );
    // The new version reached no consumer (none was touched): recorded as not rolled out.
    expect(world.tags(arn)).toEqual({ [ROLLOUT_TAG.done]: 'incomplete:run-1' });
  });

  it('reports a rollback with RolledBack and Failed, and the cause of the failure it answered', async () => {
    // GIVEN
    const arn = world.createSecret();
    const state: WorkflowState = {
      rollout: plan(arn),
      rotation: succeeded(V2, V1),
      results: {
        canary: [
          { consumer: 'api', kind: 'lambda', ok: false, error: 'ConsumerError', cause: 'KMS key disabled' },
        ],
        rollback: [{ consumer: 'api', kind: 'lambda', ok: true, outcome: 'verified', detail: '' }],
      },
      failure: {
        error: 'Handover.ConsumerUpdateFailed',
        cause: '1 of 1 consumers failed in the canary wave',
      },
    };

    // WHEN
    await run(state, 'rolled-back');

    // THEN
    expect(world.milestones()).toEqual(['Handover Rollout RolledBack', 'Handover Rollout Failed']);
    const [message] = published();
    expect(message?.Subject).toBe(
      'Handover: rollout of orders/db/app FAILED (ConsumerUpdateFailed), rolled back',
    );
    expect(message?.Message).toContain('- api (lambda): KMS key disabled');
    expect(message?.Message).toContain('not reached: mirror, ci');
    expect(message?.Message).toContain('pointed back at the old version: api');
  });

  it('never releases a lock another execution holds (a refused start)', async () => {
    // GIVEN
    const arn = world.createSecret();
    locked(arn, OTHER_EXECUTION);
    const state: WorkflowState = {
      secretId: 'orders/db/app',
      mode: 'scheduled',
      reason: 'quarterly',
      caught: { Error: 'Handover.RolloutRefused', Cause: 'another rollout' },
      failure: { error: 'Handover.RolloutRefused', cause: 'another rollout of orders/db/app is running' },
    };

    // WHEN
    await run(state, 'failed');

    // THEN
    expect(world.tags(arn)[ROLLOUT_TAG.holder]).toBe(OTHER_EXECUTION);
    expect(world.lock(arn).holder).toBe(OTHER_EXECUTION);
    expect(published()[0]?.Subject).toBe('Handover: rollout of orders/db/app FAILED (RolloutRefused)');
    expect(world.metrics.recorded).toEqual(['RolloutFailed:unknown']);
  });

  it('reports a lock it no longer holds (taken over): metric, error log, SNS message, and the mirror follows the lock', async () => {
    // GIVEN this execution's lock was taken over while it ran
    const arn = world.createSecret();
    world.rotate(arn, V2);
    locked(arn);
    world.putLock(arn, {
      holder: OTHER_EXECUTION,
      mode: 'emergency',
      leaseUntil: '2026-11-21T13:00:00.000Z',
      version: V2,
      takeoverReason: 'stale lock: its lease expired at 2026-11-21T12:00:00.000Z',
    });

    // WHEN
    await run({ rollout: plan(arn), rotation: succeeded(V2, V1), strategy: ALTERNATING }, 'succeeded');

    // THEN
    expect(world.metrics.recorded).toEqual(['RolloutSucceeded:postgres', 'RolloutLockLost:postgres']);
    expect(world.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'rollout lock lost: this execution no longer held it when it ended',
        fields: expect.objectContaining({ holder_now: OTHER_EXECUTION, outcome: 'lock-lost' }),
      }),
    );
    expect(published().map((message) => message.Subject)).toContain(
      'Handover: rollout lock of orders/db/app lost',
    );
    expect(world.lock(arn).holder).toBe(OTHER_EXECUTION);
    expect(world.tags(arn)[ROLLOUT_TAG.holder]).toBe(OTHER_EXECUTION);
    expect(world.tags(arn)[ROLLOUT_TAG.mode]).toBe('emergency');
  });

  it.each([
    ['succeeded', 'a success', { results: { canary: [], main: [] } }, V2],
    ['rolled-back', 'a complete rollback', { results: { canary: [] } }, V1],
    ['failed', 'a failure before any consumer was touched', {}, 'incomplete:run-1'],
    [
      'failed',
      'a failure with consumers moved (an old credential still in use)',
      {
        results: { canary: [{ consumer: 'api', kind: 'lambda', ok: true, outcome: 'verified', detail: '' }] },
      },
      'incomplete:run-1',
    ],
  ] as const)(
    'records what is rolled out after %s (%s), which the rotations compare with AWSCURRENT',
    async (outcome, _case, extra, done) => {
      // GIVEN
      const arn = world.createSecret();
      world.rotate(arn, V2);
      locked(arn);

      // WHEN
      await run(
        {
          rollout: plan(arn),
          rotation: succeeded(V2, V1),
          strategy: ALTERNATING,
          ...(outcome === 'succeeded'
            ? {}
            : { failure: { error: 'Handover.OldCredentialStillInUse', cause: 'x' } }),
          ...extra,
        } as WorkflowState,
        outcome,
      );

      // THEN
      expect(world.lock(arn).done).toBe(done);
      expect(world.tags(arn)[ROLLOUT_TAG.done]).toBe(done);
    },
  );

  it.each([
    ["a rotation's rollout (RotationSucceeded event)", 'event', undefined, 'incomplete:run-1'],
    ['a manual start (nothing was rotated)', 'manual', undefined, undefined],
    ["a rotation's rollout while another execution holds the lock", 'event', OTHER_EXECUTION, undefined],
  ] as const)(
    'after a failed preflight of %s, records AWSCURRENT as not rolled out only when it reached no consumer and nobody holds the lock',
    async (_case, trigger, holder, done) => {
      // GIVEN a secret no rollout ever tracked, rotated once
      const arn = world.createSecret();
      world.rotate(arn, V2);
      if (holder !== undefined) locked(arn, holder);
      const input =
        trigger === 'event'
          ? rotationSucceededEvent(arn)
          : { secretId: arn, mode: 'scheduled', reason: 'manual rotation requested' };

      // WHEN its preflight failed before planning
      await run(
        {
          ...input,
          failure: {
            error: 'Handover.PreflightFailed',
            cause: 'cannot describe secret: InternalServiceError',
          },
        } as unknown as WorkflowState,
        'failed',
      );

      // THEN the rotations compare this with AWSCURRENT (and refuse until a rollout carries it)
      expect(world.lock(arn).done).toBe(done);
      expect(world.tags(arn)[ROLLOUT_TAG.done]).toBe(done);
      if (holder !== undefined) expect(world.lock(arn).holder).toBe(holder);
    },
  );

  it('releases once: a re-run of finish finds its own release and reports nothing lost', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);
    locked(arn);
    const state: WorkflowState = { rollout: plan(arn), rotation: succeeded(V2, V1), strategy: ALTERNATING };

    // WHEN
    await run(state, 'succeeded');
    await run(state, 'succeeded');

    // THEN
    expect(world.metrics.recorded).toEqual(['RolloutSucceeded:postgres', 'RolloutSucceeded:postgres']);
    expect(world.lock(arn)).toEqual({ secretArn: arn, done: V2, releasedBy: EXECUTION_ARN });
  });

  it('counts an emergency rollout besides its outcome, whether it succeeded or failed', async () => {
    // GIVEN
    const arn = world.createSecret();
    const emergency = plan(arn, { mode: 'emergency', trigger: 'manual', reason: 'key in a public repo' });

    // WHEN
    locked(arn);
    await run({ rollout: emergency, rotation: succeeded(V2, V1) }, 'succeeded');
    locked(arn);
    await run(
      { rollout: emergency, failure: { error: 'Handover.ConsumerUpdateFailed', cause: 'api: 500' } },
      'failed',
    );

    // THEN
    expect(world.metrics.recorded).toEqual([
      'RolloutSucceeded:postgres',
      'EmergencyRollout:postgres',
      'RolloutFailed:postgres',
      'EmergencyRollout:postgres',
    ]);
  });

  it('still releases the lock and returns the cause when notifications fail', async () => {
    // GIVEN
    world.sns.on(PublishCommand).rejects(new Error('KMS.DisabledException'));
    world.eventBridge.on(PutEventsCommand).rejects(new Error('AccessDenied'));
    const arn = world.createSecret();
    locked(arn);

    // WHEN
    const result = await run(
      { rollout: plan(arn), failure: { error: 'Handover.RevokeFailed', cause: 'TargetError: no route' } },
      'failed',
    );

    // THEN
    expect(result).toEqual({ Error: 'Handover.RevokeFailed', Cause: 'TargetError: no route' });
    expect(world.tags(arn)[ROLLOUT_TAG.holder]).toBeUndefined();
    expect(world.lock(arn).holder).toBeUndefined();
    expect(world.logger.lines.filter((line) => line.level === 'warn').map((line) => line.message)).toEqual([
      'milestone event not published',
      'notification not published',
    ]);
  });
});

describe('Task: emergency-revoked', () => {
  it('publishes Revoked and an EMERGENCY summary naming every consumer that breaks until it is updated', async () => {
    // GIVEN
    const arn = world.createSecret();
    const state: WorkflowState = {
      rollout: plan(arn, { mode: 'emergency', trigger: 'manual', reason: 'key in a public repo' }),
      rotation: succeeded(V2, V1),
      strategy: ALTERNATING,
      precheck: {
        action: 'inUse',
        inUse: true,
        observable: true,
        evidence: '3 sessions of app from 10.0.1.7',
      },
      revocation: { action: 'revoke', done: true },
    };

    // WHEN
    const result = await emergencyRevoked(world.deps, { state, executionArn: EXECUTION_ARN });

    // THEN
    expect(result).toEqual({ notified: true });
    expect(world.milestones()).toEqual(['Handover Rollout Revoked']);
    const [message] = published();
    expect(message?.Subject).toBe('Handover: EMERGENCY: old credential of orders/db/app revoked');
    expect(message?.Message).toContain('  - api (lambda)\n  - mirror (ssm-parameter)\n  - ci (event)');
    expect(message?.Message).toContain('Old credential: IN USE: 3 sessions of app from 10.0.1.7');
    expect(message?.Message).toContain('key in a public repo');
  });
});
