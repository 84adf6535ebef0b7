import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { METRICS_NAMESPACE } from '../shared/observability';
import {
  REJECTION_OUTCOMES,
  type RejectionOutcome,
  SHARED_KEY_CREDENTIAL_TYPE,
  VERIFIER_DIMENSION,
  VERIFIER_METRIC,
} from './constants';
import type { KeyStage } from './key-ring';

/** Accepts of one key since the last flush. */
export interface KeyAccepts {
  readonly keyId: string;
  readonly stage: KeyStage;
  readonly count: number;
  /** Previous-key accepts per caller, when the verifier names callers (bounded). */
  readonly callers?: readonly { readonly caller: string; readonly count: number }[];
}

/** What a verifier counted since its last flush. Holds key ids and counts, never a secret. */
export interface VerifierMetricsSnapshot {
  /** The secret's name (from Secrets Manager), the `secret_name` dimension. */
  readonly secretName: string;
  /** When the snapshot was taken. */
  readonly timestamp: Date;
  /** Accepts per key that was accepted since the last flush (zero counts left out). */
  readonly accepts: readonly KeyAccepts[];
  /** Rejections by reason. */
  readonly rejections: Readonly<Record<RejectionOutcome, number>>;
  /** Background refreshes that failed. */
  readonly refreshFailures: number;
  /** Refreshes that failed in a row when the snapshot was taken (0 after a success). */
  readonly consecutiveRefreshFailures: number;
}

/** Where a verifier's counters go, once per flush interval. */
export interface VerifierMetricsSink {
  /** Publishes one snapshot. A rejection keeps the counts for the next flush. */
  publish(snapshot: VerifierMetricsSnapshot): void | Promise<void>;
}

/** One metric value and the dimension sets it is published under. */
export interface VerifierMetricRecord {
  readonly name: string;
  readonly value: number;
  readonly dimensionSets: readonly Readonly<Record<string, string>>[];
}

/**
 * Turns a snapshot into metric records (the same for every sink): `VerifierHeartbeat` always (1),
 * accepts per key under `{credential_type, secret_name}` and `{..., key_id}`, rejections per
 * `reason`, refresh failures and consecutive refresh failures (a gauge). Zero counts are left out.
 */
export function toMetricRecords(snapshot: VerifierMetricsSnapshot): VerifierMetricRecord[] {
  const base = {
    [VERIFIER_DIMENSION.credentialType]: SHARED_KEY_CREDENTIAL_TYPE,
    [VERIFIER_DIMENSION.secretName]: snapshot.secretName,
  };
  const records: VerifierMetricRecord[] = [
    { name: VERIFIER_METRIC.heartbeat, value: 1, dimensionSets: [base] },
  ];
  for (const { keyId, stage, count, callers } of snapshot.accepts) {
    if (count <= 0) continue;
    records.push({
      name: stage === 'current' ? VERIFIER_METRIC.currentKeyAccepted : VERIFIER_METRIC.previousKeyAccepted,
      value: count,
      dimensionSets: [base, { ...base, [VERIFIER_DIMENSION.keyId]: keyId }],
    });
    for (const { caller, count: byCaller } of callers ?? []) {
      if (byCaller <= 0) continue;
      records.push({
        name: VERIFIER_METRIC.previousKeyAccepted,
        value: byCaller,
        dimensionSets: [{ ...base, [VERIFIER_DIMENSION.keyId]: keyId, [VERIFIER_DIMENSION.caller]: caller }],
      });
    }
  }
  for (const reason of REJECTION_OUTCOMES) {
    const count = snapshot.rejections[reason];
    if (count <= 0) continue;
    records.push({
      name: VERIFIER_METRIC.authRejected,
      value: count,
      dimensionSets: [{ ...base, [VERIFIER_DIMENSION.reason]: reason }],
    });
  }
  if (snapshot.refreshFailures > 0) {
    records.push({
      name: VERIFIER_METRIC.refreshFailed,
      value: snapshot.refreshFailures,
      dimensionSets: [base],
    });
  }
  if (snapshot.consecutiveRefreshFailures > 0) {
    records.push({
      name: VERIFIER_METRIC.consecutiveRefreshFailures,
      value: snapshot.consecutiveRefreshFailures,
      dimensionSets: [base],
    });
  }
  return records;
}

/**
 * Adds the counts of `later` to `earlier` (a snapshot whose publication failed). The consecutive
 * refresh failures are a gauge: `later`'s value is the current one.
 */
