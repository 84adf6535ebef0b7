import { IAMServiceException, LimitExceededException } from '@aws-sdk/client-iam';
import { STSServiceException } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import {
  type AccessKeySecret,
  createIamAccessKeyStrategy,
  type IamAccessKeyStrategyOptions,
  maskAccessKeyId,
} from '../../../../lambdas/credentials/iam-access-key';
import { noPrevious } from '../../../../lambdas/rotation/strategy';
import {
  CredentialTestError,
  HandoverError,
  RotationStateError,
  SecretFormatError,
  TargetError,
} from '../../../../lambdas/shared/errors';
import { FakeClock, fakeContext, inProcessIam } from './fakes';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:app-key-AbCdEf';

function world(options: IamAccessKeyStrategyOptions & { propagationDelayMs?: number } = {}) {
  const clock = new FakeClock();
  const aws = inProcessIam({ clock, propagationDelayMs: options.propagationDelayMs ?? 0 });
  aws.createUser('app');
  const strategy = createIamAccessKeyStrategy({
    iam: aws.iam,
    sts: aws.sts,
    cloudTrail: aws.cloudTrail,
    sleep: clock.sleep,
    now: clock.now,
    ...options,
  });
  const secretOf = (username: string, key: { accessKeyId: string; secretAccessKey: string }, extra = {}) =>
    strategy.parse(JSON.stringify({ username, ...key, ...extra }));
  return { aws, clock, strategy, secretOf };
}

const previousOf = (value: AccessKeySecret) => async () => value;

