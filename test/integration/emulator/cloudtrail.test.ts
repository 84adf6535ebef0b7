import {
  CloudTrailClient,
  type Event,
  LookupEventsCommand,
  type LookupEventsCommandInput,
} from '@aws-sdk/client-cloudtrail';
import { IAMClient } from '@aws-sdk/client-iam';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { recordSecretMaterial } from '../../support/log-scan';
import { errorOf, iamFixtures, type Key, secretsManagerClient, startTestAws, uniqueName } from './harness';

/**
 * CloudTrail LookupEvents (AWS JSON 1.1), against the emulator or any given endpoint, real AWS
 * included: the management event of a call with the caller identity of the signing key, the lookup
 * attributes, the time range, paging and throttling as the API reference documents them.
 *
 * AWS delivers events "within an average of about 5 minutes of an API call", not guaranteed: the
 * lookups that expect an event poll for it (every 30 s, 20 minutes at most, against AWS; every
 * 50 ms against the emulator, whose events are visible at once), slowly enough to stay under
 * LookupEvents' 2 calls per second.
 */
let aws: AwsWorld;
let trail: CloudTrailClient;
let fixtures: ReturnType<typeof iamFixtures>;
let iam: IAMClient;
/** An IAM user's key that read a secret three times: its events are the ones the tests look up. */
let reader: { user: string; key: Key; secretArn: string; calledAt: Date };

const onEmulator = () => aws.targets.cloudtrail.kind === 'emulator';
const deliveryBudgetMs = () => (onEmulator() ? 5_000 : 20 * 60_000);
const pollMs = () => (onEmulator() ? 50 : 30_000);
/** Long enough for a lookup that waits out CloudTrail's delivery against AWS. */
const DELIVERY_TIMEOUT = 25 * 60_000;

/** Looks up until `enough` holds for the events found (all pages), or the delivery budget runs out. */
async function eventually(
  input: LookupEventsCommandInput,
  enough: (events: Event[]) => boolean,
): Promise<Event[]> {
  const deadline = Date.now() + deliveryBudgetMs();
  for (;;) {
    const events: Event[] = [];
    let next: string | undefined;
    do {
      const page = await lookup({ ...input, ...(next === undefined ? {} : { NextToken: next }) });
      events.push(...(page.Events ?? []));
      next = page.NextToken;
    } while (next !== undefined);
    if (enough(events) || Date.now() > deadline) return events;
    await new Promise((resolve) => setTimeout(resolve, pollMs()));
  }
}

