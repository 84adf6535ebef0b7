import type { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  callerValue,
  createCloudWatchMetricsSink,
  createEmfMetricsSink,
  mergeSnapshots,
  parseBearer,
  toMetricRecords,
  type VerifierMetricsSnapshot,
} from '../../../lambdas/verifier';

const SNAPSHOT: VerifierMetricsSnapshot = {
  secretName: 'prod/orders/api-key',
  timestamp: new Date('2026-11-21T10:00:00Z'),
  accepts: [
    { keyId: 'bbbbbbbbbbbb', stage: 'current', count: 7 },
    { keyId: 'aaaaaaaaaaaa', stage: 'previous', count: 3 },
    { keyId: 'cccccccccccc', stage: 'previous', count: 0 },
  ],
  rejections: { 'rejected-unknown': 2, 'rejected-revoked': 0, 'rejected-stale': 4, 'rejected-malformed': 1 },
  refreshFailures: 1,
  consecutiveRefreshFailures: 3,
};

const BASE = { credential_type: 'shared-key', secret_name: 'prod/orders/api-key' };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Function: toMetricRecords', () => {
  it('publishes previous-key accepts per caller too, with the caller dimension, when the verifier names callers', () => {
    const records = toMetricRecords({
      ...SNAPSHOT,
      accepts: [
        {
          keyId: 'aaaaaaaaaaaa',
          stage: 'previous',
          count: 3,
          callers: [
            { caller: 'billing-report', count: 2 },
            { caller: 'other', count: 1 },
          ],
        },
      ],
    });

    expect(records.filter((record) => record.name === 'PreviousKeyAccepted')).toEqual([
      { name: 'PreviousKeyAccepted', value: 3, dimensionSets: [BASE, { ...BASE, key_id: 'aaaaaaaaaaaa' }] },
      {
        name: 'PreviousKeyAccepted',
        value: 2,
        dimensionSets: [{ ...BASE, key_id: 'aaaaaaaaaaaa', caller: 'billing-report' }],
      },
      {
        name: 'PreviousKeyAccepted',
        value: 1,
        dimensionSets: [{ ...BASE, key_id: 'aaaaaaaaaaaa', caller: 'other' }],
      },
    ]);
  });

  it('merges per-caller counts of a snapshot kept after a failed flush', () => {
    const at = (callers: { caller: string; count: number }[]): VerifierMetricsSnapshot => ({
      ...SNAPSHOT,
      accepts: [{ keyId: 'aaaaaaaaaaaa', stage: 'previous', count: 3, callers }],
    });

    const merged = mergeSnapshots(
      at([{ caller: 'a', count: 1 }]),
      at([
        { caller: 'a', count: 2 },
        { caller: 'b', count: 1 },
      ]),
    );

    expect(merged.accepts).toEqual([
      {
        keyId: 'aaaaaaaaaaaa',
        stage: 'previous',
        count: 6,
        callers: [
          { caller: 'a', count: 3 },
          { caller: 'b', count: 1 },
        ],
      },
    ]);
  });

  it('publishes a heartbeat, accepts per key, rejections per reason, refresh failures and consecutive failures, without zeros', () => {
    expect(toMetricRecords(SNAPSHOT)).toEqual([
      { name: 'VerifierHeartbeat', value: 1, dimensionSets: [BASE] },
      { name: 'CurrentKeyAccepted', value: 7, dimensionSets: [BASE, { ...BASE, key_id: 'bbbbbbbbbbbb' }] },
      { name: 'PreviousKeyAccepted', value: 3, dimensionSets: [BASE, { ...BASE, key_id: 'aaaaaaaaaaaa' }] },
      { name: 'AuthRejected', value: 2, dimensionSets: [{ ...BASE, reason: 'rejected-unknown' }] },
      { name: 'AuthRejected', value: 4, dimensionSets: [{ ...BASE, reason: 'rejected-stale' }] },
      { name: 'AuthRejected', value: 1, dimensionSets: [{ ...BASE, reason: 'rejected-malformed' }] },
      { name: 'VerifierRefreshFailed', value: 1, dimensionSets: [BASE] },
      { name: 'VerifierConsecutiveRefreshFailures', value: 3, dimensionSets: [BASE] },
    ]);
  });

  it('publishes only the heartbeat for an idle verifier', () => {
    const idle = mergeSnapshots(
      {
        ...SNAPSHOT,
        accepts: [],
        rejections: {
          'rejected-unknown': 0,
          'rejected-revoked': 0,
          'rejected-stale': 0,
          'rejected-malformed': 0,
        },
        refreshFailures: 0,
        consecutiveRefreshFailures: 0,
      },
      {
        ...SNAPSHOT,
        accepts: [],
        rejections: {
          'rejected-unknown': 0,
          'rejected-revoked': 0,
          'rejected-stale': 0,
          'rejected-malformed': 0,
        },
        refreshFailures: 0,
        consecutiveRefreshFailures: 0,
      },
    );
    expect(toMetricRecords(idle).map((r) => r.name)).toEqual(['VerifierHeartbeat']);
  });
});