async function rejection(promise: Promise<unknown> | undefined): Promise<Error> {
  if (promise === undefined) throw new Error('expected the method to exist');
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** Every text a test produced must be free of every secret access key and full key id. */
function expectNoKeyMaterial(texts: readonly string[], values: readonly AccessKeySecret[]) {
  expect(texts.length).toBeGreaterThan(0);
  for (const text of texts) {
    for (const value of values) {
      expect(text).not.toContain(value.secretAccessKey);
      expect(text).not.toContain(value.accessKeyId);
    }
  }
}

describe('Function: createIamAccessKeyStrategy', () => {
  it('validates every option and reports all problems at once', () => {
    const error = (() => {
      try {
        createIamAccessKeyStrategy({
          testTimeoutMs: -1,
          testInitialDelayMs: 0,
          testMaxDelayMs: 0.5,
          activePreviousKey: 'maybe' as 'fail',
        });
      } catch (e) {
        return e as Error;
      }
      throw new Error('expected an error');
    })();

    expect(error).toBeInstanceOf(HandoverError);
    expect(error.message).toContain('testTimeoutMs must be an integer from 0 to 900000, got -1');
    expect(error.message).toContain('testInitialDelayMs must be a positive integer, got 0');
    expect(error.message).toContain('testMaxDelayMs must be an integer of at least testInitialDelayMs');
    expect(error.message).toContain('activePreviousKey must be one of fail, delete, got maybe');
  });

  it('identifies a value by its masked key id and lists the key secret and id for redaction', () => {
    const { strategy, secretOf } = world();
    const value = secretOf('app', {
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG',
    });

    expect(strategy.type).toBe('iam-access-key');
    expect(strategy.identify(value)).toBe('AKIA…MPLE');
    expect(strategy.secretsOf(value)).toEqual(['wJalrXUtnFEMI/K7MDENG', 'AKIAIOSFODNN7EXAMPLE']);
  });
});

describe('Strategy: iam-access-key create (createSecret)', () => {
  it('creates a second key and keeps the current one Active when the user has one key', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'), { team: 'payments' });
    const { ctx, lines } = fakeContext();

    const pending = await strategy.create(current, ctx, noPrevious);

    expect(aws.calls).toEqual(['iam:ListAccessKeys', 'iam:CreateAccessKey']);
    expect(pending.accessKeyId).not.toBe(current.accessKeyId);
    expect(pending.username).toBe('app');
    expect(aws.keys('app')).toEqual([`${current.accessKeyId}:Active`, `${pending.accessKeyId}:Active`]);
    expect(JSON.parse(strategy.serialize(pending))).toEqual({
      username: 'app',
      accessKeyId: pending.accessKeyId,
      secretAccessKey: pending.secretAccessKey,
      team: 'payments',
    });
    expect(lines.join('\n')).toContain(maskAccessKeyId(pending.accessKeyId));
    expectNoKeyMaterial(lines, [current, pending]);
  });

  it('deletes the Inactive key the previous rotation left, then creates the new key', async () => {
    const { aws, strategy, secretOf } = world();
    const previous = secretOf('app', aws.createKey('app'));
    const current = secretOf('app', aws.createKey('app'));
    await strategy.revoke?.(previous, fakeContext({ [SECRET_ARN]: strategy.serialize(current) }).ctx);
    aws.calls.length = 0;
    let previousReads = 0;

    const pending = await strategy.create(current, fakeContext().ctx, async () => {
      previousReads += 1;
      return previous;
    });

    expect(aws.calls).toEqual(['iam:ListAccessKeys', 'iam:DeleteAccessKey', 'iam:CreateAccessKey']);
    expect(previousReads).toBe(0);
    expect(aws.keys('app')).toEqual([`${current.accessKeyId}:Active`, `${pending.accessKeyId}:Active`]);
  });

  it('deletes an orphan key (Active, held by no version, never used) left by a failed attempt', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'));
    const orphan = aws.createKey('app');
    aws.calls.length = 0;
    const { ctx, lines } = fakeContext();

    const pending = await strategy.create(current, ctx, noPrevious);

    expect(aws.calls).toEqual([
      'iam:ListAccessKeys',
      'iam:GetAccessKeyLastUsed',
      'iam:DeleteAccessKey',
      'iam:CreateAccessKey',
    ]);
    expect(aws.keys('app')).toEqual([`${current.accessKeyId}:Active`, `${pending.accessKeyId}:Active`]);
    expect(lines.find((l) => l.includes('deleted orphan access key'))).toContain(
      maskAccessKeyId(orphan.accessKeyId),
    );
  });

  it('refuses to delete the AWSPREVIOUS key while it is Active, and creates nothing', async () => {
    const { aws, strategy, secretOf } = world();
    const previous = secretOf('app', aws.createKey('app'));
    const current = secretOf('app', aws.createKey('app'));
    const before = aws.keys('app');

    const error = await rejection(strategy.create(current, fakeContext().ctx, previousOf(previous)));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toContain(
      `${maskAccessKeyId(previous.accessKeyId)} (AWSPREVIOUS), is still Active`,
    );
    expect(error.message).toContain('HANDOVER_IAM_ACTIVE_PREVIOUS_KEY=delete');
    expect(aws.keys('app')).toEqual(before);
    expect(aws.calls.filter((c) => c === 'iam:DeleteAccessKey' || c === 'iam:CreateAccessKey')).toEqual([]);
    expectNoKeyMaterial([error.message], [previous, current]);
  });

  it('deletes the Active AWSPREVIOUS key when activePreviousKey is delete', async () => {
    const { aws, strategy, secretOf } = world({ activePreviousKey: 'delete' });
    const previous = secretOf('app', aws.createKey('app'));
    const current = secretOf('app', aws.createKey('app'));
    const { ctx, lines } = fakeContext();

    const pending = await strategy.create(current, ctx, previousOf(previous));

    expect(aws.keys('app')).toEqual([`${current.accessKeyId}:Active`, `${pending.accessKeyId}:Active`]);
    expect(lines.some((l) => l.includes('deleted previous access key'))).toBe(true);
  });

  it('refuses to delete an Active key the secret does not hold once it has been used', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'));
    const manual = aws.createKey('app');
    aws.authenticates(manual.accessKeyId, 'secretsmanager');

    const error = await rejection(strategy.create(current, fakeContext().ctx, noPrevious));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toContain('is not an orphan of a failed rotation');
    expect(error.message).toContain('secretsmanager in us-east-1');
    expect(aws.keys('app')).toHaveLength(2);
    expect(aws.calls).not.toContain('iam:CreateAccessKey');
  });

  it('refuses to create a key when the AWSCURRENT key is not a key of the named user (confused deputy)', async () => {
    const { aws, strategy, secretOf } = world();
    aws.createUser('admin');
    const adminKey = aws.createKey('admin');
    const forged = secretOf('app', adminKey);

    const error = await rejection(strategy.create(forged, fakeContext().ctx, noPrevious));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toContain(
      `${maskAccessKeyId(adminKey.accessKeyId)} is not a key of IAM user "app"`,
    );
    expect(aws.calls).toEqual(['iam:ListAccessKeys']);
    expect(aws.keys('app')).toEqual([]);
  });

  it('fails with a TargetError naming the user when the IAM user does not exist', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('ghost', {
      accessKeyId: 'AKIAAAAAAAAAAAAAAAAA',
      secretAccessKey: 'x'.repeat(40),
    });

    const error = await rejection(strategy.create(current, fakeContext().ctx, noPrevious));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toBe('createSecret: IAM user "ghost" does not exist');
    expect(aws.calls).toEqual(['iam:ListAccessKeys']);
  });

  it('never deletes the AWSCURRENT key, even when it is Inactive', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'));
    const other = aws.createKey('app');
    aws.model.invoke('UpdateAccessKey', {
      UserName: 'app',
      AccessKeyId: current.accessKeyId,
      Status: 'Inactive',
    });
    aws.model.invoke('UpdateAccessKey', {
      UserName: 'app',
      AccessKeyId: other.accessKeyId,
      Status: 'Inactive',
    });
    const { ctx, lines } = fakeContext();

    const pending = await strategy.create(current, ctx, noPrevious);

    expect(aws.keys('app')).toEqual([`${current.accessKeyId}:Inactive`, `${pending.accessKeyId}:Active`]);
    expect(lines.some((l) => l.startsWith('warn the AWSCURRENT access key is not active'))).toBe(true);
  });

  it.each(['before', 'after'] as const)(
    'converges without LimitExceeded when CreateAccessKey fails %s it applies and create runs again',
    async (timing) => {
      const { aws, strategy, secretOf } = world();
      const previous = secretOf('app', aws.createKey('app'));
      const current = secretOf('app', aws.createKey('app'));
      aws.model.invoke('UpdateAccessKey', {
        UserName: 'app',
        AccessKeyId: previous.accessKeyId,
        Status: 'Inactive',
      });
      aws.failCall(2, timing); // ListAccessKeys, DeleteAccessKey, CreateAccessKey

      await expect(strategy.create(current, fakeContext().ctx, previousOf(previous))).rejects.toThrow(
        `injected failure ${timing} CreateAccessKey`,
      );
      const pending = await strategy.create(current, fakeContext().ctx, previousOf(previous));

      expect(aws.keys('app')).toEqual([`${current.accessKeyId}:Active`, `${pending.accessKeyId}:Active`]);
      expect(aws.calls.slice(3)).toEqual([
        'iam:ListAccessKeys',
        ...(timing === 'after' ? ['iam:GetAccessKeyLastUsed', 'iam:DeleteAccessKey'] : []),
        'iam:CreateAccessKey',
      ]);
    },
  );

  it.each(['before', 'after'] as const)(
    'converges when DeleteAccessKey fails %s it applies and create runs again',
    async (timing) => {
      const { aws, strategy, secretOf } = world();
      const previous = secretOf('app', aws.createKey('app'));
      const current = secretOf('app', aws.createKey('app'));
      aws.model.invoke('UpdateAccessKey', {
        UserName: 'app',
        AccessKeyId: previous.accessKeyId,
        Status: 'Inactive',
      });
      aws.failCall(1, timing);

      await expect(strategy.create(current, fakeContext().ctx, previousOf(previous))).rejects.toThrow(
        TargetError,
      );
      const pending = await strategy.create(current, fakeContext().ctx, previousOf(previous));

      expect(aws.keys('app')).toEqual([`${current.accessKeyId}:Active`, `${pending.accessKeyId}:Active`]);
    },
  );

  it('explains a LimitExceeded caused by a concurrent creator', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'));
    aws.failNext(
      'iam:CreateAccessKey',
      new LimitExceededException({ message: 'Cannot exceed quota for AccessKeysPerUser: 2', $metadata: {} }),
    );

    const error = await rejection(strategy.create(current, fakeContext().ctx, noPrevious));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toContain('the next attempt cleans up and retries');
  });

  it('masks access key ids that appear in AWS error messages', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'));
    aws.failNext(
      'iam:ListAccessKeys',
      new IAMServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { requestId: 'req-1' },
        message: `User with key ${current.accessKeyId} is not authorized to perform iam:ListAccessKeys`,
      }),
    );

    const error = await rejection(strategy.create(current, fakeContext().ctx, noPrevious));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toContain(`AccessDenied: User with key ${maskAccessKeyId(current.accessKeyId)}`);
    expect(error.message).toContain('(request id req-1)');
    expect(error.message).not.toContain(current.accessKeyId);
    expect(error.cause).toBeUndefined();
  });
});