export function mergeSnapshots(
  earlier: VerifierMetricsSnapshot,
  later: VerifierMetricsSnapshot,
): VerifierMetricsSnapshot {
  const accepts = new Map<string, KeyAccepts>();
  for (const item of [...earlier.accepts, ...later.accepts]) {
    const id = `${item.stage}:${item.keyId}`;
    const before = accepts.get(id);
    const callers = new Map((before?.callers ?? []).map((entry) => [entry.caller, entry.count]));
    for (const entry of item.callers ?? [])
      callers.set(entry.caller, (callers.get(entry.caller) ?? 0) + entry.count);
    accepts.set(id, {
      ...item,
      count: (before?.count ?? 0) + item.count,
      ...(callers.size === 0 ? {} : { callers: [...callers].map(([caller, count]) => ({ caller, count })) }),
    });
  }
  const rejections = { ...later.rejections };
  for (const reason of REJECTION_OUTCOMES) rejections[reason] += earlier.rejections[reason];
  return {
    secretName: later.secretName,
    timestamp: later.timestamp,
    accepts: [...accepts.values()],
    rejections,
    refreshFailures: earlier.refreshFailures + later.refreshFailures,
    consecutiveRefreshFailures: later.consecutiveRefreshFailures,
  };
}

/** Options of {@link createEmfMetricsSink}. */
export interface EmfMetricsSinkOptions {
  /**
   * The CloudWatch namespace. Deliberately not read from `POWERTOOLS_METRICS_NAMESPACE`: the service
   * embedding the verifier may use that for its own metrics, and the rotation's usage check must
   * find these in a known place.
   * @default 'Handover'
   */
  readonly namespace?: string;
  /**
   * The Powertools Metrics instance to write through (tests pass one with a custom config).
   * @default - a new `Metrics` writing to stdout
   */
  readonly metrics?: Metrics;
}

/**
 * A sink that writes each snapshot as CloudWatch embedded metric format (EMF) lines to stdout through
 * Powertools Metrics. CloudWatch extracts the metrics from the log stream where EMF is supported:
 * AWS Lambda, and hosts running the CloudWatch agent. Elsewhere (a plain ECS task with the awslogs
 * driver, on premises, the local emulator) use {@link createCloudWatchMetricsSink}.
 *
 * The `service` default dimension Powertools adds is removed: the dimension sets are exactly
 * `{credential_type, secret_name[, key_id | reason]}`, whatever service embeds the verifier, so the
 * rotation's usage check can query them.
 *
 * @example
 * ```ts
 * const verifier = await createVerifier({ secretId, client, metrics: createEmfMetricsSink() });
 * ```
 */
export function createEmfMetricsSink(options: EmfMetricsSinkOptions = {}): VerifierMetricsSink {
  const metrics =
    options.metrics ??
    new Metrics({ namespace: options.namespace ?? METRICS_NAMESPACE, serviceName: 'handover-verifier' });
  metrics.clearDefaultDimensions();
  return {
    publish(snapshot) {
      for (const record of toMetricRecords(snapshot)) {
        for (const set of record.dimensionSets) metrics.addDimensions(set);
        metrics.addMetric(record.name, MetricUnit.Count, record.value);
        metrics.publishStoredMetrics();
      }
    },
  };
}

/** Options of {@link createCloudWatchMetricsSink}. */
export interface CloudWatchMetricsSinkOptions {
  /** The CloudWatch client (only `send` is used). */
  readonly client: Pick<CloudWatchClient, 'send'>;
  /**
   * The CloudWatch namespace.
   * @default 'Handover'
   */
  readonly namespace?: string;
}

/**
 * A sink that publishes each snapshot with one `PutMetricData` call (needs `cloudwatch:PutMetricData`).
 * For services where EMF log lines are not turned into metrics, and for the local emulator. The call
 * happens on the flush timer, never on the request path.
 *
 * @example
 * ```ts
 * const metrics = createCloudWatchMetricsSink({ client: new CloudWatchClient({}) });
 * const verifier = await createVerifier({ secretId, client, metrics });
 * ```
 */
export function createCloudWatchMetricsSink(options: CloudWatchMetricsSinkOptions): VerifierMetricsSink {
  const namespace = options.namespace ?? METRICS_NAMESPACE;
  return {
    async publish(snapshot) {
      const data = toMetricRecords(snapshot).flatMap((record) =>
        record.dimensionSets.map((set) => ({
          MetricName: record.name,
          Dimensions: Object.entries(set).map(([Name, Value]) => ({ Name, Value })),
          Timestamp: snapshot.timestamp,
          Unit: 'Count' as const,
          Value: record.value,
        })),
      );
      // PutMetricData takes at most 1000 values per call; a snapshot holds a handful.
      for (let i = 0; i < data.length; i += 1000) {
        await options.client.send(
          new PutMetricDataCommand({ Namespace: namespace, MetricData: data.slice(i, i + 1000) }),
        );
      }
    },
  };
}
