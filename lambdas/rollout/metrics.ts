import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { CREDENTIAL_TYPE_DIMENSION, METRICS_NAMESPACE, SERVICE_NAME } from '../shared/metric-names';
import { CONSUMER_DIMENSION, ROLLOUT_METRIC } from './contract';

/** What the rollout function records: one metric per event, dimension `credential_type`. */
export interface RolloutMetrics {
  /** A consumer failed: `ConsumerUpdateFailed` per credential type, and per consumer name. */
  consumerUpdateFailed(credentialType: string, consumer: string): void;
  oldCredentialStillInUse(credentialType: string): void;
  /** Readers of a secret no declared consumer accounts for (preflight), by their count. */
  undeclaredReaders(credentialType: string, count: number): void;
  rollout(credentialType: string, outcome: 'success' | 'failure'): void;
  /** A rollout ended without holding its secret's lock (taken over, or removed by hand). */
  lockLost(credentialType: string): void;
  /** An emergency rollout ended, whatever its outcome. */
  emergencyRollout(credentialType: string): void;
}

/**
 * The rollout metrics over Powertools Metrics (embedded metric format), in the namespace and with
 * the `service` dimension of every Handover metric, plus `credential_type` (and, for a consumer's
 * failure, a second dimension set `{service, consumer}`). Each record is flushed at once (a task is one
 * short invocation).
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
  const emit = (credentialType: string, name: string, consumer?: string, value = 1): void => {
    const single = metrics.singleMetric();
    single.addDimension(CREDENTIAL_TYPE_DIMENSION, credentialType);
    // A second dimension set, `{service, consumer}` (sets that share a key make Powertools warn).
    if (consumer !== undefined) single.addDimensions({ [CONSUMER_DIMENSION]: consumer });
    single.addMetric(name, MetricUnit.Count, value);
  };
  return {
    consumerUpdateFailed: (type, consumer) => emit(type, ROLLOUT_METRIC.consumerUpdateFailed, consumer),
    oldCredentialStillInUse: (type) => emit(type, ROLLOUT_METRIC.oldCredentialStillInUse),
    undeclaredReaders: (type, count) => emit(type, ROLLOUT_METRIC.undeclaredReaders, undefined, count),
    rollout: (type, outcome) =>
      emit(type, outcome === 'success' ? ROLLOUT_METRIC.rolloutSucceeded : ROLLOUT_METRIC.rolloutFailed),
    lockLost: (type) => emit(type, ROLLOUT_METRIC.rolloutLockLost),
    emergencyRollout: (type) => emit(type, ROLLOUT_METRIC.emergencyRollout),
  };
}
