import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { CONSUMER_DIMENSION, ROLLOUT_ERRORS, ROLLOUT_METRIC } from '../../lambdas/rollout/contract';
import { failureAnchor } from '../../lambdas/rollout/runbook';
import { type CredentialType, STEPS } from '../../lambdas/rotation/constants';
import {
  CREDENTIAL_TYPE_DIMENSION,
  METRIC,
  SERVICE_DIMENSION,
  STEP_DIMENSION,
} from '../../lambdas/shared/metric-names';
import { VERIFIER_DIMENSION, VERIFIER_METRIC } from '../../lambdas/verifier/constants';
import { credentialTypeMetric, dimensionLabel, handoverMetric, searchMetrics, sumOverTypes } from './metrics';
import type { RotationMonitoring } from './monitoring';
import type { RolloutWorkflow } from './rollout-workflow';
import { ALARM, DEFAULT_RUNBOOK_URL, RUNBOOK, runbookLink } from './runbook';

/** Properties of {@link HandoverDashboard}. */
export interface HandoverDashboardProps {
  /**
   * The dashboard's name.
   * @default - a name CloudFormation generates
   */
  readonly dashboardName?: string;
  /** The credential types the stack rotates: the per-type widgets. */
  readonly credentialTypes: readonly CredentialType[];
  /**
   * The rollout workflow: executions, rollouts in progress and their state.
   * @default - no rollout widgets
   */
  readonly rollout?: RolloutWorkflow;
  /**
   * The alarms (alarm status) and the runbook the links point at.
   * @default - no alarm status; runbook links to `docs/runbook.md`
   */
  readonly monitoring?: RotationMonitoring;
}

const WIDTH = 24;
const header = (markdown: string) => new cloudwatch.TextWidget({ markdown, width: WIDTH, height: 2 });
const DAY = Duration.days(1);

/**
 * The Handover dashboard, in three sections (as the classic rotation dashboards):
 *
 * - **Executive**: rotation success rate over 30 and 90 days, emergency rotations, rollout outcomes.
 * - **On-call**: alarm status, failures in the last hour, old credentials still in use, rollouts in
 *   progress and their latest state, rollout executions, and the runbook links.
 * - **Debug**: per credential type the step durations and failures, consumer update failures by
 *   consumer, verifier rejections by reason, previous-key accepts.
 *
 * Every metric is one the functions emit (`METRIC`, `ROLLOUT_METRIC`, `VERIFIER_METRIC`, with the
 * dimensions they write) or one AWS emits for the state machine; a test compares each widget with
 * what the code really writes.
 *
 * @example
 * ```ts
 * new HandoverDashboard(this, 'Dashboard', { credentialTypes: ['postgres'], rollout, monitoring });
 * ```
 */
