import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROLLOUT_TAG } from '../../../lambdas/rollout/contract';
import type { RotationProgress } from '../../../lambdas/rollout/plan';
import { checkRotation, rotationToken, startRotation } from '../../../lambdas/rollout/rotate-secret';
import { EXECUTION_ARN, NOW, plan, type RolloutTestWorld, rolloutWorld } from './fakes';

const V1 = 'v1-00000000-0000-0000-0000-000000000001';
const TOKEN = rotationToken(EXECUTION_ARN);

let world: RolloutTestWorld;
beforeEach(() => {
  world = rolloutWorld();
});
afterEach(() => world.restore());

const start = (arn: string) =>
  startRotation(world.deps, {
    Task: 'start-rotation',
    rollout: plan(arn, { trigger: 'manual' }),
    rotation: { status: 'running', checks: 0 },
  });
const check = (arn: string, rotation: RotationProgress) =>
  checkRotation(world.deps, { Task: 'check-rotation', rollout: plan(arn, { trigger: 'manual' }), rotation });

describe('Task: start-rotation', () => {
  it('derives one UUID token per execution, so a retry finds its own rotation', () => {
    expect(rotationToken(EXECUTION_ARN)).toBe(TOKEN);
    expect(TOKEN).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(rotationToken(`${EXECUTION_ARN}-2`)).not.toBe(TOKEN);
  });

  it('rotates with the execution token (the version preflight recorded on the lock and its mirror)', async () => {
    // GIVEN
    const arn = world.createSecret();

    // WHEN
    const progress = await start(arn);

    // THEN
    expect(progress).toEqual({
      status: 'running',
      checks: 0,
      versionId: TOKEN,
      previousVersionId: V1,
      requestedAt: NOW.toISOString(),
    });
    expect(world.secretsManager.calls).toEqual(['DescribeSecret', 'RotateSecret']);
    expect(world.labels(arn).VersionIdsToStages[TOKEN]).toEqual(['AWSPENDING']);
  });

  it.each(['before', 'after'] as const)(
    'rotates exactly once when RotateSecret fails %s it takes effect and the task runs again',
    async (timing) => {
      // GIVEN
      const arn = world.createSecret();
      world.secretsManager.failCall(world.secretsManager.calls.length + 1, timing);

      // WHEN
      await expect(start(arn)).rejects.toMatchObject({ name: 'Handover.RotationFailed' });
      const progress = await start(arn);

      // THEN
      expect(progress).toMatchObject({ status: 'running', versionId: TOKEN, previousVersionId: V1 });
      expect(world.service.rotationsOf(arn)).toHaveLength(1);
    },
  );

  it('refuses, naming the stuck version and the command to clear it, when AWSPENDING is left on another version', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.service.invoke('PutSecretValue', {
      SecretId: arn,
      ClientRequestToken: 'stuck-000-0000-0000-0000-000000000009',
      SecretString: '{}',
      VersionStages: ['AWSPENDING'],
    });

    // WHEN / THEN
    await expect(start(arn)).rejects.toMatchObject({
      name: 'Handover.RotationFailed',
      message: expect.stringMatching(/AWSPENDING is on version stuck-.*--remove-from-version-id stuck-/),
    });
    expect(world.secretsManager.calls).not.toContain('RotateSecret');
  });

  it('in emergency mode adopts a rotation left in flight instead of refusing: the lock carries its version, and it resumes', async () => {
    // GIVEN a rotation refused earlier (AWSPENDING on its version) and this emergency holding the lock
    const arn = world.createSecret();
    const stuck = 'stuck-000-0000-0000-0000-000000000009';
    world.service.invoke('PutSecretValue', {
      SecretId: arn,
      ClientRequestToken: stuck,
      SecretString: '{"username":"app_clone","password":"p"}',
      VersionStages: ['AWSPENDING'],
    });
    world.putLock(arn, {
      holder: EXECUTION_ARN,
      mode: 'emergency',
      leaseUntil: '2026-11-21T12:00:00.000Z',
      version: TOKEN,
    });

    // WHEN
    const progress = await startRotation(world.deps, {
      Task: 'start-rotation',
      rollout: plan(arn, { trigger: 'manual', mode: 'emergency' }),
      rotation: { status: 'running', checks: 0 },
    });

    // THEN
    expect(progress).toMatchObject({ status: 'running', versionId: stuck, previousVersionId: V1 });
    expect(world.lock(arn).version).toBe(stuck);
    expect(world.tags(arn)[ROLLOUT_TAG.version]).toBe(stuck);
    expect(world.service.rotationsOf(arn).map((rotation) => rotation.versionId)).toEqual([stuck]);
    expect(world.logger.lines).toContainEqual(
      expect.objectContaining({ message: 'emergency adopts the rotation in flight' }),
    );
  });

  it('refuses when rotation is not enabled on the secret', async () => {
    // GIVEN
    const created = world.service.invoke('CreateSecret', { Name: 'paused/db', SecretString: '{}' }) as {
      ARN: string;
    };

    // WHEN / THEN
    await expect(start(created.ARN)).rejects.toThrow(/rotation is not enabled on paused\/db/);
  });
});

