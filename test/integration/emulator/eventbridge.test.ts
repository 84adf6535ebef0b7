import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { errorOf, startTestAws } from './harness';

/**
 * EventBridge PutEvents' answers (AWS JSON 1.1), against the emulator or any given endpoint. What
 * happens to an accepted event is seen only by a rule's target: eventbridge.emulator-only.test.ts.
 */
let aws: AwsWorld;
let client: EventBridgeClient;

beforeAll(async () => {
  aws = await startTestAws(['eventbridge']);
  client = new EventBridgeClient({ maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

const entry = (overrides: Record<string, unknown> = {}) => ({
  Source: 'handover',
  DetailType: 'Handover Credential Rotated',
  Detail: JSON.stringify({ versionId: 'v2' }),
  ...overrides,
});

describe('EventBridge PutEvents', () => {
  it('rejects entries one by one: missing members and a Detail that is not a JSON object', async () => {
    const output = await client.send(
      new PutEventsCommand({
        Entries: [
          entry(),
          entry({ Source: undefined }),
          entry({ Detail: '[1,2]' }),
          entry({ Detail: '{oops' }),
        ],
      }),
    );

    expect(output.FailedEntryCount).toBe(3);
    expect(output.Entries?.map((e) => e.ErrorCode)).toEqual([
      undefined,
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
    ]);
    expect(output.Entries?.[1]?.ErrorMessage).toContain('Source');
    expect(output.Entries?.[0]?.EventId).toBeDefined();
  });

  it('rejects more than 10 entries', async () => {
    const error = await errorOf(
      client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry()) })),
    );

    expect(error.name).toBe('ValidationException');
  });
});
