import { CloudTrailClient, LookupEventsCommand, ThrottlingException } from '@aws-sdk/client-cloudtrail';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { lookupTrail, parseTrailRecord, principalOf } from '../../../lambdas/shared/cloudtrail';

const trail = mockClient(CloudTrailClient);
afterEach(() => trail.reset());

/** A LookupEvents event whose record is a GetSecretValue by `arn` at `time`. */
function event(
  time: string,
  identity: Record<string, unknown> = { type: 'IAMUser', arn: 'arn:aws:iam::1:user/app' },
) {
  return {
    EventName: 'GetSecretValue',
    CloudTrailEvent: JSON.stringify({
      eventTime: time,
      eventName: 'GetSecretValue',
      eventSource: 'secretsmanager.amazonaws.com',
      userIdentity: { ...identity, accessKeyId: 'AKIAEXAMPLE' },
      sourceIPAddress: '10.0.1.7',
      vpcEndpointId: 'vpce-0123456789abcdef0',
      userAgent: 'aws-sdk-java/2.25',
      requestParameters: { secretId: 'orders/db', versionStage: 'AWSPREVIOUS' },
    }),
  };
}

const lookup = {
  attribute: { key: 'ResourceName' as const, value: 'arn' },
  start: new Date(0),
  end: new Date(),
};

describe('Function: principalOf', () => {
  it.each([
    [
      'an assumed role: the role (session issuer), the session apart',
      {
        type: 'AssumedRole',
        arn: 'arn:aws:sts::1:assumed-role/orders-api/orders-api-fn',
        sessionContext: { sessionIssuer: { type: 'Role', arn: 'arn:aws:iam::1:role/service/orders-api' } },
      },
      { arn: 'arn:aws:iam::1:role/service/orders-api', type: 'AssumedRole', session: 'orders-api-fn' },
    ],
    [
      'an IAM user',
      { type: 'IAMUser', arn: 'arn:aws:iam::1:user/app' },
      { arn: 'arn:aws:iam::1:user/app', type: 'IAMUser' },
    ],
    [
      'an AWS service',
      { type: 'AWSService', invokedBy: 'rds.amazonaws.com' },
      { arn: 'service:rds.amazonaws.com', type: 'AWSService' },
    ],
    [
      'another account',
      { type: 'AWSAccount', accountId: '210987654321' },
      { arn: 'account:210987654321', type: 'AWSAccount' },
    ],
  ])('names %s', (_what, identity, expected) => {
    expect(principalOf(identity)).toEqual(expected);
  });
});

describe('Function: parseTrailRecord', () => {
  it('reads who, from where, what was asked for; refuses what is not a record', () => {
    expect(parseTrailRecord(event('2026-11-21T10:00:00Z').CloudTrailEvent)).toEqual({
      eventName: 'GetSecretValue',
      eventSource: 'secretsmanager.amazonaws.com',
      time: new Date('2026-11-21T10:00:00Z'),
      principal: { arn: 'arn:aws:iam::1:user/app', type: 'IAMUser' },
      accessKeyId: 'AKIAEXAMPLE',
      sourceIp: '10.0.1.7',
      vpcEndpointId: 'vpce-0123456789abcdef0',
      userAgent: 'aws-sdk-java/2.25',
      requestParameters: { secretId: 'orders/db', versionStage: 'AWSPREVIOUS' },
    });
    expect(parseTrailRecord('not json')).toBeUndefined();
    expect(parseTrailRecord('{"eventName":"X"}')).toBeUndefined();
    expect(parseTrailRecord(undefined)).toBeUndefined();
  });
});

describe('Function: lookupTrail', () => {
  it('reads every page (NextToken) with 50 events a page, at most one call per interval', async () => {
    trail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [event('2026-11-21T10:02:00Z')], NextToken: 't1' })
      .resolvesOnce({ Events: [event('2026-11-21T10:01:00Z')], NextToken: 't2' })
      .resolvesOnce({ Events: [event('2026-11-21T10:00:00Z')] });
    const sleeps: number[] = [];

    const found = await lookupTrail(trail as unknown as CloudTrailClient, {
      ...lookup,
      minIntervalMs: 500,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

    expect(found).toMatchObject({ pages: 3, complete: true, throttled: 0 });
    expect(found.events.map((e) => e.time.toISOString())).toEqual([
      '2026-11-21T10:02:00.000Z',
      '2026-11-21T10:01:00.000Z',
      '2026-11-21T10:00:00.000Z',
    ]);
    const inputs = trail.commandCalls(LookupEventsCommand).map((call) => call.args[0].input);
    expect(inputs.map((input) => input.NextToken)).toEqual([undefined, 't1', 't2']);
    expect(inputs.every((input) => input.MaxResults === 50)).toBe(true);
    expect(inputs[0]?.LookupAttributes).toEqual([{ AttributeKey: 'ResourceName', AttributeValue: 'arn' }]);
    // Two calls a second at most: the second and third calls waited for their interval.
    expect(sleeps).toHaveLength(2);
    expect(sleeps.every((ms) => ms > 0 && ms <= 500)).toBe(true);
  });

  it('retries a throttled call with growing waits, then goes on', async () => {
    const throttled = new ThrottlingException({ message: 'Rate exceeded', $metadata: {} });
    trail
      .on(LookupEventsCommand)
      .rejectsOnce(throttled)
      .rejectsOnce(throttled)
      .resolvesOnce({ Events: [event('2026-11-21T10:00:00Z')] });
    const sleeps: number[] = [];

    const found = await lookupTrail(trail as unknown as CloudTrailClient, {
      ...lookup,
      minIntervalMs: 0,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });

    expect(found).toMatchObject({ pages: 1, complete: true, throttled: 2 });
    expect(sleeps).toEqual([1000, 2000]);
  });

  it('gives up on throttling after the retries it is allowed, with the service error', async () => {
    trail
      .on(LookupEventsCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));

    await expect(
      lookupTrail(trail as unknown as CloudTrailClient, {
        ...lookup,
        minIntervalMs: 0,
        throttleRetries: 2,
        sleep: async () => {},
      }),
    ).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(trail.commandCalls(LookupEventsCommand)).toHaveLength(3);
  });

  it('stops at maxPages and says how far back it read', async () => {
    trail
      .on(LookupEventsCommand)
      .resolvesOnce({ Events: [event('2026-11-21T10:02:00Z')], NextToken: 't1' })
      .resolvesOnce({ Events: [event('2026-11-21T10:01:00Z')], NextToken: 't2' });

    const found = await lookupTrail(trail as unknown as CloudTrailClient, {
      ...lookup,
      maxPages: 2,
      minIntervalMs: 0,
      sleep: async () => {},
    });

    expect(found).toMatchObject({ pages: 2, complete: false, oldest: new Date('2026-11-21T10:01:00Z') });
  });

  it('keeps only the events asked for', async () => {
    trail.on(LookupEventsCommand).resolvesOnce({
      Events: [
        event('2026-11-21T10:01:00Z', { type: 'IAMUser', arn: 'arn:aws:iam::1:user/other' }),
        event('2026-11-21T10:00:00Z'),
      ],
    });

    const found = await lookupTrail(trail as unknown as CloudTrailClient, {
      ...lookup,
      keep: (found) => found.principal.arn.endsWith('/app'),
    });

    expect(found.events.map((e) => e.principal.arn)).toEqual(['arn:aws:iam::1:user/app']);
  });
});
