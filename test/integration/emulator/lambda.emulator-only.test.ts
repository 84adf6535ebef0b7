import {
  GetFunctionConfigurationCommand,
  LambdaClient,
  ResourceConflictException,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { endpointOf, errorOf, rawRequest, startTestAws } from './harness';

/**
 * EMULATOR ONLY: update delays, failed updates and undecryptable variables made on purpose
 * (`lambda.updateDelayMs`, `failNextUpdate`, `setEnvironmentError`), update counts, the call log,
 * and the emulator's answer to a route it does not implement.
 */
let aws: AwsWorld;
let emulator: Emulator;
let client: LambdaClient;
let counter = 0;
let name: string;

beforeAll(async () => {
  aws = await startTestAws(['lambda']);
  emulator = aws.requireEmulator();
  client = new LambdaClient({ maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

beforeEach(() => {
  counter += 1;
  name = `fn-${counter}`;
  emulator.lambda.updateDelayMs = 0;
  emulator.lambda.registerFunction({ functionName: name, environment: { TABLE: 'bills', MODE: 'live' } });
});

const get = (functionName = name) =>
  client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));

describe('Emulator: Lambda delays, failures, call log', () => {
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

  it('records calls with the function name', async () => {
    emulator.resetCalls();

    await get();

    expect(
      emulator.calls.map(({ service, operation, secretId }) => ({ service, operation, secretId })),
    ).toEqual([{ service: 'lambda', operation: 'GetFunctionConfiguration', secretId: name }]);
  });

  it('answers an unimplemented Lambda route with UnknownOperationException', async () => {
    const response = await rawRequest({
      endpoint: endpointOf(aws, 'lambda'),
      signingName: 'lambda',
      method: 'GET',
      path: `/2015-03-31/functions/${name}/code`,
      headers: {},
      credentials: emulator.bootstrapCredentials,
    });

    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });
});
