import { CreateTopicCommand, PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import type { AwsWorld } from '../../support/aws';
import { errorOf, startTestAws } from './harness';

/**
 * EMULATOR ONLY: what was published is read from the emulator's record of messages; on AWS it
 * reaches only a subscriber, which the APIs under test do not create.
 */
let aws: AwsWorld;
let emulator: Emulator;
let client: SNSClient;
let topicArn: string;

beforeAll(async () => {
  aws = await startTestAws(['sns']);
  emulator = aws.requireEmulator();
  client = new SNSClient({ maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

beforeEach(async () => {
  emulator.sns.clear();
  topicArn = (await client.send(new CreateTopicCommand({ Name: 'handover-notifications' }))).TopicArn ?? '';
});

describe('Emulator: SNS messages published', () => {
  it('records a published message with its subject', async () => {
    const output = await client.send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: 'Handover: app/db rotated',
        Message: 'Consumers: 3/3 done',
      }),
    );

    expect(emulator.sns.messages(topicArn)).toEqual([
      {
        messageId: output.MessageId,
        topicArn,
        subject: 'Handover: app/db rotated',
        message: 'Consumers: 3/3 done',
        timestamp: expect.any(Date),
      },
    ]);
  });

  it('keeps a multi-line message with XML special characters intact', async () => {
    const message = 'line 1 <b>&amp;</b>\nline 2 "quoted" \'single\'';

    await client.send(new PublishCommand({ TopicArn: topicArn, Message: message }));

    expect(emulator.sns.messages()[0]?.message).toBe(message);
  });

  it('publishes nothing to a topic that does not exist', async () => {
    await errorOf(client.send(new PublishCommand({ TopicArn: `${topicArn}-missing`, Message: 'x' })));

    expect(emulator.sns.messages()).toHaveLength(0);
  });
});
