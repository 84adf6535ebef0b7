import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type AccessKeySecret,
  createIamAccessKeyStrategy,
  maskAccessKeyId,
} from '../../../../lambdas/credentials/iam-access-key';
import { STAGE } from '../../../../lambdas/rotation/constants';
import { createRotationHandler } from '../../../../lambdas/rotation/engine';
import { createSecretsManagerPort } from '../../../../lambdas/rotation/secrets-port';
import type { StrategyContext } from '../../../../lambdas/rotation/strategy';
import { SecretFormatError } from '../../../../lambdas/shared/errors';
import type { StructuredLogger } from '../../../../lambdas/shared/observability';
import { SecretsManagerService } from '../../../../local/emulator';
import { type FaultTiming, inProcessSecretsClient } from '../../../support/in-process-secrets';
import { recordSecretMaterial } from '../../../support/log-scan';
import { FakeClock, inProcessIam } from './fakes';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:rotate-iam';

/**
 * The engine driving the IAM access key strategy, all in-process: the emulator's Secrets Manager
 * and IAM / STS models behind SDK-shaped clients, so every call can be failed before or after it
 * applies.
 */
function setup(options: { initial?: string } = {}) {
  const service = new SecretsManagerService({ rotation: { retries: 2, retryDelayMs: 0 } });
  const sm = inProcessSecretsClient(service);
  const clock = new FakeClock();
  const aws = inProcessIam({ clock });
  aws.createUser('app');
  const initial = aws.createKey('app');
  const strategy = createIamAccessKeyStrategy({
    iam: aws.iam,
    sts: aws.sts,
    sleep: clock.sleep,
    now: clock.now,
  });
  const logs: string[] = [];
  const line =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      logs.push(`${level} ${message} ${JSON.stringify(fields)}`);
    };
  const logger: StructuredLogger = {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  };
  const secrets = createSecretsManagerPort(sm);
  const handler = createRotationHandler({
    strategy,
    secrets,
    logger,
    metrics: { recordStep: () => undefined, recordRotation: () => undefined },
  });
  const { ARN: arn } = service.invoke('CreateSecret', {
    Name: `iam-${randomUUID()}`,
    SecretString: options.initial ?? JSON.stringify({ username: 'app', ...initial, owner: 'payments' }),
  }) as { ARN: string };
  service.configureRotation(arn, LAMBDA);

  const value = (stage: string): AccessKeySecret =>
    strategy.parse(
      (service.invoke('GetSecretValue', { SecretId: arn, VersionStage: stage }) as { SecretString: string })
        .SecretString,
    );
  const stages = (): Record<string, string[]> =>
    (service.invoke('DescribeSecret', { SecretId: arn }) as { VersionIdsToStages: Record<string, string[]> })
      .VersionIdsToStages;

  /** Zero downtime: whatever AWSCURRENT holds authenticates before and after every step. */
  const violations: string[] = [];
  service.registerRotationLambda(LAMBDA, async (event) => {
    const check = options.initial === undefined;
    if (check && !aws.authenticates(value(STAGE.current).accessKeyId))
      violations.push(`before ${event.Step}`);
    await handler(event);
    if (check && !aws.authenticates(value(STAGE.current).accessKeyId)) violations.push(`after ${event.Step}`);
  });

  const ctx: StrategyContext = {
    secretId: arn,
    rotationId: 'revoke',
    secrets,
    logger: { debug: line('debug'), info: line('info'), warn: line('warn') },
  };
  const rotate = async (token?: string) => {
    service.invoke('RotateSecret', {
      SecretId: arn,
      RotationLambdaARN: LAMBDA,
      ...(token === undefined ? {} : { ClientRequestToken: token }),
    });
    const outcome = await service.waitForRotation(arn);
    for (const stage of [STAGE.current, STAGE.previous]) {
      const held = stages();
      if (Object.values(held).flat().includes(stage) && options.initial === undefined) {
        const v = value(stage);
        recordSecretMaterial(v.secretAccessKey, v.accessKeyId);
      }
    }
    return outcome;
  };
  /** What the rollout workflow does after the grace window: deactivate the AWSPREVIOUS key. */
  const revokePrevious = async () => strategy.revoke?.(value(STAGE.previous), ctx);
  const event = (Step: string, ClientRequestToken: string) => ({ Step, SecretId: arn, ClientRequestToken });
  return {
    service,
    sm,
    aws,
    strategy,
    handler,
    arn,
    initial,
    value,
    stages,
    violations,
    rotate,
    revokePrevious,
    logs,
    event,
  };
}

type Setup = ReturnType<typeof setup>;

