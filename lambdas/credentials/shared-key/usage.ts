import { GetMetricDataCommand, ListMetricsCommand, type MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import type { Straggler, UsageReport } from '../../rotation/strategy';
import { SHARED_KEY_CREDENTIAL_TYPE, VERIFIER_DIMENSION, VERIFIER_METRIC } from '../../verifier';
import type { CloudWatchSend } from './options';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * The GetMetricData period for a window: 1 minute while CloudWatch keeps 1-minute data (15 days),
 * 5 minutes up to 63 days, 1 hour beyond; larger when the window would exceed 50,000 data points
 * per query.
 */
export function usagePeriodSeconds(since: Date, now: Date): number {
  const ageMs = now.getTime() - since.getTime();
  let period = ageMs > 63 * DAY_MS ? 3600 : ageMs > 15 * DAY_MS ? 300 : 60;
  const points = Math.ceil(ageMs / (period * 1000));
  if (points > 50_000) period = Math.ceil(ageMs / 50_000 / 60_000) * 60;
  return period;
}

export interface UsageQuery {
  readonly cloudWatch: CloudWatchSend;
  readonly namespace: string;
  readonly secretName: string;
  readonly keyId: string;
  readonly since: Date;
  readonly now: Date;
  readonly requireHeartbeat: boolean;
}

/**
 * Reads the verifiers' `PreviousKeyAccepted` metric for one key id (Sum since `since`) and their
 * `VerifierHeartbeat`, with GetMetricData. The old key is in use when any request was accepted with
 * it; with `requireHeartbeat`, also when no verifier reported at all (no evidence either way).
 * The window starts at the period boundary at or before `since`, so a boundary minute counts (the
 * safe direction: it can only make the key look used).
 */
export async function readPreviousKeyUsage(query: UsageQuery): Promise<UsageReport> {
  const { cloudWatch, namespace, secretName, keyId, since, now } = query;
  const period = usagePeriodSeconds(since, now);
  const periodMs = period * 1000;
  const start = new Date(Math.floor(since.getTime() / periodMs) * periodMs);
  const end = new Date(Math.ceil((now.getTime() + MINUTE_MS) / MINUTE_MS) * MINUTE_MS);
  const base = [
    { Name: VERIFIER_DIMENSION.credentialType, Value: SHARED_KEY_CREDENTIAL_TYPE },
    { Name: VERIFIER_DIMENSION.secretName, Value: secretName },
  ];
  const queries: MetricDataQuery[] = [
    {
      Id: 'previous',
      MetricStat: {
        Metric: {
          Namespace: namespace,
          MetricName: VERIFIER_METRIC.previousKeyAccepted,
          Dimensions: [...base, { Name: VERIFIER_DIMENSION.keyId, Value: keyId }],
        },
        Period: period,
        Stat: 'Sum',
      },
      ReturnData: true,
    },
    {
      Id: 'heartbeat',
      MetricStat: {
        Metric: { Namespace: namespace, MetricName: VERIFIER_METRIC.heartbeat, Dimensions: base },
        Period: period,
        Stat: 'Sum',
      },
      ReturnData: true,
    },
  ];
  let accepts = 0;
  let heartbeats = 0;
  let lastUsed: Date | undefined;
  let nextToken: string | undefined;
  do {
    const out = await cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: start,
        EndTime: end,
        ...(nextToken === undefined ? {} : { NextToken: nextToken }),
      }),
    );
    for (const result of out.MetricDataResults ?? []) {
      const values = result.Values ?? [];
      const timestamps = result.Timestamps ?? [];
      values.forEach((value, i) => {
        if (result.Id === 'heartbeat') heartbeats += value;
        if (result.Id !== 'previous') return;
        accepts += value;
        const at = timestamps[i];
        if (value > 0 && at !== undefined && (lastUsed === undefined || at > lastUsed)) lastUsed = at;
      });
    }
    nextToken = out.NextToken;
  } while (nextToken !== undefined);

  const window = `since ${start.toISOString()}`;
  if (accepts > 0) {
    const stragglers = await previousKeyCallers(query, start, end, period);
    const named =
      stragglers.length === 0
        ? '; callers not named (give the verifiers `callers` to name them)'
        : `; ${stragglers.length} caller${stragglers.length === 1 ? '' : 's'} named`;
    return {
      inUse: true,
      evidence: `${accepts} request${accepts === 1 ? '' : 's'} accepted with previous key ${keyId} of ${secretName} ${window}${named}`,
      ...(lastUsed === undefined ? {} : { lastUsed }),
      ...(stragglers.length === 0 ? {} : { stragglers }),
    };
  }
  if (query.requireHeartbeat && heartbeats === 0) {
    return {
      inUse: true,
      evidence:
        `no verifier of ${secretName} reported metrics ${window} (no ${VERIFIER_METRIC.heartbeat} in ${namespace}): ` +
        `cannot prove key ${keyId} is unused`,
    };
  }
  return {
    inUse: false,
    evidence: `no request accepted with previous key ${keyId} of ${secretName} ${window} (${heartbeats} verifier reports)`,
  };
}

