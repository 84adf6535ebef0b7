/**
 * The dashboard the example policy's stack creates, widget by widget, against what the code really
 * emits: every Handover metric a widget (or an alarm) reads must be one the functions or the
 * verifier write, with exactly the dimension names they write and the values the Lambda
 * environment gives them (`test/support/emitted-metrics.ts` runs the emitters and parses their
 * embedded-metric-format output). AWS metrics must be ones AWS documents for the service.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { policy as examplePolicy } from '../../../infra/policy';
import { ROLLOUT_METRIC } from '../../../lambdas/rollout/contract';
import { CREDENTIAL_TYPES } from '../../../lambdas/rotation/constants';
import { METRIC } from '../../../lambdas/shared/metric-names';
import { VERIFIER_METRIC } from '../../../lambdas/verifier';
import { type EmittedMetric, emittedMetrics, metricKey } from '../../support/emitted-metrics';
import { outdirs, policyStack } from './helpers';

/**
 * The Step Functions metrics AWS emits per state machine (dimension `StateMachineArn`), from
 * "Monitoring Step Functions metrics using Amazon CloudWatch" in the Step Functions Developer Guide.
 */
const STEP_FUNCTIONS_EXECUTION_METRICS = [
  'ExecutionTime',
  'ExecutionThrottled',
  'ExecutionsAborted',
  'ExecutionsFailed',
  'ExecutionsStarted',
  'ExecutionsSucceeded',
  'ExecutionsTimedOut',
];

interface Widget {
  readonly type: string;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly query?: string;
    readonly metrics?: ReadonlyArray<ReadonlyArray<unknown>>;
    readonly alarms?: readonly unknown[];
  };
}

/** One metric a widget reads: as a metric array, or as the schema of a SEARCH expression. */
interface WidgetMetric {
  readonly widget: string;
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Readonly<Record<string, string | undefined>>;
}

/** A template value with every CloudFormation token replaced by `<token>` (JSON-safe). */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join !== undefined) return join[1].map(flatten).join(join[0]);
  return '<token>';
}

/** The metrics of one widget: metric arrays `[namespace, name, dim, value, ..., {options}]` and SEARCH schemas. */
function metricsOf(widget: Widget): WidgetMetric[] {
  const title = widget.properties.title ?? widget.type;
  return (widget.properties.metrics ?? []).flatMap((entry): WidgetMetric[] => {
    const [first] = entry;
    if (typeof first === 'object' && first !== null && 'expression' in first) {
      const expression = String((first as { expression: string }).expression);
      return [...expression.matchAll(/SEARCH\('\{([^}]*)\}\s+MetricName="([^"]+)"'/g)].map((match) => {
        const [namespace = '', ...dimensions] = (match[1] ?? '').split(',');
        return {
          widget: title,
          namespace,
          name: match[2] ?? '',
          dimensions: Object.fromEntries(dimensions.map((dimension) => [dimension, undefined])),
        };
      });
    }
    const strings = entry.filter((part): part is string => typeof part === 'string');
    const [namespace = '', name = '', ...pairs] = strings;
    const dimensions: Record<string, string> = {};
    for (let index = 0; index + 1 < pairs.length; index += 2)
      dimensions[pairs[index] ?? ''] = pairs[index + 1] ?? '';
    return [{ widget: title, namespace, name, dimensions }];
  });
}

const dirs = outdirs();
let widgets: Widget[] = [];
let alarms: WidgetMetric[] = [];
let emitted: EmittedMetric[] = [];

beforeAll(async () => {
  const { stack } = policyStack(examplePolicy, dirs.make());
  const template = Template.fromStack(stack);
  const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = JSON.parse(flatten(dashboards[0]?.Properties?.DashboardBody)) as { widgets: Widget[] };
  widgets = body.widgets;
  alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).map(([id, alarm]) => ({
    widget: `alarm ${id}`,
    namespace: String(alarm.Properties?.Namespace),
    name: String(alarm.Properties?.MetricName),
    dimensions: Object.fromEntries(
      ((alarm.Properties?.Dimensions ?? []) as Array<{ Name: string; Value: unknown }>).map((dimension) => [
        dimension.Name,
        typeof dimension.Value === 'string' ? dimension.Value : '<token>',
      ]),
    ),
  }));
  emitted = await emittedMetrics();
  dirs.cleanup();
});

