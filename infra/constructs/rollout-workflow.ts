import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { ConsumerSettings } from '../../lambdas/rollout/consumers/contracts';
import {
  FOLLOWED_CREDENTIAL_TYPE,
  type FollowedBy,
  LOCK_ATTRIBUTE,
  type ReadersConfig,
  ROLLOUT_ENV,
  ROLLOUT_METRIC,
  type RolloutConfig,
  rolloutConfigParameterName,
} from '../../lambdas/rollout/contract';
import {
  type ReaderSourceSettings,
  readerSourceContract,
} from '../../lambdas/rollout/readers/sources/contracts';
import type { CredentialType } from '../../lambdas/rotation/constants';
import { CLOUDTRAIL_DELIVERY } from '../../lambdas/shared/cloudtrail-delivery';
import { ROLLOUT_HANDLER_ENTRY } from '../paths';
import { secretArnForPolicies } from './credential-types';
import { HandoverFunction } from './handover-function';
import { credentialTypeMetric } from './metrics';
import type { RotationMonitoring } from './monitoring';
import { nagArn } from './nag';
import { consumerStatements, deployConsumer } from './rollout-consumers';
import { RolloutDefinition } from './rollout-definition';
import { DEFAULT_RUNBOOK_URL } from './runbook';

/** Who reads a secret: the readers check's source, delivery delay and ignore list. */
export interface RolloutReaders {
  /**
   * Where reads come from (a reader source's settings, `lambdas/rollout/readers/sources/`).
   * @default { kind: 'cloudtrail' }
   */
  readonly source?: ReaderSourceSettings;
  /**
   * How long after the rotation an absence in CloudTrail is trusted; the usage gate waits this long
   * after the grace window.
   * @default Duration.minutes(15)
   */
  readonly deliveryDelay?: Duration;
  /**
   * Principals (ARNs, or patterns ending in `*`) the readers check leaves alone, with why.
   * @default - none
   */
  readonly ignore?: readonly { readonly principal: string; readonly reason: string }[];
}

/** One secret the workflow follows but does not rotate. */
export interface FollowedRolloutSecret {
  /** A stable id (the policy entry id): construct ids derive from it. */
  readonly id: string;
  readonly secret: secretsmanager.ISecret;
  /**
   * The secret's name, when the secret construct cannot tell it before deployment.
   * @default - `secret.secretName`
   */
  readonly secretName?: string;
  /** Who rotates it: `rds` (a managed master user secret) or `other`. */
  readonly rotatedBy: FollowedBy;
  /**
   * Consumers updated at once in the main wave.
   * @default 4
   */
  readonly maxConcurrency?: number;
  /**
   * Who holds the credential.
   * @default - none
   */
  readonly consumers?: readonly ConsumerSettings[];
  /**
   * The readers check, or `'off'`.
   * @default - CloudTrail event history, 15 minutes' delivery delay
   */
  readonly readers?: RolloutReaders | 'off';
}

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
   * Who holds the credential: each consumer as a policy writes it (its kind's contract settings,
   * `lambdas/rollout/consumers/<kind>.contract.ts`).
   * @default - none
   */
  readonly consumers?: readonly ConsumerSettings[];
  /**
   * The readers check (who reads the secret, CloudTrail), or `'off'`: preflight names readers no
   * consumer accounts for, and the usage gate does not revoke while one still holds the old version.
   * @default - CloudTrail event history, 15 minutes' delivery delay
   */
  readonly readers?: RolloutReaders | 'off';
}

