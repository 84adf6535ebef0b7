import { CreateTableCommand, type DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { LOCK_ATTRIBUTE } from '../../lambdas/rollout/contract';

/**
 * Creates the rollout lock table as the `RolloutWorkflow` construct declares it (partition key
 * `secretArn`, on-demand), for the workflow tests, the sandbox and the fault schedules, and waits
 * until it is ACTIVE. Returns its name.
 */
export async function createLockTable(dynamodb: Pick<DynamoDBClient, 'send'>, name: string): Promise<string> {
  await dynamodb.send(
    new CreateTableCommand({
      TableName: name,
      KeySchema: [{ AttributeName: LOCK_ATTRIBUTE.secretArn, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: LOCK_ATTRIBUTE.secretArn, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  await waitUntilTableExists(
    { client: dynamodb as DynamoDBClient, maxWaitTime: 60, minDelay: 1 },
    { TableName: name },
  );
  return name;
}
