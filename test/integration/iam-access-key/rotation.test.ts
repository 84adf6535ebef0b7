import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskAccessKeyId } from '../../../lambdas/credentials/iam-access-key';
import { CredentialTestError, SecretFormatError } from '../../../lambdas/shared/errors';
import { BAD_INPUT_CASES, startWorld, type World } from './harness';

/**
 * Full rotations of IAM access keys: the real SDK over HTTP (endpoints from the standard
 * variables), Secrets Manager's part played by its RotateSecret (the emulator's, or the harness's
 * for another endpoint), and the real Lambda handler. Portable: only the public API is observed.
 */
let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

describe('Rotation: IAM access key end to end', () => {
  it('rotates four times with the rollout revoking in between: AWSCURRENT always works, never LimitExceeded', async () => {
    const app = await world.createApp({ extra: { region: 'eu-west-1' } });
    const arn = world.userArn(app.username);
    const seen = new Set([app.key.accessKeyId]);

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
    expect(seen.size).toBe(5);
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

  it('fails testSecret naming the key id, never the secret, when the stored SecretAccessKey does not match the key (SignatureDoesNotMatch)', async () => {
    const app = await world.createApp();
    const next = await world.createKey(app.username);
    const wrongSecret = `${next.secretAccessKey.slice(0, 39)}${next.secretAccessKey.endsWith('A') ? 'B' : 'A'}`;
    const pending = await world.putPending(app.arn, {
      username: app.username,
      accessKeyId: next.accessKeyId,
      secretAccessKey: wrongSecret,
    });

    const outcome = await world.rotate(app.arn, { token: pending });

    expect(outcome.status).toBe('failed');
    expect(outcome.steps.filter((s) => s.outcome === 'failed').map((s) => s.step)).toEqual([
      'testSecret',
      'testSecret',
      'testSecret',
    ]);
    expect(outcome.error).toContain(`access key ${maskAccessKeyId(next.accessKeyId)}`);
    expect(outcome.error).toContain('SignatureDoesNotMatch');
    expect(outcome.error).not.toContain(wrongSecret);
    expect(outcome.error).not.toContain(next.secretAccessKey);
    expect((await world.value(app.arn, 'AWSCURRENT')).accessKeyId).toBe(app.key.accessKeyId);
    expect((await world.stages(app.arn))[pending]).toEqual(['AWSPENDING']);
  });

  it('fails testSecret with the key named and its status when the key is Inactive (RotateImmediately=false)', async () => {
    const app = await world.createApp();
    await world.deactivate(app.username, app.key.accessKeyId);
    const before = await world.stages(app.arn);

    const outcome = await world.rotate(app.arn, { immediately: false });

    expect(outcome.status).toBe('failed');
    expect(outcome.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
      'testSecret:failed',
      'testSecret:failed',
      'testSecret:failed',
    ]);
    expect(outcome.error).toContain(
      `STS rejects access key ${maskAccessKeyId(app.key.accessKeyId)} (InvalidClientTokenId`,
    );
    expect(outcome.error).toContain(`it is Inactive for IAM user "${app.username}"`);
    expect(outcome.error).not.toContain(app.key.secretAccessKey);
    expect(await world.stages(app.arn)).toEqual(before);
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
      `authenticates as ${world.userArn(intruder.username)}, not as IAM user "${victim}"`,
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
    expect(await world.callerArn(previous)).toBe(world.userArn(app.username));
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
    expect(used?.evidence).toContain(`(sts in ${world.aws.region})`);
    expect(used?.lastUsed?.getTime()).toBeGreaterThan(since.getTime());
    expect(later?.inUse).toBe(false);
  });

  it(
    'names the caller of the old key from CloudTrail: where from, user agent, the calls, the key masked',
    async () => {
      const app = await world.createApp();
      await world.rotate(app.arn);
      const previous = await world.value(app.arn, 'AWSPREVIOUS');
      const ctx = world.context(app.arn);
      const since = new Date(Date.now() - 1000);
      await world.callerArn(previous);

      // CloudTrail delivers events minutes late on AWS: wait for the event (at once on the emulator).
      const onEmulator = world.aws.targets.cloudtrail.kind === 'emulator';
      const deadline = Date.now() + (onEmulator ? 5_000 : 20 * 60_000);
      let report = await world.strategy.inUse?.(previous, since, ctx);
      while ((report?.stragglers?.length ?? 0) === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, onEmulator ? 100 : 30_000));
        report = await world.strategy.inUse?.(previous, since, ctx);
      }

      expect(report?.inUse).toBe(true);
      expect(report?.stragglers).toHaveLength(1);
      expect(report?.stragglers?.[0]).toMatchObject({
        identity: expect.stringMatching(/^key AKIA…[A-Z0-9]{4} caller \(user agent aws-sdk-js\//),
        from: expect.any(String),
        evidence: expect.stringContaining('sts:GetCallerIdentity'),
      });
      expect(JSON.stringify(report)).not.toContain(previous.accessKeyId);
    },
    25 * 60_000,
  );

  describe('bad input: a clear error, nothing changed', () => {
    it.each(BAD_INPUT_CASES)(
      'fails the rotation of a secret with %s, naming the field',
      async (_name, make, field) => {
        const owner = await world.createUser();
        const key = await world.createKey(owner);
        const app = await world.createApp({ raw: make(key) });
        const before = await world.stages(app.arn);

        const outcome = await world.rotate(app.arn);
        const error = await world
          .handler({ Step: 'createSecret', SecretId: app.arn, ClientRequestToken: outcome.versionId })
          .catch((e: unknown) => e);

        expect(outcome.status).toBe('failed');
        expect(outcome.error).toContain('SecretFormatError');
        expect(outcome.error).not.toContain(key.secretAccessKey);
        expect(error).toBeInstanceOf(SecretFormatError);
        expect((error as SecretFormatError).field).toBe(field);
        expect(await world.keys(owner)).toEqual([`${key.accessKeyId}:Active`]);
        const after = await world.stages(app.arn);
        expect(after[outcome.versionId]).toEqual(['AWSPENDING']);
        expect(Object.keys(after)).toHaveLength(Object.keys(before).length + 1);
      },
    );
  });
});