describe('Strategy: iam-access-key set (setSecret)', () => {
  it('verifies that the pending key exists and is Active, and changes nothing', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'));
    const pending = secretOf('app', aws.createKey('app'));
    const before = aws.keys('app');
    aws.calls.length = 0;

    await strategy.set(pending, current, noPrevious, fakeContext().ctx);

    expect(aws.calls).toEqual(['iam:ListAccessKeys']);
    expect(aws.keys('app')).toEqual(before);
  });

  it('fails naming the version when the pending key no longer exists', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'));
    const pending = secretOf('app', aws.createKey('app'));
    aws.model.invoke('DeleteAccessKey', { UserName: 'app', AccessKeyId: pending.accessKeyId });
    const { ctx } = fakeContext();

    const error = await rejection(strategy.set(pending, current, noPrevious, ctx));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toContain(
      `${maskAccessKeyId(pending.accessKeyId)} of IAM user "app" no longer exists`,
    );
    expect(error.message).toContain(`Remove AWSPENDING from version ${ctx.rotationId}`);
  });

  it('fails when the pending key is Inactive', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'));
    const pending = secretOf('app', aws.createKey('app'));
    aws.model.invoke('UpdateAccessKey', {
      UserName: 'app',
      AccessKeyId: pending.accessKeyId,
      Status: 'Inactive',
    });

    const error = await rejection(strategy.set(pending, current, noPrevious, fakeContext().ctx));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toContain('is Inactive, not Active');
  });

  it('refuses a pending value for another user without calling IAM', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'));
    const pending = secretOf('other', {
      accessKeyId: 'AKIABBBBBBBBBBBBBBBB',
      secretAccessKey: 'y'.repeat(40),
    });
    aws.calls.length = 0;

    const error = await rejection(strategy.set(pending, current, noPrevious, fakeContext().ctx));

    expect(error).toBeInstanceOf(SecretFormatError);
    expect((error as SecretFormatError).field).toBe('username');
    expect(aws.calls).toEqual([]);
  });
});