/** Properties of {@link RolloutWorkflow}. */
export interface RolloutWorkflowProps {
  /** The secrets rolled out; each gets its configuration parameter and a place in the trigger rule. */
  readonly secrets: readonly RolloutSecret[];
  /**
   * Secrets the workflow follows but does not rotate (RDS-managed master user secrets, secrets
   * another function rotates): rollouts start on their `RotationSucceeded` event, move their
   * consumers and name who still holds the old value; nothing is rotated or revoked.
   * @default - none
   */
  readonly followed?: readonly FollowedRolloutSecret[];
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
   * @default - the monitoring's runbook URL, else 'docs/runbook.md'
   */
  readonly runbookUrl?: string;
  /**
   * How long a manual rotation may take before the rollout fails with `Handover.RotationFailed`.
   * @default Duration.minutes(15)
   */
  readonly rotationTimeout?: Duration;
  /**
   * Where the secrets consumers name are imported, or created when their kind generates one (a
   * webhook's signing key), with ids `<secret id>-<consumer name>-<Field>`.
   * @default - this construct
   */
  readonly consumerScope?: Construct;
}

/** The default delivery delay of the readers check. */
const DEFAULT_DELIVERY_DELAY = Duration.seconds(CLOUDTRAIL_DELIVERY.defaultDelaySeconds);

/** The longest a Standard execution may run. */
export const MAX_EXECUTION = Duration.days(365);