describe('Task: check-rotation', () => {
  const running: RotationProgress = {
    status: 'running',
    checks: 2,
    versionId: TOKEN,
    previousVersionId: V1,
    requestedAt: NOW.toISOString(),
  };

  it('reports the version pair once the token version is AWSCURRENT', async () => {
    // GIVEN
    const arn = world.createSecret();
    world.rotate(arn, TOKEN);

    // WHEN
    const progress = await check(arn, running);

    // THEN
    expect(progress).toEqual({
      ...running,
      status: 'succeeded',
      checks: 3,
      versions: { newVersionId: TOKEN, oldVersionId: V1 },
      completedAt: NOW.toISOString(),
    });
  });

  it('keeps waiting while the version is pending, within the rotation timeout', async () => {
    // GIVEN
    const arn = world.createSecret();
    await start(arn);

    // WHEN
    const progress = await check(arn, running);

    // THEN
    expect(progress).toEqual({ ...running, checks: 3 });
  });

  it('fails with Handover.RotationFailed once the rotation timeout has passed', async () => {
    // GIVEN
    const arn = world.createSecret();
    await start(arn);
    const requestedAt = new Date(NOW.getTime() - 900_000).toISOString();

    // WHEN / THEN
    await expect(check(arn, { ...running, requestedAt })).rejects.toMatchObject({
      name: 'Handover.RotationFailed',
      message: expect.stringMatching(
        /did not finish within 900 s: version .* is at AWSPENDING, not AWSCURRENT/,
      ),
    });
  });

  describe('a rotation in flight when an event-triggered rollout took its lock', () => {
    const V2 = 'v2-00000000-0000-0000-0000-000000000002';
    const V3 = 'v3-00000000-0000-0000-0000-000000000003';
    const settling = (requestedAt = NOW.toISOString()): RotationProgress => ({
      status: 'running',
      checks: 0,
      versionId: V3,
      previousVersionId: V2,
      requestedAt,
      inFlight: { newVersionId: V2, oldVersionId: V1 },
    });
    const checkEvent = (arn: string, rotation: RotationProgress) =>
      checkRotation(world.deps, { Task: 'check-rotation', rollout: plan(arn), rotation });
    const inFlight = (arn: string) => {
      world.rotate(arn, V2);
      world.service.invoke('PutSecretValue', {
        SecretId: arn,
        ClientRequestToken: V3,
        SecretString: '{"username":"app","password":"p3"}',
        VersionStages: ['AWSPENDING'],
      });
      world.putLock(arn, {
        holder: EXECUTION_ARN,
        mode: 'scheduled',
        leaseUntil: '2026-11-21T12:00:00.000Z',
        version: V2,
      });
    };

    it('keeps waiting while it is in flight, within the rotation timeout', async () => {
      const arn = world.createSecret();
      inFlight(arn);

      expect(await checkEvent(arn, settling())).toMatchObject({
        status: 'running',
        checks: 1,
        versionId: V3,
      });
    });

    it('carries the pair the event named once the rotation timeout has passed (its steps have ended; later ones are refused)', async () => {
      const arn = world.createSecret();
      inFlight(arn);

      const progress = await checkEvent(arn, settling(new Date(NOW.getTime() - 900_000).toISOString()));

      expect(progress).toMatchObject({
        status: 'succeeded',
        versions: { newVersionId: V2, oldVersionId: V1 },
      });
      expect(world.lock(arn).version).toBe(V2);
    });

    it('carries the newer version when the rotation in flight completed, and moves the lock to it', async () => {
      const arn = world.createSecret();
      inFlight(arn);
      world.service.invoke('UpdateSecretVersionStage', {
        SecretId: arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: V3,
        RemoveFromVersionId: V2,
      });
      world.service.invoke('UpdateSecretVersionStage', {
        SecretId: arn,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: V3,
      });

      const progress = await checkEvent(arn, settling());

      expect(progress).toMatchObject({
        status: 'succeeded',
        versions: { newVersionId: V3, oldVersionId: V2 },
      });
      expect(world.lock(arn).version).toBe(V3);
      expect(world.tags(arn)[ROLLOUT_TAG.version]).toBe(V3);
    });
  });

  it('fails at once when the rotation was cancelled', async () => {
    // GIVEN
    const arn = world.createSecret();
    await start(arn);
    world.service.invoke('CancelRotateSecret', { SecretId: arn });

    // WHEN / THEN
    await expect(check(arn, running)).rejects.toThrow(/was cancelled .* no consumer was touched/);
  });
});
