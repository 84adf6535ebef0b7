import {
  CreateTopicCommand,
  DeleteTopicCommand,
  InvalidParameterException,
  NotFoundException,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Emulator } from '../../../local/emulator';
import { errorOf, startTestEmulator } from './harness';

let emulator: Emulator;
let client: SNSClient;
let topicArn: string;

beforeAll(async () => {
  emulator = await startTestEmulator();
  client = new SNSClient({
    endpoint: emulator.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await emulator.close();
});

beforeEach(async () => {
  emulator.sns.clear();
  topicArn = (await client.send(new CreateTopicCommand({ Name: 'handover-notifications' }))).TopicArn ?? '';
});

describe('Emulator: SNS', () => {
  it('creates a topic idempotently', async () => {
    const again = await client.send(new CreateTopicCommand({ Name: 'handover-notifications' }));

    expect(topicArn).toBe('arn:aws:sns:us-east-1:123456789012:handover-notifications');
    expect(again.TopicArn).toBe(topicArn);
  });

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

  it('fails with NotFound (404) for a topic that does not exist', async () => {
    const error = await errorOf(
      client.send(new PublishCommand({ TopicArn: `${topicArn}-missing`, Message: 'x' })),
    );

    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.$metadata?.httpStatusCode).toBe(404);
    expect(emulator.sns.messages()).toHaveLength(0);
  });

  it('fails with NotFound after the topic was deleted', async () => {
    await client.send(new DeleteTopicCommand({ TopicArn: topicArn }));

    const error = await errorOf(client.send(new PublishCommand({ TopicArn: topicArn, Message: 'x' })));

    expect(error).toBeInstanceOf(NotFoundException);
  });

  it.each([
    ['an empty message', { Message: '' }],
    ['a subject over 100 characters', { Message: 'x', Subject: 's'.repeat(101) }],
    ['a subject with a line break', { Message: 'x', Subject: 'two\nlines' }],
  ])('fails with InvalidParameter for %s', async (_case, input) => {
    const error = await errorOf(client.send(new PublishCommand({ TopicArn: topicArn, ...input })));

    expect(error).toBeInstanceOf(InvalidParameterException);
  });

  it('rejects an invalid topic name', async () => {
    const error = await errorOf(client.send(new CreateTopicCommand({ Name: 'has spaces' })));

    expect(error).toBeInstanceOf(InvalidParameterException);
  });
});
