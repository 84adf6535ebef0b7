import {
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
  SimulatePrincipalPolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  GetResourcePolicyCommand,
  PutResourcePolicyCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { GetParametersByPathCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { RUN_ID } from '../../support/lambda-functions';
import { errorOf, secretsManagerClient, startTestAws } from './harness';

/**
 * The AWS APIs the CLI reads and the contract AWS documents for them, against the emulator or any
 * given endpoint: Step Functions executions (no Lambda: Pass, Wait, Choice, Fail states), IAM roles,
 * inline policies and the policy simulator, Secrets Manager resource policies, SSM
 * GetParametersByPath.
 */
let aws: AwsWorld;
let sfn: SFNClient;
let iam: IAMClient;
let ssm: SSMClient;
const sm = () => secretsManagerClient();

beforeAll(async () => {
  // Wait states last what they say (1 s): an execution is still running when a test needs it to.
  aws = await startTestAws(['sfn', 'iam', 'secretsmanager', 'ssm', 'sts']);
  sfn = new SFNClient({ maxAttempts: 1 });
  iam = new IAMClient({ maxAttempts: 1 });
  ssm = new SSMClient({ maxAttempts: 1 });
});

afterAll(async () => {
  sfn.destroy();
  iam.destroy();
  ssm.destroy();
  await aws.close();
});

const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

async function settled(executionArn: string) {
  for (let i = 0; i < 400; i += 1) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the execution did not end');
}

describe('Step Functions executions', () => {
  let stateMachineArn: string;

  beforeAll(async () => {
    const role = await iam.send(
      new CreateRoleCommand({ RoleName: `handover-sfn-${RUN_ID}`, AssumeRolePolicyDocument: TRUST }),
    );
    const definition = {
      StartAt: 'Route',
      States: {
        Route: {
          Type: 'Choice',
          Choices: [
            {
              And: [
                { Variable: '$.fail', IsPresent: true },
                { Variable: '$.fail', BooleanEquals: true },
              ],
              Next: 'Boom',
            },
          ],
          Default: 'Pause',
        },
        Pause: { Type: 'Wait', Seconds: 1, Next: 'Shape' },
        Shape: { Type: 'Pass', Parameters: { 'greeting.$': '$.name' }, End: true },
        Boom: { Type: 'Fail', Error: 'Demo.Failed', Cause: 'asked to fail' },
      },
    };
    const out = await sfn.send(
      new CreateStateMachineCommand({
        name: `handover-cli-${RUN_ID}`,
        definition: JSON.stringify(definition),
        roleArn: role.Role?.Arn ?? '',
      }),
    );
    stateMachineArn = out.stateMachineArn ?? '';
  });

  it('runs an execution to SUCCEEDED with its output, and records its states in the history in order', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name: `ok-${RUN_ID}`,
        input: JSON.stringify({ name: 'ada' }),
      }),
    );
    const end = await settled(executionArn ?? '');
    expect(end).toMatchObject({ status: 'SUCCEEDED', output: JSON.stringify({ greeting: 'ada' }) });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const types = (history.events ?? []).map((event) => event.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    const entered = (history.events ?? [])
      .map((event) => event.stateEnteredEventDetails?.name)
      .filter(Boolean);
    expect(entered).toEqual(['Route', 'Pause', 'Shape']);
    const ids = (history.events ?? []).map((event) => event.id);
    expect(ids).toEqual([...ids].sort((a, b) => (a ?? 0) - (b ?? 0)));
  });

  it('ends FAILED with the Fail state error and cause', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: '{"fail": true}' }),
    );
    expect(await settled(executionArn ?? '')).toMatchObject({
      status: 'FAILED',
      error: 'Demo.Failed',
      cause: 'asked to fail',
    });
  });

  it('is idempotent for a running execution of the same name and input, ExecutionAlreadyExists otherwise', async () => {
    const name = `same-${RUN_ID}`;
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: '{"name": "x"}' }),
    );
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, name, input: '{"name": "x"}' }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    await settled(first.executionArn ?? '');
    expect(
      await errorOf(sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: '{"name": "x"}' }))),
    ).toMatchObject({
      name: 'ExecutionAlreadyExists',
    });
  });

  it('stops a running execution (ABORTED) and lists executions by status', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: '{"name": "slow"}' }),
    );
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Demo.Stopped', cause: 'by the test' }));
    const end = await settled(executionArn ?? '');
    expect(end.status).toBe('ABORTED');
    const aborted = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'ABORTED' }));
    expect(aborted.executions?.map((e) => e.executionArn)).toContain(executionArn);
  });

  it('answers ExecutionDoesNotExist for an unknown execution', async () => {
    const unknown = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:nope-${RUN_ID}`;
    expect(await errorOf(sfn.send(new DescribeExecutionCommand({ executionArn: unknown })))).toMatchObject({
      name: 'ExecutionDoesNotExist',
    });
  });
});

describe('IAM roles, policies and the policy simulator', () => {
  it('allows what an inline role policy allows, and nothing else', async () => {
    const roleName = `handover-reader-${RUN_ID}`;
    const role = await iam.send(
      new CreateRoleCommand({ RoleName: roleName, AssumeRolePolicyDocument: TRUST }),
    );
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: 'read-some',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'secretsmanager:GetSecretValue',
              Resource: 'arn:aws:secretsmanager:*:*:secret:team/*',
            },
            {
              Effect: 'Deny',
              Action: 'secretsmanager:*',
              Resource: 'arn:aws:secretsmanager:*:*:secret:team/vault*',
            },
          ],
        }),
      }),
    );
    const account = await aws.accountId();
    const arn = (name: string) => `arn:aws:secretsmanager:${aws.region}:${account}:secret:${name}`;
    const out = await iam.send(
      new SimulatePrincipalPolicyCommand({
        PolicySourceArn: role.Role?.Arn,
        ActionNames: ['secretsmanager:GetSecretValue'],
        ResourceArns: [arn('team/db-AbCdEf'), arn('other/db-AbCdEf'), arn('team/vault-AbCdEf')],
      }),
    );
    expect(out.EvaluationResults?.map((result) => result.EvalDecision)).toEqual([
      'allowed',
      'implicitDeny',
      'explicitDeny',
    ]);
  });
});

describe('Secrets Manager resource policies', () => {
  it('puts, gets and deletes a resource policy', async () => {
    const client = sm();
    const secret = await client.send(
      new CreateSecretCommand({ Name: `handover-policy-${RUN_ID}`, SecretString: '{"k":"v-0123456789"}' }),
    );
    const account = await aws.accountId();
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
        },
      ],
    });
    expect(
      (await client.send(new GetResourcePolicyCommand({ SecretId: secret.ARN }))).ResourcePolicy,
    ).toBeUndefined();
    await client.send(new PutResourcePolicyCommand({ SecretId: secret.ARN, ResourcePolicy: policy }));
    const read = await client.send(new GetResourcePolicyCommand({ SecretId: secret.ARN }));
    expect(JSON.parse(read.ResourcePolicy ?? '{}')).toEqual(JSON.parse(policy));
    await client.send(new DeleteResourcePolicyCommand({ SecretId: secret.ARN }));
    expect(
      (await client.send(new GetResourcePolicyCommand({ SecretId: secret.ARN }))).ResourcePolicy,
    ).toBeUndefined();
    client.destroy();
  });
});

describe('SSM GetParametersByPath', () => {
  it('lists the parameters under a path, one level or recursively, paginated', async () => {
    const base = `/handover-test/${RUN_ID}`;
    for (const name of [`${base}/a`, `${base}/b`, `${base}/deep/c`]) {
      await ssm.send(new PutParameterCommand({ Name: name, Value: 'v', Type: 'String' }));
    }
    const oneLevel = await ssm.send(new GetParametersByPathCommand({ Path: base }));
    expect(oneLevel.Parameters?.map((p) => p.Name).sort()).toEqual([`${base}/a`, `${base}/b`]);
    const names: string[] = [];
    let token: string | undefined;
    do {
      const page = await ssm.send(
        new GetParametersByPathCommand({ Path: base, Recursive: true, MaxResults: 2, NextToken: token }),
      );
      names.push(...(page.Parameters ?? []).map((p) => p.Name ?? ''));
      token = page.NextToken;
    } while (token !== undefined);
    expect(names.sort()).toEqual([`${base}/a`, `${base}/b`, `${base}/deep/c`]);
  });
});
