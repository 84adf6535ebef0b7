import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CREDENTIAL_TYPE_DIMENSION, METRICS_NAMESPACE, SERVICE_NAME } from '../shared/metric-names';
import { ROLLOUT_METRIC } from './contract';

/** What the rollout function records: one metric per event, dimension `credential_type`. */
export interface RolloutMetrics {
  consumerUpdateFailed(credentialType: string): void;
  oldCredentialStillInUse(credentialType: string): void;
  rollout(credentialType: string, outcome: 'success' | 'failure'): void;
  /** A rollout ended without holding its secret's lock (taken over, or removed by hand). */
  lockLost(credentialType: string): void;
}

/**
 * The rollout metrics over Powertools Metrics (embedded metric format), in the namespace and with
 * the `service` dimension of every Handover metric, plus `credential_type`. Each record is flushed
 * at once (a task is one short invocation).
 *
 * @example
 * ```ts
 * createRolloutMetrics().rollout('postgres', 'success');
 * ```
 */
export function createRolloutMetrics(): RolloutMetrics {
  const metrics = new Metrics({
    namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
    serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? SERVICE_NAME,
  });
  const emit = (credentialType: string, name: string): void => {
    const single = metrics.singleMetric();
    single.addDimensions({ [CREDENTIAL_TYPE_DIMENSION]: credentialType });
    single.addMetric(name, MetricUnit.Count, 1);
  };
  return {
    consumerUpdateFailed: (type) => emit(type, ROLLOUT_METRIC.consumerUpdateFailed),
    oldCredentialStillInUse: (type) => emit(type, ROLLOUT_METRIC.oldCredentialStillInUse),
    rollout: (type, outcome) =>
      emit(type, outcome === 'success' ? ROLLOUT_METRIC.rolloutSucceeded : ROLLOUT_METRIC.rolloutFailed),
    lockLost: (type) => emit(type, ROLLOUT_METRIC.rolloutLockLost),
  };
}