describe('Strategy: iam-access-key test (testSecret)', () => {
  it('proves the key with STS GetCallerIdentity signed by the key itself', async () => {
    const { aws, strategy, secretOf, clock } = world();
    const pending = secretOf('app', aws.createKey('app'));
    const { ctx, lines } = fakeContext();

    await strategy.test(pending, ctx);

    expect(aws.calls).toEqual(['iam:GetUser', 'sts:GetCallerIdentity']);
    expect(aws.model.lastUsedOf(pending.accessKeyId)).toMatchObject({ service: 'sts', region: 'us-east-1' });
    expect(clock.sleeps).toEqual([]);
    expect(lines.at(-1)).toContain('"attempts":1');
  });

  it('compares the caller with the exact ARN of a user with a path', async () => {
    const { aws, strategy, secretOf } = world();
    aws.createUser('svc-app', '/services/');
    const pending = secretOf('svc-app', aws.createKey('svc-app'));

    await strategy.test(pending, fakeContext().ctx);

    expect(aws.model.lastUsedOf(pending.accessKeyId)?.service).toBe('sts');
  });

  it('retries with exponential backoff while IAM has not propagated the new key', async () => {
    const { aws, strategy, secretOf, clock } = world({ propagationDelayMs: 3000, testInitialDelayMs: 250 });
    const pending = secretOf('app', aws.createKey('app'));
    const { ctx, lines } = fakeContext();

    await strategy.test(pending, ctx);

    expect(clock.sleeps).toEqual([250, 500, 1000, 2000]);
    expect(aws.calls).toEqual([
      'iam:GetUser',
      'sts:GetCallerIdentity',
      'iam:ListAccessKeys',
      ...Array(4).fill('sts:GetCallerIdentity'),
    ]);
    expect(lines.at(-1)).toContain('"attempts":5');
    expect(lines.at(-1)).toContain('"waited_ms":3750');
  });

  it('caps the wait between attempts at testMaxDelayMs', async () => {
    const { aws, strategy, secretOf, clock } = world({
      propagationDelayMs: 5000,
      testInitialDelayMs: 500,
      testMaxDelayMs: 1000,
    });
    const pending = secretOf('app', aws.createKey('app'));

    await strategy.test(pending, fakeContext().ctx);

    expect(clock.sleeps).toEqual([500, 1000, 1000, 1000, 1000, 1000]);
  });

  it('gives up after testTimeoutMs with a CredentialTestError that says the key has not propagated', async () => {
    const { aws, strategy, secretOf, clock } = world({ propagationDelayMs: 60_000, testTimeoutMs: 2000 });
    const pending = secretOf('app', aws.createKey('app'));

    const error = await rejection(strategy.test(pending, fakeContext().ctx));

    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toContain('after 2000 ms');
    expect(error.message).toContain('InvalidClientTokenId');
    expect(error.message).toContain('IAM has not propagated it yet');
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBe(2000);
    expectNoKeyMaterial([error.message], [pending]);
  });

  it('tries once when testTimeoutMs is 0', async () => {
    const { aws, strategy, secretOf, clock } = world({ propagationDelayMs: 1000, testTimeoutMs: 0 });
    const pending = secretOf('app', aws.createKey('app'));

    await expect(strategy.test(pending, fakeContext().ctx)).rejects.toThrow(CredentialTestError);
    expect(clock.sleeps).toEqual([]);
    expect(aws.calls.filter((c) => c === 'sts:GetCallerIdentity')).toHaveLength(1);
  });

  it('fails at once, without waiting, when STS rejects a key that is Inactive', async () => {
    const { aws, strategy, secretOf, clock } = world();
    const pending = secretOf('app', aws.createKey('app'));
    aws.model.invoke('UpdateAccessKey', {
      UserName: 'app',
      AccessKeyId: pending.accessKeyId,
      Status: 'Inactive',
    });

    const error = await rejection(strategy.test(pending, fakeContext().ctx));

    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toContain('it is Inactive for IAM user "app"');
    expect(clock.sleeps).toEqual([]);
  });

  it('fails at once when STS rejects a key that is not a key of the user (deleted)', async () => {
    const { aws, strategy, secretOf, clock } = world();
    const pending = secretOf('app', aws.createKey('app'));
    aws.model.invoke('DeleteAccessKey', { UserName: 'app', AccessKeyId: pending.accessKeyId });

    const error = await rejection(strategy.test(pending, fakeContext().ctx));

    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toContain('it is not a key of IAM user "app"');
    expect(clock.sleeps).toEqual([]);
  });

  it('detects a key that authenticates as another user', async () => {
    const { aws, strategy, secretOf } = world();
    aws.createUser('intruder');
    const value = secretOf('app', aws.createKey('intruder'));

    const error = await rejection(strategy.test(value, fakeContext().ctx));

    expect(error).toBeInstanceOf(CredentialTestError);
    expect(error.message).toContain('authenticates as arn:aws:iam::123456789012:user/intruder');
    expect(error.message).toContain('not as IAM user "app" (arn:aws:iam::123456789012:user/app)');
  });

  it('fails with a CredentialTestError when the IAM user does not exist', async () => {
    const { strategy, secretOf } = world();
    const value = secretOf('ghost', { accessKeyId: 'AKIACCCCCCCCCCCCCCCC', secretAccessKey: 'z'.repeat(40) });

    await expect(strategy.test(value, fakeContext().ctx)).rejects.toThrow(
      new CredentialTestError('testSecret: IAM user "ghost" does not exist'),
    );
  });

  it('does not retry an STS error that is not a rejection of the key', async () => {
    const { aws, strategy, secretOf, clock } = world();
    const pending = secretOf('app', aws.createKey('app'));
    aws.failNext(
      'sts:GetCallerIdentity',
      new STSServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: {}, message: 'denied' }),
    );

    const error = await rejection(strategy.test(pending, fakeContext().ctx));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toContain('sts:GetCallerIdentity');
    expect(error.message).toContain('AccessDenied: denied');
    expect(clock.sleeps).toEqual([]);
  });
});

