import {
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaClient,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import { errorOf, startTestEmulator } from './harness';

let emulator: Emulator;
let client: LambdaClient;
let counter = 0;
let name: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  client = new LambdaClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

beforeEach(() => {
  counter += 1;
  name = `fn-${counter}`;
  emulator.lambda.updateDelayMs = 0;
  emulator.lambda.registerFunction({ functionName: name, environment: { TABLE: 'bills', MODE: 'live' } });
});

const get = (functionName = name) =>
  client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));

describe('Emulator: Lambda', () => {
  describe('GetFunctionConfiguration', () => {
    it('returns the registered configuration with its variables and a RevisionId', async () => {
      const config = await get();

      expect(config).toMatchObject({
        FunctionName: name,
        FunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
        Environment: { Variables: { TABLE: 'bills', MODE: 'live' } },
        State: 'Active',
        LastUpdateStatus: 'Successful',
        Version: '$LATEST',
      });
      expect(config.RevisionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(config.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    });

    it('accepts the function ARN and a partial ARN', async () => {
      const arn = `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

      expect((await get(arn)).FunctionName).toBe(name);
      expect((await get(`123456789012:function:${name}`)).FunctionName).toBe(name);
    });

    it('fails with ResourceNotFoundException (404) for an unknown function', async () => {
      const error = await errorOf(get('missing-function'));

      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.$metadata?.httpStatusCode).toBe(404);
      expect(error.message).toBe(
        'Function not found: arn:aws:lambda:us-east-1:123456789012:function:missing-function',
      );
    });

    it('fails for a qualifier other than $LATEST', async () => {
      const error = await errorOf(
        client.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: 'live' })),
      );

      expect(error).toBeInstanceOf(ResourceNotFoundException);
    });

    it('shows Environment.Error instead of the variables when they cannot be decrypted', async () => {
      emulator.lambda.setEnvironmentError(name, {
        ErrorCode: 'KMSAccessDeniedException',
        Message: 'no access',
      });

      const config = await get();

      expect(config.Environment).toEqual({
        Error: { ErrorCode: 'KMSAccessDeniedException', Message: 'no access' },
      });
    });
  });

  describe('UpdateFunctionConfiguration', () => {
    it('replaces the whole variables map, as Lambda does', async () => {
      await client.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: name,
          Environment: { Variables: { ONLY: 'this' } },
        }),
      );

      expect((await get()).Environment).toEqual({ Variables: { ONLY: 'this' } });
    });

    it('keeps the variables when the update has no Environment', async () => {
      await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'new' }));

      expect((await get()).Environment?.Variables).toEqual({ TABLE: 'bills', MODE: 'live' });
    });

    it('is InProgress for the configured delay, then Successful, with a new RevisionId', async () => {
      emulator.lambda.updateDelayMs = 150;
      const before = await get();

      const response = await client.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: name,
          Environment: { Variables: { A1: 'x' } },
        }),
      );
      const during = await get();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const after = await get();

      expect(response.LastUpdateStatus).toBe('InProgress');
      expect(during.LastUpdateStatus).toBe('InProgress');
      expect(after.LastUpdateStatus).toBe('Successful');
      expect(after.RevisionId).not.toBe(before.RevisionId);
      expect(emulator.lambda.updateCount(name)).toBe(1);
    });

    it('fails with ResourceConflictException (409) while an update is in progress', async () => {
      emulator.lambda.updateDelayMs = 10_000;
      await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'first' }));

      const error = await errorOf(
        client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'second' })),
      );

      expect(error).toBeInstanceOf(ResourceConflictException);
      expect(error.$metadata?.httpStatusCode).toBe(409);
      expect(error.message).toContain('An update is in progress for resource');
      expect((await get()).Description).toBe('first');
    });

    it('fails with PreconditionFailedException (412) for a stale RevisionId and changes nothing', async () => {
      const { RevisionId } = await get();
      await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'other' }));

      const error = await errorOf(
        client.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: name,
            RevisionId,
            Environment: { Variables: { LOST: 'write' } },
          }),
        ),
      );

      expect(error).toBeInstanceOf(PreconditionFailedException);
      expect(error.$metadata?.httpStatusCode).toBe(412);
      expect((await get()).Environment?.Variables).not.toHaveProperty('LOST');
    });

    it('accepts the current RevisionId', async () => {
      const { RevisionId } = await get();

      const response = await client.send(
        new UpdateFunctionConfigurationCommand({ FunctionName: name, RevisionId, Description: 'ok' }),
      );

      expect(response.Description).toBe('ok');
    });

    it('ends Failed with the scheduled reason', async () => {
      emulator.lambda.failNextUpdate(name, { reasonCode: 'EniLimitExceeded', reason: 'ENI limit reached' });

      await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: name, Description: 'x' }));
      const config = await get();

      expect(config).toMatchObject({
        LastUpdateStatus: 'Failed',
        LastUpdateStatusReasonCode: 'EniLimitExceeded',
        LastUpdateStatusReason: 'ENI limit reached',
      });
    });

    it.each([
      ['a reserved key', { AWS_REGION: 'eu-west-1' }, 'reserved keys'],
      ['an invalid key', { '1BAD': 'x' }, 'key that is not valid'],
      ['a one-letter key', { A: 'x' }, 'key that is not valid'],
    ])('rejects %s with InvalidParameterValueException', async (_case, Variables, message) => {
      const error = await errorOf(
        client.send(
          new UpdateFunctionConfigurationCommand({ FunctionName: name, Environment: { Variables } }),
        ),
      );

      expect(error).toBeInstanceOf(InvalidParameterValueException);
      expect(error.message).toContain(message);
    });

    it('rejects variables above 4 KB and quotes them in the message, as Lambda does', async () => {
      const error = await errorOf(
        client.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: name,
            Environment: { Variables: { BIG: 'x'.repeat(5000) } },
          }),
        ),
      );

      expect(error).toBeInstanceOf(InvalidParameterValueException);
      expect(error.message).toContain('exceeded the 4KB limit. String measured: {"BIG":"xxx');
    });
  });

  it('records calls with the function name', async () => {
    emulator.resetCalls();

    await get();

    expect(emulator.calls).toEqual([
      { service: 'lambda', operation: 'GetFunctionConfiguration', secretId: name },
    ]);
  });

  it('answers an unimplemented Lambda route with UnknownOperationException', async () => {
    const response = await fetch(`${emulator.endpoint}/2015-03-31/functions/${name}/code`, { method: 'GET' });

    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });
});
