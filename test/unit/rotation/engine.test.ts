import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { STAGE } from '../../../lambdas/rotation/constants';
import { createRotationHandler } from '../../../lambdas/rotation/engine';
import { ROLLOUT_TAG } from '../../../lambdas/rotation/interlock';
import { createSecretsManagerPort } from '../../../lambdas/rotation/secrets-port';
import type { VersionValues } from '../../../lambdas/rotation/version-values';
import {
  RotationEventError,
  RotationRefusedError,
  RotationStateError,
  SecretFormatError,
} from '../../../lambdas/shared/errors';
import type { RotationMetrics, StructuredLogger } from '../../../lambdas/shared/observability';
import { SecretsManagerService } from '../../../local/emulator';
import { createKeyringStrategy, Keyring, type KeyringSecret } from '../../support/fake-strategy';
import { type FaultTiming, inProcessSecretsClient } from '../../support/in-process-secrets';
import { recordSecretMaterial } from '../../support/log-scan';

const LAMBDA = 'arn:aws:lambda:us-east-1:123456789012:function:rotate';
const INITIAL: KeyringSecret = { username: 'app', password: 'initial-password-0001' };

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** Every step on a new Lambda environment: nothing remembered between steps. */
const COLD: VersionValues = { get: () => undefined, remember: () => {}, forget: () => {} };

function setup(
  options: {
    rotationEnabled?: boolean;
    initial?: string;
    createIsPure?: boolean;
    cold?: boolean;
    rolloutsTracked?: boolean;
  } = {},
) {
  const service = new SecretsManagerService({ rotation: { retries: 2, retryDelayMs: 0 } });
  const client = inProcessSecretsClient(service);
  const keyring = new Keyring();
  keyring.passwords.set(INITIAL.username, INITIAL.password);
  const { ARN: arn } = service.invoke('CreateSecret', {
    Name: `demo-${randomUUID()}`,
    SecretString: options.initial ?? JSON.stringify(INITIAL),
  }) as { ARN: string };
  if (options.rotationEnabled !== false) service.configureRotation(arn, LAMBDA);

  const logs: LogLine[] = [];
  const line =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}): void => {
      logs.push({ level, message, fields });
    };
  const logger: StructuredLogger = {
    debug: line('debug'),
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  };
  const metrics: string[] = [];
  const recorder: RotationMetrics = {
    recordStep: (step, outcome) => metrics.push(`step:${step}:${outcome}`),
    recordRotation: (outcome) => metrics.push(`rotation:${outcome}`),
  };
  const handler = createRotationHandler({
    strategy: createKeyringStrategy(keyring, { createIsPure: options.createIsPure === true }),
    secrets: createSecretsManagerPort(client),
    logger,
    metrics: recorder,
    ...(options.cold === true ? { versionValues: COLD } : {}),
    ...(options.rolloutsTracked === true ? { rolloutsTracked: true } : {}),
  });

  const value = (selector: { VersionStage?: string; VersionId?: string }): KeyringSecret =>
    JSON.parse(
      (service.invoke('GetSecretValue', { SecretId: arn, ...selector }) as { SecretString: string })
        .SecretString,
    );
  const stages = (): Record<string, string[]> =>
    (service.invoke('DescribeSecret', { SecretId: arn }) as { VersionIdsToStages: Record<string, string[]> })
      .VersionIdsToStages;

  /** Before every step: whatever AWSCURRENT holds must log in (zero downtime). */
  const violations: string[] = [];
  const currentLogsIn = (): boolean => {
    const raw = (service.invoke('GetSecretValue', { SecretId: arn }) as { SecretString: string })
      .SecretString;
    const current = createKeyringStrategy(keyring).parse(raw);
    return keyring.login(current.username, current.password);
  };
  service.registerRotationLambda(LAMBDA, async (event) => {
    // A malformed current value cannot be checked; those tests assert on the failure instead.
    const checkable = options.initial === undefined;
    if (checkable && !currentLogsIn()) violations.push(`before ${event.Step}`);
    await handler(event);
    if (checkable && !currentLogsIn()) violations.push(`after ${event.Step}`);
  });

  const rotate = async () => {
    service.invoke('RotateSecret', { SecretId: arn, RotationLambdaARN: LAMBDA });
    return service.waitForRotation(arn);
  };
  const event = (Step: string, ClientRequestToken: string) => ({ Step, SecretId: arn, ClientRequestToken });
  const logText = () => JSON.stringify(logs);
  return {
    service,
    client,
    keyring,
    arn,
    handler,
    logs,
    metrics,
    value,
    stages,
    violations,
    rotate,
    event,
    logText,
  };
}

