import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BAD_INPUT_CASES, startWorld, type World } from './harness';

/**
 * EMULATOR ONLY: what these tests observe or arrange exists only in the emulator: its call log (how
 * many IAM and STS calls a rotation made), its fault hooks (a PutSecretValue that fails after the
 * key was created) and its emulated IAM propagation delay. The outcomes they lead to are covered
 * through the public API in rotation.test.ts.
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

describe('Rotation: IAM access key, observed in the emulator', () => {
  it('makes one CreateAccessKey per rotation and one DeleteAccessKey per revoked key, never a third key (call log)', async () => {
    const app = await world.createApp();
    world.emulator.resetCalls();

    for (let i = 0; i < 4; i++) {
      expect((await world.rotate(app.arn)).status).toBe('succeeded');
      await world.revokePrevious(app.arn);
    }

    expect(world.identityCalls().filter((c) => c === 'iam:CreateAccessKey')).toHaveLength(4);
    expect(world.identityCalls().filter((c) => c === 'iam:DeleteAccessKey')).toHaveLength(3);
    expect(world.emulator.calls.filter((call) => call.errorCode === 'LimitExceeded')).toEqual([]);
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

  it.each(BAD_INPUT_CASES)(
    'makes no IAM or STS call for a secret with %s (call log)',
    async (_name, make) => {
      const owner = await world.createUser();
      const key = await world.createKey(owner);
      const app = await world.createApp({ raw: make(key) });
      world.emulator.resetCalls();

      const outcome = await world.rotate(app.arn);

      expect(outcome.status).toBe('failed');
      expect(world.identityCalls()).toEqual([]);
    },
  );
});