describe('Strategy: iam-access-key inUse, revoke and restore', () => {
  it('reports a key that has never been used as not in use', async () => {
    const { aws, strategy, secretOf } = world();
    const old = secretOf('app', aws.createKey('app'));

    const report = await strategy.inUse?.(old, new Date(0), fakeContext().ctx);

    expect(report).toEqual({
      inUse: false,
      evidence: `access key ${maskAccessKeyId(old.accessKeyId)} of IAM user "app" has never been used; CloudTrail shows no call signed with it since 1970-01-01T00:00:00.000Z (events arrive minutes late; management events only)`,
    });
  });

  it('reports a key used after `since` as in use, with the service and region', async () => {
    const { aws, strategy, secretOf, clock } = world();
    const old = secretOf('app', aws.createKey('app'));
    const since = clock.date();
    clock.ms += 1000;
    aws.authenticates(old.accessKeyId, 'secretsmanager');

    const report = await strategy.inUse?.(old, since, fakeContext().ctx);

    expect(report?.inUse).toBe(true);
    expect(report?.lastUsed).toEqual(clock.date());
    expect(report?.evidence).toContain('(secretsmanager in us-east-1), after 2026-01-01T00:00:00.000Z');
    // CloudTrail names who called with it: address, user agent, what, when; the key id masked.
    const masked = maskAccessKeyId(old.accessKeyId);
    expect(report?.stragglers).toEqual([
      {
        identity: `key ${masked} caller (user agent aws-sdk-js/3 app/billing-report)`,
        from: '10.0.1.7',
        lastSeen: clock.date(),
        evidence: `1 call signed with key ${masked} since 2026-01-01T00:00:00.000Z (CloudTrail): secretsmanager:GetSecretValue`,
      },
    ]);
    expect(JSON.stringify(report)).not.toContain(old.accessKeyId);
  });

  it('reports the old key in use when CloudTrail shows a call that GetAccessKeyLastUsed does not yet', async () => {
    const { aws, strategy, secretOf, clock } = world();
    const old = secretOf('app', aws.createKey('app'));
    aws.authenticates(old.accessKeyId);
    const since = clock.date();
    clock.ms += 1000;
    // The call IAM has not reflected in GetAccessKeyLastUsed yet: only CloudTrail has it.
    aws.trail.record(
      {
        service: 'sts',
        operation: 'GetCallerIdentity',
        time: clock.date(),
        requestId: 'r-1',
        region: 'us-east-1',
        accessKeyId: old.accessKeyId,
        caller: {
          type: 'IAMUser',
          arn: 'arn:aws:iam::123456789012:user/app',
          accountId: '123456789012',
          principalId: 'AIDAEXAMPLE',
          userName: 'app',
          accessKeyId: old.accessKeyId,
        },
        sourceIp: '10.0.9.9',
        userAgent: 'legacy-cron/1.0',
        requestParameters: {},
      },
      'sts',
    );

    const report = await strategy.inUse?.(old, since, fakeContext().ctx);

    expect(report?.inUse).toBe(true);
    expect(report?.evidence).toContain('but CloudTrail names 1 caller');
    expect(report?.stragglers?.[0]).toMatchObject({
      from: '10.0.9.9',
      identity: expect.stringContaining('legacy-cron/1.0'),
    });
  });

  it('names no caller, says why, and still decides by GetAccessKeyLastUsed when CloudTrail fails', async () => {
    const failing = {
      send: async () =>
        Promise.reject(Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' })),
    };
    const { aws, strategy, secretOf } = world({ cloudTrail: failing });
    const old = secretOf('app', aws.createKey('app'));

    const { ctx, lines } = fakeContext();
    const report = await strategy.inUse?.(old, new Date(0), ctx);

    expect(report?.inUse).toBe(false);
    expect(report?.evidence).toContain('callers unknown: CloudTrail LookupEvents failed (AccessDenied');
    expect(lines.some((line) => line.includes('CloudTrail LookupEvents failed'))).toBe(true);
  });

  it('reports a key last used before `since` as not in use, with its last use', async () => {
    const { aws, strategy, secretOf, clock } = world();
    const old = secretOf('app', aws.createKey('app'));
    aws.authenticates(old.accessKeyId);
    const lastUsed = clock.date();
    clock.ms += 60_000;

    const report = await strategy.inUse?.(old, clock.date(), fakeContext().ctx);

    expect(report).toMatchObject({ inUse: false, lastUsed });
    expect(report?.evidence).toContain('has not been used since 2026-01-01T00:01:00.000Z; last used');
  });

  it('reports a deleted key as not in use', async () => {
    const { aws, strategy, secretOf } = world();
    const old = secretOf('app', aws.createKey('app'));
    aws.model.invoke('DeleteAccessKey', { UserName: 'app', AccessKeyId: old.accessKeyId });

    const report = await strategy.inUse?.(old, new Date(0), fakeContext().ctx);

    expect(report?.inUse).toBe(false);
    expect(report?.evidence).toContain('no longer exists');
  });

  it('revokes by deactivating the old key, and restore reactivates it', async () => {
    const { aws, strategy, secretOf } = world();
    const old = secretOf('app', aws.createKey('app'));
    const current = secretOf('app', aws.createKey('app'));
    const { ctx, reads } = fakeContext({ [SECRET_ARN]: strategy.serialize(current) });

    await strategy.revoke?.(old, ctx);
    const afterRevoke = aws.authenticates(old.accessKeyId);
    await strategy.restore?.(old, ctx);

    expect(reads).toEqual([SECRET_ARN]);
    expect(afterRevoke).toBe(false);
    expect(aws.authenticates(old.accessKeyId)).toBe(true);
    expect(aws.keys('app')).toEqual([`${old.accessKeyId}:Active`, `${current.accessKeyId}:Active`]);
  });

  it('revokes idempotently: a second revoke and a revoke of a deleted key succeed', async () => {
    const { aws, strategy, secretOf } = world();
    const old = secretOf('app', aws.createKey('app'));
    const current = secretOf('app', aws.createKey('app'));
    const { ctx, lines } = fakeContext({ [SECRET_ARN]: strategy.serialize(current) });

    await strategy.revoke?.(old, ctx);
    await strategy.revoke?.(old, ctx);
    aws.model.invoke('DeleteAccessKey', { UserName: 'app', AccessKeyId: old.accessKeyId });
    await strategy.revoke?.(old, ctx);

    expect(aws.keys('app')).toEqual([`${current.accessKeyId}:Active`]);
    expect(lines.at(-1)).toContain('access key already deleted');
  });

  it('refuses to revoke the key AWSCURRENT holds, without calling IAM', async () => {
    const { aws, strategy, secretOf } = world();
    const current = secretOf('app', aws.createKey('app'));
    const { ctx } = fakeContext({ [SECRET_ARN]: strategy.serialize(current) });
    aws.calls.length = 0;

    const error = await rejection(strategy.revoke?.(current, ctx));

    expect(error).toBeInstanceOf(RotationStateError);
    expect(error.message).toContain('refusing to deactivate it');
    expect(aws.calls).toEqual([]);
    expect(aws.keys('app')).toEqual([`${current.accessKeyId}:Active`]);
  });

  it('fails to restore a key that was deleted', async () => {
    const { aws, strategy, secretOf } = world();
    const old = secretOf('app', aws.createKey('app'));
    aws.model.invoke('DeleteAccessKey', { UserName: 'app', AccessKeyId: old.accessKeyId });

    const error = await rejection(strategy.restore?.(old, fakeContext().ctx));

    expect(error).toBeInstanceOf(TargetError);
    expect(error.message).toContain('no longer exists and cannot be restored');
  });
});
