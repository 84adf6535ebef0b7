import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maskAccessKeyId } from '../../../lambdas/credentials/iam-access-key';
import { CredentialTestError, SecretFormatError } from '../../../lambdas/shared/errors';
import { type Key, startWorld, type World } from './harness';

/**
 * Full rotations of IAM access keys: the real SDK over HTTP (endpoints from the standard
 * variables), the service's role played by the emulator's RotateSecret, and the real Lambda handler.
 */
let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterEach(() => {
  world.emulator.faults.clear();
  world.emulator.iam.propagationDelayMs = 0;
});

afterAll(async () => {
  await world?.close();
});

describe('Rotation: IAM access key end to end', () => {
  it('rotates four times with the rollout revoking in between: AWSCURRENT always works, never LimitExceeded', async () => {
    const app = await world.createApp({ extra: { region: 'eu-west-1' } });
    const arn = `arn:aws:iam::123456789012:user/${app.username}`;
    const seen = new Set([app.key.accessKeyId]);
    world.emulator.resetCalls();

    for (let i = 0; i < 4; i++) {
      const outcome = await world.rotate(app.arn);

      expect(outcome.status).toBe('succeeded');
      expect(outcome.steps.every((step) => step.outcome === 'succeeded')).toBe(true);
      const stages = await world.stages(app.arn);
      expect(stages[outcome.versionId]).toEqual(['AWSCURRENT']);
      expect(Object.values(stages).flat()).not.toContain('AWSPENDING');
      const current = await world.value(app.arn, 'AWSCURRENT');
      const previous = await world.value(app.arn, 'AWSPREVIOUS');
      expect(seen.has(current.accessKeyId)).toBe(false);
      seen.add(current.accessKeyId);
      expect(await world.callerArn(current)).toBe(arn);
      // finishSecret leaves the old key Active: consumers still holding it keep working.
      expect(await world.callerArn(previous)).toBe(arn);
      expect(await world.keys(app.username)).toEqual([
        `${previous.accessKeyId}:Active`,
        `${current.accessKeyId}:Active`,
      ]);
      expect(current.raw).toMatchObject({ region: 'eu-west-1' });

      await world.revokePrevious(app.arn);

      expect(await world.callerArn(previous)).toBeUndefined();
      expect(await world.callerArn(current)).toBe(arn);
    }
    expect(world.identityCalls()).not.toContain('iam:LimitExceeded');
    expect(world.identityCalls().filter((c) => c === 'iam:CreateAccessKey')).toHaveLength(4);
    expect(world.identityCalls().filter((c) => c === 'iam:DeleteAccessKey')).toHaveLength(3);
  });

  it('fails the next rotation while the previous key is still Active, and resumes once it is revoked', async () => {
    const app = await world.createApp();
    expect((await world.rotate(app.arn)).status).toBe('succeeded');
    const keys = await world.keys(app.username);

    const blocked = await world.rotate(app.arn);

    expect(blocked.status).toBe('failed');
    expect(blocked.error).toContain(
      '(AWSPREVIOUS), is still Active: the previous rollout has not revoked it',
    );
    expect(await world.keys(app.username)).toEqual(keys);

    await world.revokePrevious(app.arn);
    const resumed = await world.rotate(app.arn, { token: blocked.versionId });

    expect(resumed.status).toBe('succeeded');
    expect((await world.stages(app.arn))[blocked.versionId]).toEqual(['AWSCURRENT']);
  });

  it('deletes the orphan key when PutSecretValue fails after CreateAccessKey, and the retry creates one key', async () => {
    const app = await world.createApp();
    let keysWhenPutFailed: string[] = [];
    const fault = world.emulator.faults.add({
      service: 'secretsmanager',
      operation: 'PutSecretValue',
      error: { type: 'InternalServiceError', message: 'injected after CreateAccessKey', status: 500 },
      // Every attempt of the SDK's own retries fails: the step fails with the key created.
      times: 3,
      when: () => {
        keysWhenPutFailed = world.emulator.iam.accessKeyIdsOf(app.username);
        return true;
      },
    });
    world.emulator.resetCalls();

    const outcome = await world.rotate(app.arn);

    expect(fault.hits).toBe(3);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.filter((s) => s.outcome === 'failed').map((s) => s.step)).toEqual(['createSecret']);
    const [initial, orphan] = keysWhenPutFailed;
    expect(initial).toBe(app.key.accessKeyId);
    expect(orphan).toBeDefined();
    const current = await world.value(app.arn, 'AWSCURRENT');
    expect(current.accessKeyId).not.toBe(orphan);
    expect(await world.keys(app.username)).toEqual([`${initial}:Active`, `${current.accessKeyId}:Active`]);
    expect(world.identityCalls().slice(0, 6)).toEqual([
      'iam:ListAccessKeys',
      'iam:CreateAccessKey',
      'iam:ListAccessKeys',
      'iam:GetAccessKeyLastUsed',
      'iam:DeleteAccessKey',
      'iam:CreateAccessKey',
    ]);
  });

  it('waits out IAM propagation in testSecret: STS rejects the new key at first, the step still succeeds', async () => {
    const app = await world.createApp();
    world.emulator.iam.propagationDelayMs = 1200;
    world.emulator.resetCalls();
    const started = Date.now();

    const outcome = await world.rotate(app.arn);

    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.every((step) => step.outcome === 'succeeded')).toBe(true);
    expect(world.identityCalls().filter((c) => c === 'sts:GetCallerIdentity').length).toBeGreaterThan(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1200);
    expect(await world.callerArn(await world.value(app.arn, 'AWSCURRENT'))).toBeDefined();
  });

  it('refuses to rotate a secret whose key belongs to another user, creating nothing', async () => {
    const victim = await world.createUser();
    const intruder = await world.createApp();
    const forged = await world.createApp({
      raw: JSON.stringify({ username: victim, ...intruder.key }),
    });

    const outcome = await world.rotate(forged.arn);

    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain(
      `${maskAccessKeyId(intruder.key.accessKeyId)} is not a key of IAM user "${victim}"`,
    );
    expect(outcome.error).not.toContain(intruder.key.secretAccessKey);
    expect(await world.keys(victim)).toEqual([]);
  });

  it('detects a key of another user when Secrets Manager tests the configuration (RotateImmediately=false)', async () => {
    const victim = await world.createUser();
    const intruder = await world.createApp();
    const forged = await world.createApp({ raw: JSON.stringify({ username: victim, ...intruder.key }) });
    const before = await world.stages(forged.arn);

    const outcome = await world.rotate(forged.arn, { immediately: false });
    const error = await world
      .handler({ Step: 'testSecret', SecretId: forged.arn, ClientRequestToken: outcome.versionId })
      .catch((e: unknown) => e);

    expect(outcome.status).toBe('failed');
    expect(error).toBeInstanceOf(CredentialTestError);
    expect((error as Error).message).toContain(
      `authenticates as arn:aws:iam::123456789012:user/${intruder.username}, not as IAM user "${victim}"`,
    );
    expect(await world.stages(forged.arn)).toEqual(before);
  });

  it('passes the configuration test (RotateImmediately=false) with a good key and changes nothing', async () => {
    const app = await world.createApp();
    const before = await world.stages(app.arn);

    const outcome = await world.rotate(app.arn, { immediately: false });

    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.map((s) => s.step)).toEqual(['testSecret']);
    expect(await world.stages(app.arn)).toEqual(before);
    expect(await world.keys(app.username)).toEqual([`${app.key.accessKeyId}:Active`]);
  });

  it('revokes the old key so STS rejects it, and restore makes it work again', async () => {
    const app = await world.createApp();
    await world.rotate(app.arn);
    const previous = await world.value(app.arn, 'AWSPREVIOUS');
    const ctx = world.context(app.arn);

    await world.strategy.revoke?.(previous, ctx);
    const afterRevoke = await world.callerArn(previous);
    await world.strategy.restore?.(previous, ctx);

    expect(afterRevoke).toBeUndefined();
    expect(await world.callerArn(previous)).toBe(`arn:aws:iam::123456789012:user/${app.username}`);
  });

  it('reports the old key in use while a consumer still calls AWS with it, and not after it stops', async () => {
    const app = await world.createApp();
    await world.rotate(app.arn);
    const previous = await world.value(app.arn, 'AWSPREVIOUS');
    const ctx = world.context(app.arn);
    const since = new Date();
    await new Promise((resolve) => setTimeout(resolve, 5));

    const before = await world.strategy.inUse?.(previous, since, ctx);
    await world.callerArn(previous);
    const used = await world.strategy.inUse?.(previous, since, ctx);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const later = await world.strategy.inUse?.(previous, new Date(), ctx);

    expect(before?.inUse).toBe(false);
    expect(used?.inUse).toBe(true);
    expect(used?.evidence).toContain('(sts in us-east-1)');
    expect(used?.lastUsed?.getTime()).toBeGreaterThan(since.getTime());
    expect(later?.inUse).toBe(false);
  });

  describe('bad input: a clear error, no IAM call, nothing changed', () => {
    it.each([
      ['malformed JSON', () => '{"username":"x","accessKeyId":"AKIA', '$'],
      ['a missing username', (k: Key) => JSON.stringify({ ...k }), 'username'],
      [
        'a missing secretAccessKey',
        (k: Key) => JSON.stringify({ username: 'x', accessKeyId: k.accessKeyId }),
        'secretAccessKey',
      ],
      [
        'a numeric accessKeyId',
        (k: Key) => JSON.stringify({ username: 'x', accessKeyId: 42, secretAccessKey: k.secretAccessKey }),
        'accessKeyId',
      ],
      ['a username that is a list', (k: Key) => JSON.stringify({ username: ['x'], ...k }), 'username'],
    ])('fails the rotation of a secret with %s, naming the field', async (_name, make, field) => {
      const owner = await world.createUser();
      const key = await world.createKey(owner);
      const app = await world.createApp({ raw: make(key) });
      const before = await world.stages(app.arn);
      world.emulator.resetCalls();

      const outcome = await world.rotate(app.arn);
      const error = await world
        .handler({ Step: 'createSecret', SecretId: app.arn, ClientRequestToken: outcome.versionId })
        .catch((e: unknown) => e);

      expect(outcome.status).toBe('failed');
      expect(outcome.error).toContain('SecretFormatError');
      expect(outcome.error).not.toContain(key.secretAccessKey);
      expect(error).toBeInstanceOf(SecretFormatError);
      expect((error as SecretFormatError).field).toBe(field);
      expect(world.identityCalls()).toEqual([]);
      expect(await world.keys(owner)).toEqual([`${key.accessKeyId}:Active`]);
      const after = await world.stages(app.arn);
      expect(after[outcome.versionId]).toEqual(['AWSPENDING']);
      expect(Object.keys(after)).toHaveLength(Object.keys(before).length + 1);
    });
  });
});