/** A duration in whole seconds, rounded up (a grace of 1.5 s waits 2). */
const wholeSeconds = (duration: Duration) => Math.ceil(duration.toSeconds({ integral: false }));

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
  /**
   * The per-secret rollout locks: one item per secret (partition key `secretArn`), written only by
   * conditional writes. The secrets' `handover:rollout*` tags mirror it.
   */
  public readonly lockTable: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RolloutWorkflowProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const stateMachineName = props.stateMachineName ?? `${stack.stackName}-rollout`;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const topic: sns.ITopic | undefined = props.monitoring?.topic;
    const runbookUrl = props.runbookUrl ?? props.monitoring?.runbookUrl ?? DEFAULT_RUNBOOK_URL;

    // Every consumer by its kind's contract: configuration, secrets, permissions.
    const consumerScope = props.consumerScope ?? this;
    const followed = props.followed ?? [];
    const consumersOf = new Map<RolloutSecret | FollowedRolloutSecret, ReturnType<typeof deployConsumer>[]>(
      [...props.secrets, ...followed].map((entry) => [
        entry,
        (entry.consumers ?? []).map((consumer) => deployConsumer(consumerScope, entry.id, consumer)),
      ]),
    );

    // The longest a rollout may run: its grace, every usage re-check, and room for rotation and
    // acknowledgements (a consumer the workflow waits on, twice: rollout and rollback). The lock's
    // lease is the same, so a lock outlives no execution.
    const longestSeconds = Math.max(
      0,
      ...props.secrets.map(
        (secret) =>
          wholeSeconds(secret.grace ?? Duration.hours(24)) +
          (secret.readers === 'off'
            ? 0
            : wholeSeconds(secret.readers?.deliveryDelay ?? DEFAULT_DELIVERY_DELAY)) +
          wholeSeconds(secret.usageRecheck ?? Duration.hours(1)) * (secret.usageMaxChecks ?? 24) +
          Math.max(0, ...(consumersOf.get(secret) ?? []).map((consumer) => (consumer.waitSeconds ?? 0) * 2)),
      ),
    );
    // A Standard execution lasts one year at most.
    const timeout = Duration.seconds(
      Math.min(longestSeconds + Duration.days(1).toSeconds(), MAX_EXECUTION.toSeconds()),
    );

    // The locks: a compare-and-set per secret. Items are small and few (one per secret); point-in-time
    // recovery keeps the record of who held what if the table is ever damaged.
    this.lockTable = new dynamodb.Table(this, 'Locks', {
      partitionKey: { name: LOCK_ATTRIBUTE.secretArn, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

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
        [ROLLOUT_ENV.lockTable]: this.lockTable.tableName,
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

    // The lock: its item (read, and conditional writes only: no scan, no delete), the holder's status
    // and, for a takeover, StopExecution on this state machine's executions.
    allow(
      new iam.PolicyStatement({
        sid: 'Lock',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [this.lockTable.tableArn],
      }),
    );
    const executions = {
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    };
    allow(
      new iam.PolicyStatement({
        sid: 'LockHolderStatus',
        actions: ['states:DescribeExecution', 'states:StopExecution'],
        resources: [stack.formatArn(executions)],
      }),
    );
    Validations.of(permissions).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArn(stack, executions)}]`,
      reason:
        "The rollout lock: preflight reads the status of the execution holding a secret's lock (DescribeExecution) to take over the lock of an execution that was stopped or timed out, and stops the execution an emergency rollout takes over (StopExecution). Execution names are generated per start, so only the state machine's own executions can be named, with a wildcard.",
    });

    // Per secret: configuration, grants, trigger.
    const configs: Record<string, ssm.StringParameter> = {};
    const triggerIds: Array<string | Record<string, string>> = [];
    // Each reader source once (by its settings), for its permissions.
    const readerSources = new Map<string, ReaderSourceSettings>();
    const useSource = (readers: RolloutReaders | 'off' | undefined) => {
      if (readers === 'off') return;
      const settings = readers?.source ?? { kind: 'cloudtrail' as const };
      readerSources.set(JSON.stringify(settings), settings);
    };
    const hasEcs = [...consumersOf.values()].some((consumers) =>
      consumers.some((consumer) => consumer.config.kind === 'ecs-service'),
    );
    const rotationFunctions = new Map<string, lambda.IFunction>();
    for (const entry of props.secrets) {
      const secretArn = secretArnForPolicies(entry.secret);
      const name = entry.secretName ?? entry.secret.secretName;
      const consumers = consumersOf.get(entry) ?? [];
      const handover = [entry.rotationFunction.role?.roleArn].filter(
        (arn): arn is string => arn !== undefined,
      );
      const readers = this.readersConfig(entry.readers, handover, []);
      useSource(entry.readers);
      const config: RolloutConfig = {
        ...(readers === undefined ? {} : { readers }),
        secretArn: entry.secret.secretFullArn ?? entry.secret.secretArn,
        credentialType: entry.credentialType,
        rotationFunctionArn: entry.rotationFunction.functionArn,
        graceSeconds: wholeSeconds(entry.grace ?? Duration.hours(24)),
        usageRecheckSeconds: wholeSeconds(entry.usageRecheck ?? Duration.hours(1)),
        usageMaxChecks: entry.usageMaxChecks ?? 24,
        maxConcurrency: entry.maxConcurrency ?? 4,
        consumers: consumers.map((consumer) => consumer.config),
      };
      const parameter = new ssm.StringParameter(this, `Config-${entry.id}`, {
        parameterName: rolloutConfigParameterName(name),
        // Always a path (`/handover/rollout/...`), also when the secret's name is a token.
        simpleName: false,
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
            // The readers check: when the previous rotation happened (the replaced version's creation).
            'secretsmanager:ListSecretVersionIds',
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

      for (const consumer of consumers) {
        for (const statement of consumerStatements(stack, consumer, entry.secret, buses)) allow(statement);
      }
    }
    // Followed secrets: configuration, the lock, the readers check; nothing to rotate or invoke.
    for (const entry of followed) {
      const secretArn = secretArnForPolicies(entry.secret);
      const name = entry.secretName ?? entry.secret.secretName;
      const consumers = consumersOf.get(entry) ?? [];
      const rdsIgnore =
        entry.rotatedBy === 'rds'
          ? [
              {
                principal: 'service:rds.amazonaws.com',
                reason: 'Amazon RDS rotates this managed master user secret',
              },
            ]
          : [];
      const readers = this.readersConfig(entry.readers, [], rdsIgnore);
      const config: RolloutConfig = {
        secretArn: entry.secret.secretFullArn ?? entry.secret.secretArn,
        credentialType: FOLLOWED_CREDENTIAL_TYPE,
        followed: { rotatedBy: entry.rotatedBy },
        graceSeconds: 0,
        usageRecheckSeconds: 3600,
        usageMaxChecks: 1,
        maxConcurrency: entry.maxConcurrency ?? 4,
        consumers: consumers.map((consumer) => consumer.config),
        ...(readers === undefined ? {} : { readers }),
      };
      configs[entry.id] = new ssm.StringParameter(this, `Config-${entry.id}`, {
        parameterName: rolloutConfigParameterName(name),
        description: `Handover rollout configuration of ${entry.id} (followed, rotated by ${entry.rotatedBy}): consumers, readers`,
        stringValue: stack.toJsonString(config),
        tier: ssm.ParameterTier.INTELLIGENT_TIERING,
      });
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
      triggerIds.push(
        entry.secret.secretFullArn === undefined ? { prefix: `${entry.secret.secretArn}-` } : secretArn,
      );
      allow(
        new iam.PolicyStatement({
          actions: ['secretsmanager:DescribeSecret', 'secretsmanager:ListSecretVersionIds'],
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
      for (const consumer of consumers) {
        for (const statement of consumerStatements(stack, consumer, entry.secret, buses)) allow(statement);
      }
      useSource(entry.readers);
    }
    // The readers check: each source's permissions, once.
    let wildcard = hasEcs;
    for (const settings of readerSources.values()) {
      for (const permission of readerSourceContract(settings.kind).permissions(settings as never)) {
        if (!('actions' in permission)) continue;
        const resource = 'arn' in permission.resource ? permission.resource.arn : '*';
        wildcard ||= resource === '*';
        allow(new iam.PolicyStatement({ actions: [...permission.actions], resources: [resource] }));
      }
    }
    if (wildcard) {
      Validations.of(permissions).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'The readers check: cloudtrail:LookupEvents supports no resource-level permissions (IAM service authorization reference: no resource type), so it cannot be scoped; it reads the GetSecretValue events of the rolled-out secrets, read-only. And ecs:DescribeTaskDefinition (resource type none for a task definition named by its family) to learn the roles an ECS consumer reads the secret with, read-only.',
      });
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

  /**
   * Lets `grantee` start rollouts, emergency rotations included (`states:StartExecution` on the
   * state machine): the one permission an emergency rotation needs.
   */
  public grantStartRollout(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /** Rollouts of a credential type that succeeded (`RolloutSucceeded`). */
  public metricRolloutSucceeded(type: CredentialType, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return credentialTypeMetric(ROLLOUT_METRIC.rolloutSucceeded, type, options);
  }

  /** Rollouts of a credential type that ended in a named failure (`RolloutFailed`). */
  public metricRolloutFailed(type: CredentialType, options?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return credentialTypeMetric(ROLLOUT_METRIC.rolloutFailed, type, options);
  }

  /** Emergency rollouts of a credential type, whatever their outcome (`EmergencyRollout`). */
  public metricEmergencyRollouts(
    type: CredentialType,
    options?: cloudwatch.MetricOptions,
  ): cloudwatch.Metric {
    return credentialTypeMetric(ROLLOUT_METRIC.emergencyRollout, type, options);
  }

  /**
   * A secret's readers configuration: its source's configuration, the delivery delay, the principals
   * that read for Handover (the secret's rotation function's role and this workflow's function's),
   * and the ignore list; `undefined` when the check is off.
   */
  private readersConfig(
    readers: RolloutReaders | 'off' | undefined,
    handover: readonly string[],
    ignore: readonly { principal: string; reason: string }[],
  ): ReadersConfig | undefined {
    if (readers === 'off') return undefined;
    const settings = readers?.source ?? { kind: 'cloudtrail' as const };
    const contract = readerSourceContract(settings.kind);
    const own = this.function.role?.roleArn;
    return {
      source: { kind: settings.kind, ...contract.toConfig(settings as never) } as ReadersConfig['source'],
      deliveryDelaySeconds: wholeSeconds(readers?.deliveryDelay ?? DEFAULT_DELIVERY_DELAY),
      handover: [...handover, ...(own === undefined ? [] : [own])],
      ignore: [...ignore, ...(readers?.ignore ?? [])],
    };
  }
}