export class HandoverDashboard extends Construct {
  /** The CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: HandoverDashboardProps) {
    super(scope, id);
    const types = props.credentialTypes;
    const runbookUrl = props.monitoring?.runbookUrl ?? DEFAULT_RUNBOOK_URL;
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(7),
    });
    this.dashboard.addWidgets(header('# Executive\nRotations and rollouts over the last 30 and 90 days.'));
    this.dashboard.addWidgets(...this.executive(types));
    this.dashboard.addWidgets(
      header('# On-call\nWhat is failing now, what still uses an old credential, and what to do about it.'),
    );
    this.dashboard.addWidgets(...this.onCall(types, props, runbookUrl));
    this.dashboard.addWidgets(...this.rollouts(props.rollout));
    this.dashboard.addWidgets(header('# Debug\nSteps, consumers and verifiers, per credential type.'));
    for (let index = 0; index < types.length; index += 3) {
      this.dashboard.addWidgets(...types.slice(index, index + 3).map((type) => this.steps(type)));
    }
    this.dashboard.addWidgets(...this.consumersAndVerifiers());
  }

  /** Success rate (30 and 90 days), emergency rotations, rollout outcomes. */
  private executive(types: readonly CredentialType[]): cloudwatch.IWidget[] {
    const rate = (days: number) => {
      const period = Duration.days(days);
      const succeeded = types.map((type, index) => [
        `s${index}`,
        credentialTypeMetric(METRIC.rotationSucceeded, type, { period }),
      ]);
      const failed = types.map((type, index) => [
        `f${index}`,
        credentialTypeMetric(METRIC.rotationFailed, type, { period }),
      ]);
      const sum = (ids: readonly (readonly unknown[])[]) =>
        ids.map(([name]) => `FILL(${String(name)}, 0)`).join(' + ');
      return new cloudwatch.SingleValueWidget({
        title: `Rotation success rate, ${days} days (%)`,
        metrics: [
          new cloudwatch.MathExpression({
            expression: `100 * (${sum(succeeded)}) / (${sum(succeeded)} + ${sum(failed)})`,
            usingMetrics: Object.fromEntries([...succeeded, ...failed]),
            period,
            label: 'rotations that finished, against finished plus failed steps',
          }),
        ],
        start: `-P${days}D`,
        setPeriodToTimeRange: true,
        width: 6,
        height: 5,
      });
    };
    const emergencies = (days: number) =>
      new cloudwatch.SingleValueWidget({
        title: `Emergency rotations, ${days} days`,
        metrics: [
          sumOverTypes(ROLLOUT_METRIC.emergencyRollout, types, Duration.days(days), 'emergency rollouts'),
        ],
        start: `-P${days}D`,
        setPeriodToTimeRange: true,
        width: 3,
        height: 5,
      });
    const outcomes = new cloudwatch.GraphWidget({
      title: 'Rollout outcomes per day (90 days)',
      left: [
        sumOverTypes(ROLLOUT_METRIC.rolloutSucceeded, types, DAY, 'succeeded'),
        sumOverTypes(ROLLOUT_METRIC.rolloutFailed, types, DAY, 'failed'),
        sumOverTypes(ROLLOUT_METRIC.emergencyRollout, types, DAY, 'emergency'),
      ],
      view: cloudwatch.GraphWidgetView.BAR,
      start: '-P90D',
      period: DAY,
      width: 6,
      height: 5,
    });
    return [rate(30), rate(90), emergencies(30), emergencies(90), outcomes];
  }

