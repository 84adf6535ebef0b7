import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { CredentialType } from '../../lambdas/rotation/constants';
import {
  CREDENTIAL_TYPE_DIMENSION,
  METRICS_NAMESPACE,
  SERVICE_DIMENSION,
  SERVICE_NAME,
} from '../../lambdas/shared/metric-names';

/**
 * A metric the Handover functions emit, with the dimensions Powertools writes (`service`, and the
 * given ones): what alarms and dashboard widgets read. The names come from the emitting code's
 * constants (`METRIC`, `ROLLOUT_METRIC`).
 */
export function handoverMetric(
  metricName: string,
  dimensions: Readonly<Record<string, string>>,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    period: Duration.minutes(5),
    statistic: cloudwatch.Stats.SUM,
    ...options,
    dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAME, ...dimensions },
  });
}

/** A Handover metric of one credential type (`service`, `credential_type`). */
export function credentialTypeMetric(
  metricName: string,
  type: CredentialType,
  options: cloudwatch.MetricOptions = {},
): cloudwatch.Metric {
  return handoverMetric(metricName, { [CREDENTIAL_TYPE_DIMENSION]: type }, options);
}

/**
 * A CloudWatch search over one metric in the Handover namespace with exactly these dimensions
 * (`SEARCH('{Handover,dim1,dim2} MetricName="Name"', 'Sum', 300)`): one line per value of the
 * dimensions, for dimensions whose values the stack cannot list (consumer names, the secret names
 * verifiers report).
 */
export function searchMetrics(
  metricName: string,
  dimensions: readonly string[],
  options: { readonly statistic?: string; readonly period?: Duration; readonly label?: string } = {},
): cloudwatch.MathExpression {
  const period = options.period ?? Duration.minutes(5);
  const schema = [METRICS_NAMESPACE, ...dimensions].join(',');
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${schema}} MetricName="${metricName}"', '${options.statistic ?? 'Sum'}', ${period.toSeconds()})`,
    usingMetrics: {},
    period,
    ...(options.label === undefined ? {} : { label: options.label }),
  });
}

/** A dynamic label naming each series of a search by its dimensions (`${PROP('Dim.consumer')}`). */
export function dimensionLabel(...dimensions: readonly string[]): string {
  return dimensions.map((dimension) => `\${PROP('Dim.${dimension}')}`).join(' ');
}

/**
 * The sum over credential types of one Handover metric (`FILL(m, 0)` each: a type with no data
 * counts 0), as a math expression labelled `label`.
 */
export function sumOverTypes(
  metricName: string,
  types: readonly CredentialType[],
  period: Duration,
  label: string,
): cloudwatch.MathExpression {
  // Ids unique per metric, so several sums can share a graph.
  const id = (index: number) => `${metricName.toLowerCase().replace(/[^a-z0-9]/g, '')}${index}`;
  const usingMetrics = Object.fromEntries(
    types.map((type, index) => [id(index), credentialTypeMetric(metricName, type, { period })]),
  );
  return new cloudwatch.MathExpression({
    expression: types.length === 0 ? '0' : types.map((_, index) => `FILL(${id(index)}, 0)`).join(' + '),
    usingMetrics,
    period,
    label,
  });
}
