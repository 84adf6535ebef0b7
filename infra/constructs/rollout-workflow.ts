import { resolve } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  type ConsumerConfig,
  ROLLOUT_ENV,
  ROLLOUT_ERRORS,
  type RolloutConfig,
  type RolloutErrorCode,
  type RolloutTaskName,
  rolloutConfigParameterName,
} from '../../lambdas/rollout/contract';
import type { CredentialType } from '../../lambdas/rotation/constants';
import { REPO_ROOT } from '../paths';
import { HandoverFunction } from './handover-function';
import type { RotationMonitoring } from './monitoring';
import { secretArnForPolicies, secretsManagerService } from './credential-types';

/** The Lambda entry of the rollout function (`lambdas/rollout/handler.ts`). */
export const ROLLOUT_HANDLER_ENTRY = resolve(REPO_ROOT, 'lambdas', 'rollout', 'handler.ts');

/** A consumer as the construct takes it: the contract's config, with CDK references for grants. */
export type RolloutConsumer =
  | Exclude<ConsumerConfig, { kind: 'webhook' } | { kind: 'ssm-parameter' }>
  | (Extract<ConsumerConfig, { kind: 'ssm-parameter' }> & {
      /** The key encrypting the parameter (its ARN becomes `kmsKeyId`). @default - `alias/aws/ssm` */
      readonly kmsKey?: kms.IKey;
    })
  | (Omit<Extract<ConsumerConfig, { kind: 'webhook' }>, 'signingSecretArn'> & {
      /** The secret holding the HMAC signing key. */
      readonly signingSecret: secretsmanager.ISecret;
    });

/** One secret the workflow rolls out. */
export interface RolloutSecret {
  /** A stable id (the policy entry id): construct ids derive from it. */
  readonly id: string;
  readonly secret: secretsmanager.ISecret;
  /**
   * The secret's name, when the secret construct cannot tell it before deployment.
   * @default - `secret.secretName`
   */
  readonly secretName?: string;
  readonly credentialType: CredentialType;
  /** The secret's rotation function: RotateSecret uses it, and the workflow invokes it for describe, inUse, revoke, restore. */
  readonly rotationFunction: lambda.IFunction;
  /**
   * Old and new both valid after every consumer moved (scheduled mode).
   * @default Duration.hours(24)
   */
  readonly grace?: Duration;
  /**
   * Time between usage checks while the old credential is still in use.
   * @default Duration.hours(1)
   */
  readonly usageRecheck?: Duration;
  /**
   * Usage checks before the workflow alarms and stops without revoking.
   * @default 24
   */
  readonly usageMaxChecks?: number;
  /**
   * Consumers updated at once in the main wave.
   * @default 4
   */
  readonly maxConcurrency?: number;
  /**
   * Who holds the credential.
   * @default - none
   */
  readonly consumers?: readonly RolloutConsumer[];
}

/** Properties of {@link RolloutWorkflow}. */
export interface RolloutWorkflowProps {
  /** The secrets rolled out; each gets its configuration parameter and a place in the trigger rule. */
  readonly secrets: readonly RolloutSecret[];
  /**
   * Alarms (executions failed / timed out / aborted, old credential still in use) and the topic the
   * human summaries go to.
   * @default - no alarms and no SNS summaries (milestone events only)
   */
  readonly monitoring?: RotationMonitoring;
  /**
   * The bus of the milestone events.
   * @default 'default'
   */
  readonly eventBusName?: string;
  /**
   * The state machine's name (execution ARNs and the lock's DescribeExecution permission use it).
   * @default `<stack name>-rollout`
   */
  readonly stateMachineName?: string;
  /**
   * Log retention of the function and the state machine.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * The rollout function's execution role (bring your own).
   * @default - a new role with exactly the permissions the tasks need
   */
  readonly role?: iam.IRole;
  /**
   * Permissions boundary of the roles this construct creates.
   * @default - none
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;
  /**
   * Where notifications link the runbook (`<url>#runbook-rollout-<failure>`).
   * @default - the monitoring's runbook URL, else 'README.md'
   */
  readonly runbookUrl?: string;
  /**
   * How long a manual rotation may take before the rollout fails with `Handover.RotationFailed`.
   * @default Duration.minutes(15)
   */
  readonly rotationTimeout?: Duration;
}

/** The longest a Standard execution may run. */
export const MAX_EXECUTION = Duration.days(365);

/** A duration in whole seconds, rounded up (a grace of 1.5 s waits 2). */
const wholeSeconds = (duration: Duration) => Math.ceil(duration.toSeconds({ integral: false }));

/** Seconds between two checks of a rotation the workflow started. */
export const ROTATION_POLL_SECONDS = 5;

const FAILURES: ReadonlyArray<[RolloutErrorCode, string]> = [
  [ROLLOUT_ERRORS.refused, 'Rollout refused'],
  [ROLLOUT_ERRORS.invalidInput, 'Invalid input'],
  [ROLLOUT_ERRORS.preflightFailed, 'Preflight failed'],
  [ROLLOUT_ERRORS.rotationFailed, 'Rotation failed'],
  [ROLLOUT_ERRORS.consumerFailed, 'Consumer update failed'],
  [ROLLOUT_ERRORS.stillInUse, 'Old credential still in use'],
  [ROLLOUT_ERRORS.usageCheckFailed, 'Usage check failed'],
  [ROLLOUT_ERRORS.revokeFailed, 'Revoke failed'],
  [ROLLOUT_ERRORS.rollbackRefused, 'Rollback refused'],
  [ROLLOUT_ERRORS.rollbackFailed, 'Rollback failed'],
];

