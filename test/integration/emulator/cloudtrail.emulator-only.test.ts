import { CloudTrailClient, LookupEventsCommand } from '@aws-sdk/client-cloudtrail';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { errorOf, secretsManagerClient, startTestAws, uniqueName } from './harness';

/**
 * What only the in-process emulator can show exactly: the throttling count per second, the delivery
 * delay as a setting, and that every authenticated call (and no other) becomes an event.
 */
let aws: AwsWorld;
let emulator: Emulator;
let trail: CloudTrailClient;

beforeAll(async () => {
  aws = await startTestAws(['cloudtrail', 'secretsmanager']);
  emulator = aws.requireEmulator();
  trail = new CloudTrailClient({ maxAttempts: 1 });
});

afterAll(async () => {
  trail.destroy();
  await aws.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('CloudTrail in the emulator', () => {
  it('allows exactly lookupsPerSecond lookups in a second, then allows them again', async () => {
    await sleep(1100);

    const burst = await Promise.all(
      Array.from({ length: 5 }, () =>
        trail.send(new LookupEventsCommand({ MaxResults: 1 })).then(
          () => 'ok',
          (error: Error) => error.name,
        ),
      ),
    );
    await sleep(1100);
    const later = await trail.send(new LookupEventsCommand({ MaxResults: 1 }));

    expect(burst.filter((outcome) => outcome === 'ok')).toHaveLength(2);
    expect(burst.filter((outcome) => outcome === 'ThrottlingException')).toHaveLength(3);
    expect(later.Events).toHaveLength(1);
  });

  it('shows an event only after the delivery delay', async () => {
    const client = secretsManagerClient();
    const created = await client.send(
      new CreateSecretCommand({ Name: uniqueName('cloudtrail/delay'), SecretString: 'v' }),
    );
    await sleep(600);
    emulator.cloudTrail.deliveryDelayMs = 500;
    emulator.cloudTrail.lookupsPerSecond = 100;
    try {
      await client.send(new GetSecretValueCommand({ SecretId: created.ARN }));
      const byResource = {
        LookupAttributes: [{ AttributeKey: 'ResourceName' as const, AttributeValue: created.ARN ?? '' }],
      };
      const early = await trail.send(new LookupEventsCommand(byResource));
      await sleep(600);
      const late = await trail.send(new LookupEventsCommand(byResource));

      expect(early.Events?.map((event) => event.EventName)).toEqual(['CreateSecret']);
      expect(late.Events?.map((event) => event.EventName)).toEqual(['GetSecretValue', 'CreateSecret']);
    } finally {
      emulator.cloudTrail.deliveryDelayMs = 0;
      emulator.cloudTrail.lookupsPerSecond = 2;
      client.destroy();
    }
  });

  it('records every authenticated call, with the bootstrap credentials as Root, and no unauthenticated one', async () => {
    emulator.cloudTrail.clear();
    const client = secretsManagerClient();
    const stranger = secretsManagerClient({
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' },
    });
    const created = await client.send(
      new CreateSecretCommand({ Name: uniqueName('cloudtrail/all'), SecretString: 'v' }),
    );
    const refused = await errorOf(stranger.send(new GetSecretValueCommand({ SecretId: created.ARN })));
    client.destroy();
    stranger.destroy();

    const records = emulator.cloudTrail.records();

    expect(refused.name).toBe('UnrecognizedClientException');
    expect(records.map((record) => record.eventName)).toEqual(['CreateSecret']);
    expect(records[0]?.userIdentity).toMatchObject({
      type: 'Root',
      arn: `arn:aws:iam::${emulator.iam.accountId}:root`,
    });
    expect(records[0]?.requestParameters).toMatchObject({ secretString: 'HIDDEN_DUE_TO_SECURITY_REASONS' });
  });
});
