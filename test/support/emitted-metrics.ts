/**
 * The metrics Handover's code really emits, read from its own output: every emitter (the rotation
 * engine's recorder, the rollout function's, the verifier's EMF sink) is called with every event it
 * knows, in the environment the Lambda construct gives the functions, and the embedded-metric-format
 * lines it writes to stdout are parsed into (namespace, metric name, dimension names). Tests compare
 * alarms and dashboard widgets against this set, never against a hand-written copy of it.
 */
import { vi } from 'vitest';
import { BASE_ENVIRONMENT } from '../../infra/constructs/handover-function';
import { createRolloutMetrics } from '../../lambdas/rollout/metrics';
import { STEPS } from '../../lambdas/rotation/constants';
import { createRotationMetrics } from '../../lambdas/shared/observability';
import { createEmfMetricsSink, type VerifierMetricsSnapshot } from '../../lambdas/verifier';

/** One emitted metric: namespace, name and the names of one dimension set it carries. */
export interface EmittedMetric {
  readonly namespace: string;
  readonly name: string;
  /** Dimension names, sorted. */
  readonly dimensions: readonly string[];
  /** Each dimension's value as emitted, to read which dimension carries what. */
  readonly values: Readonly<Record<string, string>>;
}

/** `Handover/StepDuration{credential_type,service,step}`: one key per (namespace, name, dimension set). */
export const metricKey = (metric: { namespace: string; name: string; dimensions: readonly string[] }) =>
  `${metric.namespace}/${metric.name}{${[...metric.dimensions].sort().join(',')}}`;

interface EmfLine {
  readonly _aws?: {
    readonly CloudWatchMetrics?: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: ReadonlyArray<{ readonly Name: string }>;
    }>;
  };
  readonly [field: string]: unknown;
}

/** Parses embedded-metric-format lines (other lines are left out). */
export function parseEmf(lines: readonly string[]): EmittedMetric[] {
  return lines.flatMap((line) => {
    let parsed: EmfLine;
    try {
      parsed = JSON.parse(line) as EmfLine;
    } catch {
      return [];
    }
    return (parsed._aws?.CloudWatchMetrics ?? []).flatMap((directive) =>
      directive.Metrics.flatMap((metric) =>
        directive.Dimensions.map((set) => ({
          namespace: directive.Namespace,
          name: metric.Name,
          dimensions: [...set].sort(),
          values: Object.fromEntries(set.map((dimension) => [dimension, String(parsed[dimension])])),
        })),
      ),
    );
  });
}

/** Runs `emit` with stdout captured and returns the EMF metrics it wrote. */
export async function captureEmf(emit: () => void | Promise<void>): Promise<EmittedMetric[]> {
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(...String(chunk).split('\n').filter(Boolean));
    return true;
  });
  try {
    await emit();
  } finally {
    spy.mockRestore();
  }
  return parseEmf(lines);
}

/** A verifier snapshot in which every counter is non-zero, so every verifier metric is published. */
const EVERY_VERIFIER_EVENT: VerifierMetricsSnapshot = {
  secretName: 'orders/api-key',
  timestamp: new Date('2026-12-01T00:00:00Z'),
  accepts: [
    { keyId: 'aaaaaaaaaaaa', stage: 'current', count: 1 },
    { keyId: 'bbbbbbbbbbbb', stage: 'previous', count: 1 },
  ],
  rejections: { 'rejected-unknown': 1, 'rejected-revoked': 1, 'rejected-stale': 1, 'rejected-malformed': 1 },
  refreshFailures: 1,
  consecutiveRefreshFailures: 1,
};

/**
 * Every metric Handover's functions and the verifier emit, one entry per (namespace, name,
 * dimension set), with the Lambda functions' environment (`BASE_ENVIRONMENT`: namespace and service).
 */
export async function emittedMetrics(): Promise<EmittedMetric[]> {
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', BASE_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE);
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', BASE_ENVIRONMENT.POWERTOOLS_SERVICE_NAME);
  vi.stubEnv('POWERTOOLS_DEV', '');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  try {
    const metrics = await captureEmf(() => {
      const rotation = createRotationMetrics('postgres');
      for (const step of STEPS) {
        rotation.recordStep(step, 'success', 12);
        rotation.recordStep(step, 'failure', 12);
      }
      rotation.recordRotation('success');
      rotation.recordRotation('failure');
      const rollout = createRolloutMetrics();
      rollout.consumerUpdateFailed('postgres', 'orders-api');
      rollout.oldCredentialStillInUse('postgres');
      rollout.rollout('postgres', 'success');
      rollout.rollout('postgres', 'failure');
      rollout.emergencyRollout('postgres');
      rollout.undeclaredReaders('postgres', 1);
      rollout.lockLost('postgres');
      return createEmfMetricsSink().publish(EVERY_VERIFIER_EVENT);
    });
    const unique = new Map(metrics.map((metric) => [metricKey(metric), metric]));
    return [...unique.values()];
  } finally {
    vi.unstubAllEnvs();
  }
}