/** The end state every rotation must reach, however many failures and re-runs it took. */
function expectRotated(s: ReturnType<typeof setup>, versionId: string): void {
  const stages = s.stages();
  expect(stages[versionId]).toEqual([STAGE.current]);
  expect(
    Object.values(stages)
      .flat()
      .filter((stage) => stage === STAGE.pending),
  ).toEqual([]);
  expect(
    Object.values(stages)
      .flat()
      .filter((stage) => stage === STAGE.previous),
  ).toHaveLength(1);
  const current = s.value({ VersionStage: STAGE.current });
  const previous = s.value({ VersionStage: STAGE.previous });
  recordSecretMaterial(current.password, previous.password);
  expect(s.keyring.login(current.username, current.password)).toBe(true);
  expect(s.keyring.login(previous.username, previous.password)).toBe(true);
  expect(current.username).not.toBe(previous.username);
  expect(s.violations).toEqual([]);
}

/** The calls a clean rotation makes, so every one of them can be failed in turn. */
async function cleanRotationCalls(createIsPure: boolean): Promise<string[]> {
  const s = setup({ createIsPure });
  await s.rotate();
  return [...s.client.calls];
}

const writes = new Set(['PutSecretValue', 'UpdateSecretVersionStage']);
/** Every call of a clean rotation, failed before it applies (and writes after, a lost response too). */
const cases = (
  await Promise.all(
    [false, true].map(async (createIsPure) =>
      (
        await cleanRotationCalls(createIsPure)
      ).flatMap((operation, index) =>
        (writes.has(operation) ? (['before', 'after'] as const) : (['before'] as const)).map(
          (timing: FaultTiming) => [createIsPure ? 'pure' : 'key-making', index, operation, timing] as const,
        ),
      ),
    ),
  )
).flat();