  /** Alarm status, failures in the last hour, old credentials still in use, runbook links. */
  private onCall(
    types: readonly CredentialType[],
    props: HandoverDashboardProps,
    runbookUrl: string,
  ): cloudwatch.IWidget[] {
    const hour = Duration.hours(1);
    const alarms = props.monitoring?.alarms ?? [];
    const failures = new cloudwatch.SingleValueWidget({
      title: 'Failures in the last hour',
      metrics: [
        sumOverTypes(METRIC.rotationFailed, types, hour, 'rotations failed'),
        sumOverTypes(ROLLOUT_METRIC.rolloutFailed, types, hour, 'rollouts failed'),
        sumOverTypes(ROLLOUT_METRIC.consumerUpdateFailed, types, hour, 'consumer updates failed'),
        sumOverTypes(ROLLOUT_METRIC.oldCredentialStillInUse, types, hour, 'old credentials kept (in use)'),
        sumOverTypes(ROLLOUT_METRIC.undeclaredReaders, types, hour, 'undeclared readers'),
        sumOverTypes(ROLLOUT_METRIC.rolloutLockLost, types, hour, 'rollout locks lost'),
      ],
      start: '-PT1H',
      setPeriodToTimeRange: true,
      width: 8,
      height: 5,
    });
    const stillInUse = new cloudwatch.GraphWidget({
      title: 'Old credentials still in use',
      left: types.map((type) =>
        credentialTypeMetric(ROLLOUT_METRIC.oldCredentialStillInUse, type, {
          label: `${type}: rollout stopped, old credential in use`,
        }),
      ),
      right: [
        searchMetrics(
          VERIFIER_METRIC.previousKeyAccepted,
          [VERIFIER_DIMENSION.credentialType, VERIFIER_DIMENSION.secretName],
          { label: `previous-key accepts ${dimensionLabel(VERIFIER_DIMENSION.secretName)}` },
        ),
      ],
      rightYAxis: { label: 'verifier accepts of AWSPREVIOUS', showUnits: false },
      start: '-P1D',
      width: 8,
      height: 5,
    });
    const links = [
      ...Object.values(ALARM).map((id) => `- [${RUNBOOK[id].title}](${runbookLink(id, runbookUrl)})`),
      ...Object.values(ROLLOUT_ERRORS).map((code) => `- [${code}](${runbookUrl}#${failureAnchor(code)})`),
    ];
    const runbook = new cloudwatch.TextWidget({
      markdown: [
        '## Runbook',
        'Emergency rotation: `handover emergency <secret> --reason "..."` (needs `states:StartExecution` on the rollout state machine), or the console steps in [In an incident](README.md#in-an-incident).',
        '',
        ...links,
      ].join('\n'),
      width: 8,
      height: 10,
    });
    return [
      ...(alarms.length === 0
        ? []
        : [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms], width: 24, height: 4 })]),
      failures,
      stillInUse,
      runbook,
    ];
  }

  /** Rollouts in progress and their latest state; executions by outcome. */
  private rollouts(rollout: RolloutWorkflow | undefined): cloudwatch.IWidget[] {
    if (rollout === undefined) return [];
    const stateMachine = rollout.stateMachine;
    const region = Stack.of(this).region;
    const executions = new cloudwatch.GraphWidget({
      title: 'Rollout executions',
      left: [
        stateMachine.metricStarted({ label: 'started' }),
        stateMachine.metricSucceeded({ label: 'succeeded' }),
        stateMachine.metricFailed({ label: 'failed' }),
        stateMachine.metricTimedOut({ label: 'timed out' }),
        stateMachine.metricAborted({ label: 'aborted' }),
      ],
      statistic: cloudwatch.Stats.SUM,
      start: '-P1D',
      width: 8,
      height: 6,
    });
    const inProgress = new cloudwatch.LogQueryWidget({
      title: 'Rollouts of the last 24 hours, latest state (rollout function log)',
      logGroupNames: [rollout.function.logGroup.logGroupName],
      queryLines: [
        'fields @timestamp, secret_id, rotation_id, step, outcome',
        'filter ispresent(rotation_id)',
        'stats latest(step) as state, latest(outcome) as last_outcome, max(@timestamp) as updated by secret_id, rotation_id',
        'sort updated desc',
        'limit 50',
      ],
      view: cloudwatch.LogQueryVisualizationType.TABLE,
      width: 16,
      height: 6,
    });
    const running = new cloudwatch.TextWidget({
      markdown: `[Running rollouts in the Step Functions console](https://${region}.console.aws.amazon.com/states/home?region=${region}#/statemachines/view/${stateMachine.stateMachineArn}?statusFilter=RUNNING)`,
      width: WIDTH,
      height: 1,
    });
    return [running, inProgress, executions];
  }

  /** Step durations (p90) and failures of one credential type, by step. */
  private steps(type: CredentialType): cloudwatch.IWidget {
    return new cloudwatch.GraphWidget({
      title: `${type}: step duration (p90) and failures`,
      left: STEPS.map((step) =>
        handoverMetric(
          METRIC.stepDuration,
          { [CREDENTIAL_TYPE_DIMENSION]: type, [STEP_DIMENSION]: step },
          { statistic: 'p90', label: `${step} p90` },
        ),
      ),
      right: STEPS.map((step) =>
        handoverMetric(
          METRIC.stepFailed,
          { [CREDENTIAL_TYPE_DIMENSION]: type, [STEP_DIMENSION]: step },
          { label: `${step} failed` },
        ),
      ),
      leftYAxis: { label: 'ms', showUnits: false },
      rightYAxis: { label: 'failed steps', showUnits: false },
      width: 8,
      height: 6,
    });
  }

  /** Consumer update failures by consumer; verifier rejections by reason; previous-key accepts. */
  private consumersAndVerifiers(): cloudwatch.IWidget[] {
    const graph = (title: string, metric: cloudwatch.IMetric) =>
      new cloudwatch.GraphWidget({ title, left: [metric], width: 8, height: 6 });
    return [
      graph(
        'Consumer update failures by consumer',
        searchMetrics(ROLLOUT_METRIC.consumerUpdateFailed, [CONSUMER_DIMENSION, SERVICE_DIMENSION], {
          label: dimensionLabel(CONSUMER_DIMENSION),
        }),
      ),
      graph(
        'Verifier rejections by reason',
        searchMetrics(
          VERIFIER_METRIC.authRejected,
          [VERIFIER_DIMENSION.credentialType, VERIFIER_DIMENSION.reason, VERIFIER_DIMENSION.secretName],
          { label: dimensionLabel(VERIFIER_DIMENSION.secretName, VERIFIER_DIMENSION.reason) },
        ),
      ),
      graph(
        'Previous-key accepts by secret (verifiers)',
        searchMetrics(
          VERIFIER_METRIC.previousKeyAccepted,
          [VERIFIER_DIMENSION.credentialType, VERIFIER_DIMENSION.secretName],
          { label: dimensionLabel(VERIFIER_DIMENSION.secretName) },
        ),
      ),
    ];
  }
}