/** The state every second rotation must reach, however many failures and re-runs it took. */
function expectSecondRotationDone(s: Setup, versionId: string, first: AccessKeySecret): void {
  const stages = s.stages();
  expect(stages[versionId]).toEqual([STAGE.current]);
  expect(
    Object.values(stages)
      .flat()
      .filter((stage) => stage === STAGE.pending),
  ).toEqual([]);
  const current = s.value(STAGE.current);
  const previous = s.value(STAGE.previous);
  recordSecretMaterial(current.secretAccessKey, current.accessKeyId);
  expect(previous.accessKeyId).toBe(first.accessKeyId);
  expect(s.aws.keys('app')).toEqual([`${first.accessKeyId}:Active`, `${current.accessKeyId}:Active`]);
  expect(s.aws.authenticates(current.accessKeyId)).toBe(true);
  expect(s.aws.authenticates(s.initial.accessKeyId)).toBe(false);
  expect(s.violations).toEqual([]);
}

/** A second rotation (after the first one's previous key was revoked), and its calls. */
async function preparedForSecondRotation() {
  const s = setup();
  expect((await s.rotate()).status).toBe('succeeded');
  await s.revokePrevious();
  const first = s.value(STAGE.current);
  s.sm.calls.length = 0;
  s.aws.calls.length = 0;
  return { s, first };
}

const clean = await preparedForSecondRotation();
await clean.s.rotate();
const smCalls = [...clean.s.sm.calls];
const awsCalls = [...clean.s.aws.calls];
const writes = new Set([
  'PutSecretValue',
  'UpdateSecretVersionStage',
  'iam:DeleteAccessKey',
  'iam:CreateAccessKey',
]);
const timings = (operation: string): FaultTiming[] =>
  writes.has(operation) ? ['before', 'after'] : ['before'];
const smCases = smCalls.flatMap((op, index) => timings(op).map((t) => [index, op, t] as const));
const awsCases = awsCalls.flatMap((op, index) => timings(op).map((t) => [index, op, t] as const));

