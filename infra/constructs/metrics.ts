/**
 * The metric contract of the rotation engine, as the alarms see it. `infra` imports nothing from
 * `lambdas` but the credential-type constants, so these mirror `lambdas/shared/observability.ts`
 * (a unit test proves they are equal). The Lambda environment sets the namespace and service name
 * explicitly, so the dimensions an alarm watches are exactly the ones the function emits.
 */

/** The CloudWatch namespace of every Handover metric (`POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'Handover';

/**
 * The Powertools service name (`POWERTOOLS_SERVICE_NAME`). Powertools Metrics adds it to every
 * metric as the `service` dimension, so alarms must name it too.
 */
export const SERVICE_NAME = 'handover';

/** Metric names the alarms watch. */
export const ENGINE_METRIC = {
  rotationFailed: 'RotationFailed',
  rotationSucceeded: 'RotationSucceeded',
} as const;

/** The dimension every rotation metric carries besides `service`. */
export const CREDENTIAL_TYPE_DIMENSION = 'credential_type';