describe('Construct: HandoverDashboard (the example policy)', () => {
  it('exercises every metric name the code declares, so the emitted set is complete', () => {
    const names = new Set(emitted.map((metric) => metric.name));
    for (const name of [
      ...Object.values(METRIC),
      ...Object.values(ROLLOUT_METRIC),
      ...Object.values(VERIFIER_METRIC),
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it('has the three sections, in order, with the widgets each one promises', () => {
    const titles = widgets.map(
      (widget) => widget.properties.title ?? widget.properties.markdown?.split('\n')[0],
    );
    const at = (title: string) => titles.findIndex((found) => found?.startsWith(title));
    expect(at('# Executive')).toBe(0);
    expect(at('# On-call')).toBeGreaterThan(at('# Executive'));
    expect(at('# Debug')).toBeGreaterThan(at('# On-call'));
    const executive = titles.slice(at('# Executive'), at('# On-call'));
    const onCall = titles.slice(at('# On-call'), at('# Debug'));
    const debug = titles.slice(at('# Debug'));
    expect(executive).toEqual(
      expect.arrayContaining([
        'Rotation success rate, 30 days (%)',
        'Rotation success rate, 90 days (%)',
        'Emergency rotations, 30 days',
        'Emergency rotations, 90 days',
        'Rollout outcomes per day (90 days)',
      ]),
    );
    expect(onCall).toEqual(
      expect.arrayContaining([
        'Alarms',
        'Failures in the last hour',
        'Old credentials still in use',
        '## Runbook',
        'Rollouts of the last 24 hours, latest state (rollout function log)',
        'Rollout executions',
      ]),
    );
    expect(debug).toEqual(
      expect.arrayContaining([
        ...['postgres', 'mysql', 'iam-access-key', 'api-key', 'shared-key'].map(
          (type) => `${type}: step duration (p90) and failures`,
        ),
        'Consumer update failures by consumer',
        'Verifier rejections by reason',
        'Previous-key accepts by secret (verifiers)',
      ]),
    );
  });

  it('reads only Handover metrics the code emits, with their exact dimension names and values', () => {
    const known = new Map(emitted.map((metric) => [metricKey(metric), metric]));
    const read = [...widgets.flatMap(metricsOf), ...alarms].filter(
      (metric) => metric.namespace === 'Handover',
    );
    expect(read.length).toBeGreaterThan(50);
    for (const metric of read) {
      const key = metricKey({ ...metric, dimensions: Object.keys(metric.dimensions) });
      const match = known.get(key);
      expect(
        match,
        `${metric.widget}: ${key} is not emitted (emitted: ${[...known.keys()].join(' ')})`,
      ).toBeDefined();
      for (const [dimension, value] of Object.entries(metric.dimensions)) {
        if (value === undefined) continue; // a SEARCH: every value
        if (dimension === 'credential_type') expect(CREDENTIAL_TYPES as readonly string[]).toContain(value);
        else if (dimension === 'step')
          expect(['createSecret', 'setSecret', 'testSecret', 'finishSecret']).toContain(value);
        else expect(value, `${metric.widget}: ${dimension}`).toBe(match?.values[dimension]);
      }
    }
  });

  it('reads the metrics each section needs: success, emergencies, outcomes, failures by consumer and by reason, previous-key accepts', () => {
    const read = new Set(widgets.flatMap(metricsOf).map((metric) => metric.name));
    for (const name of [
      METRIC.rotationSucceeded,
      METRIC.rotationFailed,
      METRIC.stepDuration,
      METRIC.stepFailed,
      ROLLOUT_METRIC.emergencyRollout,
      ROLLOUT_METRIC.rolloutSucceeded,
      ROLLOUT_METRIC.rolloutFailed,
      ROLLOUT_METRIC.consumerUpdateFailed,
      ROLLOUT_METRIC.oldCredentialStillInUse,
      VERIFIER_METRIC.authRejected,
      VERIFIER_METRIC.previousKeyAccepted,
    ]) {
      expect(read, name).toContain(name);
    }
    const byConsumer = widgets
      .filter((widget) => widget.properties.title === 'Consumer update failures by consumer')
      .flatMap(metricsOf);
    expect(byConsumer.map((metric) => Object.keys(metric.dimensions))).toEqual([['consumer', 'service']]);
    const byReason = widgets
      .filter((widget) => widget.properties.title === 'Verifier rejections by reason')
      .flatMap(metricsOf);
    expect(byReason.map((metric) => Object.keys(metric.dimensions).sort())).toEqual([
      ['credential_type', 'reason', 'secret_name'],
    ]);
  });

  it('reads AWS metrics only as AWS documents them: the rollout state machine executions', () => {
    const aws = [...widgets.flatMap(metricsOf), ...alarms].filter((metric) =>
      metric.namespace.startsWith('AWS/'),
    );
    expect(aws.length).toBeGreaterThan(0);
    for (const metric of aws) {
      if (metric.namespace === 'AWS/States') {
        expect(STEP_FUNCTIONS_EXECUTION_METRICS).toContain(metric.name);
        expect(Object.keys(metric.dimensions)).toEqual(['StateMachineArn']);
      } else {
        // The functions' Errors alarms (AWS/Lambda, per FunctionName).
        expect(metric).toMatchObject({ namespace: 'AWS/Lambda', name: 'Errors' });
        expect(Object.keys(metric.dimensions)).toEqual(['FunctionName']);
      }
    }
  });

  it('shows the status of every alarm of the stack and queries the rollout function log by its fields', () => {
    const [status] = widgets.filter((widget) => widget.type === 'alarm');
    expect(status?.properties.alarms).toHaveLength(alarms.length);
    const [log] = widgets.filter((widget) => widget.type === 'log');
    for (const field of ['secret_id', 'rotation_id', 'step', 'outcome'])
      expect(log?.properties.query).toContain(field);
  });
});
