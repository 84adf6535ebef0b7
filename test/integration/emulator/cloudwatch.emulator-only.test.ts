import {
  CloudWatchClient,
  GetMetricDataCommand,
  InvalidParameterValueException,
  PutMetricDataCommand,
} from '@aws-sdk/client-cloudwatch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { errorOf, startTestAws } from './harness';

/**
 * EMULATOR ONLY: metric math, which the emulator refuses and AWS evaluates, and the emulator's call
 * log and faults.
 */
let aws: AwsWorld;
let emulator: Emulator;
let client: CloudWatchClient;

beforeAll(async () => {
  aws = await startTestAws(['cloudwatch']);
  emulator = aws.requireEmulator();
  client = new CloudWatchClient({ maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

const minutesAgo = (n: number) => new Date(Math.floor(Date.now() / 60_000) * 60_000 - n * 60_000);

describe('CloudWatch emulator: what AWS does otherwise, call log and faults', () => {
  it('rejects metric math it does not evaluate, saying so', async () => {
    const error = await errorOf(
      client.send(
        new GetMetricDataCommand({
          StartTime: minutesAgo(10),
          EndTime: minutesAgo(0),
          MetricDataQueries: [{ Id: 'e', Expression: 'SUM(METRICS())' }],
        }),
      ),
    );
    expect(error).toBeInstanceOf(InvalidParameterValueException);
    expect(error.message).toContain('does not evaluate metric math');
  });

  it('logs CloudWatch calls by operation and namespace and applies faults to them', async () => {
    emulator.resetCalls();
    const fault = emulator.faults.add({
      service: 'cloudwatch',
      operation: 'PutMetricData',
      error: 'throttle',
    });
    const error = await errorOf(
      client.send(
        new PutMetricDataCommand({ Namespace: 'Faulty', MetricData: [{ MetricName: 'X', Value: 1 }] }),
      ),
    );
    expect(error.name).toBe('ThrottlingException');
    expect(fault.hits).toBe(1);
    expect(
      emulator.calls.map(({ service, operation, secretId }) => ({ service, operation, secretId })),
    ).toEqual([{ service: 'cloudwatch', operation: 'PutMetricData', secretId: 'Faulty' }]);
  });
});
