import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  DynamoDBServiceException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { AwsServiceError, type DynamoDbOperation, DynamoDbService, type Item } from '../../local/emulator';
import type { FaultTiming } from './in-process-secrets';

/** The lock table's name in the unit tests' worlds. */
export const LOCK_TABLE = 'handover-rollout-locks';

export interface InProcessDynamoDb extends Pick<DynamoDBClient, 'send'> {
  readonly service: DynamoDbService;
  /** Every call, in order: the operation name only. */
  readonly calls: string[];
  /** Fails call number `index` (0-based, counted over every call) before or after it applies. */
  failCall(index: number, timing: FaultTiming): void;
  /** The lock items, by secret ARN. */
  items(): Record<string, Item>;
}

/**
 * An SDK-shaped DynamoDB client that calls the emulator's service model in-process, with the lock
 * table created: unit tests get DynamoDB's conditional-write semantics with no network. Service
 * errors become the SDK's exception classes (`ConditionalCheckFailedException` with its `Item`).
 */
export function inProcessDynamoDb(): InProcessDynamoDb {
  const service = new DynamoDbService();
  service.invoke('CreateTable', {
    TableName: LOCK_TABLE,
    KeySchema: [{ AttributeName: 'secretArn', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'secretArn', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  const calls: string[] = [];
  let fault: { index: number; timing: FaultTiming } | undefined;
  return {
    service,
    calls,
    failCall(index, timing) {
      fault = { index, timing };
    },
    items() {
      return Object.fromEntries(
        service.items(LOCK_TABLE).map((item) => [String((item.secretArn as { S: string }).S), item]),
      );
    },
    // biome-ignore lint/suspicious/noExplicitAny: mirrors the SDK's overloaded send signature
    send: (async (command: { constructor: { name: string }; input: object }): Promise<any> => {
      const operation = command.constructor.name.replace(/Command$/, '') as DynamoDbOperation;
      const index = calls.push(operation) - 1;
      const failing = fault?.index === index ? fault : undefined;
      if (failing?.timing === 'before') throw injected(operation, 'before');
      let output: object;
      try {
        output = service.invoke(
          operation,
          JSON.parse(JSON.stringify(command.input)) as Record<string, unknown>,
        );
      } catch (error) {
        throw toSdkError(error);
      }
      if (failing?.timing === 'after') throw injected(operation, 'after');
      return JSON.parse(JSON.stringify(output));
    }) as DynamoDBClient['send'],
  };
}

function injected(operation: string, timing: FaultTiming): Error {
  return new DynamoDBServiceException({
    name: 'InternalServerError',
    $fault: 'server',
    $metadata: {},
    message: `injected failure ${timing} ${operation}`,
  });
}

function toSdkError(error: unknown): unknown {
  if (!(error instanceof AwsServiceError)) return error;
  const name = error.type.split('#').at(-1) ?? error.type;
  if (name === 'ConditionalCheckFailedException') {
    return new ConditionalCheckFailedException({
      $metadata: {},
      message: error.message,
      ...(error.members.Item === undefined ? {} : { Item: error.members.Item as never }),
    });
  }
  if (name === 'ResourceNotFoundException') {
    return new ResourceNotFoundException({ $metadata: {}, message: error.message });
  }
  return new DynamoDBServiceException({
    name,
    $fault: error.status >= 500 ? 'server' : 'client',
    $metadata: {},
    message: error.message,
  });
}