describe('Function: createRotationHandler', () => {
  it('moves AWSCURRENT to the pending version, leaves AWSPREVIOUS on the old one and clears AWSPENDING', async () => {
    const s = setup();
    const outcome = await s.rotate();

    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.map((step) => `${step.step}:${step.outcome}`)).toEqual([
      'createSecret:succeeded',
      'setSecret:succeeded',
      'testSecret:succeeded',
      'finishSecret:succeeded',
    ]);
    expectRotated(s, outcome.versionId);
    expect(s.value({ VersionStage: STAGE.previous })).toEqual(INITIAL);
    expect(s.keyring.effects).toEqual(['set:app_clone']);
    expect(s.metrics).toEqual([
      'step:createSecret:success',
      'step:setSecret:success',
      'step:testSecret:success',
      'step:finishSecret:success',
      'rotation:success',
    ]);
  });

  it('alternates users over repeated rotations', async () => {
    const s = setup();
    for (const expected of ['app_clone', 'app', 'app_clone']) {
      const outcome = await s.rotate();
      expectRotated(s, outcome.versionId);
      expect(s.value({ VersionStage: STAGE.current }).username).toBe(expected);
    }
    expect(s.keyring.effects).toEqual(['set:app_clone', 'set:app', 'set:app_clone']);
  });

  it('writes one structured log line per step with the observability fields and no secret', async () => {
    const s = setup();
    const outcome = await s.rotate();

    const stepLines = s.logs.filter((l) => l.fields.outcome !== undefined);
    expect(stepLines.map((l) => l.fields.step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    for (const line of stepLines) {
      expect(line.fields).toMatchObject({
        secret_id: s.arn,
        rotation_id: outcome.versionId,
        credential_type: 'postgres',
        outcome: 'success',
      });
      expect(line.fields.duration_ms).toEqual(expect.any(Number));
    }
    expect(stepLines[0]?.fields.key_fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(stepLines[0]?.fields.key_fingerprint).not.toContain('app');
    const pending = s.value({ VersionId: outcome.versionId });
    expect(s.logText()).not.toContain(pending.password);
    expect(s.logText()).not.toContain(INITIAL.password);
  });

  describe('interlock with a live rollout of the secret', () => {
    const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:Handover-rollout:orders-1';
    const lock = (
      s: ReturnType<typeof setup>,
      lease: Date,
      version = randomUUID(),
      mode: 'scheduled' | 'emergency' = 'scheduled',
    ) =>
      s.service.invoke('TagResource', {
        SecretId: s.arn,
        Tags: [
          { Key: ROLLOUT_TAG.holder, Value: EXECUTION },
          { Key: ROLLOUT_TAG.lease, Value: lease.toISOString() },
          { Key: ROLLOUT_TAG.version, Value: version },
          { Key: ROLLOUT_TAG.mode, Value: mode },
        ],
      });
    const inAnHour = () => new Date(Date.now() + 3600_000);
    /** A rollout completed `version` (as finish records it); the refused rotation's label is cleared. */
    const rolledOut = (s: ReturnType<typeof setup>, version: string, refused: string) => {
      s.service.invoke('UpdateSecretVersionStage', {
        SecretId: s.arn,
        VersionStage: STAGE.pending,
        RemoveFromVersionId: refused,
      });
      s.service.invoke('TagResource', { SecretId: s.arn, Tags: [{ Key: ROLLOUT_TAG.done, Value: version }] });
    };
    const pendingValue = { username: 'app_clone', password: 'pending-password-interlock' };

    it('refuses createSecret while a rollout carrying another version holds the lock, names it, and changes nothing', async () => {
      // GIVEN a rollout (of an earlier rotation) keeping the previous credential valid
      const s = setup();
      lock(s, inAnHour());
      const before = JSON.stringify(s.stages());

      // WHEN the schedule rotates again
      const outcome = await s.rotate();

      // THEN
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toContain('RotationRefusedError: createSecret refused');
      expect(outcome.error).toContain(EXECUTION);
      expect(outcome.error).toContain('start an emergency rollout');
      expect(outcome.steps.map((step) => step.step)).toEqual([
        'createSecret',
        'createSecret',
        'createSecret',
      ]);
      expect(s.client.calls).not.toContain('PutSecretValue');
      const after = s.stages();
      expect(after[outcome.versionId]).toEqual([STAGE.pending]);
      delete after[outcome.versionId];
      expect(JSON.stringify(after)).toBe(before);
      expect(s.keyring.passwords.has('app_clone')).toBe(false);
      expect(s.logs.at(-1)).toMatchObject({
        level: 'error',
        message: 'createSecret refused',
        fields: { outcome: 'refused', refusal: 'rollout-in-progress', step: 'createSecret' },
      });
      expect(s.metrics).toContain('rotation:failure');
    });

    it("lets the rollout's own rotation through (the version its lock carries)", async () => {
      const s = setup();
      const token = randomUUID();
      lock(s, inAnHour(), token, 'emergency');

      s.service.invoke('RotateSecret', {
        SecretId: s.arn,
        RotationLambdaARN: LAMBDA,
        ClientRequestToken: token,
      });
      const outcome = await s.service.waitForRotation(s.arn);

      expect(outcome.status).toBe('succeeded');
      expectRotated(s, token);
    });

    it('refuses createSecret while AWSCURRENT of a secret whose rollouts are tracked was never rolled out', async () => {
      // GIVEN a rotation whose rollout failed (the last rollout completed the version before it)
      const s = setup();
      const before = Object.keys(s.stages()).find((id) => s.stages()[id]?.includes(STAGE.current)) ?? '';
      const first = await s.rotate();
      s.service.invoke('TagResource', { SecretId: s.arn, Tags: [{ Key: ROLLOUT_TAG.done, Value: before }] });

      // WHEN the next rotation comes
      const outcome = await s.rotate();

      // THEN it is refused: its consumers may still hold the credential it would take away
      expect(first.status).toBe('succeeded');
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toContain(`version ${first.versionId} (AWSCURRENT) of secret`);
      expect(outcome.error).toContain('has not been rolled out');
      expect(s.logs.at(-1)?.fields).toMatchObject({ outcome: 'refused', refusal: 'not-rolled-out' });

      // ... and passes once that version is rolled out
      rolledOut(s, first.versionId, outcome.versionId);
      expect((await s.rotate()).status).toBe('succeeded');
    });

    it('for a secret a workflow rolls out, refuses a rotation while AWSPREVIOUS exists and no rollout ever recorded one', async () => {
      // GIVEN a function whose secrets are rolled out (HANDOVER_ROLLOUTS=tracked), a secret never
      // rotated: its first rotation passes (its consumers hold the one version there is)
      const s = setup({ rolloutsTracked: true });
      const first = await s.rotate();
      expect(first.status).toBe('succeeded');

      // WHEN the next rotation comes before that rotation's rollout recorded anything
      const outcome = await s.rotate();

      // THEN it is refused, changing nothing: the consumers may still hold AWSPREVIOUS
      expect(outcome.status).toBe('failed');
      expect(outcome.error).toContain(`version ${first.versionId} (AWSCURRENT) of secret`);
      expect(outcome.error).toContain('has no record of being rolled out');
      expect(outcome.error).toContain('handover rotate');
      expect(s.logs.at(-1)?.fields).toMatchObject({ outcome: 'refused', refusal: 'not-rolled-out' });
      expect(s.keyring.passwords.size).toBe(2);

      // ... and passes once a rollout recorded that version
      rolledOut(s, first.versionId, outcome.versionId);
      expect((await s.rotate()).status).toBe('succeeded');
    });

    it('for a secret no workflow rolls out (the default), keeps rotating with no rollout record', async () => {
      const s = setup();
      expect((await s.rotate()).status).toBe('succeeded');
      expect((await s.rotate()).status).toBe('succeeded');
    });

    it('ignores a lock whose lease has expired (a rollout past its worst case)', async () => {
      const s = setup();
      lock(s, new Date(Date.now() - 1000));

      const outcome = await s.rotate();

      expect(outcome.status).toBe('succeeded');
      expectRotated(s, outcome.versionId);
    });

    it('refuses setSecret when a rollout took the lock after createSecret ran (the race), before the target changes', async () => {
      // GIVEN createSecret ran with no lock on the secret
      const s = setup();
      const token = randomUUID();
      s.service.invoke('PutSecretValue', {
        SecretId: s.arn,
        ClientRequestToken: token,
        SecretString: JSON.stringify(pendingValue),
        VersionStages: [STAGE.pending],
      });
      await s.handler(s.event('createSecret', token));
      // ... then a rollout of the previous rotation took its lock
      lock(s, inAnHour());

      // WHEN
      const error = await s.handler(s.event('setSecret', token)).catch((e: unknown) => e);

      // THEN
      expect(error).toBeInstanceOf(RotationRefusedError);
      expect((error as RotationRefusedError).reason).toBe('rollout-in-progress');
      expect((error as Error).message).toContain('setSecret refused');
      expect(s.keyring.passwords.has('app_clone')).toBe(false);
    });

    it('hands setSecret the live rollout its rotation belongs to (an emergency may reset a user in use)', async () => {
      const s = setup();
      const token = randomUUID();
      s.service.invoke('PutSecretValue', {
        SecretId: s.arn,
        ClientRequestToken: token,
        SecretString: JSON.stringify(pendingValue),
        VersionStages: [STAGE.pending],
      });
      lock(s, inAnHour(), token, 'emergency');
      const seen: unknown[] = [];
      const handler = createRotationHandler({
        strategy: {
          ...createKeyringStrategy(s.keyring),
          async set(_pending, _current, _previous, ctx) {
            seen.push(ctx.rollout);
          },
        },
        secrets: createSecretsManagerPort(s.client),
        logger: { debug() {}, info() {}, warn() {}, error() {} },
        metrics: { recordStep() {}, recordRotation() {} },
      });

      await handler(s.event('setSecret', token));

      expect(seen).toEqual([
        expect.objectContaining({ holder: EXECUTION, mode: 'emergency', version: token }),
      ]);
    });
  });

  describe('idempotency and re-entry', () => {
    it('reuses the existing AWSPENDING value when createSecret runs again', async () => {
      const s = setup();
      const token = randomUUID();
      s.service.invoke('PutSecretValue', {
        SecretId: s.arn,
        ClientRequestToken: token,
        SecretString: JSON.stringify({ username: 'app_clone', password: 'pending-password-0001' }),
        VersionStages: [STAGE.pending],
      });

      await s.handler(s.event('createSecret', token));
      await s.handler(s.event('createSecret', token));

      expect(s.value({ VersionId: token }).password).toBe('pending-password-0001');
      expect(s.logs.filter((l) => l.fields.outcome === 'reused-pending')).toHaveLength(2);
      expect(s.client.calls.filter((c) => c === 'PutSecretValue')).toEqual([]);
    });

    it.each([
      ['createSecret', 'DescribeSecret'],
      ['setSecret', 'DescribeSecret'],
      ['testSecret', 'GetSecretValue'],
      ['finishSecret', 'DescribeSecret'],
    ])(
      'returns at once, after one call (%s: %s), when the step runs for a version that is already AWSCURRENT',
      async (step, call) => {
        const s = setup();
        const outcome = await s.rotate();
        const before = JSON.stringify(s.stages());
        s.client.calls.length = 0;

        await s.handler(s.event(step, outcome.versionId));

        expect(s.client.calls).toEqual([call]);
        expect(JSON.stringify(s.stages())).toBe(before);
        expect(s.logs.at(-1)?.fields.outcome).toBe('already-current');
      },
    );

    it('clears an AWSPENDING label left on the current version by an interrupted finishSecret', async () => {
      const s = setup();
      const token = randomUUID();
      s.service.invoke('PutSecretValue', {
        SecretId: s.arn,
        ClientRequestToken: token,
        SecretString: JSON.stringify({ username: 'app_clone', password: 'pending-password-0002' }),
        VersionStages: [STAGE.pending],
      });
      s.keyring.passwords.set('app_clone', 'pending-password-0002');
      const oldVersion = Object.entries(s.stages()).find(([, st]) => st.includes(STAGE.current))?.[0];
      s.service.invoke('UpdateSecretVersionStage', {
        SecretId: s.arn,
        VersionStage: STAGE.current,
        MoveToVersionId: token,
        RemoveFromVersionId: oldVersion,
      });
      expect(s.stages()[token]).toEqual(expect.arrayContaining([STAGE.current, STAGE.pending]));

      await s.handler(s.event('finishSecret', token));

      expect(s.stages()[token]).toEqual([STAGE.current]);
    });

    it.each([
      // createSecret stores at once: PutSecretValue refuses to change a version an earlier attempt filled.
      [true, 8, ['DescribeSecret', 'GetSecretValue', 'PutSecretValue']],
      // createSecret reads the token first, so a re-run never makes a second key at the target.
      [false, 9, ['DescribeSecret', 'GetSecretValue', 'GetSecretValue', 'PutSecretValue']],
    ])(
      'makes (createIsPure %s) %i Secrets Manager calls per rotation on a warm environment: later steps read labels only, and AWSPREVIOUS only when the strategy asks (AWS template: 14)',
      async (createIsPure, total, createCalls) => {
        const s = setup({ createIsPure });
        await s.rotate();
        s.client.calls.length = 0;

        await s.rotate();

        const calls = s.client.calls.filter((c) => c !== 'RotateSecret');
        expect(calls).toEqual([
          ...createCalls,
          'DescribeSecret',
          'DescribeSecret',
          ...['DescribeSecret', 'UpdateSecretVersionStage', 'UpdateSecretVersionStage'],
        ]);
        expect(calls).toHaveLength(total);
      },
    );

    it.each([
      [true, 10, ['DescribeSecret', 'GetSecretValue', 'PutSecretValue']],
      [false, 11, ['DescribeSecret', 'GetSecretValue', 'GetSecretValue', 'PutSecretValue']],
    ])(
      'makes (createIsPure %s) %i Secrets Manager calls per rotation when every step lands on a new environment',
      async (createIsPure, total, createCalls) => {
        const s = setup({ createIsPure, cold: true });
        await s.rotate();
        s.client.calls.length = 0;

        await s.rotate();

        const calls = s.client.calls.filter((c) => c !== 'RotateSecret');
        expect(calls).toEqual([
          ...createCalls,
          ...['DescribeSecret', 'GetSecretValue', 'GetSecretValue'],
          'GetSecretValue',
          ...['DescribeSecret', 'UpdateSecretVersionStage', 'UpdateSecretVersionStage'],
        ]);
        expect(calls).toHaveLength(total);
      },
    );

    it('refuses testSecret on a warm environment once rotation was turned off, and tests nothing', async () => {
      const s = setup({ createIsPure: true });
      await s.rotate();
      const token = randomUUID();
      s.service.invoke('PutSecretValue', {
        SecretId: s.arn,
        ClientRequestToken: token,
        SecretString: JSON.stringify({ username: 'app_clone', password: 'pending-password-0004' }),
        VersionStages: [STAGE.pending],
      });
      await s.handler(s.event('createSecret', token));
      s.service.invoke('CancelRotateSecret', { SecretId: s.arn });
      s.client.calls.length = 0;

      await expect(s.handler(s.event('testSecret', token))).rejects.toThrow(RotationStateError);
      expect(s.logs.at(-1)?.fields.reason).toMatch(/rotation is not enabled/);
      expect(s.client.calls).toEqual(['DescribeSecret']);
    });

    it('reuses the AWSPENDING value an earlier attempt stored when create is pure: PutSecretValue refuses, nothing changes', async () => {
      const s = setup({ createIsPure: true });
      const token = randomUUID();
      s.service.invoke('PutSecretValue', {
        SecretId: s.arn,
        ClientRequestToken: token,
        SecretString: JSON.stringify({ username: 'app_clone', password: 'pending-password-0003' }),
        VersionStages: [STAGE.pending],
      });
      const before = JSON.stringify(s.stages());

      await s.handler(s.event('createSecret', token));

      expect(s.value({ VersionId: token }).password).toBe('pending-password-0003');
      expect(JSON.stringify(s.stages())).toBe(before);
      expect(s.logs.at(-1)?.fields.outcome).toBe('reused-pending');
      expect(s.client.calls).toEqual([
        'DescribeSecret',
        'GetSecretValue',
        'PutSecretValue',
        'GetSecretValue',
      ]);
      expect(s.logText()).not.toContain('pending-password-0003');
    });

    it.each(cases)(
      'converges (%s create) when call #%i (%s) fails %s it applies and the step is retried',
      async (kind, index, _op, timing) => {
        const s = setup({ createIsPure: kind === 'pure' });
        s.client.failCall(index, timing);

        const outcome = await s.rotate();

        expect(outcome.status).toBe('succeeded');
        expect(outcome.steps.filter((step) => step.outcome === 'failed')).toHaveLength(1);
        expectRotated(s, outcome.versionId);
        expect(s.keyring.effects).toEqual(['set:app_clone']);
        expect(s.metrics).toContain('rotation:failure');
        expect(s.metrics.at(-1)).toBe('rotation:success');
      },
    );

    it.each(['before', 'after'] as const)(
      'converges when the target write fails %s it applies and setSecret is retried',
      async (timing) => {
        const s = setup();
        s.keyring.failNext('set:app_clone', timing);

        const outcome = await s.rotate();

        expect(outcome.status).toBe('succeeded');
        expect(outcome.steps.map((step) => `${step.step}:${step.outcome}`)).toEqual([
          'createSecret:succeeded',
          'setSecret:failed',
          'setSecret:succeeded',
          'testSecret:succeeded',
          'finishSecret:succeeded',
        ]);
        expectRotated(s, outcome.versionId);
        expect(s.keyring.effects).toEqual(['set:app_clone']);
      },
    );

    it('resumes a rotation that ran out of retries when RotateSecret is called again with its token', async () => {
      const s = setup();
      s.keyring.failNext('set:app_clone', 'before', 3);

      const first = await s.rotate();
      expect(first.status).toBe('failed');
      expect(s.stages()[first.versionId]).toEqual([STAGE.pending]);
      expect(() => s.service.invoke('RotateSecret', { SecretId: s.arn, RotationLambdaARN: LAMBDA })).toThrow(
        /previous rotation isn't complete/,
      );
      s.service.invoke('RotateSecret', {
        SecretId: s.arn,
        RotationLambdaARN: LAMBDA,
        ClientRequestToken: first.versionId,
      });
      const second = await s.service.waitForRotation(s.arn);

      expect(second.status).toBe('succeeded');
      expect(second.versionId).toBe(first.versionId);
      expectRotated(s, second.versionId);
    });
  });

  describe('stage guard', () => {
    it('fails when rotation is not enabled, and changes nothing', async () => {
      const s = setup({ rotationEnabled: false });
      const before = JSON.stringify(s.stages());

      await expect(s.handler(s.event('createSecret', randomUUID()))).rejects.toThrow(RotationStateError);
      await expect(s.handler(s.event('createSecret', randomUUID()))).rejects.toThrow(
        /rotation is not enabled/,
      );
      expect(JSON.stringify(s.stages())).toBe(before);
      expect(s.metrics).toContain('rotation:failure');
    });

    it.each(['createSecret', 'setSecret', 'finishSecret'])(
      'fails %s when the token is not a version of the secret',
      async (step) => {
        const s = setup();
        const token = randomUUID();
        await expect(s.handler(s.event(step, token))).rejects.toThrow(
          `version ${token} is not a version of secret`,
        );
        expect(s.client.calls.filter((c) => c !== 'DescribeSecret')).toEqual([]);
      },
    );

    it.each(['setSecret', 'testSecret', 'finishSecret'])(
      'fails %s when the token is a version without AWSPENDING',
      async (step) => {
        const s = setup();
        const first = await s.rotate();
        const previous = Object.entries(s.stages()).find(([, st]) => st.includes(STAGE.previous))?.[0] ?? '';
        expect(previous).not.toBe(first.versionId);
        const before = JSON.stringify(s.stages());

        await expect(s.handler(s.event(step, previous))).rejects.toThrow(/is not staged AWSPENDING/);
        expect(s.keyring.effects).toEqual(['set:app_clone']);
        expect(JSON.stringify(s.stages())).toBe(before);
      },
    );

    it.each(['setSecret', 'testSecret'])(
      'fails %s when the token carries AWSPENDING but createSecret never stored a value',
      async (step) => {
        const s = setup();
        // A rotation whose createSecret never succeeds: RotateSecret labelled the new version
        // AWSPENDING before any step ran, so the version has the label and no value.
        const broken = `${LAMBDA}-broken`;
        s.service.registerRotationLambda(broken, async () => {
          throw new Error('createSecret never completes');
        });
        s.service.invoke('RotateSecret', { SecretId: s.arn, RotationLambdaARN: broken });
        const failed = await s.service.waitForRotation(s.arn);
        expect(failed.status).toBe('failed');
        expect(s.stages()[failed.versionId]).toEqual([STAGE.pending]);

        await expect(s.handler(s.event(step, failed.versionId))).rejects.toThrow(
          `version ${failed.versionId} of secret ${s.arn} has no value: createSecret has not run`,
        );
        expect(s.keyring.effects).toEqual([]);
        expect(s.stages()[failed.versionId]).toEqual([STAGE.pending]);
      },
    );

    it('guards testSecret on the VersionStages of the token it reads: one call, no DescribeSecret', async () => {
      const s = setup();
      const token = randomUUID();
      s.service.invoke('PutSecretValue', {
        SecretId: s.arn,
        ClientRequestToken: token,
        SecretString: JSON.stringify({ username: 'app_clone', password: 'pending-password-0004' }),
        VersionStages: [STAGE.pending],
      });
      s.keyring.passwords.set('app_clone', 'pending-password-0004');

      await s.handler(s.event('testSecret', token));

      expect(s.client.calls).toEqual(['GetSecretValue']);
      expect(s.logs.at(-1)?.fields.outcome).toBe('success');
    });

    it('tests the current credential and changes nothing when testSecret gets a token that is not a version (RotateImmediately=false)', async () => {
      const s = setup();
      const before = JSON.stringify(s.stages());

      await s.handler(s.event('testSecret', randomUUID()));

      expect(JSON.stringify(s.stages())).toBe(before);
      expect(s.logs.at(-1)?.fields.outcome).toBe('configuration-tested');
      expect(s.keyring.effects).toEqual([]);
    });

    it('fails the configuration test when the current credential does not log in', async () => {
      const s = setup();
      s.keyring.passwords.set('app', 'changed-behind-our-back');
      await expect(s.handler(s.event('testSecret', randomUUID()))).rejects.toThrow(/current|does not log in/);
    });
  });

  describe('bad input', () => {
    it.each([
      ['not an object', 'nope', '$'],
      ['null', null, '$'],
      ['missing Step', { SecretId: 'x', ClientRequestToken: randomUUID() }, 'Step'],
      ['unknown Step', { Step: 'dropSecret', SecretId: 'x', ClientRequestToken: randomUUID() }, 'Step'],
      ['missing SecretId', { Step: 'createSecret', ClientRequestToken: randomUUID() }, 'SecretId'],
      [
        'empty SecretId',
        { Step: 'createSecret', SecretId: '', ClientRequestToken: randomUUID() },
        'SecretId',
      ],
      [
        'short token',
        { Step: 'createSecret', SecretId: 'x', ClientRequestToken: 'abc' },
        'ClientRequestToken',
      ],
      [
        'numeric token',
        { Step: 'createSecret', SecretId: 'x', ClientRequestToken: 42 },
        'ClientRequestToken',
      ],
      [
        'non-string RotationToken',
        { Step: 'createSecret', SecretId: 'x', ClientRequestToken: randomUUID(), RotationToken: 7 },
        'RotationToken',
      ],
    ])(
      'rejects an event with %s: RotationEventError naming the field, no AWS call',
      async (_name, event, field) => {
        const s = setup();
        const error = await s.handler(event).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RotationEventError);
        expect((error as RotationEventError).field).toBe(field);
        expect((error as Error).message).toContain(field === '$' ? 'expected' : field);
        expect(s.client.calls).toEqual([]);
        expect(s.metrics).toEqual(['step:invalid-event:failure']);
      },
    );

    it('never puts the RotationToken in a log line or error', async () => {
      const s = setup();
      const rotationToken = `rt-${randomUUID()}`;
      await expect(
        s.handler({
          Step: 'setSecret',
          SecretId: s.arn,
          ClientRequestToken: randomUUID(),
          RotationToken: rotationToken,
        }),
      ).rejects.toThrow(RotationStateError);
      expect(s.logText()).not.toContain(rotationToken);
    });

    it.each([
      ['malformed JSON', '{"username": "app", "password": "initial-password-0001', '$'],
      ['a missing password', JSON.stringify({ username: 'app' }), 'password'],
      ['an empty username', JSON.stringify({ username: '', password: 'initial-password-0001' }), 'username'],
    ])(
      'fails createSecret on a current value with %s: SecretFormatError naming the field, nothing changed',
      async (_n, initial, field) => {
        const s = setup({ initial });

        const rotation = await s.rotate();

        expect(rotation.status).toBe('failed');
        expect(rotation.error).toContain('SecretFormatError');
        expect(rotation.error).not.toContain('initial-password-0001');
        const failure = s.logs.find((l) => l.fields.outcome === 'failure');
        expect(failure?.fields.reason).toContain('AWSCURRENT');
        expect(s.logText()).not.toContain('initial-password-0001');
        expect(s.stages()[rotation.versionId]).toEqual([STAGE.pending]);
        expect(s.keyring.effects).toEqual([]);
        const error = await s.handler(s.event('createSecret', rotation.versionId)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SecretFormatError);
        expect((error as SecretFormatError).field).toBe(field);
        expect(s.client.calls).not.toContain('PutSecretValue');
      },
    );

    it('redacts secret values from strategy errors before throwing and logging', async () => {
      const s = setup();
      const token = randomUUID();
      s.service.invoke('PutSecretValue', {
        SecretId: s.arn,
        ClientRequestToken: token,
        SecretString: JSON.stringify({ username: 'app_clone', password: 'leaky-password-0001' }),
        VersionStages: [STAGE.pending],
      });
      const lines: string[] = [];
      const leaky = createRotationHandler({
        strategy: {
          ...createKeyringStrategy(s.keyring),
          async set(pending) {
            throw new Error(`driver said: password "${pending.password}" rejected`);
          },
        },
        secrets: createSecretsManagerPort(s.client),
        logger: {
          debug: (m, f) => lines.push(m, JSON.stringify(f)),
          info: (m, f) => lines.push(m, JSON.stringify(f)),
          warn: (m, f) => lines.push(m, JSON.stringify(f)),
          error: (m, f) => lines.push(m, JSON.stringify(f)),
        },
        metrics: { recordStep() {}, recordRotation() {} },
      });

      const error = (await leaky(s.event('setSecret', token)).catch((e: unknown) => e)) as Error;

      expect(error.message).toBe('driver said: password "[REDACTED]" rejected');
      expect(error.stack).not.toContain('leaky-password-0001');
      expect(lines.join('\n')).toContain('[REDACTED]');
      expect(lines.join('\n')).not.toContain('leaky-password-0001');
    });
  });
});
