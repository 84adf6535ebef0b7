import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CallRecord, type Emulator, type EmulatorLogEntry, HIDDEN } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { recordSecretMaterial } from '../../support/log-scan';
import { errorOf, secretsManagerClient, startTestAws, uniqueName } from './harness';

/**
 * EMULATOR ONLY: the emulator's own instruments, fault injection and the call log, which no AWS
 * API offers.
 */
const logged: EmulatorLogEntry[] = [];
let aws: AwsWorld;
let emulator: Emulator;
let client: SecretsManagerClient;

beforeAll(async () => {
  aws = await startTestAws(['secretsmanager', 'iam', 'ssm'], { log: (entry) => logged.push(entry) });
  emulator = aws.requireEmulator();
  client = secretsManagerClient();
});

afterEach(() => {
  emulator.faults.clear();
  vi.unstubAllEnvs();
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

/** The call log's service, operation and resource of each call. */
const callsOf = (records: readonly CallRecord[]) =>
  records.map(({ service, operation, secretId }) => ({
    service,
    operation,
    ...(secretId !== undefined && { secretId }),
  }));

async function createSecret(value = 'value-1'): Promise<string> {
  const name = uniqueName('faults');
  await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return name;
}

describe('Emulator: fault injection and call log', () => {
  it('rate-limits a call only before it runs: a call let through is counted once and answered', async () => {
    // GIVEN a quota of one call (no refill to speak of) and the SDK's retries off
    const name = await createSecret();
    const limit = emulator.faults.rateLimit({
      service: 'secretsmanager',
      operations: ['PutSecretValue'],
      perSecond: 0.001,
      burst: 1,
    });
    const once = new SecretsManagerClient({ maxAttempts: 1 });
    try {
      // WHEN two writes are made
      await once.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'value-2' }));
      const second = await errorOf(
        once.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'value-3' })),
      );

      // THEN the first ran and was answered (not throttled after it took effect), the second was refused
      expect(limit.passed).toBe(1);
      expect(limit.throttled).toBe(1);
      expect(second.name).toBe('ThrottlingException');
      const current = await client.send(new GetSecretValueCommand({ SecretId: name }));
      expect(current.SecretString).toBe('value-2');
    } finally {
      limit.remove();
      once.destroy();
    }
  });

  it('makes the SDK see an injected error once, then lets calls through', async () => {
    const name = await createSecret();
    const fault = emulator.faults.add({
      operation: 'PutSecretValue',
      error: { type: 'LimitExceededException', message: 'too many versions' },
    });

    const error = await errorOf(
      client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'value-2' })),
    );
    const next = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: 'value-2' }));

    expect(error.name).toBe('LimitExceededException');
    expect(error.message).toBe('too many versions');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(next.VersionStages).toEqual(['AWSCURRENT']);
    expect(fault.hits).toBe(1);
    expect(fault.remaining).toBe(0);
  });

  it('lets a call with a lost-response fault (phase after) take effect, and answers the error instead', async () => {
    const name = await createSecret();
    const fault = emulator.faults.add({ operation: 'PutSecretValue', phase: 'after' });

    const error = await errorOf(
      client.send(
        new PutSecretValueCommand({
          SecretId: name,
          SecretString: 'value-2',
          ClientRequestToken: 'a'.repeat(32),
        }),
      ),
    );
    const stored = await client.send(new GetSecretValueCommand({ SecretId: name }));

    expect(error.name).toBe('InternalServiceError');
    expect(stored.SecretString).toBe('value-2');
    expect(stored.VersionId).toBe('a'.repeat(32));
    expect(fault.hits).toBe(1);
  });

  it('returns ThrottlingException with HTTP 400 for a throttle fault', async () => {
    const name = await createSecret();
    emulator.faults.add({ operation: 'GetSecretValue', error: 'throttle' });

    const error = await errorOf(client.send(new GetSecretValueCommand({ SecretId: name })));

    expect(error.name).toBe('ThrottlingException');
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it('returns InternalServiceError with HTTP 500 for an internal fault, the default', async () => {
    const name = await createSecret();
    emulator.faults.add({ operation: 'GetSecretValue' });

    const error = await errorOf(client.send(new GetSecretValueCommand({ SecretId: name })));

    expect(error.name).toBe('InternalServiceError');
    expect(error.$metadata?.httpStatusCode).toBe(500);
  });

  it('lets the SDK retry past a fault that fails fewer times than its attempts', async () => {
    const name = await createSecret();
    const retrying = secretsManagerClient({ maxAttempts: 3 });
    const fault = emulator.faults.add({ operation: 'GetSecretValue', error: 'internal', times: 2 });
    emulator.resetCalls();

    const value = await retrying.send(new GetSecretValueCommand({ SecretId: name }));
    retrying.destroy();

    expect(value.SecretString).toBe('value-1');
    expect(fault.hits).toBe(2);
    expect(emulator.callCounts()).toEqual({ GetSecretValue: 3 });
    expect(value.$metadata.attempts).toBe(3);
  });

  it('lets the first calls through with after, and fails only matching input with when', async () => {
    const first = await createSecret();
    const second = await createSecret();
    const fault = emulator.faults.add({
      operation: 'GetSecretValue',
      error: 'throttle',
      after: 1,
      when: (input) => input.SecretId === second,
      times: 5,
    });

    await client.send(new GetSecretValueCommand({ SecretId: first }));
    await client.send(new GetSecretValueCommand({ SecretId: second }));
    const error = await errorOf(client.send(new GetSecretValueCommand({ SecretId: second })));
    await client.send(new GetSecretValueCommand({ SecretId: first }));

    expect(error.name).toBe('ThrottlingException');
    expect(fault.hits).toBe(1);
    expect(fault.remaining).toBe(4);
    fault.remove();
    expect(fault.remaining).toBe(0);
    expect((await client.send(new GetSecretValueCommand({ SecretId: second }))).SecretString).toBe('value-1');
  });

  it('fails calls made by a rotation Lambda, which the emulator then retries', async () => {
    const name = await createSecret();
    const lambdaArn = 'arn:aws:lambda:us-east-1:123456789012:function:faulty';
    emulator.registerRotationLambda(lambdaArn, async (event) => {
      if (event.Step === 'createSecret') {
        await client.send(new DescribeSecretCommand({ SecretId: event.SecretId }));
      }
    });
    emulator.faults.add({ operation: 'DescribeSecret', error: 'throttle', times: 1 });

    await client.send(new RotateSecretCommand({ SecretId: name, RotationLambdaARN: lambdaArn }));
    const outcome = await emulator.secretsManager.waitForRotation(name);

    expect(outcome.steps.slice(0, 2).map((s) => `${s.step}:${s.outcome}`)).toEqual([
      'createSecret:failed',
      'createSecret:succeeded',
    ]);
    expect(outcome.steps[0]?.error).toContain('ThrottlingException');
  });

  it('records each call with its operation and secret, never a secret value', async () => {
    emulator.resetCalls();
    const name = uniqueName('calls');
    const value = `never-logged-${crypto.randomUUID()}`;

    await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
    await client.send(new GetSecretValueCommand({ SecretId: name }));
    await client.send(
      new PutSecretValueCommand({ SecretId: name, SecretString: `${value}-2`, RotationToken: 'rot-token' }),
    );
    await client.send(new GetSecretValueCommand({ SecretId: name }));

    expect(callsOf(emulator.calls)).toEqual([
      { service: 'secretsmanager', operation: 'CreateSecret', secretId: name },
      { service: 'secretsmanager', operation: 'GetSecretValue', secretId: name },
      { service: 'secretsmanager', operation: 'PutSecretValue', secretId: name },
      { service: 'secretsmanager', operation: 'GetSecretValue', secretId: name },
    ]);
    expect(emulator.callCounts()).toEqual({ CreateSecret: 1, GetSecretValue: 2, PutSecretValue: 1 });
    const recorded = JSON.stringify([emulator.calls, logged]);
    expect(recorded).not.toContain(value);
    expect(recorded).not.toContain('rot-token');
    expect(logged.at(-1)).toEqual({ service: 'secretsmanager', operation: 'GetSecretValue' });

    emulator.resetCalls();
    expect(emulator.calls).toEqual([]);
  });

  it('records who made each call: identity, key id, region, source address, client, time, and parameters without secret values', async () => {
    const iam = new IAMClient({ maxAttempts: 1 });
    const user = uniqueName('caller').replaceAll('/', '-');
    await iam.send(new CreateUserCommand({ UserName: user }));
    const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: user }));
    const key = {
      accessKeyId: AccessKey?.AccessKeyId ?? '',
      secretAccessKey: AccessKey?.SecretAccessKey ?? '',
    };
    recordSecretMaterial(key.secretAccessKey);
    const asUser = secretsManagerClient({ credentials: key, region: 'eu-west-1' });
    const wrongSecret = secretsManagerClient({ credentials: { ...key, secretAccessKey: 'not-the-secret' } });
    const name = uniqueName('identity');
    const value = `never-logged-${crypto.randomUUID()}`;
    const before = Date.now();
    emulator.resetCalls();

    await client.send(new CreateSecretCommand({ Name: name, SecretString: value, Description: 'kept' }));
    await asUser.send(new GetSecretValueCommand({ SecretId: name }));
    await errorOf(wrongSecret.send(new GetSecretValueCommand({ SecretId: name })));
    iam.destroy();
    asUser.destroy();
    wrongSecret.destroy();

    const [asRoot, asIamUser, rejected] = emulator.calls;
    const account = emulator.iam.accountId;
    expect(asRoot).toMatchObject({
      operation: 'CreateSecret',
      accessKeyId: emulator.bootstrapCredentials.accessKeyId,
      region: 'us-east-1',
      caller: { type: 'Root', arn: `arn:aws:iam::${account}:root`, accountId: account, principalId: account },
      sourceIp: expect.stringMatching(/127\.0\.0\.1/),
      requestParameters: { Name: name, SecretString: HIDDEN, Description: 'kept' },
    });
    expect(asRoot?.userAgent).toContain('aws-sdk-js');
    expect(asRoot?.time.getTime()).toBeGreaterThanOrEqual(before);
    expect(asIamUser).toMatchObject({
      operation: 'GetSecretValue',
      accessKeyId: key.accessKeyId,
      region: 'eu-west-1',
      caller: { type: 'IAMUser', arn: `arn:aws:iam::${account}:user/${user}`, userName: user },
      requestParameters: { SecretId: name },
    });
    expect(rejected).toMatchObject({ accessKeyId: key.accessKeyId, errorCode: 'InvalidSignatureException' });
    expect(rejected?.caller).toBeUndefined();
    expect(JSON.stringify(emulator.calls)).not.toContain(value);
    expect(JSON.stringify(emulator.calls)).not.toContain(key.secretAccessKey);
  });

  it('records SSM calls with the parameter name, and its value hidden', async () => {
    const ssm = new SSMClient({ maxAttempts: 1 });
    const name = `/test/${uniqueName('call-log')}`;
    const value = `ssm-never-logged-${crypto.randomUUID()}`;
    emulator.resetCalls();

    await ssm.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString' }));
    ssm.destroy();

    expect(callsOf(emulator.calls)).toEqual([{ service: 'ssm', operation: 'PutParameter', secretId: name }]);
    expect(emulator.calls[0]?.requestParameters).toMatchObject({ Name: name, Value: HIDDEN });
    expect(JSON.stringify(emulator.calls)).not.toContain(value);
  });

  it('records calls that a fault failed', async () => {
    const name = await createSecret();
    emulator.resetCalls();
    emulator.faults.add({ operation: 'GetSecretValue', error: 'throttle' });

    await errorOf(client.send(new GetSecretValueCommand({ SecretId: name })));

    expect(callsOf(emulator.calls)).toEqual([
      { service: 'secretsmanager', operation: 'GetSecretValue', secretId: name },
    ]);
    expect(emulator.calls[0]?.errorCode).toBe('ThrottlingException');
  });

  it('is reached through AWS_ENDPOINT_URL_SECRETS_MANAGER by a client with no endpoint', async () => {
    const name = await createSecret('through-env');
    vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', emulator.endpoint);
    const fromEnv = new SecretsManagerClient({
      region: 'us-east-1',
      credentials: emulator.bootstrapCredentials,
    });

    const value = await fromEnv.send(new GetSecretValueCommand({ SecretId: name }));
    fromEnv.destroy();

    expect(value.SecretString).toBe('through-env');
  });
});
