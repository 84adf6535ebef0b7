import { Duration, type Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { afterEach, describe, expect, it } from 'vitest';
import { RotationMonitoring } from '../../../infra/constructs/monitoring';
import { FAILURE_STATES } from '../../../infra/constructs/rollout-definition';
import { RolloutWorkflow } from '../../../infra/constructs/rollout-workflow';
import { ROLLOUT_ERRORS, ROLLOUT_TASKS } from '../../../lambdas/rollout/contract';
import { outdirs, secretArn, testStack } from './helpers';

const dirs = outdirs();
afterEach(() => dirs.cleanup());

interface AslState {
  readonly Type: string;
  readonly Error?: string;
  readonly Resource?: string;
  readonly Parameters?: Record<string, unknown>;
  readonly ItemProcessor?: {
    readonly ProcessorConfig?: { Mode?: string };
    readonly States: Record<string, AslState>;
  };
  readonly [field: string]: unknown;
}

/** A workflow over one postgres secret with every consumer kind, and its synthesized definition. */
function build(options: { monitoring?: boolean } = {}) {
  const { stack } = testStack(dirs.make());
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Secret', secretArn('orders/app'));
  const byName = secretsmanager.Secret.fromSecretNameV2(stack, 'ByName', 'billing/app');
  const rotationFunction = lambda.Function.fromFunctionAttributes(stack, 'Rotation', {
    functionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:rotation-postgres',
    sameEnvironment: true,
  });
  const workflow = new RolloutWorkflow(stack, 'Rollout', {
    monitoring: options.monitoring === false ? undefined : new RotationMonitoring(stack, 'Monitoring'),
    secrets: [
      {
        id: 'orders-db',
        secret,
        credentialType: 'postgres',
        rotationFunction,
        grace: Duration.hours(2),
        usageRecheck: Duration.minutes(30),
        usageMaxChecks: 4,
        maxConcurrency: 8,
        consumers: [
          { kind: 'lambda', name: 'orders-api', functionName: 'orders-api', canary: true },
          { kind: 'ecs-service', name: 'orders-web', cluster: 'orders', service: 'orders-web' },
          { kind: 'ssm-parameter', name: 'mirror', parameterName: '/orders/db-password' },
          { kind: 'event', name: 'ci', timeout: Duration.seconds(900) },
          {
            kind: 'webhook',
            name: 'partner',
            url: 'https://partner.example.com/hook',
            signingSecret: { arn: secretArn('hooks/signing') },
          },
        ],
      },
      { id: 'billing-db', secret: byName, credentialType: 'mysql', rotationFunction },
    ],
  });
  const template = Template.fromStack(stack);
  return { stack, workflow, template, definition: definitionOf(stack, template) };
}

function definitionOf(
  stack: Stack,
  template: Template,
): { States: Record<string, AslState>; [k: string]: unknown } {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const body = (machine as { Properties: { DefinitionString: unknown } }).Properties.DefinitionString;
  const resolved = stack.resolve(body) as { 'Fn::Join': [string, unknown[]] };
  return JSON.parse(
    resolved['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join(''),
  ) as { States: Record<string, AslState> };
}

function allStates(states: Record<string, AslState>): Array<[string, AslState]> {
  return Object.entries(states).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...(state.ItemProcessor === undefined ? [] : allStates(state.ItemProcessor.States)),
  ]);
}