describe('Function: mergeSnapshots', () => {
  it('adds the counts of two snapshots per key and reason and keeps the later consecutive failures', () => {
    const merged = mergeSnapshots(SNAPSHOT, {
      ...SNAPSHOT,
      timestamp: new Date('2026-11-21T10:01:00Z'),
      consecutiveRefreshFailures: 5,
    });
    expect(merged.timestamp).toEqual(new Date('2026-11-21T10:01:00Z'));
    expect(merged.accepts).toEqual([
      { keyId: 'bbbbbbbbbbbb', stage: 'current', count: 14 },
      { keyId: 'aaaaaaaaaaaa', stage: 'previous', count: 6 },
      { keyId: 'cccccccccccc', stage: 'previous', count: 0 },
    ]);
    expect(merged.rejections).toEqual({
      'rejected-unknown': 4,
      'rejected-revoked': 0,
      'rejected-stale': 8,
      'rejected-malformed': 2,
    });
    expect(merged.refreshFailures).toBe(2);
    expect(merged.consecutiveRefreshFailures).toBe(5);
  });
});

describe('Function: createEmfMetricsSink', () => {
  it('writes EMF lines in the Handover namespace with exactly the documented dimension sets', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    createEmfMetricsSink().publish(SNAPSHOT);
    vi.restoreAllMocks();
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(8);
    const previous = records.find((r) => r.PreviousKeyAccepted !== undefined);
    expect(previous).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'Handover',
            Dimensions: [
              ['credential_type', 'secret_name'],
              ['credential_type', 'secret_name', 'key_id'],
            ],
            Metrics: [{ Name: 'PreviousKeyAccepted', Unit: 'Count' }],
          },
        ],
      },
      ...BASE,
      key_id: 'aaaaaaaaaaaa',
      PreviousKeyAccepted: 3,
    });
    for (const record of records) expect(record).not.toHaveProperty('service');
    const rejected = records
      .filter((r) => r.AuthRejected !== undefined)
      .map((r) => [r.reason, r.AuthRejected]);
    expect(rejected).toEqual([
      ['rejected-unknown', 2],
      ['rejected-stale', 4],
      ['rejected-malformed', 1],
    ]);
  });
});

describe('Function: createCloudWatchMetricsSink', () => {
  it('sends one PutMetricData with a datum per metric and dimension set', async () => {
    const sent: PutMetricDataCommand[] = [];
    const client: Pick<CloudWatchClient, 'send'> = {
      send: (async (command: PutMetricDataCommand) => {
        sent.push(command);
        return {};
      }) as CloudWatchClient['send'],
    };
    await createCloudWatchMetricsSink({ client, namespace: 'HandoverTest' }).publish(SNAPSHOT);
    expect(sent).toHaveLength(1);
    const input = sent[0]?.input;
    expect(input?.Namespace).toBe('HandoverTest');
    expect(input?.MetricData).toHaveLength(10);
    expect(input?.MetricData).toContainEqual({
      MetricName: 'PreviousKeyAccepted',
      Dimensions: [
        { Name: 'credential_type', Value: 'shared-key' },
        { Name: 'secret_name', Value: 'prod/orders/api-key' },
        { Name: 'key_id', Value: 'aaaaaaaaaaaa' },
      ],
      Timestamp: SNAPSHOT.timestamp,
      Unit: 'Count',
      Value: 3,
    });
  });
});

describe('Function: parseBearer', () => {
  it.each([
    ['Bearer hk_abc', 'hk_abc'],
    ['bearer hk_abc', 'hk_abc'],
    ['BEARER   hk_abc  ', 'hk_abc'],
    ['Basic dXNlcjpwYXNz', undefined],
    ['Bearer', undefined],
    ['Bearer a b', undefined],
    ['hk_abc', undefined],
  ])('reads %j as %j', (header, token) => {
    expect(parseBearer(header)).toBe(token);
  });

  it('ignores a missing or repeated header', () => {
    expect(parseBearer(undefined)).toBeUndefined();
    expect(parseBearer(['Bearer a', 'Bearer b'])).toBeUndefined();
  });
});

describe('Function: callerValue', () => {
  it.each([
    ['billing-report', 'billing-report'],
    ['10.0.1.7', '10.0.1.7'],
    ['has space;and=signs', 'has_space_and_signs'],
    ['x'.repeat(80), 'x'.repeat(64)],
    ['', 'unknown'],
    [undefined, 'unknown'],
    ['Bearer hk_abcdefghijkl_secretpart', 'redacted'],
  ])('bounds and cleans the caller identity %j to %j, never keeping a key', (value, expected) => {
    expect(callerValue(value)).toBe(expected);
  });
});
