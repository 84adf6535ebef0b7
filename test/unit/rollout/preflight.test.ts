import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROLLOUT_TAG } from '../../../lambdas/rollout/contract';
import { type PreflightResult, preflight } from '../../../lambdas/rollout/preflight';
import { EXECUTION_ARN, NOW, OTHER_EXECUTION, type RolloutTestWorld, rolloutWorld } from './fakes';

const V2 = 'v2-00000000-0000-0000-0000-000000000002';
const V1 = 'v1-00000000-0000-0000-0000-000000000001';

let world: RolloutTestWorld;
beforeEach(() => {
  world = rolloutWorld();
});
afterEach(() => world.restore());

const rotationEvent = (secretId: string) => ({
  source: 'aws.secretsmanager',
  'detail-type': 'AWS Service Event via CloudTrail',
  time: '2026-11-21T09:59:00Z',
  detail: { eventName: 'RotationSucceeded', additionalEventData: { SecretId: secretId } },
});
const task = (input: unknown, executionArn = EXECUTION_ARN) => ({
  Task: 'preflight' as const,
  input,
  executionArn,
  executionName: executionArn.split(':').at(-1) ?? '',
});
const rollout = (result: PreflightResult) => {
  if (result.action !== 'rollout')
    throw new Error(`expected a rollout, got ${result.action}: ${result.skipReason}`);
  return result;
};