describe('Construct: RolloutWorkflow', () => {
  it('is a Standard state machine on JSONPath with inline Maps only (the local executor runs it)', () => {
    // WHEN
    const { template, definition } = build();

    // THEN
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      StateMachineName: 'Test-rollout',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: false }),
    });
    expect(definition.QueryLanguage).toBe('JSONPath');
    const states = allStates(definition.States);
    expect(JSON.stringify(definition)).not.toMatch(/JSONata|\{%/);
    const maps = states.filter(([, state]) => state.Type === 'Map');
    expect(maps.map(([name]) => name).sort()).toEqual(['Canary wave', 'Main wave', 'Re-point consumers']);
    for (const [, map] of maps) {
      expect(map.ItemProcessor?.ProcessorConfig?.Mode).toBe('INLINE');
      expect(map.MaxConcurrencyPath).toBe('$.rollout.maxConcurrency');
    }
  });

  it('has a named Fail state for every named failure, with that error', () => {
    // WHEN
    const { definition } = build();

    // THEN
    const fails = Object.fromEntries(
      allStates(definition.States)
        .filter(([, state]) => state.Type === 'Fail' && state.Error !== undefined)
        .map(([name, state]) => [state.Error, name]),
    );
    for (const code of Object.values(ROLLOUT_ERRORS)) expect(fails[code], code).toBe(FAILURE_STATES[code]);
    expect(Object.keys(fails)).toHaveLength(Object.values(ROLLOUT_ERRORS).length);
  });

  it('sends every task of the rollout function, and invokes the strategy actions on the rotation function from the configuration', () => {
    // WHEN
    const { definition } = build();

    // THEN
    const states = allStates(definition.States);
    const tasks = new Set(
      states.map(
        ([, state]) => state.Parameters?.Task ?? (state.Parameters?.Payload as { Task?: string })?.Task,
      ),
    );
    for (const task of ROLLOUT_TASKS) expect(tasks.has(task), task).toBe(true);
    const actions = states
      .filter(
        ([, state]) => (state.Parameters?.Payload as { Action?: string } | undefined)?.Action !== undefined,
      )
      .map(([name, state]) => [
        name,
        (state.Parameters?.Payload as { Action?: string } | undefined)?.Action,
        state.Parameters?.['FunctionName.$'],
      ]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ['Describe strategy', 'describe', '$.rollout.rotationFunctionArn'],
        ['Check old credential usage', 'inUse', '$.rollout.rotationFunctionArn'],
        ['Revoke old credential', 'revoke', '$.rollout.rotationFunctionArn'],
        ['Revoke compromised credential', 'revoke', '$.rollout.rotationFunctionArn'],
        ['Restore old credential', 'restore', '$.rollout.rotationFunctionArn'],
      ]),
    );
    // Event consumers: the task waits for the acknowledgement, bounded by the consumer's timeout.
    const [, publish] =
      states.find(([name]) => name === 'Main: publish event and wait for acknowledgement') ?? [];
    expect(publish?.Resource).toMatch(/lambda:invoke\.waitForTaskToken$/);
    expect(publish?.TimeoutSecondsPath).toBe('$.consumer.timeoutSeconds');
    expect((publish?.Parameters?.Payload as Record<string, unknown> | undefined)?.['taskToken.$']).toBe(
      '$$.Task.Token',
    );
    // Consumers not ready yet are retried by name, not failed.
    const [, update] = states.find(([name]) => name === 'Canary: update and verify consumer') ?? [];
    expect(update?.Retry).toEqual(
      expect.arrayContaining([expect.objectContaining({ ErrorEquals: ['ConsumerNotReadyError'] })]),
    );
  });

  it('writes each secret its rollout configuration, as preflight reads it', () => {
    // WHEN
    const { stack, template } = build();

    // THEN
    const parameters = template.findResources('AWS::SSM::Parameter');
    const byName = Object.fromEntries(
      Object.values(parameters).map((parameter) => {
        const properties = (parameter as { Properties: { Name: unknown; Value: unknown } }).Properties;
        return [JSON.stringify(stack.resolve(properties.Name)), properties.Value];
      }),
    );
    expect(Object.keys(byName).sort()).toEqual([
      '"/handover/rollout/billing/app"',
      '"/handover/rollout/orders/app"',
    ]);
    // Tokens (the rollout function's role) as placeholders.
    const resolved = stack.resolve(byName['"/handover/rollout/orders/app"']) as
      | string
      | { 'Fn::Join': [string, unknown[]] };
    const json =
      typeof resolved === 'string'
        ? resolved
        : resolved['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : '<role ARN>')).join('');
    const value = JSON.parse(json);
    expect(value).toEqual({
      readers: {
        source: { kind: 'cloudtrail' },
        deliveryDelaySeconds: 900,
        // The rollout function's role reads the secret for Handover (the imported rotation function has none known).
        handover: ['<role ARN>'],
        ignore: [],
      },
      secretArn: secretArn('orders/app'),
      credentialType: 'postgres',
      rotationFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:rotation-postgres',
      graceSeconds: 7200,
      usageRecheckSeconds: 1800,
      usageMaxChecks: 4,
      maxConcurrency: 8,
      consumers: [
        { kind: 'lambda', name: 'orders-api', functionName: 'orders-api', canary: true },
        { kind: 'ecs-service', name: 'orders-web', cluster: 'orders', service: 'orders-web' },
        { kind: 'ssm-parameter', name: 'mirror', parameterName: '/orders/db-password' },
        { kind: 'event', name: 'ci', timeoutSeconds: 900 },
        {
          kind: 'webhook',
          name: 'partner',
          url: 'https://partner.example.com/hook',
          signingSecretArn: secretArn('hooks/signing'),
        },
      ],
    });
  });

  it('starts on Secrets Manager RotationSucceeded for exactly its secrets (by complete ARN, or partial ARN prefix)', () => {
    // WHEN
    const { template } = build();

    // THEN
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.secretsmanager'],
        'detail-type': ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ['RotationSucceeded'],
          additionalEventData: {
            SecretId: [secretArn('orders/app'), { prefix: Match.anyValue() }],
          },
        },
      },
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('RolloutStateMachine') } })],
    });
  });

  it('owns the lock table (on-demand, point-in-time recovery, key secretArn) and grants the function only GetItem and UpdateItem on it', () => {
    // WHEN
    const { template } = build();

    // THEN
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'secretArn', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'secretArn', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
    const [tableId] = Object.keys(template.findResources('AWS::DynamoDB::Table'));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HANDOVER_ROLLOUT_LOCK_TABLE: { Ref: tableId } }) },
    });
    const statements = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    const dynamodbActions = [...statements.matchAll(/"dynamodb:[A-Za-z]+"/g)].map((match) => match[0]);
    expect([...new Set(dynamodbActions)].sort()).toEqual(['"dynamodb:GetItem"', '"dynamodb:UpdateItem"']);
    expect(statements).toContain(`{"Fn::GetAtt":["${tableId}","Arn"]}`);
    expect(statements).toContain('states:StopExecution');
  });

  it('grants the tasks exactly what they call: handover:* tags only, each consumer, the lock holder status', () => {
    // WHEN
    const { template } = build();

    // THEN
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter(
        (policy) =>
          JSON.stringify(policy).includes('RolloutPermissions') ||
          JSON.stringify(policy).includes('secretsmanager:TagResource'),
      )
      .flatMap(
        (policy) =>
          (policy as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
            .Statement,
      );
    const text = JSON.stringify(statements);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
        Condition: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['handover:*'] } },
        Resource: secretArn('orders/app'),
      }),
    );
    for (const action of [
      'secretsmanager:RotateSecret',
      'secretsmanager:UpdateSecretVersionStage',
      'lambda:UpdateFunctionConfiguration',
      'ecs:UpdateService',
      'ssm:PutParameter',
      'ssm:LabelParameterVersion',
      'events:PutEvents',
      'states:DescribeExecution',
      'sns:Publish',
    ]) {
      expect(text, action).toContain(action);
    }
    expect(text).not.toMatch(/"Action":"\*"|"secretsmanager:\*"|"lambda:\*"/);
    expect(text).toContain(':service/orders/orders-web');
    expect(text).toContain(':parameter/orders/db-password');
    expect(text).toContain(':execution:Test-rollout:*');
  });

  it('alarms on failed, timed-out and aborted executions and on an old credential still in use, each with its runbook', () => {
    // WHEN
    const { template } = build();

    // THEN
    for (const [metric, anchor] of [
      ['ExecutionsFailed', 'rollout-failed'],
      ['ExecutionsTimedOut', 'rollout-timed-out'],
      ['ExecutionsAborted', 'rollout-aborted'],
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: metric,
        Namespace: 'AWS/States',
        AlarmDescription: Match.stringLikeRegexp(`Runbook: docs/runbook.md#runbook-${anchor}$`),
      });
    }
    for (const type of ['postgres', 'mysql']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'OldCredentialStillInUse',
        Namespace: 'Handover',
        Dimensions: Match.arrayWith([{ Name: 'credential_type', Value: type }]),
        AlarmDescription: Match.stringLikeRegexp(
          'Runbook: docs/runbook.md#runbook-old-credential-still-in-use$',
        ),
      });
    }
  });

  it('times out after the longest grace and usage gate, and leases the lock for as long', () => {
    // WHEN
    const { template, definition } = build({ monitoring: false });

    // THEN: the longer of orders-db (2 h grace + 15 min CloudTrail delivery + 4 × 30 min re-checks
    // + 2 × 900 s acknowledgement) and billing-db (defaults: 24 h grace + 15 min CloudTrail delivery
    // + 24 × 1 h re-checks), plus a day
    const seconds = Math.max(7200 + 900 + 4 * 1800 + 1800, 86_400 + 900 + 24 * 3600) + 86_400;
    expect(definition.TimeoutSeconds).toBe(seconds);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ HANDOVER_ROLLOUT_LEASE_SECONDS: String(seconds) }) },
    });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });
});
