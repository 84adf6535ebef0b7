import {
  CloudWatchClient,
  type CloudWatchClientConfig,
  GetMetricDataCommand,
  GetMetricStatisticsCommand,
  InvalidParameterValueException,
  ListMetricsCommand,
  MissingRequiredParameterException,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { errorOf, startTestAws, uniqueName } from './harness';

/**
 * CloudWatch metrics over AWS JSON 1.0 (with the Query-compatible error codes), against the
 * emulator or any given endpoint. On AWS itself new data points can take minutes to be readable.
 */
let aws: AwsWorld;
let client: CloudWatchClient;

function cloudWatchFor(config: CloudWatchClientConfig = {}): CloudWatchClient {
  return new CloudWatchClient({ maxAttempts: 1, ...config });
}

beforeAll(async () => {
  aws = await startTestAws(['cloudwatch']);
  client = cloudWatchFor();
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

/**
 * The start of the minute `n` minutes before the test's start. Fixed once per test, so a minute
 * boundary passing between a put and a get cannot shift the expected buckets.
 */
let startMinute = 0;
const minutesAgo = (n: number) => new Date(startMinute - n * 60_000);

beforeEach(() => {
  startMinute = Math.floor(Date.now() / 60_000) * 60_000;
});

async function sumSeries(
  namespace: string,
  metricName: string,
  dimensions: { Name: string; Value: string }[],
) {
  const out = await client.send(
    new GetMetricDataCommand({
      StartTime: minutesAgo(30),
      EndTime: minutesAgo(-2),
      ScanBy: 'TimestampAscending',
      MetricDataQueries: [
        {
          Id: 'm',
          MetricStat: {
            Metric: { Namespace: namespace, MetricName: metricName, Dimensions: dimensions },
            Period: 60,
            Stat: 'Sum',
          },
        },
      ],
    }),
  );
  return out.MetricDataResults?.[0];
}

describe('CloudWatch over AWS JSON 1.0', () => {
  it('stores PutMetricData values and returns per-minute sums through GetMetricData', async () => {
    const namespace = uniqueName('Test');
    const dims = [{ Name: 'secret_name', Value: 'app/key' }];
    await client.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [
          { MetricName: 'Hits', Dimensions: dims, Value: 2, Unit: 'Count', Timestamp: minutesAgo(5) },
          {
            MetricName: 'Hits',
            Dimensions: dims,
            Value: 3,
            Unit: 'Count',
            Timestamp: new Date(minutesAgo(5).getTime() + 30_000),
          },
          {
            MetricName: 'Hits',
            Dimensions: dims,
            Values: [1, 4],
            Counts: [2, 1],
            Unit: 'Count',
            Timestamp: minutesAgo(2),
          },
          {
            MetricName: 'Hits',
            Dimensions: dims,
            StatisticValues: { SampleCount: 3, Sum: 10, Minimum: 1, Maximum: 5 },
            Timestamp: minutesAgo(1),
          },
        ],
      }),
    );
    const result = await sumSeries(namespace, 'Hits', dims);
    expect(result).toMatchObject({ Id: 'm', Label: 'Hits', StatusCode: 'Complete' });
    expect(result?.Timestamps).toEqual([minutesAgo(5), minutesAgo(2), minutesAgo(1)]);
    expect(result?.Values).toEqual([5, 6, 10]);
  });

  it('matches dimensions as a set, whatever their order, and not a subset', async () => {
    const namespace = uniqueName('Test');
    const a = { Name: 'a', Value: '1' };
    const b = { Name: 'b', Value: '2' };
    await client.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [{ MetricName: 'X', Dimensions: [a, b], Value: 1 }],
      }),
    );
    expect((await sumSeries(namespace, 'X', [b, a]))?.Values).toEqual([1]);
    expect((await sumSeries(namespace, 'X', [a]))?.Values).toEqual([]);
  });

  it('answers every statistic through GetMetricStatistics', async () => {
    const namespace = uniqueName('Test');
    await client.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [2, 4, 9].map((Value) => ({
          MetricName: 'Latency',
          Value,
          Unit: 'Milliseconds',
          Timestamp: minutesAgo(3),
        })),
      }),
    );
    const out = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: namespace,
        MetricName: 'Latency',
        StartTime: minutesAgo(10),
        EndTime: minutesAgo(-1),
        Period: 60,
        Statistics: ['Sum', 'Average', 'Minimum', 'Maximum', 'SampleCount'],
      }),
    );
    expect(out.Label).toBe('Latency');
    expect(out.Datapoints).toEqual([
      {
        Timestamp: minutesAgo(3),
        Sum: 15,
        Average: 5,
        Minimum: 2,
        Maximum: 9,
        SampleCount: 3,
        Unit: 'Milliseconds',
      },
    ]);
  });

  it('lists metrics filtered by namespace, name and dimension', async () => {
    const namespace = uniqueName('Test');
    await client.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [
          { MetricName: 'A', Dimensions: [{ Name: 'reason', Value: 'rejected-unknown' }], Value: 1 },
          { MetricName: 'A', Dimensions: [{ Name: 'reason', Value: 'rejected-malformed' }], Value: 1 },
          { MetricName: 'B', Value: 1 },
        ],
      }),
    );
    const out = await client.send(
      new ListMetricsCommand({
        Namespace: namespace,
        MetricName: 'A',
        Dimensions: [{ Name: 'reason', Value: 'rejected-unknown' }],
      }),
    );
    expect(out.Metrics).toEqual([
      { Namespace: namespace, MetricName: 'A', Dimensions: [{ Name: 'reason', Value: 'rejected-unknown' }] },
    ]);
  });

  it('pages GetMetricData results with NextToken', async () => {
    const namespace = uniqueName('Test');
    await client.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [1, 2, 3, 4, 5].map((n) => ({ MetricName: 'P', Value: n, Timestamp: minutesAgo(n) })),
      }),
    );
    const query = {
      StartTime: minutesAgo(10),
      EndTime: minutesAgo(-1),
      MaxDatapoints: 2,
      MetricDataQueries: [
        {
          Id: 'p',
          MetricStat: { Metric: { Namespace: namespace, MetricName: 'P' }, Period: 60, Stat: 'Sum' },
        },
      ],
    };
    const values: number[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await client.send(
        new GetMetricDataCommand({ ...query, ...(token ? { NextToken: token } : {}) }),
      );
      values.push(...(out.MetricDataResults?.[0]?.Values ?? []));
      token = out.NextToken;
      pages += 1;
    } while (token !== undefined);
    expect(pages).toBe(3);
    // TimestampDescending by default: the newest minute first.
    expect(values).toEqual([1, 2, 3, 4, 5]);
  });

  it('decompresses gzip request bodies the SDK sends for large PutMetricData calls', async () => {
    const namespace = uniqueName('Test');
    const encodings: (string | undefined)[] = [];
    const compressing = cloudWatchFor({ requestMinCompressionSizeBytes: 1 });
    compressing.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        encodings.push(request.headers?.['content-encoding']);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordEncoding', priority: 'low' },
    );
    await compressing.send(
      new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: Array.from({ length: 300 }, (_, i) => ({
          MetricName: 'Big',
          Dimensions: [{ Name: 'i', Value: String(i % 3) }],
          Value: 1,
        })),
      }),
    );
    compressing.destroy();
    const stored = await client.send(
      new GetMetricStatisticsCommand({
        Namespace: namespace,
        MetricName: 'Big',
        Dimensions: [{ Name: 'i', Value: '0' }],
        StartTime: minutesAgo(5),
        EndTime: minutesAgo(-5),
        Period: 3600,
        Statistics: ['SampleCount'],
      }),
    );
    expect(encodings).toEqual(['gzip']);
    expect(stored.Datapoints?.reduce((sum, point) => sum + (point.SampleCount ?? 0), 0)).toBe(100);
  });

  it.each([
    [
      'a reserved namespace',
      { Namespace: 'AWS/Lambda', MetricData: [{ MetricName: 'X', Value: 1 }] },
      InvalidParameterValueException,
      'InvalidParameterValue',
    ],
    [
      'no metric data',
      { Namespace: 'Test', MetricData: [] },
      MissingRequiredParameterException,
      'MissingParameter',
    ],
    [
      'a timestamp three weeks old',
      {
        Namespace: 'Test',
        MetricData: [{ MetricName: 'X', Value: 1, Timestamp: new Date(Date.now() - 21 * 86_400_000) }],
      },
      InvalidParameterValueException,
      'InvalidParameterValue',
    ],
  ])(
    'rejects PutMetricData with %s as the SDK’s typed exception with its Query code',
    async (_label, input, type, code) => {
      const error = await errorOf(client.send(new PutMetricDataCommand(input)));
      expect(error).toBeInstanceOf(type);
      expect((error as Error & { Error?: { Code?: string } }).Error?.Code).toBe(code);
      expect(error.$metadata?.httpStatusCode).toBe(400);
    },
  );
});
