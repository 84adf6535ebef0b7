import { DescribeExecutionCommand, ExecutionDoesNotExist, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand } from '@aws-sdk/client-sns';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROLLOUT_TAG } from '../../../lambdas/rollout/contract';
import { type PreflightResult, preflight } from '../../../lambdas/rollout/preflight';
import { rotationToken } from '../../../lambdas/rollout/rotate-secret';
import { EXECUTION_ARN, NOW, OTHER_EXECUTION, type RolloutTestWorld, rolloutWorld } from './fakes';

const V2 = 'v2-00000000-0000-0000-0000-000000000002';
const V1 = 'v1-00000000-0000-0000-0000-000000000001';
const V3 = 'v3-00000000-0000-0000-0000-000000000003';

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
  it('plans a scheduled rollout from the RotationSucceeded event: versions, canary wave first, lock taken and mirrored', async () => {
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
    // The lock (worst case 3 h 41 min + margin, capped by the 2-hour lease setting) and its mirror.
    const lease = new Date(NOW.getTime() + 7200_000).toISOString();
    expect(world.lock(arn)).toEqual({
      secretArn: arn,
      holder: EXECUTION_ARN,
      mode: 'scheduled',
      leaseUntil: lease,
      takenAt: NOW.toISOString(),
      version: V2,
    });
    expect(world.tags(arn)).toEqual({
      [ROLLOUT_TAG.holder]: EXECUTION_ARN,
      [ROLLOUT_TAG.lease]: lease,
      [ROLLOUT_TAG.mode]: 'scheduled',
      [ROLLOUT_TAG.version]: V2,
    });
    expect(world.milestones()).toEqual(['Handover Rollout Started']);
  });

  it('leases the lock for its worst case plus a margin when that is shorter than the lease setting', async () => {
    // GIVEN no consumers, 10 min grace, 2 checks 5 min apart, 900 s rotation timeout: 35 min + 1 h
    const arn = world.createSecret('orders/db/short', {
      consumers: [],
      graceSeconds: 600,
      usageRecheckSeconds: 300,
      usageMaxChecks: 2,
    });
    world.rotate(arn, V2);

    // WHEN
    await preflight(world.deps, task(rotationEvent(arn)));

    // THEN
    expect(world.lock(arn).leaseUntil).toBe(new Date(NOW.getTime() + (2100 + 3600) * 1000).toISOString());
  });

  it('plans a manual emergency rollout with no grace and every consumer in one wave, its own rotation recorded on the lock', async () => {
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
    expect(world.lock(arn)).toMatchObject({ mode: 'emergency', version: rotationToken(EXECUTION_ARN) });
    expect(world.tags(arn)[ROLLOUT_TAG.version]).toBe(rotationToken(EXECUTION_ARN));
    expect(world.tags(arn)[ROLLOUT_TAG.mode]).toBe('emergency');
  });

  it.each([
    ['a scheduled start', 'scheduled', 'scheduled'],
    ['an emergency start', 'emergency', 'emergency'],
  ] as const)(
    'refuses %s while a live %s rollout holds the lock, naming it, and changes nothing',
    async (_case, mode, held) => {
      // GIVEN
      const arn = world.createSecret();
      world.putLock(arn, { holder: OTHER_EXECUTION, mode: held, leaseUntil: '2026-11-22T10:00:00.000Z' });

      // WHEN / THEN
      await expect(
        preflight(world.deps, task({ secretId: arn, mode, reason: 'quarterly' })),
      ).rejects.toMatchObject({
        name: 'Handover.RolloutRefused',
        message: expect.stringContaining(
          `another rollout of orders/db/app is running: ${OTHER_EXECUTION} (${held}`,
        ),
      });
      expect(world.lock(arn).holder).toBe(OTHER_EXECUTION);
      expect(world.tags(arn)).toEqual({});
      expect(world.milestones()).toEqual([]);
      expect(world.sfn.commandCalls(StopExecutionCommand)).toEqual([]);
    },
  );

  it('lets exactly one of two starts proceed when B reads, A takes the lock, then B writes (defect 2)', async () => {
    // GIVEN start B paused right after its first read of the secret, while A runs whole
    const arn = world.createSecret();
    let first: Promise<PreflightResult> | undefined;
    const send = world.secretsManager.send.bind(world.secretsManager);
    const paused: typeof world.deps = {
      ...world.deps,
      secretsManager: {
        send: (async (command: { constructor: { name: string } }) => {
          const out = await send(command as never);
          if (command.constructor.name === 'DescribeSecretCommand' && first === undefined) {
            first = preflight(world.deps, task({ secretId: arn, mode: 'scheduled', reason: 'start A' }));
            await first;
          }
          return out;
        }) as typeof world.secretsManager.send,
      },
    };

    // WHEN
    const second = preflight(
      paused,
      task({ secretId: arn, mode: 'scheduled', reason: 'start B' }, OTHER_EXECUTION),
    );

    // THEN: A (the first to write) proceeds, B is refused and names A
    await expect(second).rejects.toMatchObject({
      name: 'Handover.RolloutRefused',
      message: expect.stringContaining(EXECUTION_ARN),
    });
    expect((await first)?.action).toBe('rollout');
    expect(world.lock(arn).holder).toBe(EXECUTION_ARN);
    expect(world.tags(arn)[ROLLOUT_TAG.holder]).toBe(EXECUTION_ARN);
  });

  it('skips a RotationSucceeded event for the version the lock holder already carries', async () => {
    // GIVEN a manual rollout rotated to V2 and holds the lock
    const arn = world.createSecret();
    world.rotate(arn, V2);
    world.putLock(arn, {
      holder: OTHER_EXECUTION,
      mode: 'scheduled',
      version: V2,
      leaseUntil: '2026-11-22T10:00:00.000Z',
    });

    // WHEN
    const result = await preflight(world.deps, task(rotationEvent(arn)));

    // THEN
    expect(result).toMatchObject({ action: 'skip', skipReason: expect.stringContaining(OTHER_EXECUTION) });
    expect(world.lock(arn).holder).toBe(OTHER_EXECUTION);
  });

  it('skips a RotationSucceeded event for a version a rollout already completed, without taking the lock', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, V2);
    world.putLock(arn, { done: V2, releasedBy: OTHER_EXECUTION });

    // WHEN
    const result = await preflight(world.deps, task(rotationEvent(arn)));

    // THEN
    expect(result).toMatchObject({
      action: 'skip',
      skipReason: expect.stringContaining('already rolled out'),
    });
    expect(world.lock(arn).holder).toBeUndefined();
  });

  it.each([
    ['its lease expired', { lease: '2026-11-21T09:00:00.000Z', status: 'RUNNING', stopped: 1 }],
    ['its execution was stopped', { lease: '2026-12-01T00:00:00.000Z', status: 'ABORTED', stopped: 0 }],
    ['its execution timed out', { lease: '2026-12-01T00:00:00.000Z', status: 'TIMED_OUT', stopped: 0 }],
  ])('takes over a stale lock explicitly when %s, and logs it', async (_case, { lease, status, stopped }) => {
    // GIVEN
    world.sfn.on(DescribeExecutionCommand).resolves({ status: status as 'RUNNING' });
    const arn = world.createSecret();
    world.putLock(arn, { holder: OTHER_EXECUTION, mode: 'scheduled', leaseUntil: lease });

    // WHEN
    const result = await preflight(
      world.deps,
      task({ secretId: arn, mode: 'scheduled', reason: 'quarterly' }),
    );

    // THEN
    expect(result.action).toBe('rollout');
    expect(world.lock(arn)).toMatchObject({
      holder: EXECUTION_ARN,
      takenOverFrom: OTHER_EXECUTION,
      takeoverReason: expect.stringContaining('stale lock'),
    });
    expect(world.tags(arn)[ROLLOUT_TAG.holder]).toBe(EXECUTION_ARN);
    expect(world.logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'taking over a stale rollout lock',
        fields: expect.objectContaining({ previous_holder: OTHER_EXECUTION, outcome: 'taken-over' }),
      }),
    );
    // A holder past its lease but still running is stopped: one rollout acts at a time.
    expect(world.sfn.commandCalls(StopExecutionCommand)).toHaveLength(stopped);
  });

  it('takes over the lock of an execution that no longer exists', async () => {
    // GIVEN
    world.sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    const arn = world.createSecret();
    world.putLock(arn, {
      holder: OTHER_EXECUTION,
      mode: 'scheduled',
      leaseUntil: '2026-12-01T00:00:00.000Z',
    });

    // WHEN
    const result = await preflight(
      world.deps,
      task({ secretId: arn, mode: 'scheduled', reason: 'quarterly' }),
    );

    // THEN
    expect(result.action).toBe('rollout');
    expect(world.sfn.commandCalls(StopExecutionCommand)).toEqual([]);
  });

  it('lets only one of two starts take over the same stale lock', async () => {
    // GIVEN a stale lock, and start B paused after it read the holder's status while A runs whole
    world.sfn.on(DescribeExecutionCommand).resolves({ status: 'ABORTED' });
    const arn = world.createSecret();
    world.putLock(arn, {
      holder: 'arn:aws:states:us-east-1:123456789012:execution:Handover-rollout:old',
      mode: 'scheduled',
      leaseUntil: '2026-12-01T00:00:00.000Z',
    });
    let first: Promise<PreflightResult> | undefined;
    const paused: typeof world.deps = {
      ...world.deps,
      sfn: {
        send: (async (command: unknown) => {
          const out = await world.deps.sfn.send(command as never);
          if (first === undefined) {
            first = preflight(world.deps, task({ secretId: arn, mode: 'scheduled', reason: 'start A' }));
            await first;
          }
          return out;
        }) as typeof world.deps.sfn.send,
      },
    };

    // WHEN
    const second = preflight(
      paused,
      task({ secretId: arn, mode: 'scheduled', reason: 'start B' }, OTHER_EXECUTION),
    );

    // THEN
    await expect(second).rejects.toMatchObject({
      name: 'Handover.RolloutRefused',
      message: expect.stringContaining('at the same moment'),
    });
    expect((await first)?.action).toBe('rollout');
    expect(world.lock(arn).holder).toBe(EXECUTION_ARN);
  });

  it('respects a lock whose holder cannot be read, and says so', async () => {
    // GIVEN
    world.sfn.on(DescribeExecutionCommand).rejects(new Error('AccessDenied'));
    const arn = world.createSecret();
    world.putLock(arn, {
      holder: OTHER_EXECUTION,
      mode: 'scheduled',
      leaseUntil: '2026-12-01T00:00:00.000Z',
    });

    // WHEN / THEN
    await expect(
      preflight(world.deps, task({ secretId: arn, mode: 'scheduled', reason: 'quarterly' })),
    ).rejects.toThrow(/status could not be read, so its lock is respected/);
  });

  it('takes a running scheduled rollout over for an emergency: stops it with the reason, records and notifies', async () => {
    // GIVEN a scheduled rollout in its grace window
    const arn = world.createSecret();
    world.putLock(arn, {
      holder: OTHER_EXECUTION,
      mode: 'scheduled',
      version: V1,
      leaseUntil: '2026-11-22T10:00:00.000Z',
    });

    // WHEN
    const result = rollout(
      await preflight(world.deps, task({ secretId: arn, mode: 'emergency', reason: 'key in a public gist' })),
    );

    // THEN
    expect(result.rollout.mode).toBe('emergency');
    const [stop] = world.sfn.commandCalls(StopExecutionCommand);
    expect(stop?.args[0].input).toEqual({
      executionArn: OTHER_EXECUTION,
      error: 'Handover.RolloutTakenOver',
      cause: expect.stringContaining(`emergency rollout ${EXECUTION_ARN} takes over: key in a public gist`),
    });
    expect(world.lock(arn)).toMatchObject({
      holder: EXECUTION_ARN,
      mode: 'emergency',
      takenOverFrom: OTHER_EXECUTION,
      takeoverReason: expect.stringContaining('key in a public gist'),
    });
    expect(world.tags(arn)[ROLLOUT_TAG.holder]).toBe(EXECUTION_ARN);
    expect(world.milestones()).toEqual(['Handover Rollout Failed', 'Handover Rollout Started']);
    const [published] = world.sns.commandCalls(PublishCommand);
    expect(published?.args[0].input.Subject).toBe('Handover: rollout of orders/db/app stopped: taken over');
    expect(published?.args[0].input.Message).toContain(`Taken over by: ${EXECUTION_ARN} (emergency)`);
    expect(world.logger.lines).toContainEqual(
      expect.objectContaining({ message: 'emergency rollout takes over a scheduled rollout' }),
    );
  });

  it('waits out a rotation in flight when the lock is taken, before any consumer (the race with a rotation already running)', async () => {
    // GIVEN the event's version V2 is current, and another rotation already put AWSPENDING on V3
    const arn = world.createSecret();
    world.rotate(arn, V2);
    world.service.invoke('PutSecretValue', {
      SecretId: arn,
      ClientRequestToken: V3,
      SecretString: '{"username":"app","password":"p3"}',
      VersionStages: ['AWSPENDING'],
    });

    // WHEN
    const result = rollout(await preflight(world.deps, task(rotationEvent(arn))));

    // THEN
    expect(result.rotation).toEqual({
      status: 'running',
      checks: 0,
      versionId: V3,
      previousVersionId: V2,
      requestedAt: NOW.toISOString(),
      inFlight: { newVersionId: V2, oldVersionId: V1 },
    });
    expect(world.tags(arn)[ROLLOUT_TAG.version]).toBe(V2);
  });

  it('carries AWSCURRENT instead of rotating again when a manual scheduled start finds it never rolled out', async () => {
    // GIVEN V2's rollout failed: the last rollout completed V1
    const arn = world.createSecret();
    world.rotate(arn, V2);
    world.putLock(arn, { done: V1, releasedBy: OTHER_EXECUTION });

    // WHEN
    const result = rollout(
      await preflight(world.deps, task({ secretId: arn, mode: 'scheduled', reason: 'finish the rollout' })),
    );

    // THEN
    expect(result.rotation).toMatchObject({
      status: 'succeeded',
      versions: { newVersionId: V2, oldVersionId: V1 },
    });
    expect(world.lock(arn)).toMatchObject({ holder: EXECUTION_ARN, version: V2 });
    expect(world.tags(arn)[ROLLOUT_TAG.version]).toBe(V2);
  });

  it('runs again after a failure before or after taking the lock, and ends with its own lock', async () => {
    for (const [where, timing] of [
      ['dynamodb', 'before'],
      ['dynamodb', 'after'],
      ['secretsmanager', 'before'],
      ['secretsmanager', 'after'],
    ] as const) {
      // GIVEN
      world.restore();
      world = rolloutWorld();
      const arn = world.createSecret();
      world.rotate(arn, V2);
      // The lock write (UpdateItem), or its mirror (TagResource, the second Secrets Manager call).
      if (where === 'dynamodb') world.dynamodb.failCall(world.dynamodb.calls.length, timing);
      else world.secretsManager.failCall(world.secretsManager.calls.length + 1, timing);

      // WHEN
      await expect(preflight(world.deps, task(rotationEvent(arn)))).rejects.toThrow();
      const result = await preflight(world.deps, task(rotationEvent(arn)));

      // THEN
      expect(result.action, `${where} ${timing}`).toBe('rollout');
      expect(world.lock(arn).holder, `${where} ${timing}`).toBe(EXECUTION_ARN);
      expect(world.tags(arn)[ROLLOUT_TAG.holder], `${where} ${timing}`).toBe(EXECUTION_ARN);
    }
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
    expect(world.dynamodb.calls).toEqual([]);
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