/** The name of the Fail state of each named failure. */
export const FAILURE_STATES: Readonly<Record<RolloutErrorCode, string>> = Object.fromEntries(
  FAILURES,
) as Record<RolloutErrorCode, string>;

/** The Lambda service errors a task retries (as `LambdaInvoke` does). */
const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

/**
 * The rollout workflow: a Standard Step Functions state machine (JSONPath, inline Maps) that carries
 * each new credential to its consumers, waits out the grace window, proves the old credential
 * unused and only then revokes it; the rollout function that runs its tasks; an EventBridge rule
 * starting it on Secrets Manager's `RotationSucceeded` event for the given secrets; each secret's
 * rollout configuration as an SSM parameter (`/handover/rollout/<secret name>`); and, with
 * monitoring, alarms on failed / timed-out / aborted executions and on an old credential still in
 * use at the end of grace.
 *
 * Strategy actions (describe, inUse, revoke, restore) are invoked on each secret's own rotation
 * function, so usage checks and revocation run with that function's role and network.
 *
 * @example
 * ```ts
 * new RolloutWorkflow(this, 'Rollout', {
 *   monitoring,
 *   secrets: [{
 *     id: 'orders-db', secret, credentialType: 'postgres', rotationFunction: rotation.rotationFunction.function,
 *     consumers: [{ kind: 'lambda', name: 'orders-api', functionName: 'orders-api', canary: true }],
 *   }],
 * });
 * ```
 */
export class RolloutWorkflow extends Construct {
  /** The state machine. */
  public readonly stateMachine: sfn.StateMachine;
  /** The function running every task. */
  public readonly function: HandoverFunction;
  /** The rule starting an execution on `RotationSucceeded` of the secrets. */
  public readonly trigger: events.Rule;
  /** Each secret's configuration parameter, by secret id. */
  public readonly configs: Readonly<Record<string, ssm.StringParameter>>;
  /** The alarms, when monitoring is given. */
  public readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: RolloutWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const stateMachineName = props.stateMachineName ?? `${stack.stackName}-rollout`;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const topic: sns.ITopic | undefined = props.monitoring?.topic;
    const runbookUrl = props.runbookUrl ?? props.monitoring?.runbookUrl ?? 'README.md';

    // The longest a rollout may run: its grace, every usage re-check, and room for rotation and
    // acknowledgements. The lock's lease is the same, so a lock outlives no execution.
    const longestSeconds = Math.max(
      0,
      ...props.secrets.map(
        (secret) =>
          wholeSeconds(secret.grace ?? Duration.hours(24)) +
          wholeSeconds(secret.usageRecheck ?? Duration.hours(1)) * (secret.usageMaxChecks ?? 24) +
          Math.max(
            0,
            ...(secret.consumers ?? []).map((consumer) =>
              consumer.kind === 'event' ? (consumer.timeoutSeconds ?? 3600) * 2 : 0,
            ),
          ),
      ),
    );
    // A Standard execution lasts one year at most.
    const timeout = Duration.seconds(
      Math.min(longestSeconds + Duration.days(1).toSeconds(), MAX_EXECUTION.toSeconds()),
    );

