import {
  AddPermissionCommand,
  DeleteFunctionCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  LambdaClient,
  PreconditionFailedException,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { createNoOpFunction, RUN_ID } from '../../support/lambda-functions';
import { errorOf, startTestAws } from './harness';

/**
 * Lambda's function configuration API over REST-JSON, with functions created through the API,
 * against the emulator or any given endpoint.
 */
let aws: AwsWorld;
let client: LambdaClient;
let counter = 0;
let name: string;
let account: string;

beforeAll(async () => {
  aws = await startTestAws(['lambda', 'sts']);
  client = new LambdaClient({ maxAttempts: 1 });
  account = await aws.accountId();
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

beforeEach(async () => {
  counter += 1;
  name = `fn-${RUN_ID}-${counter}`;
  await createNoOpFunction(client, {
    functionName: name,
    accountId: account,
    environment: { TABLE: 'bills', MODE: 'live' },
  });
});

const get = (functionName = name) =>
  client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));

describe('Lambda function configuration API', () => {
  describe('GetFunctionConfiguration', () => {
    it('returns the configuration with its variables and a RevisionId', async () => {
      const config = await get();

      expect(config).toMatchObject({
        FunctionName: name,
        FunctionArn: `arn:aws:lambda:${aws.region}:${account}:function:${name}`,
        Environment: { Variables: { TABLE: 'bills', MODE: 'live' } },
        State: 'Active',
        LastUpdateStatus: 'Successful',
        Version: '$LATEST',
      });
      expect(config.RevisionId).toMatch(/^[0-9a-f-]{36}$/);
      expect(config.LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    });

    it('accepts the function ARN and a partial ARN', async () => {
      const arn = `arn:aws:lambda:${aws.region}:${account}:function:${name}`;

      expect((await get(arn)).FunctionName).toBe(name);
      expect((await get(`${account}:function:${name}`)).FunctionName).toBe(name);
    });

    it('fails with ResourceNotFoundException (404) for an unknown function', async () => {
      const error = await errorOf(get('missing-function'));

      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect(error.$metadata?.httpStatusCode).toBe(404);
      expect(error.message).toBe(
        `Function not found: arn:aws:lambda:${aws.region}:${account}:function:missing-function`,
      );
    });

    it('fails for a qualifier other than $LATEST', async () => {
      const error = await errorOf(
        client.send(new GetFunctionConfigurationCommand({ FunctionName: name, Qualifier: 'live' })),
      );

      expect(error).toBeInstanceOf(ResourceNotFoundException);
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

  describe('CreateFunction, AddPermission and DeleteFunction', () => {
    it('refuses a second function of the same name with ResourceConflictException (409)', async () => {
      const error = await errorOf(createNoOpFunction(client, { functionName: name, accountId: account }));

      expect(error).toBeInstanceOf(ResourceConflictException);
      expect(error.$metadata?.httpStatusCode).toBe(409);
    });

    it('adds a permission statement once, and refuses its StatementId again with ResourceConflictException', async () => {
      const input = {
        FunctionName: name,
        StatementId: 'secretsmanager-invoke',
        Action: 'lambda:InvokeFunction',
        Principal: 'secretsmanager.amazonaws.com',
      };

      const added = await client.send(new AddPermissionCommand(input));
      const again = await errorOf(client.send(new AddPermissionCommand(input)));

      expect(JSON.parse(added.Statement ?? '{}')).toMatchObject({
        Sid: 'secretsmanager-invoke',
        Effect: 'Allow',
        Principal: { Service: 'secretsmanager.amazonaws.com' },
        Action: 'lambda:InvokeFunction',
        Resource: `arn:aws:lambda:${aws.region}:${account}:function:${name}`,
      });
      expect(again).toBeInstanceOf(ResourceConflictException);
    });

    it('deletes a function: GetFunctionConfiguration is ResourceNotFoundException afterwards', async () => {
      await client.send(new DeleteFunctionCommand({ FunctionName: name }));

      expect(await errorOf(get())).toBeInstanceOf(ResourceNotFoundException);
    });
  });
});
