/**
 * The metric contract of every Handover Lambda: namespace, service, metric names and the dimension
 * they carry. Pure (no Powertools, no SDK), so the CDK constructs import the same names the
 * functions emit and the alarms cannot drift from them.
 */

/** The CloudWatch namespace of every Handover metric (`POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'Handover';

/**
 * The Powertools service name (`POWERTOOLS_SERVICE_NAME`). Powertools Metrics adds it to every
 * metric as the `service` dimension, so alarms must name it too.
 */
export const SERVICE_NAME = 'handover';

/** Metric names of the rotation engine, a public contract: alarms and dashboards refer to them. */
export const METRIC = {
  stepSucceeded: 'StepSucceeded',
  stepFailed: 'StepFailed',
  stepDuration: 'StepDuration',
  rotationSucceeded: 'RotationSucceeded',
  rotationFailed: 'RotationFailed',
} as const;

/** The dimension Powertools Metrics gives every metric of the functions, valued {@link SERVICE_NAME}. */
export const SERVICE_DIMENSION = 'service';

/** The dimension every rotation and rollout metric carries besides `service`. */
export const CREDENTIAL_TYPE_DIMENSION = 'credential_type';

/** The dimension of the engine's step metrics (`StepSucceeded`, `StepFailed`, `StepDuration`): the step. */
export const STEP_DIMENSION = 'step';
