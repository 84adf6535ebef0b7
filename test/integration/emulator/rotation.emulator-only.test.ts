import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator, RotationLambdaEvent, RotationStep } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { errorOf, protocolFunction, secretsManagerClient, startTestAws, token, uniqueName } from './harness';

/**
 * EMULATOR ONLY: how the emulated service invokes a rotation function registered in-process (the
 * event it sends, the order, retries of a failing step, RotationToken, returning before the
 * function runs, stopping a cancelled rotation, LastRotatedDate, its rotation records). Against
 * another endpoint the harness plays the service itself, so these cannot be observed there; the
 * staging-label semantics of rotation are tested portably in rotation.test.ts.
 */
let aws: AwsWorld;
let emulator: Emulator;
let client: SecretsManagerClient;

beforeAll(async () => {
  aws = await startTestAws(['secretsmanager']);
  emulator = aws.requireEmulator();
  client = secretsManagerClient();
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

interface TestLambda {
  readonly arn: string;
  readonly events: RotationLambdaEvent[];
  /** Makes the next `times` calls of `step` throw. */
  failNext(step: RotationStep, times: number): void;
}

/** A protocol-following rotation function, registered in-process with the emulator. */
function registerLambda(options: { gate?: Promise<void> } = {}): TestLambda {
  const arn = `arn:aws:lambda:us-east-1:123456789012:function:rotate-${crypto.randomUUID().slice(0, 8)}`;
  const fn = protocolFunction(client, options);
  emulator.registerRotationLambda(arn, fn.handler);
  return { arn, events: fn.events, failNext: fn.failNext };
}

async function createSecret(value = 'secret-v1'): Promise<{ name: string; arn: string; v1: string }> {
  const name = uniqueName('rotation');
  const v1 = token('v1');
  const created = await client.send(
    new CreateSecretCommand({ Name: name, SecretString: value, ClientRequestToken: v1 }),
  );
  return { name, arn: created.ARN ?? '', v1 };
}

/** VersionIdsToStages with each version's labels sorted. */
async function stagesOf(secretId: string): Promise<Record<string, string[]>> {
  const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  return Object.fromEntries(
    Object.entries(described.VersionIdsToStages ?? {}).map(([id, stages]) => [id, [...stages].sort()]),
  );
}

describe('Emulator: Secrets Manager invoking the rotation function', () => {
  it('calls createSecret, setSecret, testSecret and finishSecret in order with the pending version', async () => {
    const lambda = registerLambda();
    const { name, arn, v1 } = await createSecret('secret-v1');

    const rotated = await client.send(
      new RotateSecretCommand({
        SecretId: name,
        RotationLambdaARN: lambda.arn,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    const outcome = await emulator.secretsManager.waitForRotation(name);

    expect(rotated).toMatchObject({ ARN: arn, Name: name });
    expect(outcome.status).toBe('succeeded');
    expect(outcome.versionId).toBe(rotated.VersionId);
    expect(lambda.events.map((e) => e.Step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    for (const event of lambda.events) {
      expect(event.SecretId).toBe(arn);
      expect(event.ClientRequestToken).toBe(rotated.VersionId);
      expect(event.RotationToken).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(outcome.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
      'createSecret:succeeded',
      'setSecret:succeeded',
      'testSecret:succeeded',
      'finishSecret:succeeded',
    ]);
    // Like the service, AWSPENDING stays on the new version until the next rotation moves it.
    expect(await stagesOf(name)).toEqual({
      [v1]: ['AWSPREVIOUS'],
      [rotated.VersionId ?? '']: ['AWSCURRENT', 'AWSPENDING'],
    });
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe(
      'secret-v1+rotated',
    );
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: lambda.arn,
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
    expect(described.LastRotatedDate).toBeInstanceOf(Date);
    expect(described.NextRotationDate?.getTime()).toBe(
      (described.LastRotatedDate?.getTime() ?? 0) + 30 * 86_400_000,
    );
  });

  it('returns from RotateSecret before the rotation Lambda has run', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const lambda = registerLambda({ gate });
    const { name } = await createSecret();

    const rotated = await client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambda.arn }),
    );

    expect(emulator.secretsManager.rotationsOf(name).at(-1)?.status).toBe('running');
    expect((await stagesOf(name))[rotated.VersionId ?? '']).toEqual(['AWSPENDING']);
    release();
    expect((await emulator.secretsManager.waitForRotation(name)).status).toBe('succeeded');
  });

  it('retries a failing step and completes the rotation', async () => {
    const lambda = registerLambda();
    lambda.failNext('setSecret', 2);
    const { name } = await createSecret();

    await client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambda.arn }));
    const outcome = await emulator.secretsManager.waitForRotation(name);

    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.map((s) => `${s.step}#${s.attempt}:${s.outcome}`)).toEqual([
      'createSecret#1:succeeded',
      'setSecret#1:failed',
      'setSecret#2:failed',
      'setSecret#3:succeeded',
      'testSecret#1:succeeded',
      'finishSecret#1:succeeded',
    ]);
    expect(outcome.steps[1]?.error).toBe('Error: setSecret failed on purpose');
  });

  it('records the failure and leaves AWSPENDING on the new version when a step keeps failing', async () => {
    const lambda = registerLambda();
    lambda.failNext('testSecret', 3);
    const { name, v1 } = await createSecret();

    const rotated = await client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambda.arn }),
    );
    const outcome = await emulator.secretsManager.waitForRotation(name);

    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('testSecret failed after 3 attempts');
    expect(outcome.steps.map((s) => `${s.step}:${s.outcome}`)).toEqual([
      'createSecret:succeeded',
      'setSecret:succeeded',
      'testSecret:failed',
      'testSecret:failed',
      'testSecret:failed',
    ]);
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'], [rotated.VersionId ?? '']: ['AWSPENDING'] });
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.LastRotatedDate).toBeUndefined();
    expect(emulator.secretsManager.rotationsOf(name).at(-1)).toMatchObject({
      status: 'failed',
      lambdaArn: lambda.arn,
    });
  });

  it('refuses RotateSecret while a previous rotation is incomplete, and resumes it with the same token', async () => {
    const lambda = registerLambda();
    lambda.failNext('finishSecret', 3);
    const { name, v1 } = await createSecret('secret-v1');
    const first = await client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambda.arn }),
    );
    expect((await emulator.secretsManager.waitForRotation(name)).status).toBe('failed');
    const pending = first.VersionId ?? '';

    const refused = await errorOf(
      client.send(new RotateSecretCommand({ SecretId: name, ClientRequestToken: token('new') })),
    );
    const refusedWithoutToken = await errorOf(client.send(new RotateSecretCommand({ SecretId: name })));

    expect(refused.name).toBe('InvalidRequestException');
    expect(refused.message).toBe("A previous rotation isn't complete. That rotation will be reattempted.");
    expect(refusedWithoutToken.name).toBe('InvalidRequestException');
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] });

    const resumed = await client.send(
      new RotateSecretCommand({ SecretId: name, ClientRequestToken: pending }),
    );
    const outcome = await emulator.secretsManager.waitForRotation(name);

    expect(resumed.VersionId).toBe(pending);
    expect(outcome.status).toBe('succeeded');
    expect(outcome.steps.map((s) => s.step)).toEqual([
      'createSecret',
      'setSecret',
      'testSecret',
      'finishSecret',
    ]);
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSPREVIOUS'], [pending]: ['AWSCURRENT', 'AWSPENDING'] });
    // createSecret reused the value it wrote during the first attempt.
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe(
      'secret-v1+rotated',
    );
  });

  it('calls only testSecret, with a token that is no version, when RotateImmediately is false', async () => {
    const lambda = registerLambda();
    const { name, v1 } = await createSecret();

    const rotated = await client.send(
      new RotateSecretCommand({
        SecretId: name,
        RotationLambdaARN: lambda.arn,
        RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '2h' },
        RotateImmediately: false,
      }),
    );
    const outcome = await emulator.secretsManager.waitForRotation(name);

    expect(rotated.VersionId).toBeUndefined();
    expect(outcome.status).toBe('succeeded');
    expect(lambda.events.map((e) => e.Step)).toEqual(['testSecret']);
    expect(lambda.events[0]?.ClientRequestToken).toBe(outcome.versionId);
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'] });
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: lambda.arn,
      RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '2h' },
    });
    expect(described.LastRotatedDate).toBeUndefined();
  });

  it('fails with InvalidRequestException naming the ARN when no Lambda is registered for it, and changes nothing', async () => {
    const { name, v1 } = await createSecret();
    const unknownArn = 'arn:aws:lambda:us-east-1:123456789012:function:not-registered';

    const error = await errorOf(
      client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: unknownArn })),
    );

    expect(error.name).toBe('InvalidRequestException');
    expect(error.message).toContain(unknownArn);
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.RotationEnabled ?? false).toBe(false);
    expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'] });
    expect(emulator.secretsManager.rotationsOf(name)).toEqual([]);
  });

  it('fails with InvalidRequestException when the secret has no rotation Lambda', async () => {
    const { name } = await createSecret();

    const error = await errorOf(client.send(new RotateSecretCommand({ SecretId: name })));

    expect(error.name).toBe('InvalidRequestException');
  });

  it('rotates with the Lambda and rules stored by configureRotation', async () => {
    const lambda = registerLambda();
    const { name } = await createSecret();

    emulator.secretsManager.configureRotation(name, lambda.arn, { AutomaticallyAfterDays: 7 });
    const configured = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(configured).toMatchObject({ RotationEnabled: true, RotationLambdaARN: lambda.arn });
    expect(configured.NextRotationDate?.getTime()).toBe(
      (configured.CreatedDate?.getTime() ?? 0) + 7 * 86_400_000,
    );
    expect(emulator.secretsManager.rotationsOf(name)).toEqual([]);

    await client.send(new RotateSecretCommand({ SecretId: name }));

    expect((await emulator.secretsManager.waitForRotation(name)).status).toBe('succeeded');
    expect(lambda.events).toHaveLength(4);
  });

  it('turns rotation off with CancelRotateSecret and leaves AWSPENDING in place', async () => {
    const lambda = registerLambda();
    lambda.failNext('createSecret', 3);
    const { name, v1 } = await createSecret();
    const rotated = await client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambda.arn }),
    );
    await emulator.secretsManager.waitForRotation(name);

    const cancelled = await client.send(new CancelRotateSecretCommand({ SecretId: name }));

    expect(cancelled.VersionId).toBe(rotated.VersionId);
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.RotationEnabled).toBe(false);
    expect(described.VersionIdsToStages).toEqual({
      [v1]: ['AWSCURRENT'],
      [rotated.VersionId ?? '']: ['AWSPENDING'],
    });
  });

  it('stops a running rotation before its next step when it is cancelled', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const lambda = registerLambda({ gate });
    const { name } = await createSecret();
    await client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambda.arn }));
    await expect.poll(() => lambda.events.length).toBe(1);

    await client.send(new CancelRotateSecretCommand({ SecretId: name }));
    release();
    const outcome = await emulator.secretsManager.waitForRotation(name);

    expect(outcome.status).toBe('failed');
    expect(outcome.error).toContain('cancelled');
    expect(lambda.events.map((e) => e.Step)).toEqual(['createSecret']);
  });

  it('keeps a record of every step invocation per secret, across rotations', async () => {
    const lambda = registerLambda();
    const { name, arn } = await createSecret();
    const other = await createSecret();

    const first = await client.send(
      new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambda.arn }),
    );
    await emulator.secretsManager.waitForRotation(name);
    // AWSPENDING left on the current version does not block the next rotation; it moves on.
    const second = await client.send(new RotateSecretCommand({ SecretId: arn }));
    await emulator.secretsManager.waitForRotation(arn);

    expect(await stagesOf(name)).toMatchObject({
      [first.VersionId ?? '']: ['AWSPREVIOUS'],
      [second.VersionId ?? '']: ['AWSCURRENT', 'AWSPENDING'],
    });
    const steps = emulator.secretsManager.stepInvocations(name);
    expect(steps).toHaveLength(8);
    expect(new Set(steps.map((s) => s.clientRequestToken)).size).toBe(2);
    expect(emulator.secretsManager.rotationsOf(arn)).toHaveLength(2);
    expect(emulator.secretsManager.stepInvocations(other.name)).toEqual([]);
    await expect(emulator.secretsManager.waitForRotation(other.name)).rejects.toThrow(/No rotation/);
  });
});