/** One LookupEvents call, retried (after a second) while it is throttled. */
async function lookup(input: LookupEventsCommandInput) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await trail.send(new LookupEventsCommand(input));
    } catch (error) {
      if (!(error instanceof Error) || error.name !== 'ThrottlingException' || attempt >= 10) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

const byKey = (key: Key) => ({
  LookupAttributes: [{ AttributeKey: 'AccessKeyId' as const, AttributeValue: key.accessKeyId }],
});
const reads = (events: Event[]) => events.filter((event) => event.EventName === 'GetSecretValue');

beforeAll(async () => {
  aws = await startTestAws(['cloudtrail', 'secretsmanager', 'iam', 'sts']);
  trail = new CloudTrailClient({ maxAttempts: 1 });
  iam = new IAMClient({ maxAttempts: 1 });
  fixtures = iamFixtures(iam);
  const user = await fixtures.newUser();
  const key = await fixtures.newKey(user);
  const value = `value-${crypto.randomUUID()}`;
  recordSecretMaterial(value);
  const created = await secretsManagerClient().send(
    new CreateSecretCommand({ Name: uniqueName('cloudtrail/secret'), SecretString: value }),
  );
  const calledAt = new Date();
  // A new key may be refused for a few seconds while IAM propagates it.
  const asReader = secretsManagerClient({ credentials: key, maxAttempts: 10 });
  for (let read = 0; read < 3; read++) {
    await asReader.send(new GetSecretValueCommand({ SecretId: created.ARN }));
  }
  asReader.destroy();
  reader = { user, key, secretArn: created.ARN ?? '', calledAt };
}, DELIVERY_TIMEOUT);

afterAll(async () => {
  trail?.destroy();
  iam?.destroy();
  await aws?.close();
});

describe('CloudTrail LookupEvents', () => {
  it(
    'records a GetSecretValue with the caller identity of the signing key, and never the secret value',
    async () => {
      const events = await eventually(byKey(reader.key), (found) => reads(found).length >= 3);
      const read = reads(events)[0];
      const record = JSON.parse(read?.CloudTrailEvent ?? '{}');

      expect(reads(events)).toHaveLength(3);
      expect(read).toMatchObject({
        EventName: 'GetSecretValue',
        EventSource: 'secretsmanager.amazonaws.com',
        AccessKeyId: reader.key.accessKeyId,
        Username: reader.user,
        ReadOnly: 'true',
      });
      expect(record.userIdentity).toMatchObject({
        type: 'IAMUser',
        userName: reader.user,
        accessKeyId: reader.key.accessKeyId,
      });
      expect(record.userIdentity.arn).toMatch(new RegExp(`:user/${reader.user}$`));
      expect(record.requestParameters).toEqual({ secretId: reader.secretArn });
      expect(typeof record.sourceIPAddress).toBe('string');
      expect(record.userAgent).toContain('aws-sdk-js');
      expect(record.eventCategory).toBe('Management');
      expect(read?.EventTime?.getTime()).toBeGreaterThanOrEqual(reader.calledAt.getTime() - 1000);
      expect(read?.CloudTrailEvent).not.toContain('value-');
    },
    DELIVERY_TIMEOUT,
  );

  it(
    'pages with MaxResults and NextToken, newest first, until no NextToken is left',
    async () => {
      await eventually(byKey(reader.key), (found) => reads(found).length >= 3);

      const seen: Event[] = [];
      let next: string | undefined;
      let pages = 0;
      do {
        const page = await lookup({
          ...byKey(reader.key),
          MaxResults: 1,
          ...(next === undefined ? {} : { NextToken: next }),
        });
        expect(page.Events?.length ?? 0).toBeLessThanOrEqual(1);
        seen.push(...(page.Events ?? []));
        next = page.NextToken;
        pages += 1;
      } while (next !== undefined && pages < 20);

      expect(new Set(seen.map((event) => event.EventId)).size).toBe(seen.length);
      expect(reads(seen)).toHaveLength(3);
      const times = seen.map((event) => event.EventTime?.getTime() ?? 0);
      expect(times).toEqual([...times].sort((a, b) => b - a));
    },
    DELIVERY_TIMEOUT,
  );

  it(
    'returns only events inside StartTime and EndTime',
    async () => {
      await eventually(byKey(reader.key), (found) => reads(found).length >= 3);
      const later = new Date(Date.now() + 60_000);

      const after = await lookup({ ...byKey(reader.key), StartTime: later, EndTime: later });
      const before = await lookup({
        ...byKey(reader.key),
        StartTime: new Date(reader.calledAt.getTime() - 3_600_000),
        EndTime: new Date(reader.calledAt.getTime() - 60_000),
      });

      expect(after.Events).toEqual([]);
      expect(before.Events).toEqual([]);
    },
    DELIVERY_TIMEOUT,
  );

  it.each([
    [
      'two lookup attributes',
      {
        LookupAttributes: [
          { AttributeKey: 'EventName' as const, AttributeValue: 'GetSecretValue' },
          { AttributeKey: 'Username' as const, AttributeValue: 'nobody' },
        ],
      },
      'InvalidLookupAttributesException',
    ],
    ['MaxResults above 50', { MaxResults: 51 }, 'InvalidMaxResultsException'],
    [
      'a StartTime after the EndTime',
      { StartTime: new Date(Date.now() - 60_000), EndTime: new Date(Date.now() - 120_000) },
      'InvalidTimeRangeException',
    ],
  ])('refuses %s', async (_what, input, expected) => {
    const error = await errorOf(lookup(input as LookupEventsCommandInput));

    expect(error.name).toBe(expected);
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it(
    'refuses a NextToken given with other parameters than the request it came from',
    async () => {
      await eventually(byKey(reader.key), (found) => reads(found).length >= 3);
      const first = await lookup({ ...byKey(reader.key), MaxResults: 1 });

      const error = await errorOf(
        lookup({
          LookupAttributes: [{ AttributeKey: 'Username', AttributeValue: reader.user }],
          MaxResults: 1,
          NextToken: first.NextToken,
        }),
      );

      expect(first.NextToken).toBeDefined();
      expect(error.name).toBe('InvalidNextTokenException');
    },
    DELIVERY_TIMEOUT,
  );

  it('throttles a burst beyond two lookups per second with ThrottlingException, HTTP 400', async () => {
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const outcomes = await Promise.all(
      Array.from({ length: 12 }, () =>
        trail.send(new LookupEventsCommand({ MaxResults: 1 })).then(
          () => 'ok',
          (error: Error & { $metadata?: { httpStatusCode?: number } }) =>
            `${error.name} ${error.$metadata?.httpStatusCode}`,
        ),
      ),
    );

    expect(outcomes).toContain('ThrottlingException 400');
    expect(outcomes).toContain('ok');
    expect(outcomes.every((outcome) => outcome === 'ok' || outcome === 'ThrottlingException 400')).toBe(true);
  });
});
