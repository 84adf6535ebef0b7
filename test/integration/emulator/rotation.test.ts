import {
  CancelRotateSecretCommand,
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RotationStep } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { errorOf, protocolFunction, secretsManagerClient, startTestAws, token, uniqueName } from './harness';

/**
 * Secrets Manager's rotation contract as the staging labels show it: RotateSecret with a rotation
 * function that follows the protocol, run by the service (the emulator) or by the harness playing
 * the service for another endpoint (`aws.rotation`). Only the public API is observed.
 */
let aws: AwsWorld;
let client: SecretsManagerClient;
let counter = 0;

beforeAll(async () => {
  aws = await startTestAws(['secretsmanager', 'lambda', 'sts']);
  client = secretsManagerClient();
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

interface TestFunction {
  readonly arn: string;
  /** Makes the next `times` calls of `step` throw. */
  failNext(step: RotationStep, times: number): void;
}

/** A protocol-following rotation function, registered as the service's rotation function. */
async function registerFunction(): Promise<TestFunction> {
  counter += 1;
  const fn = protocolFunction(client);
  const arn = await aws.rotation.register(`protocol-${counter}`, fn.handler);
  return { arn, failNext: fn.failNext };
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

describe('Secrets Manager API: rotation', () => {
  it('moves AWSCURRENT to the new version, AWSPREVIOUS to the old one, and leaves AWSPENDING where the function left it', async () => {
    const fn = await registerFunction();
    const { name, arn, v1 } = await createSecret('secret-v1');

    const outcome = await aws.rotation.rotate(arn, fn.arn, { rules: { AutomaticallyAfterDays: 30 } });

    expect(outcome.status).toBe('succeeded');
    expect(await stagesOf(name)).toEqual({
      [v1]: ['AWSPREVIOUS'],
      [outcome.versionId]: ['AWSCURRENT', 'AWSPENDING'],
    });
    expect(
      (await client.send(new GetSecretValueCommand({ SecretId: name, VersionStage: 'AWSCURRENT' })))
        .SecretString,
    ).toBe('secret-v1+rotated');
    expect(await client.send(new DescribeSecretCommand({ SecretId: name }))).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: fn.arn,
      RotationRules: { AutomaticallyAfterDays: 30 },
    });
  });

  it('starts the next rotation although AWSPENDING is still on the current version', async () => {
    const fn = await registerFunction();
    const { name, arn } = await createSecret();
    const first = await aws.rotation.rotate(arn, fn.arn);

    const second = await aws.rotation.rotate(arn, fn.arn);

    expect(second.status).toBe('succeeded');
    expect(second.versionId).not.toBe(first.versionId);
    expect(await stagesOf(name)).toEqual({
      [first.versionId]: ['AWSPREVIOUS'],
      [second.versionId]: ['AWSCURRENT', 'AWSPENDING'],
    });
  });

  it('refuses RotateSecret while a previous rotation is incomplete, and resumes it with the same token', async () => {
    const fn = await registerFunction();
    fn.failNext('finishSecret', 3);
    const { name, arn, v1 } = await createSecret('secret-v1');
    const failed = await aws.rotation.rotate(arn, fn.arn);
    expect(failed.status).toBe('failed');
    const pending = failed.versionId;

    const refused = await errorOf(
      client.send(new RotateSecretCommand({ SecretId: name, ClientRequestToken: token('new') })),
    );
    const refusedWithoutToken = await errorOf(client.send(new RotateSecretCommand({ SecretId: name })));

    expect(refused.name).toBe('InvalidRequestException');
    expect(refused.message).toBe("A previous rotation isn't complete. That rotation will be reattempted.");
    expect(refusedWithoutToken.name).toBe('InvalidRequestException');
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] });

    const resumed = await aws.rotation.rotate(arn, fn.arn, { token: pending });

    expect(resumed.versionId).toBe(pending);
    expect(resumed.status).toBe('succeeded');
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSPREVIOUS'], [pending]: ['AWSCURRENT', 'AWSPENDING'] });
    // createSecret reused the value it wrote during the first attempt.
    expect((await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe(
      'secret-v1+rotated',
    );
  });

  it('creates no version and turns rotation on with its rules when RotateImmediately is false', async () => {
    const fn = await registerFunction();
    const { name, v1 } = await createSecret();

    const rotated = await client.send(
      new RotateSecretCommand({
        SecretId: name,
        RotationLambdaARN: fn.arn,
        RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '2h' },
        RotateImmediately: false,
      }),
    );

    expect(rotated.VersionId).toBeUndefined();
    expect(await stagesOf(name)).toEqual({ [v1]: ['AWSCURRENT'] });
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described).toMatchObject({
      RotationEnabled: true,
      RotationLambdaARN: fn.arn,
      RotationRules: { ScheduleExpression: 'rate(10 days)', Duration: '2h' },
    });
    expect(described.LastRotatedDate).toBeUndefined();
  });

  it('fails RotateSecret of a secret with no rotation function, and changes nothing (InvalidRequestException: the code is not documented)', async () => {
    const { name, v1 } = await createSecret();

    const error = await errorOf(client.send(new RotateSecretCommand({ SecretId: name })));

    expect(error.name).toBe('InvalidRequestException');
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.RotationEnabled ?? false).toBe(false);
    expect(described.VersionIdsToStages).toEqual({ [v1]: ['AWSCURRENT'] });
  });

  it('turns rotation off with CancelRotateSecret, names the unfinished version, and leaves AWSPENDING in place', async () => {
    const fn = await registerFunction();
    fn.failNext('createSecret', 3);
    const { name, arn, v1 } = await createSecret();
    const failed = await aws.rotation.rotate(arn, fn.arn);
    expect(failed.status).toBe('failed');

    const cancelled = await client.send(new CancelRotateSecretCommand({ SecretId: name }));

    expect(cancelled.VersionId).toBe(failed.versionId);
    const described = await client.send(new DescribeSecretCommand({ SecretId: name }));
    expect(described.RotationEnabled).toBe(false);
    expect(described.VersionIdsToStages).toEqual({
      [v1]: ['AWSCURRENT'],
      [failed.versionId]: ['AWSPENDING'],
    });
  });
});