/**
 * Who presented the previous key: the verifiers that name callers publish `PreviousKeyAccepted` with
 * a `caller` dimension too (bounded per verifier). ListMetrics finds the callers of this key
 * (CloudWatch lists a new metric within minutes: a caller seen only in the last minutes may be
 * missing; the decision above does not depend on it), GetMetricData sums each since `start`.
 */
async function previousKeyCallers(
  query: UsageQuery,
  start: Date,
  end: Date,
  period: number,
): Promise<Straggler[]> {
  const { cloudWatch, namespace, secretName, keyId } = query;
  const callers = new Set<string>();
  let next: string | undefined;
  do {
    const page = await cloudWatch.send(
      new ListMetricsCommand({
        Namespace: namespace,
        MetricName: VERIFIER_METRIC.previousKeyAccepted,
        Dimensions: [
          { Name: VERIFIER_DIMENSION.secretName, Value: secretName },
          { Name: VERIFIER_DIMENSION.keyId, Value: keyId },
          { Name: VERIFIER_DIMENSION.caller },
        ],
        ...(next === undefined ? {} : { NextToken: next }),
      }),
    );
    for (const metric of page.Metrics ?? []) {
      const caller = metric.Dimensions?.find(
        (dimension) => dimension.Name === VERIFIER_DIMENSION.caller,
      )?.Value;
      if (caller !== undefined) callers.add(caller);
    }
    next = page.NextToken;
  } while (next !== undefined && callers.size < 500);
  const named = [...callers].slice(0, 500);
  if (named.length === 0) return [];
  const sums = new Map<string, { count: number; last?: Date }>();
  let token: string | undefined;
  do {
    const out = await cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: named.map((caller, index) => ({
          Id: `c${index}`,
          MetricStat: {
            Metric: {
              Namespace: namespace,
              MetricName: VERIFIER_METRIC.previousKeyAccepted,
              Dimensions: [
                { Name: VERIFIER_DIMENSION.credentialType, Value: SHARED_KEY_CREDENTIAL_TYPE },
                { Name: VERIFIER_DIMENSION.secretName, Value: secretName },
                { Name: VERIFIER_DIMENSION.keyId, Value: keyId },
                { Name: VERIFIER_DIMENSION.caller, Value: caller },
              ],
            },
            Period: period,
            Stat: 'Sum',
          },
          ReturnData: true,
        })),
        StartTime: start,
        EndTime: end,
        ...(token === undefined ? {} : { NextToken: token }),
      }),
    );
    for (const result of out.MetricDataResults ?? []) {
      const caller = named[Number((result.Id ?? 'c-1').slice(1))];
      if (caller === undefined) continue;
      const entry = sums.get(caller) ?? { count: 0 };
      (result.Values ?? []).forEach((value, i) => {
        entry.count += value;
        const at = result.Timestamps?.[i];
        if (value > 0 && at !== undefined && (entry.last === undefined || at > entry.last)) entry.last = at;
      });
      sums.set(caller, entry);
    }
    token = out.NextToken;
  } while (token !== undefined);
  return [...sums]
    .filter(([, entry]) => entry.count > 0)
    .map(([caller, entry]) => ({
      identity:
        caller === 'other'
          ? "other callers (beyond the verifiers' bound on named callers)"
          : `caller ${caller}`,
      ...(entry.last === undefined ? {} : { lastSeen: entry.last }),
      evidence: `${entry.count} request${entry.count === 1 ? '' : 's'} accepted with previous key ${keyId} of ${secretName} since ${start.toISOString()} (verifier metric PreviousKeyAccepted by caller)`,
    }));
}