describe('Rotation: IAM access key through the engine (in-process)', () => {
  it('rotates four times with the rollout revoking in between: two keys at most, never LimitExceeded', async () => {
    const s = setup();
    const seen = new Set([s.initial.accessKeyId]);

    for (let i = 0; i < 4; i++) {
      const outcome = await s.rotate();

      expect(outcome.status).toBe('succeeded');
      expect(outcome.steps.every((step) => step.outcome === 'succeeded')).toBe(true);
      const current = s.value(STAGE.current);
      const previous = s.value(STAGE.previous);
      expect(seen.has(current.accessKeyId)).toBe(false);
      seen.add(current.accessKeyId);
      expect(s.aws.keys('app')).toEqual([`${previous.accessKeyId}:Active`, `${current.accessKeyId}:Active`]);
      // The old key keeps working until the rollout revokes it: consumers have time to move.
      expect(s.aws.authenticates(previous.accessKeyId)).toBe(true);
      expect(JSON.parse(s.strategy.serialize(current))).toMatchObject({ owner: 'payments' });

      await s.revokePrevious();

      expect(s.aws.authenticates(previous.accessKeyId)).toBe(false);
      expect(s.aws.authenticates(current.accessKeyId)).toBe(true);
    }
    expect(s.aws.calls).not.toContain('LimitExceeded');
    expect(s.logs.join('\n')).not.toContain('LimitExceeded');
    expect(s.violations).toEqual([]);
  });

  it('makes 9 Secrets Manager, 5 IAM and 1 STS calls in a rotation that replaces a revoked key', () => {
    expect(smCalls).toEqual([
      ...['DescribeSecret', 'GetSecretValue', 'GetSecretValue', 'PutSecretValue'],
      'DescribeSecret',
      'DescribeSecret',
      ...['DescribeSecret', 'UpdateSecretVersionStage', 'UpdateSecretVersionStage'],
    ]);
    expect(awsCalls).toEqual([
      'iam:ListAccessKeys',
      'iam:DeleteAccessKey',
      'iam:CreateAccessKey',
      'iam:ListAccessKeys',
      'iam:GetUser',
      'sts:GetCallerIdentity',
    ]);
  });

  it('fails without creating a key while the previous key is still Active, and resumes after the revoke', async () => {
    const s = setup();
    await s.rotate();
    const keys = s.aws.keys('app');
    const current = s.value(STAGE.current);

    const blocked = await s.rotate();

    expect(blocked.status).toBe('failed');
    expect(blocked.error).toContain('(AWSPREVIOUS), is still Active');
    expect(s.aws.keys('app')).toEqual(keys);
    expect(s.value(STAGE.current).accessKeyId).toBe(current.accessKeyId);

    await s.revokePrevious();
    const resumed = await s.rotate(blocked.versionId);

    expect(resumed.status).toBe('succeeded');
    expect(s.stages()[blocked.versionId]).toEqual([STAGE.current]);
    expect(s.aws.keys('app')).toEqual([
      `${current.accessKeyId}:Active`,
      `${s.value(STAGE.current).accessKeyId}:Active`,
    ]);
  });

  it('deletes the orphan key of an attempt whose PutSecretValue failed, then creates one key', async () => {
    const s = setup();
    s.sm.failCall(3, 'before'); // DescribeSecret, GetSecretValue x2, PutSecretValue

    const outcome = await s.rotate();

    expect(outcome.status).toBe('succeeded');
    expect(s.aws.calls.slice(0, 6)).toEqual([
      'iam:ListAccessKeys',
      'iam:CreateAccessKey',
      'iam:ListAccessKeys',
      'iam:GetAccessKeyLastUsed',
      'iam:DeleteAccessKey',
      'iam:CreateAccessKey',
    ]);
    const current = s.value(STAGE.current);
    expect(s.aws.keys('app')).toEqual([`${s.initial.accessKeyId}:Active`, `${current.accessKeyId}:Active`]);
    expect(s.logs.some((l) => l.includes('deleted orphan access key'))).toBe(true);
  });

  it.each(smCases)(
    'converges when Secrets Manager call #%i (%s) fails %s it applies and the step is retried',
    async (index, _op, timing) => {
      const { s, first } = await preparedForSecondRotation();
      s.sm.failCall(index, timing);

      const outcome = await s.rotate();

      expect(outcome.status).toBe('succeeded');
      expect(outcome.steps.filter((step) => step.outcome === 'failed')).toHaveLength(1);
      expectSecondRotationDone(s, outcome.versionId, first);
    },
  );

  it.each(awsCases)(
    'converges when IAM/STS call #%i (%s) fails %s it applies and the step is retried',
    async (index, _op, timing) => {
      const { s, first } = await preparedForSecondRotation();
      s.aws.failCall(index, timing);

      const outcome = await s.rotate();

      expect(outcome.status).toBe('succeeded');
      expect(outcome.steps.filter((step) => step.outcome === 'failed')).toHaveLength(1);
      expectSecondRotationDone(s, outcome.versionId, first);
    },
  );

  it('tests the current key and changes nothing when testSecret gets a token that is not a version', async () => {
    const s = setup();
    const before = JSON.stringify(s.stages());

    await s.handler(s.event('testSecret', randomUUID()));

    expect(JSON.stringify(s.stages())).toBe(before);
    expect(s.aws.calls).toEqual(['iam:GetUser', 'sts:GetCallerIdentity']);
    expect(s.logs.at(-1)).toContain('configuration-tested');
  });

  describe('bad input: SecretFormatError naming the field, no IAM call', () => {
    it.each([
      ['malformed JSON', '{"username":"app","accessKeyId":"AKIA', '$'],
      [
        'a missing username',
        JSON.stringify({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'x'.repeat(40) }),
        'username',
      ],
      [
        'a missing secretAccessKey',
        JSON.stringify({ username: 'app', accessKeyId: 'AKIAIOSFODNN7EXAMPLE' }),
        'secretAccessKey',
      ],
      [
        'a numeric accessKeyId',
        JSON.stringify({ username: 'app', accessKeyId: 1234, secretAccessKey: 'x'.repeat(40) }),
        'accessKeyId',
      ],
      ['an array', '[]', '$'],
    ])('fails createSecret on a secret with %s', async (_name, initial, field) => {
      const s = setup({ initial });
      const keys = s.aws.keys('app');

      const outcome = await s.rotate();
      const error = await s.handler(s.event('createSecret', outcome.versionId)).catch((e: unknown) => e);

      expect(outcome.status).toBe('failed');
      expect(error).toBeInstanceOf(SecretFormatError);
      expect((error as SecretFormatError).field).toBe(field);
      expect(s.aws.calls).toEqual([]);
      expect(s.aws.keys('app')).toEqual(keys);
      expect(outcome.error).not.toContain(s.initial.secretAccessKey);
    });
  });

  it('never logs a secret access key or a full key id', async () => {
    const s = setup();
    await s.rotate();
    await s.revokePrevious();
    await s.rotate();

    const text = s.logs.join('\n');
    for (const stage of [STAGE.current, STAGE.previous]) {
      const value = s.value(stage);
      expect(text).not.toContain(value.secretAccessKey);
      expect(text).not.toContain(value.accessKeyId);
      expect(text).toContain(maskAccessKeyId(value.accessKeyId));
    }
    expect(text).not.toContain(s.initial.secretAccessKey);
  });
});
