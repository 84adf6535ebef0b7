import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RotationStep } from '../rotation/constants';
import {
  CREDENTIAL_TYPE_DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  SERVICE_NAME,
  STEP_DIMENSION,
} from './metric-names';

export { CREDENTIAL_TYPE_DIMENSION, METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './metric-names';

/** One structured log line: a message and snake_case fields. */
export interface StructuredLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What the rotation engine records per step. */
export interface RotationMetrics {
  recordStep(step: RotationStep | 'invalid-event', outcome: 'success' | 'failure', durationMs: number): void;
  recordRotation(outcome: 'success' | 'failure'): void;
}

/** Creates the Powertools Logger every Handover Lambda uses (JSON, one line per entry). */
export function createLogger(): StructuredLogger {
  const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME });
  return {
    debug: (message, fields) => logger.debug(message, fields ?? {}),
    info: (message, fields) => logger.info(message, fields ?? {}),
    warn: (message, fields) => logger.warn(message, fields ?? {}),
    error: (message, fields) => logger.error(message, fields ?? {}),
  };
}

/**
 * Creates the rotation metrics recorder over Powertools Metrics (embedded metric format): step
 * metrics carry the dimensions `credential_type` and `step`; rotation metrics carry
 * `credential_type` only, so one alarm covers every step. Each record is flushed at once: a
 * rotation step is one short invocation and must not lose its metrics if the next one fails.
 */
export function createRotationMetrics(credentialType: string): RotationMetrics {
  const metrics = new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
  });
  const emit = (dimensions: Record<string, string>, record: (m: Metrics) => void): void => {
    const single = metrics.singleMetric();
    single.addDimensions({ [CREDENTIAL_TYPE_DIMENSION]: credentialType, ...dimensions });
    record(single);
  };
  return {
    recordStep(step, outcome, durationMs) {
      emit({ [STEP_DIMENSION]: step }, (m) => {
        m.addMetric(outcome === 'success' ? METRIC.stepSucceeded : METRIC.stepFailed, MetricUnit.Count, 1);
      });
      emit({ [STEP_DIMENSION]: step }, (m) => {
        m.addMetric(METRIC.stepDuration, MetricUnit.Milliseconds, durationMs);
      });
    },
    recordRotation(outcome) {
      emit({}, (m) => {
        m.addMetric(
          outcome === 'success' ? METRIC.rotationSucceeded : METRIC.rotationFailed,
          MetricUnit.Count,
          1,
        );
      });
    },
  };
}
