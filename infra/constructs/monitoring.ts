import { Duration, Lazy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as config from 'aws-cdk-lib/aws-config';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { ROLLOUT_METRIC } from '../../lambdas/rollout/contract';
import type { CredentialType } from '../../lambdas/rotation/constants';
import { METRIC } from '../../lambdas/shared/metric-names';
import { credentialTypeMetric } from './metrics';
import { ALARM, type AlarmId, alarmDescription, DEFAULT_RUNBOOK_URL } from './runbook';

/**
 * The EventBridge pattern of the Secrets Manager `RotationFailed` event. Secrets Manager records
 * rotation outcomes in CloudTrail as service events (`eventType: AwsServiceEvent`), which
 * EventBridge delivers with source `aws.secretsmanager` and detail-type
 * `AWS Service Event via CloudTrail`; its API calls arrive as `AWS API Call via CloudTrail`. The
 * pattern accepts both detail types so a change of category cannot silence the alarm.
 */
export const ROTATION_FAILED_EVENT_PATTERN: events.EventPattern = {
  source: ['aws.secretsmanager'],
  detailType: ['AWS Service Event via CloudTrail', 'AWS API Call via CloudTrail'],
  detail: {
    eventSource: ['secretsmanager.amazonaws.com'],
    eventName: ['RotationFailed'],
  },
};

/** Properties of {@link RotationMonitoring}. */
export interface RotationMonitoringProps {
  /**
   * The topic every alarm notifies.
   * @default - a new topic encrypted with a new customer-managed KMS key (rotation on), TLS only
   */
  readonly topic?: sns.ITopic;
  /**
   * Email addresses subscribed to the topic (each confirms by email).
   * @default - none
   */
  readonly emailAddresses?: readonly string[];
  /**
   * Where the runbook lives; alarm descriptions link `<runbookUrl>#runbook-<alarm-id>`.
   * @default 'docs/runbook.md'
   */
  readonly runbookUrl?: string;
  /**
   * Notify on every Secrets Manager `RotationFailed` event in the account and region (EventBridge).
   * @default true
   */
  readonly rotationFailedEvents?: boolean;
}

const MONITORING_ID = 'HandoverMonitoring';

/**
 * The alarms of Handover and the one SNS topic they notify: rotation Lambda errors, the engine's
 * `RotationFailed` metric per credential type, the Secrets Manager `RotationFailed` event, and
 * (opt-in, needs AWS Config) secrets older than their policy or with an overdue rotation. Every
 * description says what happened, what to do, and links the runbook (`docs/runbook.md`).
 *
 * @example
 * ```ts
 * const monitoring = new RotationMonitoring(stack, 'Monitoring', { emailAddresses: ['oncall@example.com'] });
 * new SecretRotation(stack, 'Orders', { secret, rotation, monitoring });
 * ```
 */
export class RotationMonitoring extends Construct {
  /**
   * The monitoring of a stack: the one created with `new RotationMonitoring(stack, ...)` first, or a
   * default one (id `HandoverMonitoring`).
   */
  public static of(scope: IConstruct): RotationMonitoring {
    const stack = Stack.of(scope);
    const existing = stack.node.children.find((child) => child instanceof RotationMonitoring);
    return (existing as RotationMonitoring | undefined) ?? new RotationMonitoring(stack, MONITORING_ID);
  }

  /** The topic every alarm notifies. */
  public readonly topic: sns.ITopic;
  /** The key of the topic this construct created. */
  public readonly topicKey: kms.IKey | undefined;
  /** The runbook's location. */
  public readonly runbookUrl: string;
  /** The EventBridge rule on `RotationFailed`, when enabled. */
  public readonly rotationFailedRule: events.Rule | undefined;
  private readonly created: cloudwatch.Alarm[] = [];
  private readonly typeAlarms = new Map<CredentialType, cloudwatch.Alarm>();
  private readonly inUseAlarms = new Map<CredentialType, cloudwatch.Alarm>();
  private readonly action: actions.SnsAction;
  /** The rules that publish to the topic: the only `aws:SourceArn` its policy admits EventBridge for. */
  private readonly eventRuleArns: string[] = [];

  constructor(scope: Construct, id: string, props: RotationMonitoringProps = {}) {
    super(scope, id);
    this.runbookUrl = props.runbookUrl ?? DEFAULT_RUNBOOK_URL;
    if (props.topic === undefined) {
      const stack = Stack.of(this);
      const key = new kms.Key(this, 'TopicKey', {
        description: 'Encrypts the Handover alarm topic',
        enableKeyRotation: true,
      });
      const alarmArns = `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`;
      // CloudWatch alarms and EventBridge publish to the encrypted topic: they need the key.
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'PublishFromcloudwatch',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: { 'aws:SourceArn': alarmArns },
          },
        }),
      );
      const topic = new sns.Topic(this, 'Topic', {
        displayName: 'Handover rotation alarms',
        masterKey: key,
        enforceSSL: true,
      });
      topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'CloudWatchAlarms',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [topic.topicArn],
          conditions: {
            StringEquals: { 'aws:SourceAccount': stack.account },
            ArnLike: { 'aws:SourceArn': alarmArns },
          },
        }),
      );
      this.topic = topic;
      this.topicKey = key;
    } else {
      this.topic = props.topic;
      this.topicKey = undefined;
    }
    for (const email of props.emailAddresses ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.action = new actions.SnsAction(this.topic);
    if (props.rotationFailedEvents ?? true) {
      const description = alarmDescription(ALARM.rotationFailedEvent, 'any secret', this.runbookUrl);
      this.rotationFailedRule = new events.Rule(this, 'RotationFailedEvent', {
        description: description.slice(0, 512),
        eventPattern: ROTATION_FAILED_EVENT_PATTERN,
      });
      this.rotationFailedRule.addTarget(
        this.topicTarget(
          events.RuleTargetInput.fromText(
            `Secrets Manager rotation failed: secret ${events.EventField.fromPath('$.detail.additionalEventData.SecretId')} in ${events.EventField.account} / ${events.EventField.region} at ${events.EventField.time}. ${description}`,
          ),
        ),
      );
    } else {
      this.rotationFailedRule = undefined;
    }
  }

  /** Every alarm this monitoring created so far (the dashboard's alarm status). */
  public get alarms(): readonly cloudwatch.Alarm[] {
    return this.created;
  }

  /** An alarm on `metric` (at least 1 in its period), notifying the topic. */
  private alarm(
    scope: Construct,
    id: string,
    description: string,
    metric: cloudwatch.IMetric,
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(scope, id, {
      alarmDescription: description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(this.action);
    this.created.push(alarm);
    return alarm;
  }

  /**
   * An EventBridge target that publishes `message` to the topic. Used instead of
   * `targets.SnsTopic`, whose grant admits `events.amazonaws.com` with no condition (any account's
   * rule could then publish forged pages to the topic): the one topic policy statement for
   * EventBridge admits it only on behalf of the rules bound to this target (`aws:SourceArn`, the
   * list grows with each rule) in this account (`aws:SourceAccount`).
   *
   * The topic's KMS key gets one statement for EventBridge WITHOUT those conditions, because AWS
   * does not support them there: the Amazon SNS Developer Guide ("Enable compatibility between event
   * sources from AWS services and encrypted topics") states that adding `aws:SourceAccount` and
   * `aws:SourceArn` to a KMS key policy is not supported for EventBridge-to-encrypted topics (every
   * delivery would fail). The key statement alone lets no one publish: the topic policy decides.
   */
  private topicTarget(message: events.RuleTargetInput): events.IRuleTarget {
    const topic = this.topic;
    return {
      bind: (rule) => {
        if (this.eventRuleArns.length === 0) {
          topic.addToResourcePolicy(
            new iam.PolicyStatement({
              sid: 'EventBridgeRules',
              principals: [new iam.ServicePrincipal('events.amazonaws.com')],
              actions: ['sns:Publish'],
              resources: [topic.topicArn],
              conditions: {
                StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
                ArnEquals: { 'aws:SourceArn': Lazy.list({ produce: () => this.eventRuleArns }) },
              },
            }),
          );
          topic.masterKey?.addToResourcePolicy(
            new iam.PolicyStatement({
              sid: 'PublishFromEventBridge',
              principals: [new iam.ServicePrincipal('events.amazonaws.com')],
              actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              resources: ['*'],
            }),
          );
        }
        this.eventRuleArns.push(rule.ruleRef.ruleArn);
        return { arn: topic.topicArn, input: message, targetResource: topic };
      },
    };
  }

  /** Errors of a rotation function: at least one failed invocation in 5 minutes. */
  public alarmOnFunctionErrors(scope: Construct, fn: lambda.IFunction, subject: string): cloudwatch.Alarm {
    return this.alarm(
      scope,
      'ErrorsAlarm',
      alarmDescription(ALARM.lambdaErrors, subject, this.runbookUrl),
      fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
    );
  }

  /** The engine's `RotationFailed` metric of a credential type (one alarm per type and stack). */
  public alarmOnRotationFailures(type: CredentialType): cloudwatch.Alarm {
    const existing = this.typeAlarms.get(type);
    if (existing !== undefined) return existing;
    const alarm = this.alarm(
      this,
      `RotationFailed-${type}`,
      alarmDescription(ALARM.rotationFailedMetric, `credential type ${type}`, this.runbookUrl),
      RotationMonitoring.rotationFailedMetric(type),
    );
    this.typeAlarms.set(type, alarm);
    return alarm;
  }

  /**
   * The rollout workflow's execution alarms: at least one execution failed (a named failure
   * state), timed out, or was aborted in 5 minutes. Created in `scope` as `ExecutionsFailedAlarm`,
   * `ExecutionsTimedOutAlarm`, `ExecutionsAbortedAlarm`.
   */
  public alarmOnRolloutExecutions(
    scope: Construct,
    stateMachine: sfn.IStateMachine,
    subject: string,
  ): cloudwatch.Alarm[] {
    const metrics: Array<[string, AlarmId, cloudwatch.Metric]> = [
      ['ExecutionsFailedAlarm', ALARM.rolloutFailed, stateMachine.metricFailed()],
      ['ExecutionsTimedOutAlarm', ALARM.rolloutTimedOut, stateMachine.metricTimedOut()],
      ['ExecutionsAbortedAlarm', ALARM.rolloutAborted, stateMachine.metricAborted()],
    ];
    return metrics.map(([id, alarmId, metric]) =>
      this.alarm(
        scope,
        id,
        alarmDescription(alarmId, subject, this.runbookUrl),
        metric.with({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      ),
    );
  }

  /**
   * The rollout function's `OldCredentialStillInUse` metric of a credential type: the usage gate
   * gave up without revoking (one alarm per type and stack).
   */
  public alarmOnOldCredentialStillInUse(type: CredentialType): cloudwatch.Alarm {
    const existing = this.inUseAlarms.get(type);
    if (existing !== undefined) return existing;
    const alarm = this.alarm(
      this,
      `OldCredentialStillInUse-${type}`,
      alarmDescription(ALARM.oldCredentialStillInUse, `credential type ${type}`, this.runbookUrl),
      RotationMonitoring.oldCredentialStillInUseMetric(type),
    );
    this.inUseAlarms.set(type, alarm);
    return alarm;
  }

  /**
   * AWS Config rules for one secret (opt-in: they need an AWS Config recorder in the account):
   * `secretsmanager-scheduled-rotation-success-check` (a scheduled rotation did not complete, e.g.
   * `AWSPENDING` stuck on a version that is not `AWSCURRENT`) and, with `maxAge`,
   * `secretsmanager-secret-periodic-rotation` (older than `maxAge`). Each notifies the topic when the
   * secret turns NON_COMPLIANT. The secret's ARN must be complete (Config identifies secrets by it).
   */
  public checkSecretAge(
    scope: Construct,
    secret: secretsmanager.ISecret,
    maxAge: Duration | undefined,
    subject: string,
  ): config.ManagedRule[] {
    const ruleScope = config.RuleScope.fromResource(
      config.ResourceType.SECRETS_MANAGER_SECRET,
      secret.secretArn,
    );
    const rules: Array<[string, AlarmId, config.ManagedRule]> = [
      [
        'RotationOverdueRule',
        ALARM.rotationOverdue,
        new config.ManagedRule(scope, 'RotationOverdueRule', {
          identifier: config.ManagedRuleIdentifiers.SECRETSMANAGER_SCHEDULED_ROTATION_SUCCESS_CHECK,
          ruleScope,
          description: `Handover: ${subject} rotates on schedule`,
        }),
      ],
    ];
    if (maxAge !== undefined) {
      const maxDays = Math.ceil(maxAge.toHours({ integral: false }) / 24);
      rules.push([
        'SecretAgeRule',
        ALARM.secretOlderThanPolicy,
        new config.ManagedRule(scope, 'SecretAgeRule', {
          identifier: config.ManagedRuleIdentifiers.SECRETSMANAGER_SECRET_PERIODIC_ROTATION,
          inputParameters: { maxDaysSinceRotation: maxDays },
          ruleScope,
          description: `Handover: ${subject} is never older than ${maxDays} days`,
        }),
      ]);
    }
    for (const [id, alarmId, rule] of rules) {
      const description = alarmDescription(alarmId, subject, this.runbookUrl);
      rule.onComplianceChange(`${id}NonCompliant`, {
        description: description.slice(0, 512),
        eventPattern: { detail: { newEvaluationResult: { complianceType: ['NON_COMPLIANT'] } } },
        target: this.topicTarget(
          events.RuleTargetInput.fromText(
            `${description} Resource: ${events.EventField.fromPath('$.detail.resourceId')}`,
          ),
        ),
      });
    }
    return rules.map(([, , rule]) => rule);
  }

  /** The rollout function's `OldCredentialStillInUse` metric of a credential type. */
  public static oldCredentialStillInUseMetric(type: CredentialType): cloudwatch.Metric {
    return credentialTypeMetric(ROLLOUT_METRIC.oldCredentialStillInUse, type);
  }

  /** The engine's `RotationFailed` metric of a credential type, with the dimensions Powertools emits. */
  public static rotationFailedMetric(type: CredentialType): cloudwatch.Metric {
    return credentialTypeMetric(METRIC.rotationFailed, type);
  }
}
