import {
  CreateTopicCommand,
  DeleteTopicCommand,
  InvalidParameterException,
  NotFoundException,
  PublishCommand,
  SNSClient,
} from '@aws-sdk/client-sns';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { RUN_ID } from '../../support/lambda-functions';
import { errorOf, startTestAws } from './harness';

/** SNS topics and Publish over the Query protocol, against the emulator or any given endpoint. */
let aws: AwsWorld;
let client: SNSClient;
let topicArn: string;
const topicName = `handover-notifications-${RUN_ID}`;

beforeAll(async () => {
  aws = await startTestAws(['sns', 'sts']);
  client = new SNSClient({ maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await aws.close();
});

beforeEach(async () => {
  topicArn = (await client.send(new CreateTopicCommand({ Name: topicName }))).TopicArn ?? '';
});

describe('SNS', () => {
  it('creates a topic idempotently', async () => {
    const again = await client.send(new CreateTopicCommand({ Name: topicName }));

    expect(topicArn).toBe(`arn:aws:sns:${aws.region}:${await aws.accountId()}:${topicName}`);
    expect(again.TopicArn).toBe(topicArn);
  });

  it('fails with NotFound (404) for a topic that does not exist', async () => {
    const error = await errorOf(
      client.send(new PublishCommand({ TopicArn: `${topicArn}-missing`, Message: 'x' })),
    );

    expect(error).toBeInstanceOf(NotFoundException);
    expect(error.$metadata?.httpStatusCode).toBe(404);
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