describe('Task: preflight', () => {
  it('plans a scheduled rollout from the RotationSucceeded event: versions, canary wave first, lock taken', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);

    // WHEN
    const result = rollout(await preflight(world.deps, task(rotationEvent(arn))));

    // THEN
    expect(result.rotation).toEqual({
      status: 'succeeded',
      checks: 0,
      versionId: V2,
      previousVersionId: V1,
      versions: { newVersionId: V2, oldVersionId: V1 },
      completedAt: '2026-11-21T09:59:00Z',
    });
    expect(result.rollout).toMatchObject({
      secretArn: arn,
      secretName: 'orders/db/app',
      credentialType: 'postgres',
      mode: 'scheduled',
      trigger: 'event',
      graceSeconds: 3600,
      rolloutId: 'run-1',
    });
    expect(result.rollout.waves.canary.map((c) => c.name)).toEqual(['api']);
    expect(result.rollout.waves.main.map((c) => c.name)).toEqual(['mirror', 'ci']);
    // The event consumer gets the acknowledgement timeout the state machine reads.
    expect(result.rollout.waves.main[1]).toMatchObject({ kind: 'event', timeoutSeconds: 3600 });
    expect(world.tags(arn)).toEqual({
      [ROLLOUT_TAG.holder]: EXECUTION_ARN,
      [ROLLOUT_TAG.lease]: new Date(NOW.getTime() + 7200_000).toISOString(),
      [ROLLOUT_TAG.version]: V2,
    });
    expect(world.milestones()).toEqual(['Handover Rollout Started']);
  });

  it('plans a manual emergency rollout with no grace and every consumer in one wave', async () => {
    // GIVEN
    const arn = world.createSecret();

    // WHEN
    const result = rollout(
      await preflight(
        world.deps,
        task({ secretId: 'orders/db/app', mode: 'emergency', reason: 'leaked key' }),
      ),
    );

    // THEN
    expect(result.rotation).toEqual({ status: 'running', checks: 0 });
    expect(result.rollout).toMatchObject({
      mode: 'emergency',
      trigger: 'manual',
      graceSeconds: 0,
      reason: 'leaked key',
    });
    expect(result.rollout.waves.canary).toEqual([]);
    expect(result.rollout.waves.main.map((c) => c.name)).toEqual(['api', 'mirror', 'ci']);
    expect(world.tags(arn)[ROLLOUT_TAG.version]).toBeUndefined();
  });

  it('refuses a second rollout while another execution holds the lock, naming it, and changes nothing', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.service.invoke('TagResource', {
      SecretId: arn,
      Tags: [
        { Key: ROLLOUT_TAG.holder, Value: OTHER_EXECUTION },
        { Key: ROLLOUT_TAG.lease, Value: '2026-11-22T10:00:00.000Z' },
      ],
    });

    // WHEN / THEN
    await expect(
      preflight(world.deps, task({ secretId: arn, mode: 'scheduled', reason: 'quarterly' })),
    ).rejects.toMatchObject({
      name: 'Handover.RolloutRefused',
      message: expect.stringContaining(`another rollout of orders/db/app is running: ${OTHER_EXECUTION}`),
    });
    expect(world.tags(arn)[ROLLOUT_TAG.holder]).toBe(OTHER_EXECUTION);
    expect(world.milestones()).toEqual([]);
  });

  it('skips a RotationSucceeded event for the version the lock holder already carries', async () => {
    // GIVEN a manual rollout rotated to V2 and holds the lock
    const arn = world.createSecret();
    world.rotate(arn, V2);
    world.service.invoke('TagResource', {
      SecretId: arn,
      Tags: [
        { Key: ROLLOUT_TAG.holder, Value: OTHER_EXECUTION },
        { Key: ROLLOUT_TAG.version, Value: V2 },
      ],
    });

    // WHEN
    const result = await preflight(world.deps, task(rotationEvent(arn)));

    // THEN
    expect(result).toMatchObject({ action: 'skip', skipReason: expect.stringContaining(OTHER_EXECUTION) });
    expect(world.tags(arn)[ROLLOUT_TAG.holder]).toBe(OTHER_EXECUTION);
  });

  it('skips a RotationSucceeded event for a version a rollout already completed', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);
    world.service.invoke('TagResource', { SecretId: arn, Tags: [{ Key: ROLLOUT_TAG.done, Value: V2 }] });

    // WHEN
    const result = await preflight(world.deps, task(rotationEvent(arn)));

    // THEN
    expect(result).toMatchObject({
      action: 'skip',
      skipReason: expect.stringContaining('already rolled out'),
    });
  });

  it.each([
    ['its lease expired', { lease: '2026-11-21T09:00:00.000Z', status: 'RUNNING' }],
    ['its execution was stopped', { lease: '2026-12-01T00:00:00.000Z', status: 'ABORTED' }],
    ['its execution timed out', { lease: '2026-12-01T00:00:00.000Z', status: 'TIMED_OUT' }],
  ])('takes over a stale lock when %s', async (_case, { lease, status }) => {
    // GIVEN
    world.sfn.on(DescribeExecutionCommand).resolves({ status: status as 'RUNNING' });
    const arn = world.createSecret();
    world.service.invoke('TagResource', {
      SecretId: arn,
      Tags: [
        { Key: ROLLOUT_TAG.holder, Value: OTHER_EXECUTION },
        { Key: ROLLOUT_TAG.lease, Value: lease },
      ],
    });

    // WHEN
    const result = await preflight(
      world.deps,
      task({ secretId: arn, mode: 'scheduled', reason: 'quarterly' }),
    );

    // THEN
    expect(result.action).toBe('rollout');
    expect(world.tags(arn)[ROLLOUT_TAG.holder]).toBe(EXECUTION_ARN);
    expect(world.logger.lines).toContainEqual(
      expect.objectContaining({
        message: 'taking over a stale rollout lock',
        fields: expect.objectContaining({ previous_holder: OTHER_EXECUTION }),
      }),
    );
  });

  it('takes over the lock of an execution that no longer exists', async () => {
    // GIVEN
    world.sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    const arn = world.createSecret();
    world.service.invoke('TagResource', {
      SecretId: arn,
      Tags: [{ Key: ROLLOUT_TAG.holder, Value: OTHER_EXECUTION }],
    });

    // WHEN
    const result = await preflight(
      world.deps,
      task({ secretId: arn, mode: 'scheduled', reason: 'quarterly' }),
    );

    // THEN
    expect(result.action).toBe('rollout');
  });

  it('respects a lock whose holder cannot be read, and says so', async () => {
    // GIVEN
    world.sfn.on(DescribeExecutionCommand).rejects(new Error('AccessDenied'));
    const arn = world.createSecret();
    world.service.invoke('TagResource', {
      SecretId: arn,
      Tags: [{ Key: ROLLOUT_TAG.holder, Value: OTHER_EXECUTION }],
    });

    // WHEN / THEN
    await expect(
      preflight(world.deps, task({ secretId: arn, mode: 'scheduled', reason: 'quarterly' })),
    ).rejects.toThrow(/status could not be read, so its lock is respected/);
  });

  it('runs again after a failure before or after taking the lock, and ends with its own lock', async () => {
    for (const timing of ['before', 'after'] as const) {
      // GIVEN
      world.restore();
      world = rolloutWorld();
      const arn = world.createSecret();
      world.rotate(arn, V2);
      const calls = world.secretsManager.calls.length;
      // Calls of a preflight: DescribeSecret, TagResource, DescribeSecret.
      world.secretsManager.failCall(calls + 1, timing);

      // WHEN
      await expect(preflight(world.deps, task(rotationEvent(arn)))).rejects.toThrow();
      const result = await preflight(world.deps, task(rotationEvent(arn)));

      // THEN
      expect(result.action, timing).toBe('rollout');
      expect(world.tags(arn)[ROLLOUT_TAG.holder], timing).toBe(EXECUTION_ARN);
    }
  });

  it('gives way when a concurrent start overwrote the lock it just took', async () => {
    // GIVEN a start that tags the secret between this one's TagResource and its read-back
    const arn = world.createSecret();
    const send = world.secretsManager.send.bind(world.secretsManager);
    world.deps = {
      ...world.deps,
      secretsManager: {
        send: (async (command: { constructor: { name: string } }) => {
          const out = await send(command as never);
          if (command.constructor.name === 'TagResourceCommand') {
            world.service.invoke('TagResource', {
              SecretId: arn,
              Tags: [{ Key: ROLLOUT_TAG.holder, Value: OTHER_EXECUTION }],
            });
          }
          return out;
        }) as typeof world.secretsManager.send,
      },
    };

    // WHEN / THEN
    await expect(
      preflight(world.deps, task({ secretId: arn, mode: 'scheduled', reason: 'quarterly' })),
    ).rejects.toMatchObject({
      name: 'Handover.RolloutRefused',
      message: expect.stringContaining('at the same moment'),
    });
  });

  it.each([
    ['a secret that does not exist', 'missing/secret', 'Handover.InvalidInput', /does not exist/],
    [
      'a secret outside the policy',
      'not/in/policy',
      'Handover.InvalidInput',
      /has no rollout configuration \(SSM parameter \/handover\/rollout\/not\/in\/policy\)/,
    ],
  ])('refuses %s with a named error and changes nothing', async (_case, secretId, name, message) => {
    // GIVEN
    if (secretId === 'not/in/policy')
      world.service.invoke('CreateSecret', { Name: secretId, SecretString: '{}' });

    // WHEN / THEN
    await expect(
      preflight(world.deps, task({ secretId, mode: 'scheduled', reason: 'quarterly' })),
    ).rejects.toMatchObject({ name, message: expect.stringMatching(message) });
    expect(world.secretsManager.calls).not.toContain('TagResource');
  });

  it('refuses an invalid rollout configuration with one error listing every problem', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.ssm.on(GetParameterCommand).resolves({
      Parameter: { Value: JSON.stringify({ secretArn: arn, credentialType: 'ldap', graceSeconds: -1 }) },
    });

    // WHEN / THEN
    await expect(
      preflight(world.deps, task({ secretId: arn, mode: 'scheduled', reason: 'quarterly' })),
    ).rejects.toMatchObject({
      name: 'Handover.InvalidInput',
      message: expect.stringMatching(
        /7 problems: credentialType: .*rotationFunctionArn: .*graceSeconds: .*consumers: /,
      ),
    });
    expect(world.secretsManager.calls).not.toContain('TagResource');
  });

  it('refuses an execution input that is not the console shape, showing the shape', async () => {
    // WHEN / THEN
    await expect(preflight(world.deps, task({ secretID: 'x', mode: 'urgent' }))).rejects.toMatchObject({
      name: 'Handover.InvalidInput',
      message: expect.stringMatching(/secretID: is not a field .*Expected \{"secretId"/),
    });
  });
});
