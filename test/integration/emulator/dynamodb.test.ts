import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ResourceNotFoundException,
  UpdateItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AwsWorld } from '../../support/aws';
import { RUN_ID } from '../../support/lambda-functions';
import { errorOf, startTestAws } from './harness';

/**
 * DynamoDB over AWS JSON 1.0, against the emulator or any given endpoint (real DynamoDB included):
 * the conditional writes the rollout lock is built on, and the validation DynamoDB does of them.
 */
let aws: AwsWorld;
let client: DynamoDBClient;
const table = `handover-test-${RUN_ID}-${crypto.randomUUID().slice(0, 8)}`;
let counter = 0;
const nextKey = () => {
  counter += 1;
  return { pk: { S: `secret-${counter}` } };
};

beforeAll(async () => {
  aws = await startTestAws(['dynamodb']);
  client = new DynamoDBClient({ maxAttempts: 1 });
  await client.send(
    new CreateTableCommand({
      TableName: table,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 120, minDelay: 1 }, { TableName: table });
});

afterAll(async () => {
  await client?.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
  client?.destroy();
  await aws?.close();
});

const take = (key: Record<string, { S: string }>, holder: string, extra: Record<string, unknown> = {}) =>
  client.send(
    new PutItemCommand({
      TableName: table,
      Item: { ...key, holder: { S: holder }, lease: { N: '100' } },
      ConditionExpression: 'attribute_not_exists(#h) OR #h = :me',
      ExpressionAttributeNames: { '#h': 'holder' },
      ExpressionAttributeValues: { ':me': { S: holder } },
      ...extra,
    }),
  );

describe('DynamoDB', () => {
  describe('conditional writes', () => {
    it('lets the first PutItem with attribute_not_exists through and refuses the second with ConditionalCheckFailedException', async () => {
      const key = nextKey();
      await take(key, 'execution-a');

      const error = await errorOf(take(key, 'execution-b'));

      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect(error.name).toBe('ConditionalCheckFailedException');
      expect(error.message).toBe('The conditional request failed');
      const item = await client.send(
        new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      expect(item.Item?.holder).toEqual({ S: 'execution-a' });
    });

    it('lets exactly one of two writers through when both read "free" first (B reads, A writes, B writes)', async () => {
      const key = nextKey();
      const read = await client.send(
        new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      expect(read.Item).toBeUndefined();

      await take(key, 'execution-a');
      const second = await errorOf(take(key, 'execution-b'));

      expect(second).toBeInstanceOf(ConditionalCheckFailedException);
    });

    it('returns the item that failed the condition with ReturnValuesOnConditionCheckFailure ALL_OLD', async () => {
      const key = nextKey();
      await take(key, 'execution-a');

      const error = await errorOf(
        take(key, 'execution-b', { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
      );

      expect((error as ConditionalCheckFailedException).Item).toEqual({
        ...key,
        holder: { S: 'execution-a' },
        lease: { N: '100' },
      });
    });

    it('lets the holder write again (re-entry) and returns the old item with ReturnValues ALL_OLD', async () => {
      const key = nextKey();
      await take(key, 'execution-a');

      const again = await take(key, 'execution-a', { ReturnValues: 'ALL_OLD' });

      expect(again.Attributes?.holder).toEqual({ S: 'execution-a' });
    });

    it('compares numbers as numbers (10 > 9), which a stale-lease condition relies on', async () => {
      const key = nextKey();
      await client.send(new PutItemCommand({ TableName: table, Item: { ...key, lease: { N: '9' } } }));

      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #l = :new',
          ConditionExpression: '#l < :now',
          ExpressionAttributeNames: { '#l': 'lease' },
          ExpressionAttributeValues: { ':now': { N: '10' }, ':new': { N: '20' } },
        }),
      );
      const stale = await errorOf(
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: key,
            UpdateExpression: 'SET #l = :new',
            ConditionExpression: '#l < :now',
            ExpressionAttributeNames: { '#l': 'lease' },
            ExpressionAttributeValues: { ':now': { N: '10' }, ':new': { N: '30' } },
          }),
        ),
      );

      expect(stale).toBeInstanceOf(ConditionalCheckFailedException);
    });
  });

  describe('UpdateItem', () => {
    it('creates the item when it does not exist, applies SET and REMOVE, and returns ALL_NEW', async () => {
      const key = nextKey();
      const created = await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #h = :me, #v = :v',
          ConditionExpression: 'attribute_not_exists(#h)',
          ExpressionAttributeNames: { '#h': 'holder', '#v': 'version' },
          ExpressionAttributeValues: { ':me': { S: 'execution-a' }, ':v': { S: 'v1' } },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const released = await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #d = :v REMOVE #h, #v',
          ConditionExpression: '#h = :me',
          ExpressionAttributeNames: { '#h': 'holder', '#v': 'version', '#d': 'done' },
          ExpressionAttributeValues: { ':me': { S: 'execution-a' }, ':v': { S: 'v1' } },
          ReturnValues: 'ALL_NEW',
        }),
      );

      expect(created.Attributes).toEqual({ ...key, holder: { S: 'execution-a' }, version: { S: 'v1' } });
      expect(released.Attributes).toEqual({ ...key, done: { S: 'v1' } });
    });

    it('refuses an update that no longer holds, and changes nothing', async () => {
      const key = nextKey();
      await take(key, 'execution-b');

      const error = await errorOf(
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: key,
            UpdateExpression: 'REMOVE #h',
            ConditionExpression: '#h = :me',
            ExpressionAttributeNames: { '#h': 'holder' },
            ExpressionAttributeValues: { ':me': { S: 'execution-a' } },
          }),
        ),
      );

      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      const item = await client.send(
        new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      expect(item.Item?.holder).toEqual({ S: 'execution-b' });
    });

    it('evaluates AND, OR, NOT and parentheses with the usual precedence', async () => {
      const key = nextKey();
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { ...key, holder: { S: 'a' }, mode: { S: 'scheduled' } },
        }),
      );

      await client.send(
        new UpdateItemCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET #h = :me',
          ConditionExpression: 'NOT (#h = :me) AND (#m = :scheduled OR attribute_not_exists(#h))',
          ExpressionAttributeNames: { '#h': 'holder', '#m': 'mode' },
          ExpressionAttributeValues: { ':me': { S: 'b' }, ':scheduled': { S: 'scheduled' } },
        }),
      );

      const item = await client.send(
        new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      expect(item.Item?.holder).toEqual({ S: 'b' });
    });
  });

  describe('DeleteItem', () => {
    it('deletes only while the condition holds, and returns the deleted item with ALL_OLD', async () => {
      const key = nextKey();
      await take(key, 'execution-a');
      const refused = await errorOf(
        client.send(
          new DeleteItemCommand({
            TableName: table,
            Key: key,
            ConditionExpression: '#h = :me',
            ExpressionAttributeNames: { '#h': 'holder' },
            ExpressionAttributeValues: { ':me': { S: 'execution-b' } },
          }),
        ),
      );

      const deleted = await client.send(
        new DeleteItemCommand({
          TableName: table,
          Key: key,
          ConditionExpression: '#h = :me',
          ExpressionAttributeNames: { '#h': 'holder' },
          ExpressionAttributeValues: { ':me': { S: 'execution-a' } },
          ReturnValues: 'ALL_OLD',
        }),
      );

      expect(refused).toBeInstanceOf(ConditionalCheckFailedException);
      expect(deleted.Attributes?.holder).toEqual({ S: 'execution-a' });
      const item = await client.send(
        new GetItemCommand({ TableName: table, Key: key, ConsistentRead: true }),
      );
      expect(item.Item).toBeUndefined();
    });
  });

  describe('validation', () => {
    it.each([
      [
        'an ExpressionAttributeValues entry no expression uses',
        {
          ConditionExpression: 'attribute_not_exists(pk)',
          ExpressionAttributeValues: { ':unused': { S: 'x' } },
        },
      ],
      ['a name placeholder that is not defined', { ConditionExpression: 'attribute_not_exists(#missing)' }],
      ['a value placeholder that is not defined', { ConditionExpression: 'pk = :missing' }],
      ['a condition that does not parse', { ConditionExpression: 'pk = = pk' }],
    ])('refuses %s with ValidationException', async (_what, extra) => {
      const error = await errorOf(
        client.send(new PutItemCommand({ TableName: table, Item: nextKey(), ...extra })),
      );

      expect(error.name).toBe('ValidationException');
    });

    it('refuses a Key that does not match the schema with ValidationException', async () => {
      const error = await errorOf(
        client.send(new GetItemCommand({ TableName: table, Key: { other: { S: 'x' } } })),
      );

      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain('The provided key element does not match the schema');
    });

    it('refuses an update of a key attribute with ValidationException', async () => {
      const key = nextKey();
      const error = await errorOf(
        client.send(
          new UpdateItemCommand({
            TableName: table,
            Key: key,
            UpdateExpression: 'SET pk = :other',
            ExpressionAttributeValues: { ':other': { S: 'other' } },
          }),
        ),
      );

      expect(error.name).toBe('ValidationException');
      expect(error.message).toContain('part of the key');
    });

    it('answers ResourceNotFoundException for a table that does not exist', async () => {
      const error = await errorOf(
        client.send(new GetItemCommand({ TableName: `${table}-missing`, Key: nextKey() })),
      );

      expect(error).toBeInstanceOf(ResourceNotFoundException);
    });
  });
});