    this.function = new HandoverFunction(this, 'Function', {
      entry: ROLLOUT_HANDLER_ENTRY,
      description:
        'Handover: rollout workflow tasks (preflight, rotation, consumers, rollback, notifications)',
      timeout: Duration.minutes(15),
      logRetention,
      role: props.role,
      permissionsBoundary: props.permissionsBoundary,
      environment: {
        [ROLLOUT_ENV.leaseSeconds]: String(timeout.toSeconds()),
        [ROLLOUT_ENV.rotationTimeoutSeconds]: String(
          (props.rotationTimeout ?? Duration.minutes(15)).toSeconds(),
        ),
        [ROLLOUT_ENV.eventBusName]: props.eventBusName ?? 'default',
        [ROLLOUT_ENV.runbookUrl]: runbookUrl,
        ...(topic === undefined ? {} : { [ROLLOUT_ENV.topicArn]: topic.topicArn }),
      },
    });
    const fn = this.function;
    const acknowledgeOn: Construct = fn.role ?? fn;
    // The tasks' permissions, in a policy of their own: with a role the policy brings for every
    // function, the rotation functions depend on that role's default policy, and these statements
    // name the rotation functions, so they cannot live in it.
    const permissions = new iam.Policy(this, 'Permissions');
    const allow = (statement: iam.PolicyStatement) => permissions.addStatements(statement);
    Validations.of(acknowledgeOn).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (IAM service authorization reference), so Lambda active tracing can only grant them on "*".',
    });

    // Notifications: the SNS summary and the milestone events.
    if (topic !== undefined) {
      // Publish, and the topic key's two operations (grantPublish would grant GenerateDataKey*).
      allow(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [topic.topicArn] }));
      const topicKey = props.monitoring?.topicKey;
      if (topicKey !== undefined) {
        allow(
          new iam.PolicyStatement({
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: [topicKey.keyArn],
          }),
        );
      }
    }
    const busArn = (name: string) =>
      stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: name });
    const buses = new Set<string>([props.eventBusName ?? 'default']);

    // The lock: the holder's status, from DescribeExecution on this state machine's executions.
    allow(
      new iam.PolicyStatement({
        sid: 'LockHolderStatus',
        actions: ['states:DescribeExecution'],
        resources: [
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${stateMachineName}:*`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      }),
    );
    Validations.of(permissions).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:${stateMachineName}:*]`,
      reason:
        "The rollout lock: preflight reads the status of the execution holding a secret's lock (DescribeExecution) to take over the lock of an execution that was stopped or timed out. Execution names are generated per start, so only the state machine's own executions can be named, with a wildcard.",
    });

    // Per secret: configuration, grants, trigger.
    const configs: Record<string, ssm.StringParameter> = {};
    const triggerIds: Array<string | Record<string, string>> = [];
    const rotationFunctions = new Map<string, lambda.IFunction>();
    for (const entry of props.secrets) {
      const secretArn = secretArnForPolicies(entry.secret);
      const name = entry.secretName ?? entry.secret.secretName;
      const consumers = entry.consumers ?? [];
      const config: RolloutConfig = {
        secretArn: entry.secret.secretFullArn ?? entry.secret.secretArn,
        credentialType: entry.credentialType,
        rotationFunctionArn: entry.rotationFunction.functionArn,
        graceSeconds: wholeSeconds(entry.grace ?? Duration.hours(24)),
        usageRecheckSeconds: wholeSeconds(entry.usageRecheck ?? Duration.hours(1)),
        usageMaxChecks: entry.usageMaxChecks ?? 24,
        maxConcurrency: entry.maxConcurrency ?? 4,
        consumers: consumers.map(toConsumerConfig),
      };
      const parameter = new ssm.StringParameter(this, `Config-${entry.id}`, {
        parameterName: rolloutConfigParameterName(name),
        description: `Handover rollout configuration of ${entry.id}: consumers, grace, usage gate`,
        stringValue: stack.toJsonString(config),
        tier: ssm.ParameterTier.INTELLIGENT_TIERING,
      });
      // The ARN from the name, not from the parameter: a role shared with the rotation functions
      // would otherwise depend on the parameter, which depends on those functions.
      allow(
        new iam.PolicyStatement({
          actions: ['ssm:GetParameter'],
          resources: [
            stack.formatArn({
              service: 'ssm',
              resource: 'parameter',
              resourceName: rolloutConfigParameterName(name).replace(/^\//, ''),
            }),
          ],
        }),
      );
      configs[entry.id] = parameter;
      triggerIds.push(
        entry.secret.secretFullArn === undefined ? { prefix: `${entry.secret.secretArn}-` } : secretArn,
      );
      rotationFunctions.set(entry.rotationFunction.node.path, entry.rotationFunction);

      // The secret: describe, lock tags (handover:* only), rotate, move AWSCURRENT back.
      allow(
        new iam.PolicyStatement({
          actions: [
            'secretsmanager:DescribeSecret',
            'secretsmanager:RotateSecret',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          resources: [secretArn],
        }),
      );
      allow(
        new iam.PolicyStatement({
          actions: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
          resources: [secretArn],
          conditions: { 'ForAllValues:StringLike': { 'aws:TagKeys': ['handover:*'] } },
        }),
      );
      // RotateSecret needs the caller to be allowed to invoke the rotation function.
      allow(
        new iam.PolicyStatement({
          actions: ['lambda:InvokeFunction'],
          resources: [entry.rotationFunction.functionArn],
        }),
      );

      const readSecret = (target: secretsmanager.ISecret) => {
        allow(
          new iam.PolicyStatement({
            actions: ['secretsmanager:GetSecretValue'],
            resources: [secretArnForPolicies(target)],
          }),
        );
        if (target.encryptionKey !== undefined) {
          allow(
            new iam.PolicyStatement({
              actions: ['kms:Decrypt'],
              resources: [target.encryptionKey.keyArn],
              conditions: { StringEquals: { 'kms:ViaService': secretsManagerService(stack) } },
            }),
          );
        }
      };
      for (const consumer of consumers) {
        switch (consumer.kind) {
          case 'lambda': {
            // The unqualified function: UpdateFunctionConfiguration changes $LATEST.
            const arn = consumer.functionName.startsWith('arn:')
              ? consumer.functionName.split(':').slice(0, 7).join(':')
              : stack.formatArn({
                  service: 'lambda',
                  resource: 'function',
                  resourceName: consumer.functionName.split(':')[0],
                  arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                });
            allow(
              new iam.PolicyStatement({
                actions: ['lambda:GetFunctionConfiguration', 'lambda:UpdateFunctionConfiguration'],
                resources: [arn],
              }),
            );
            break;
          }
          case 'ecs-service': {
            const cluster = consumer.cluster.startsWith('arn:')
              ? consumer.cluster.split('/').pop()
              : consumer.cluster;
            const arn = consumer.service.startsWith('arn:')
              ? consumer.service
              : stack.formatArn({
                  service: 'ecs',
                  resource: 'service',
                  resourceName: `${cluster}/${consumer.service}`,
                });
            allow(
              new iam.PolicyStatement({
                actions: ['ecs:UpdateService', 'ecs:DescribeServices'],
                resources: [arn],
              }),
            );
            break;
          }
          case 'ssm-parameter': {
            const parameterArn = stack.formatArn({
              service: 'ssm',
              resource: 'parameter',
              resourceName: consumer.parameterName.replace(/^\//, ''),
            });
            allow(
              new iam.PolicyStatement({
                actions: ['ssm:GetParameter', 'ssm:PutParameter', 'ssm:LabelParameterVersion'],
                resources: [parameterArn],
              }),
            );
            if (consumer.kmsKey !== undefined) {
              allow(
                new iam.PolicyStatement({
                  actions: ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey'],
                  resources: [consumer.kmsKey.keyArn],
                  conditions: {
                    StringEquals: { 'kms:ViaService': `ssm.${stack.region}.${stack.urlSuffix}` },
                  },
                }),
              );
            }
            // The mirror needs the value itself.
            readSecret(entry.secret);
            break;
          }
          case 'event':
            buses.add(consumer.eventBusName ?? 'default');
            break;
          case 'webhook':
            readSecret(consumer.signingSecret);
            break;
        }
      }
    }
    allow(
      new iam.PolicyStatement({
        sid: 'MilestoneAndConsumerEvents',
        actions: ['events:PutEvents'],
        resources: [...buses].map(busArn),
      }),
    );
    this.configs = configs;
    if (fn.role !== undefined) permissions.attachToRole(fn.role);
    fn.node.addDependency(permissions);

    // The state machine.
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const definition = new RolloutDefinition(this, 'Definition', fn).start;
    const role = new iam.Role(this, 'StateMachineRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: 'Execution role of the Handover rollout state machine',
      permissionsBoundary: props.permissionsBoundary,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      comment:
        'Handover rollout: preflight and lock, rotation (manual starts), consumers in waves (canary first), grace window, usage gate, revocation; rollback where the credential type allows it; a named Fail state per failure.',
      timeout,
      role,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    // The strategy actions: exactly the rotation functions (unqualified), no versions or aliases.
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'StrategyActions',
        actions: ['lambda:InvokeFunction'],
        resources: [...rotationFunctions.values()].map((rotationFunction) => rotationFunction.functionArn),
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions logging and tracing: logs:CreateLogDelivery, logs:GetLogDelivery, logs:UpdateLogDelivery, logs:DeleteLogDelivery, logs:ListLogDeliveries, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups and xray:PutTraceSegments / PutTelemetryRecords / GetSamplingRules / GetSamplingTargets support no resource-level permissions, so CDK grants them on "*" (the documented policy for state machine logging to CloudWatch Logs and X-Ray).',
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${stack.getLogicalId(fn.node.defaultChild as lambda.CfnFunction)}.Arn>:*]`,
      reason:
        'Invoking the rollout function: CDK grants lambda:InvokeFunction on the function and its versions and aliases (<arn>:*) so a task may name a qualified function; only this function.',
    });
    // The trigger: Secrets Manager's RotationSucceeded (CloudTrail service event) for these secrets.
    this.trigger = new events.Rule(this, 'RotationSucceeded', {
      description:
        'Handover: starts the rollout workflow when Secrets Manager reports RotationSucceeded for a rolled-out secret',
      eventPattern: {
        source: ['aws.secretsmanager'],
        detailType: ['AWS Service Event via CloudTrail'],
        detail: {
          eventSource: ['secretsmanager.amazonaws.com'],
          eventName: ['RotationSucceeded'],
          additionalEventData: { SecretId: triggerIds },
        },
      },
    });
    this.trigger.addTarget(new targets.SfnStateMachine(this.stateMachine, { retryAttempts: 20 }));

    this.alarms =
      props.monitoring === undefined
        ? []
        : [
            ...props.monitoring.alarmOnRolloutExecutions(this, this.stateMachine, 'rollout workflow'),
            ...[...new Set(props.secrets.map((secret) => secret.credentialType))].map((type) =>
              props.monitoring?.alarmOnOldCredentialStillInUse(type),
            ),
          ].filter((alarm): alarm is cloudwatch.Alarm => alarm !== undefined);
    if (props.monitoring !== undefined) props.monitoring.alarmOnFunctionErrors(this, fn, 'rollout function');
  }
}

/** The contract's consumer config of a construct consumer (CDK references become ARNs). */
function toConsumerConfig(consumer: RolloutConsumer): ConsumerConfig {
  switch (consumer.kind) {
    case 'ssm-parameter': {
      const { kmsKey, ...rest } = consumer;
      return { ...rest, ...(kmsKey === undefined ? {} : { kmsKeyId: kmsKey.keyArn }) };
    }
    case 'webhook': {
      const { signingSecret, ...rest } = consumer;
      return { ...rest, signingSecretArn: signingSecret.secretFullArn ?? signingSecret.secretArn };
    }
    default:
      return consumer;
  }
}

// ---------------------------------------------------------------------------------------------
// The definition
// ---------------------------------------------------------------------------------------------

/** A rollout-function task whose output replaces nothing but `resultPath`. */
interface TaskOptions {
  readonly resultPath?: string;
  readonly outputPath?: string;
}

/**
 * The states of the rollout state machine. State names are a public contract: the console shows
 * them, the workflow tests override tasks by them, and the README runbook refers to them.
 */
class RolloutDefinition extends Construct {
  public readonly start: sfn.IChainable;
  private readonly fn: lambda.IFunction;
  private readonly records = new Map<string, sfn.Pass>();
  private readonly reportFailure: sfn.IChainable;
  private readonly failStates = new Map<RolloutErrorCode, sfn.Fail>();

  constructor(scope: Construct, id: string, fn: lambda.IFunction) {
    super(scope, id);
    this.fn = fn;

    // Terminal failure handling: report (metrics, events, SNS, lock), then the named Fail state.
    const whichFailure = new sfn.Choice(this, 'Which failure?');
    for (const [code, name] of FAILURES) {
      const fail = new sfn.Fail(this, name, { error: code, causePath: '$.report.Cause' });
      this.failStates.set(code, fail);
      whichFailure.when(sfn.Condition.stringEquals('$.failure.error', code), fail);
    }
    whichFailure.otherwise(
      new sfn.Fail(this, 'Rollout failed', { errorPath: '$.failure.error', causePath: '$.report.Cause' }),
    );
    const reportFailure = this.rolloutTask(
      'Report failure',
      'finish',
      {
        outcome: 'failed',
        state: sfn.JsonPath.entirePayload,
        executionArn: sfn.JsonPath.executionId,
        executionName: sfn.JsonPath.executionName,
      },
      { resultPath: '$.report' },
    );
    reportFailure.addCatch(whichFailure, { resultPath: '$.report' });
    reportFailure.next(whichFailure);
    this.reportFailure = reportFailure;

    // Preflight.
    const preflight = this.rolloutTask('Preflight', 'preflight', {
      input: sfn.JsonPath.entirePayload,
      executionArn: sfn.JsonPath.executionId,
      executionName: sfn.JsonPath.executionName,
    });
    preflight.addCatch(this.record(ROLLOUT_ERRORS.refused), {
      errors: [ROLLOUT_ERRORS.refused],
      resultPath: '$.caught',
    });
    preflight.addCatch(this.record(ROLLOUT_ERRORS.invalidInput), {
      errors: [ROLLOUT_ERRORS.invalidInput],
      resultPath: '$.caught',
    });
    preflight.addCatch(this.record(ROLLOUT_ERRORS.preflightFailed), { resultPath: '$.caught' });
    const describe = this.strategyAction('Describe strategy', 'describe', {
      resultSelector: {
        'credentialType.$': '$.Payload.credentialType',
        'variant.$': '$.Payload.variant',
        'previousStaysValid.$': '$.Payload.previousStaysValid',
        'canCheckUsage.$': '$.Payload.canCheckUsage',
        'canRevoke.$': '$.Payload.canRevoke',
        'canRestore.$': '$.Payload.canRestore',
      },
      resultPath: '$.strategy',
    });
    describe.addCatch(this.record(ROLLOUT_ERRORS.preflightFailed), { resultPath: '$.caught' });

    // Manual starts rotate first, and wait for the rotation (bounded).
    const startRotation = this.rolloutTask(
      'Start rotation',
      'start-rotation',
      {
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        rotation: sfn.JsonPath.objectAt('$.rotation'),
      },
      { resultPath: '$.rotation' },
    );
    startRotation.addCatch(this.record(ROLLOUT_ERRORS.rotationFailed), { resultPath: '$.caught' });
    const waitForRotation = new sfn.Wait(this, 'Wait for rotation', {
      time: sfn.WaitTime.duration(Duration.seconds(ROTATION_POLL_SECONDS)),
    });
    const checkRotation = this.rolloutTask(
      'Check rotation',
      'check-rotation',
      {
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        rotation: sfn.JsonPath.objectAt('$.rotation'),
      },
      { resultPath: '$.rotation' },
    );
    checkRotation.addCatch(this.record(ROLLOUT_ERRORS.rotationFailed), { resultPath: '$.caught' });
    const rotationFinished = new sfn.Choice(this, 'Rotation finished?');

    // Emergency: revoke right after the new credential is verified (the rotation's testSecret).
    const emergency = new sfn.Choice(this, 'Emergency?');
    const emergencyCanRevoke = new sfn.Choice(this, 'Can revoke the compromised credential?');
    const precheck = this.strategyAction('Check usage before revoking', 'inUse', {
      since: '$.rollout.startedAt',
      resultSelector: {
        'inUse.$': '$.Payload.inUse',
        'observable.$': '$.Payload.observable',
        'evidence.$': '$.Payload.evidence',
      },
      resultPath: '$.precheck',
    });
    const revokeCompromised = this.strategyAction('Revoke compromised credential', 'revoke', {
      resultSelector: { 'action.$': '$.Payload.action', 'done.$': '$.Payload.done' },
      resultPath: '$.revocation',
    });
    revokeCompromised.addCatch(this.record(ROLLOUT_ERRORS.revokeFailed), { resultPath: '$.caught' });
    const alreadyInvalid = new sfn.Pass(this, 'Compromised credential already invalid', {
      parameters: {
        action: 'revoke',
        done: false,
        reason: sfn.JsonPath.format(
          '{} {} has no revoke: the rotation itself replaced the old credential',
          sfn.JsonPath.stringAt('$.strategy.credentialType'),
          sfn.JsonPath.stringAt('$.strategy.variant'),
        ),
      },
      resultPath: '$.revocation',
    });
    const reportEmergency = this.rolloutTask(
      'Report emergency revocation',
      'emergency-revoked',
      {
        state: sfn.JsonPath.entirePayload,
        executionArn: sfn.JsonPath.executionId,
      },
      { resultPath: sfn.JsonPath.DISCARD },
    );

    // Consumers in waves.
    const canary = this.wave(
      'Canary wave',
      'Canary',
      '$.rollout.waves.canary',
      'newVersionId',
      '$.results.canary',
    );
    canary.addCatch(this.record(ROLLOUT_ERRORS.consumerFailed), { resultPath: '$.caught' });
    const checkCanary = this.checkWave('Check canary wave', 'canary', '$.results.canary');
    const main = this.wave('Main wave', 'Main', '$.rollout.waves.main', 'newVersionId', '$.results.main');
    main.addCatch(this.record(ROLLOUT_ERRORS.consumerFailed), { resultPath: '$.caught' });
    const checkMain = this.checkWave('Check main wave', 'main', '$.results.main');
    const consumersUpdated = this.rolloutTask(
      'Consumers updated',
      'consumers-updated',
      {
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        rotation: sfn.JsonPath.objectAt('$.rotation'),
        results: sfn.JsonPath.objectAt('$.results'),
      },
      { resultPath: '$.usage' },
    );
    consumersUpdated.addCatch(this.record(ROLLOUT_ERRORS.usageCheckFailed), { resultPath: '$.caught' });

    // Grace, usage gate, revocation.
    const revokeNow = new sfn.Choice(this, 'Revoke now?');
    const nothingToRevoke = new sfn.Pass(this, 'Nothing to revoke', {
      parameters: {
        action: 'revoke',
        done: false,
        reason: sfn.JsonPath.format(
          '{} {} has no revoke: the rotation itself replaced the old credential',
          sfn.JsonPath.stringAt('$.strategy.credentialType'),
          sfn.JsonPath.stringAt('$.strategy.variant'),
        ),
      },
      resultPath: '$.revocation',
    });
    const grace = new sfn.Wait(this, 'Grace window', {
      time: sfn.WaitTime.secondsPath('$.rollout.graceSeconds'),
    });
    const checkUsage = this.strategyAction('Check old credential usage', 'inUse', {
      since: sfn.JsonPath.arrayGetItem(
        sfn.JsonPath.listAt('$.usage.windows'),
        sfn.JsonPath.numberAt('$.usage.count'),
      ),
      resultSelector: {
        'inUse.$': '$.Payload.inUse',
        'observable.$': '$.Payload.observable',
        'evidence.$': '$.Payload.evidence',
      },
      resultPath: '$.usage.last',
    });
    checkUsage.addCatch(this.record(ROLLOUT_ERRORS.usageCheckFailed), { resultPath: '$.caught' });
    const countCheck = new sfn.Pass(this, 'Count usage check', {
      parameters: {
        count: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt('$.usage.count'), 1),
        'windows.$': '$.usage.windows',
        'last.$': '$.usage.last',
      },
      resultPath: '$.usage',
    });
    const stillUsed = new sfn.Choice(this, 'Old credential still used?');
    const recheckWait = new sfn.Wait(this, 'Wait before re-checking', {
      time: sfn.WaitTime.secondsPath('$.rollout.usageRecheckSeconds'),
    });
    const revokeOld = this.strategyAction('Revoke old credential', 'revoke', {
      resultSelector: { 'action.$': '$.Payload.action', 'done.$': '$.Payload.done' },
      resultPath: '$.revocation',
    });
    revokeOld.addCatch(this.record(ROLLOUT_ERRORS.revokeFailed), { resultPath: '$.caught' });
    const stillInUse = new sfn.Pass(this, `Record ${FAILURE_STATES[ROLLOUT_ERRORS.stillInUse]}`, {
      parameters: {
        error: ROLLOUT_ERRORS.stillInUse,
        cause: sfn.JsonPath.format(
          'the old credential is still in use after {} checks; it was NOT revoked: {}',
          sfn.JsonPath.stringAt('$.usage.count'),
          sfn.JsonPath.stringAt('$.usage.last.evidence'),
        ),
      },
      resultPath: '$.failure',
    });
    stillInUse.next(this.reportFailure);

    // Success.
    const reportSuccess = this.rolloutTask(
      'Report success',
      'finish',
      {
        outcome: 'succeeded',
        state: sfn.JsonPath.entirePayload,
        executionArn: sfn.JsonPath.executionId,
        executionName: sfn.JsonPath.executionName,
      },
      { resultPath: '$.report' },
    );
    const complete = new sfn.Succeed(this, 'Rollout complete');
    reportSuccess.addCatch(complete, { resultPath: '$.report' });
    const nothingToDo = new sfn.Succeed(this, 'Nothing to do', {
      comment: 'A RotationSucceeded event for a version another execution already carries or completed.',
    });

    // Rollback (scheduled mode, after a consumer failure).
    const rollBack = new sfn.Choice(this, 'Roll back?');
    const rollbackTask = this.rolloutTask(
      'Roll back',
      'rollback',
      {
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        rotation: sfn.JsonPath.objectAt('$.rotation'),
        strategy: sfn.JsonPath.objectAt('$.strategy'),
        results: sfn.JsonPath.objectAt('$.results'),
      },
      { resultPath: '$.rollback' },
    );
    rollbackTask.addCatch(this.record(ROLLOUT_ERRORS.rollbackRefused, true), {
      errors: [ROLLOUT_ERRORS.rollbackRefused],
      resultPath: '$.caught',
    });
    rollbackTask.addCatch(this.record(ROLLOUT_ERRORS.rollbackFailed, true), { resultPath: '$.caught' });
    const restoreNeeded = new sfn.Choice(this, 'Restore old credential?');
    const restore = this.strategyAction('Restore old credential', 'restore', {
      resultSelector: { 'action.$': '$.Payload.action', 'done.$': '$.Payload.done' },
      resultPath: '$.restoration',
    });
    restore.addCatch(this.record(ROLLOUT_ERRORS.rollbackFailed, true), { resultPath: '$.caught' });
    const repoint = this.wave(
      'Re-point consumers',
      'Re-point',
      '$.rollback.consumers',
      'oldVersionId',
      '$.results.rollback',
    );
    repoint.addCatch(this.record(ROLLOUT_ERRORS.rollbackFailed, true), { resultPath: '$.caught' });
    const checkRepoint = this.checkWave('Check re-pointed consumers', 'rollback', '$.results.rollback');
    const reportRollback = this.rolloutTask(
      'Report rollback',
      'finish',
      {
        outcome: 'rolled-back',
        state: sfn.JsonPath.entirePayload,
        executionArn: sfn.JsonPath.executionId,
        executionName: sfn.JsonPath.executionName,
      },
      { resultPath: '$.report' },
    );
    const consumerFailedState = this.failStates.get(ROLLOUT_ERRORS.consumerFailed) as sfn.Fail;
    reportRollback.addCatch(consumerFailedState, { resultPath: '$.report' });

    // Wiring.
    const consumerRecord =
      this.records.get(ROLLOUT_ERRORS.consumerFailed) ?? this.record(ROLLOUT_ERRORS.consumerFailed);
    this.start = preflight.next(
      new sfn.Choice(this, 'Already rolled out?')
        .when(sfn.Condition.stringEquals('$.action', 'skip'), nothingToDo)
        .otherwise(
          describe.next(
            new sfn.Choice(this, 'Rotate now?')
              .when(
                sfn.Condition.stringEquals('$.rollout.trigger', 'manual'),
                startRotation.next(waitForRotation).next(checkRotation).next(rotationFinished),
              )
              .otherwise(emergency),
          ),
        ),
    );
    rotationFinished
      .when(sfn.Condition.stringEquals('$.rotation.status', 'succeeded'), emergency)
      .otherwise(waitForRotation);
    emergency
      .when(sfn.Condition.stringEquals('$.rollout.mode', 'emergency'), emergencyCanRevoke)
      .otherwise(canary);
    emergencyCanRevoke
      .when(sfn.Condition.booleanEquals('$.strategy.canRevoke', true), precheck)
      .otherwise(alreadyInvalid);
    precheck.addCatch(revokeCompromised, { resultPath: '$.precheckError' });
    precheck.next(revokeCompromised);
    revokeCompromised.next(reportEmergency);
    alreadyInvalid.next(reportEmergency);
    reportEmergency.addCatch(canary, { resultPath: '$.notifyError' });
    reportEmergency.next(canary);
    canary.next(checkCanary).next(main).next(checkMain).next(consumersUpdated).next(revokeNow);
    revokeNow
      .when(sfn.Condition.stringEquals('$.rollout.mode', 'emergency'), reportSuccess)
      .when(sfn.Condition.booleanEquals('$.strategy.canRevoke', false), nothingToRevoke)
      .otherwise(grace);
    nothingToRevoke.next(reportSuccess);
    grace.next(checkUsage).next(countCheck).next(stillUsed);
    stillUsed
      .when(sfn.Condition.booleanEquals('$.usage.last.inUse', false), revokeOld)
      .when(
        sfn.Condition.numberGreaterThanEqualsJsonPath('$.usage.count', '$.rollout.usageMaxChecks'),
        stillInUse,
      )
      .otherwise(recheckWait);
    recheckWait.next(checkUsage);
    revokeOld.next(reportSuccess);
    reportSuccess.next(complete);

    consumerRecord.next(rollBack);
    rollBack
      .when(sfn.Condition.stringEquals('$.rollout.mode', 'emergency'), this.reportFailure)
      .otherwise(rollbackTask);
    rollbackTask.next(restoreNeeded);
    restoreNeeded
      .when(
        sfn.Condition.and(
          sfn.Condition.isPresent('$.revocation.done'),
          sfn.Condition.booleanEquals('$.revocation.done', true),
          sfn.Condition.booleanEquals('$.strategy.canRestore', true),
        ),
        restore.next(repoint),
      )
      .otherwise(repoint);
    repoint.next(checkRepoint).next(reportRollback).next(consumerFailedState);
  }

  /** The state recording a named failure, then reporting it (created once per failure). */
  private record(code: RolloutErrorCode, keepOriginal = false): sfn.Pass {
    const key = keepOriginal ? `${code}:rollback` : code;
    const existing = this.records.get(key);
    if (existing !== undefined) return existing;
    const name = keepOriginal
      ? `Record ${FAILURE_STATES[code]} (rollback)`
      : `Record ${FAILURE_STATES[code]}`;
    const pass = new sfn.Pass(this, name, {
      parameters: {
        error: code,
        'cause.$': '$.caught.Cause',
        'caughtError.$': '$.caught.Error',
        ...(keepOriginal ? { 'original.$': '$.failure' } : {}),
      },
      resultPath: '$.failure',
    });
    this.records.set(key, pass);
    if (code !== ROLLOUT_ERRORS.consumerFailed || keepOriginal) pass.next(this.reportFailure);
    return pass;
  }

  /** A task of the rollout function (`Task` in the payload; the function's answer at `resultPath`). */
  private rolloutTask(
    name: string,
    task: RolloutTaskName,
    payload: Record<string, unknown>,
    options: TaskOptions = {},
  ): tasks.LambdaInvoke {
    const invoke = new tasks.LambdaInvoke(this, name, {
      lambdaFunction: this.fn,
      payload: sfn.TaskInput.fromObject({ Task: task, ...payload }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
      ...(options.resultPath === undefined ? {} : { resultPath: options.resultPath }),
      ...(options.outputPath === undefined ? {} : { outputPath: options.outputPath }),
    });
    return invoke;
  }

  /** Closes a wave: throws the named failure listing the failed consumers. */
  private checkWave(name: string, wave: 'canary' | 'main' | 'rollback', results: string): tasks.LambdaInvoke {
    const check = this.rolloutTask(
      name,
      'check-wave',
      {
        wave,
        rollout: sfn.JsonPath.objectAt('$.rollout'),
        results: sfn.JsonPath.listAt(results),
      },
      { resultPath: sfn.JsonPath.DISCARD },
    );
    if (wave === 'rollback') {
      check.addCatch(this.record(ROLLOUT_ERRORS.rollbackFailed, true), { resultPath: '$.caught' });
    } else {
      check.addCatch(this.record(ROLLOUT_ERRORS.consumerFailed), { resultPath: '$.caught' });
    }
    return check;
  }

  /**
   * A strategy action on the secret's own rotation function (`lambda:invoke` with the function
   * ARN from the rollout configuration), so it runs with that function's role and network.
   */
  private strategyAction(
    name: string,
    action: 'describe' | 'inUse' | 'revoke' | 'restore',
    options: { since?: string; resultSelector: Record<string, string>; resultPath: string },
  ): sfn.CustomState {
    const payload: Record<string, unknown> = {
      Action: action,
      'SecretId.$': '$.rollout.secretArn',
      ...(action === 'describe' ? {} : { 'VersionId.$': '$.rotation.versions.oldVersionId' }),
      ...(options.since === undefined ? {} : { 'Since.$': options.since }),
    };
    const state = new sfn.CustomState(this, name, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::lambda:invoke`,
        Parameters: { 'FunctionName.$': '$.rollout.rotationFunctionArn', Payload: payload },
        ResultSelector: options.resultSelector,
        ResultPath: options.resultPath,
      },
    });
    state.addRetry({
      errors: LAMBDA_SERVICE_ERRORS,
      interval: Duration.seconds(2),
      maxAttempts: 6,
      backoffRate: 2,
    });
    return state;
  }

  /**
   * A wave: an inline Map over consumers (bounded by `maxConcurrency`). Each item is updated and
   * verified (event consumers: published, then the state waits for the acknowledgement); a failure
   * is caught per consumer and recorded, so the wave's check can name every failed one.
   */
  private wave(
    name: string,
    prefix: string,
    itemsPath: string,
    version: 'newVersionId' | 'oldVersionId',
    resultPath: string,
  ): sfn.Map {
    const rollback = version === 'oldVersionId';
    const map = new sfn.Map(this, name, {
      itemsPath,
      maxConcurrencyPath: '$.rollout.maxConcurrency',
      itemSelector: {
        consumer: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        credentialType: sfn.JsonPath.stringAt('$.rollout.credentialType'),
        update: {
          secretArn: sfn.JsonPath.stringAt('$.rollout.secretArn'),
          versionId: sfn.JsonPath.stringAt(`$.rotation.versions.${version}`),
          rolloutId: rollback
            ? sfn.JsonPath.format('{}-rollback', sfn.JsonPath.stringAt('$.rollout.rolloutId'))
            : sfn.JsonPath.stringAt('$.rollout.rolloutId'),
          mode: sfn.JsonPath.stringAt('$.rollout.mode'),
          startedAt: sfn.JsonPath.stringAt(rollback ? '$.rollback.at' : '$.rotation.completedAt'),
        },
      },
      resultPath,
    });
    const failed = new sfn.Pass(this, `${prefix}: consumer failed`, {
      parameters: {
        'consumer.$': '$.consumer.name',
        'kind.$': '$.consumer.kind',
        ok: false,
        'error.$': '$.caught.Error',
        'cause.$': '$.caught.Cause',
      },
    });
    const publish = new tasks.LambdaInvoke(this, `${prefix}: publish event and wait for acknowledgement`, {
      lambdaFunction: this.fn,
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        Task: 'publish-consumer-event',
        consumer: sfn.JsonPath.objectAt('$.consumer'),
        update: sfn.JsonPath.objectAt('$.update'),
        credentialType: sfn.JsonPath.stringAt('$.credentialType'),
        taskToken: sfn.JsonPath.taskToken,
      }),
      taskTimeout: sfn.Timeout.at('$.consumer.timeoutSeconds'),
      resultPath: '$.ack',
    });
    publish.addCatch(failed, { resultPath: '$.caught' });
    const acknowledged = new sfn.Pass(this, `${prefix}: acknowledged`, {
      parameters: {
        'consumer.$': '$.consumer.name',
        kind: 'event',
        ok: true,
        outcome: 'verified',
        detail: 'acknowledged with SendTaskSuccess',
      },
    });
    const update = new tasks.LambdaInvoke(this, `${prefix}: update and verify consumer`, {
      lambdaFunction: this.fn,
      payload: sfn.TaskInput.fromObject({
        Task: 'update-consumer',
        consumer: sfn.JsonPath.objectAt('$.consumer'),
        update: sfn.JsonPath.objectAt('$.update'),
        credentialType: sfn.JsonPath.stringAt('$.credentialType'),
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    // Not ready yet (a Lambda update in progress, an ECS deployment rolling out): nothing failed.
    update.addRetry({
      errors: ['ConsumerNotReadyError'],
      interval: Duration.seconds(30),
      maxAttempts: 10,
      backoffRate: 1.5,
    });
    update.addCatch(failed, { resultPath: '$.caught' });
    map.itemProcessor(
      new sfn.Choice(this, `${prefix}: acknowledged by event?`)
        .when(sfn.Condition.stringEquals('$.consumer.kind', 'event'), publish.next(acknowledged))
        .otherwise(update),
    );
    return map;
  }
}
