import { randomUUID } from 'node:crypto';
import { createAwsJsonHandler } from './aws-json-protocol';
import {
  type AttributeValue,
  assertAllUsed,
  type ExpressionContext,
  expressionContext,
  type Item,
  parseCondition,
  parseUpdate,
  VALIDATION,
  validation,
} from './dynamodb-expressions';
import { AwsServiceError } from './errors';
import {
  type OperationInput,
  optionalBoolean,
  optionalObject,
  optionalObjectList,
  optionalString,
} from './input';
import type { ProtocolHandler } from './protocol';

export type { AttributeValue, Item } from './dynamodb-expressions';

/**
 * Amazon DynamoDB for the emulator: CreateTable, DescribeTable, DeleteTable, GetItem, PutItem,
 * UpdateItem and DeleteItem over the protocol the installed `@aws-sdk/client-dynamodb` speaks:
 * AWS JSON 1.0 (`X-Amz-Target: DynamoDB_20120810.<Operation>`, signing name `dynamodb`).
 *
 * Semantics kept from DynamoDB: tables with a partition key and an optional sort key (`S`, `N` or
 * `B`), declared in `AttributeDefinitions` exactly; `ConditionExpression` on every write, with
 * `ExpressionAttributeNames` / `ExpressionAttributeValues` (undefined and unused placeholders are
 * `ValidationException`), evaluated atomically against the item as it is (a missing item has no
 * attributes); `ConditionalCheckFailedException` ("The conditional request failed"), carrying the
 * item with `ReturnValuesOnConditionCheckFailure: ALL_OLD`; `UpdateExpression` (SET, REMOVE, ADD
 * on numbers) that creates the item when it does not exist and never touches a key attribute;
 * `ReturnValues`; item keys checked against the schema ("The provided key element does not match
 * the schema"); items of at most 400 KB. Reads are always strongly consistent (one process), so
 * `ConsistentRead` changes nothing. Error `__type`s carry DynamoDB's namespace, as the service's do.
 *
 * Not emulated: Query, Scan, batch and transactional operations, secondary indexes, streams, TTL
 * deletion, `ProjectionExpression`, the legacy `Expected` / `AttributeUpdates` parameters, set
 * `ADD` / `DELETE` (see `dynamodb-expressions.ts`), capacity and throttling by capacity (inject
 * `ProvisionedThroughputExceededException` with a fault instead).
 */

/** Every DynamoDB operation the emulator implements. */
export const DYNAMODB_OPERATIONS = [
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'GetItem',
  'PutItem',
  'UpdateItem',
] as const;
/** A DynamoDB operation the emulator implements. */
export type DynamoDbOperation = (typeof DYNAMODB_OPERATIONS)[number];

/** The `X-Amz-Target` prefix of DynamoDB. */
export const DYNAMODB_TARGET_PREFIX = 'DynamoDB_20120810';

const NAMESPACE = 'com.amazonaws.dynamodb.v20120810#';

/** Exception names (`__type`) DynamoDB returns, with its namespace. */
export const DYNAMODB_ERROR = {
  conditionalCheckFailed: `${NAMESPACE}ConditionalCheckFailedException`,
  resourceNotFound: `${NAMESPACE}ResourceNotFoundException`,
  resourceInUse: `${NAMESPACE}ResourceInUseException`,
  validation: VALIDATION,
} as const;

const TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;
const MAX_ITEM_BYTES = 400 * 1024;
const KEY_TYPES = ['S', 'N', 'B'];
const VALUE_TYPES = ['S', 'N', 'B', 'BOOL', 'NULL', 'SS', 'NS', 'BS', 'L', 'M'];

interface KeyElement {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

interface Table {
  readonly name: string;
  readonly arn: string;
  readonly id: string;
  readonly hash: KeyElement;
  readonly range?: KeyElement;
  readonly billingMode: 'PAY_PER_REQUEST' | 'PROVISIONED';
  readonly throughput: { readonly read: number; readonly write: number };
  readonly created: Date;
  /** Item by the JSON of its key. */
  readonly items: Map<string, Item>;
}

/** Options of the DynamoDB model. */
export interface DynamoDbOptions {
  /** The region in ARNs. @default 'us-east-1' */
  readonly region?: string;
  /** The account id in ARNs. @default '123456789012' */
  readonly accountId?: string;
  /** The clock. @default - the system clock */
  readonly now?: () => Date;
}

const resourceNotFound = () =>
  new AwsServiceError(DYNAMODB_ERROR.resourceNotFound, 'Requested resource not found');

/** Parses one attribute value of the request; `where` names it in the message. */
function parseValue(value: unknown, where: string): AttributeValue {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validation(
      `Supplied AttributeValue is empty, must contain exactly one of the supported datatypes (${where})`,
    );
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const [entry] = entries;
  if (entries.length !== 1 || entry === undefined || !VALUE_TYPES.includes(entry[0])) {
    throw validation(
      `Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes (${where})`,
    );
  }
  const [type, member] = entry;
  const fail = (): never => {
    throw validation(
      `One or more parameter values were invalid: An AttributeValue may not contain a malformed ${type} (${where})`,
    );
  };
  switch (type) {
    case 'S':
    case 'B':
      if (typeof member !== 'string') fail();
      return { [type]: member } as AttributeValue;
    case 'N':
      if (typeof member !== 'string' || member.trim() === '' || !Number.isFinite(Number(member))) {
        throw validation(`A value provided cannot be converted into a number (${where})`);
      }
      return { N: member as string };
    case 'BOOL':
      if (typeof member !== 'boolean') fail();
      return { BOOL: member as boolean };
    case 'NULL':
      if (member !== true) fail();
      return { NULL: true };
    case 'SS':
    case 'NS':
    case 'BS': {
      if (!Array.isArray(member) || member.length === 0 || !member.every((m) => typeof m === 'string')) {
        throw validation(
          `One or more parameter values were invalid: An string set  may not be empty (${where})`,
        );
      }
      if (new Set(member).size !== member.length) {
        throw validation(
          `One or more parameter values were invalid: Input collection contains duplicates (${where})`,
        );
      }
      return { [type]: member } as unknown as AttributeValue;
    }
    case 'L':
      if (!Array.isArray(member)) fail();
      return { L: (member as unknown[]).map((element, i) => parseValue(element, `${where}[${i}]`)) };
    default: {
      if (typeof member !== 'object' || member === null || Array.isArray(member)) fail();
      const map: Record<string, AttributeValue> = {};
      for (const [key, inner] of Object.entries(member as Record<string, unknown>)) {
        map[key] = parseValue(inner, `${where}.${key}`);
      }
      return { M: map };
    }
  }
}

function parseItem(value: OperationInput | undefined, member: string): Item {
  if (value === undefined) {
    throw validation(
      `1 validation error detected: Value null at '${member.toLowerCase()}' failed to satisfy constraint: Member must not be null`,
    );
  }
  const item: Record<string, AttributeValue> = {};
  for (const [name, attribute] of Object.entries(value)) item[name] = parseValue(attribute, name);
  return item;
}

function parseValues(input: OperationInput): Record<string, AttributeValue> | undefined {
  const values = optionalObject(input, 'ExpressionAttributeValues');
  if (values === undefined) return undefined;
  const parsed: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(values)) {
    if (!name.startsWith(':')) {
      throw validation(`ExpressionAttributeValues contains invalid key: Syntax error; key: "${name}"`);
    }
    parsed[name] = parseValue(value, name);
  }
  return parsed;
}

function parseNames(input: OperationInput): Record<string, string> | undefined {
  const names = optionalObject(input, 'ExpressionAttributeNames');
  if (names === undefined) return undefined;
  const parsed: Record<string, string> = {};
  for (const [name, value] of Object.entries(names)) {
    if (!name.startsWith('#')) {
      throw validation(`ExpressionAttributeNames contains invalid key: Syntax error; key: "${name}"`);
    }
    if (typeof value !== 'string' || value === '') {
      throw validation(
        `ExpressionAttributeNames contains invalid value: Empty attribute name for key ${name}`,
      );
    }
    parsed[name] = value;
  }
  return parsed;
}

function itemBytes(item: Item): number {
  return Object.entries(item).reduce(
    (n, [name, value]) => n + Buffer.byteLength(name) + Buffer.byteLength(JSON.stringify(value)),
    0,
  );
}

/**
 * The DynamoDB model. Pure logic, no HTTP.
 *
 * @example
 * ```ts
 * const dynamodb = new DynamoDbService();
 * dynamodb.invoke('CreateTable', { TableName: 'locks', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
 *   AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' });
 * dynamodb.invoke('PutItem', { TableName: 'locks', Item: { id: { S: 'a' } }, ConditionExpression: 'attribute_not_exists(id)' });
 * dynamodb.items('locks'); // [{ id: { S: 'a' } }]
 * ```
 */
export class DynamoDbService {
  readonly region: string;
  readonly accountId: string;
  readonly #now: () => Date;
  readonly #tables = new Map<string, Table>();

  readonly #operations: Record<DynamoDbOperation, (input: OperationInput) => object> = {
    CreateTable: (input) => this.#createTable(input),
    DeleteItem: (input) => this.#deleteItem(input),
    DeleteTable: (input) => this.#deleteTable(input),
    DescribeTable: (input) => this.#describeTable(input),
    GetItem: (input) => this.#getItem(input),
    PutItem: (input) => this.#putItem(input),
    UpdateItem: (input) => this.#updateItem(input),
  };

  constructor(options: DynamoDbOptions = {}) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '123456789012';
    this.#now = options.now ?? (() => new Date());
  }

  /** Whether `operation` is a DynamoDB operation the emulator implements. */
  static isOperation(operation: string): operation is DynamoDbOperation {
    return (DYNAMODB_OPERATIONS as readonly string[]).includes(operation);
  }

  /** Runs one operation on decoded input and returns the response members. Throws `AwsServiceError`. */
  invoke(operation: DynamoDbOperation, input: OperationInput): object {
    return this.#operations[operation](input);
  }

  /** Every item of a table (copies, in no particular order); `[]` for a table that does not exist. */
  items(tableName: string): Item[] {
    return [...(this.#tables.get(tableName)?.items.values() ?? [])].map((item) => structuredClone(item));
  }

  #table(input: OperationInput): Table {
    const name = optionalString(input, 'TableName');
    if (name === undefined || name === '') {
      throw validation(
        "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null",
      );
    }
    const table = this.#tables.get(name) ?? this.#tables.get(name.split('/').at(-1) ?? '');
    if (table === undefined || (table.arn !== name && table.name !== name)) throw resourceNotFound();
    return table;
  }

  #describe(table: Table, status: string): object {
    const keySchema = [
      { AttributeName: table.hash.name, KeyType: 'HASH' },
      ...(table.range === undefined ? [] : [{ AttributeName: table.range.name, KeyType: 'RANGE' }]),
    ];
    const definitions = [table.hash, ...(table.range === undefined ? [] : [table.range])].map((key) => ({
      AttributeName: key.name,
      AttributeType: key.type,
    }));
    return {
      TableName: table.name,
      TableArn: table.arn,
      TableId: table.id,
      TableStatus: status,
      KeySchema: keySchema,
      AttributeDefinitions: definitions,
      CreationDateTime: table.created,
      ItemCount: table.items.size,
      TableSizeBytes: [...table.items.values()].reduce((n, item) => n + itemBytes(item), 0),
      BillingModeSummary: { BillingMode: table.billingMode },
      ProvisionedThroughput: {
        ReadCapacityUnits: table.throughput.read,
        WriteCapacityUnits: table.throughput.write,
        NumberOfDecreasesToday: 0,
      },
      DeletionProtectionEnabled: false,
    };
  }

  #createTable(input: OperationInput): object {
    const name = optionalString(input, 'TableName') ?? '';
    if (!TABLE_NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value '${name}' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ (3 to 255 characters)`,
      );
    }
    if (this.#tables.has(name)) {
      throw new AwsServiceError(DYNAMODB_ERROR.resourceInUse, `Table already exists: ${name}`);
    }
    const schema = optionalObjectList(input, 'KeySchema') ?? [];
    const definitions = optionalObjectList(input, 'AttributeDefinitions') ?? [];
    const hashes = schema.filter((element) => element.KeyType === 'HASH');
    const ranges = schema.filter((element) => element.KeyType === 'RANGE');
    if (
      schema.length < 1 ||
      schema.length > 2 ||
      hashes.length !== 1 ||
      ranges.length > 1 ||
      schema[0]?.KeyType !== 'HASH'
    ) {
      throw validation(
        'Invalid KeySchema: The first KeySchemaElement is not a HASH key type, or the schema has not one HASH and at most one RANGE key',
      );
    }
    if (definitions.length !== schema.length) {
      throw validation(
        'One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions',
      );
    }
    const element = (entry: OperationInput | undefined): KeyElement | undefined => {
      if (entry === undefined) return undefined;
      const attribute = String(entry.AttributeName ?? '');
      const definition = definitions.find((candidate) => candidate.AttributeName === attribute);
      const type = String(definition?.AttributeType ?? '');
      if (definition === undefined) {
        throw validation(
          `One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [${attribute}], AttributeDefinitions: [${definitions.map((d) => String(d.AttributeName)).join(', ')}]`,
        );
      }
      if (!KEY_TYPES.includes(type)) {
        throw validation(
          `1 validation error detected: Value '${type}' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]`,
        );
      }
      return { name: attribute, type: type as KeyElement['type'] };
    };
    const hash = element(hashes[0]) as KeyElement;
    const range = element(ranges[0]);
    const billingMode = optionalString(input, 'BillingMode') ?? 'PROVISIONED';
    if (billingMode !== 'PAY_PER_REQUEST' && billingMode !== 'PROVISIONED') {
      throw validation(
        `1 validation error detected: Value '${billingMode}' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]`,
      );
    }
    const throughput = optionalObject(input, 'ProvisionedThroughput');
    if (billingMode === 'PROVISIONED' && throughput === undefined) {
      throw validation(
        'One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED',
      );
    }
    if (billingMode === 'PAY_PER_REQUEST' && throughput !== undefined) {
      throw validation(
        'One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST',
      );
    }
    const table: Table = {
      name,
      arn: `arn:aws:dynamodb:${this.region}:${this.accountId}:table/${name}`,
      id: randomUUID(),
      hash,
      ...(range === undefined ? {} : { range }),
      billingMode,
      throughput: {
        read: Number(throughput?.ReadCapacityUnits ?? 0),
        write: Number(throughput?.WriteCapacityUnits ?? 0),
      },
      created: this.#now(),
      items: new Map(),
    };
    this.#tables.set(name, table);
    return { TableDescription: this.#describe(table, 'CREATING') };
  }

  #describeTable(input: OperationInput): object {
    // CreateTable answers CREATING; the table is ACTIVE from the first DescribeTable on (the SDK's
    // waitUntilTableExists polls for it).
    return { Table: this.#describe(this.#table(input), 'ACTIVE') };
  }

  #deleteTable(input: OperationInput): object {
    const table = this.#table(input);
    this.#tables.delete(table.name);
    return { TableDescription: this.#describe(table, 'DELETING') };
  }

  /** The key of an item or a `Key` member, checked against the schema, as its map key. */
  #keyOf(table: Table, item: Item, exact: boolean): string {
    const elements = [table.hash, ...(table.range === undefined ? [] : [table.range])];
    if (exact && Object.keys(item).length !== elements.length) {
      throw validation('The provided key element does not match the schema');
    }
    const parts = elements.map((element) => {
      const value = item[element.name];
      if (value === undefined) {
        throw validation(
          exact
            ? 'The provided key element does not match the schema'
            : `One or more parameter values were invalid: Missing the key ${element.name} in the item`,
        );
      }
      const type = Object.keys(value)[0];
      if (type !== element.type) {
        throw validation(
          `One or more parameter values were invalid: Type mismatch for key ${element.name} expected: ${element.type} actual: ${type}`,
        );
      }
      const text = Object.values(value)[0] as string;
      if (text === '') {
        throw validation(
          `One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: ${element.name}`,
        );
      }
      return [element.name, element.type === 'N' ? String(Number(text)) : text];
    });
    return JSON.stringify(parts);
  }

  /** The request's condition, or one that always holds; marks the placeholders it uses. */
  #condition(input: OperationInput, context: ExpressionContext): ((item: Item) => boolean) | undefined {
    for (const legacy of ['Expected', 'ConditionalOperator', 'AttributeUpdates']) {
      if (input[legacy] !== undefined) {
        throw validation(
          `The legacy parameter ${legacy} is not emulated: use ConditionExpression / UpdateExpression`,
        );
      }
    }
    const expression = optionalString(input, 'ConditionExpression');
    return expression === undefined ? undefined : parseCondition(expression, context);
  }

  #returnValues(input: OperationInput, allowed: readonly string[]): string {
    const value = optionalString(input, 'ReturnValues') ?? 'NONE';
    if (!allowed.includes(value)) {
      throw validation(`Return values set to invalid value: ${value}; allowed: ${allowed.join(', ')}`);
    }
    return value;
  }

  /** Throws ConditionalCheckFailedException (with the item, when asked) unless `condition` holds. */
  #check(
    input: OperationInput,
    condition: ((item: Item) => boolean) | undefined,
    existing: Item | undefined,
  ): void {
    if (condition === undefined || condition(existing ?? {})) return;
    const returnOld = optionalString(input, 'ReturnValuesOnConditionCheckFailure') === 'ALL_OLD';
    throw new AwsServiceError(DYNAMODB_ERROR.conditionalCheckFailed, 'The conditional request failed', 400, {
      members: returnOld && existing !== undefined ? { Item: existing } : {},
    });
  }

  #getItem(input: OperationInput): object {
    const table = this.#table(input);
    optionalBoolean(input, 'ConsistentRead');
    if (input.ProjectionExpression !== undefined) {
      throw validation('ProjectionExpression is not emulated: read the whole item');
    }
    const context = expressionContext(parseNames(input), undefined);
    assertAllUsed(context, false);
    const key = this.#keyOf(table, parseItem(optionalObject(input, 'Key'), 'Key'), true);
    const item = table.items.get(key);
    return item === undefined ? {} : { Item: structuredClone(item) };
  }

  #putItem(input: OperationInput): object {
    const table = this.#table(input);
    const item = parseItem(optionalObject(input, 'Item'), 'Item');
    const returnValues = this.#returnValues(input, ['NONE', 'ALL_OLD']);
    const context = expressionContext(parseNames(input), parseValues(input));
    const condition = this.#condition(input, context);
    assertAllUsed(context, condition !== undefined);
    const key = this.#keyOf(table, item, false);
    if (itemBytes(item) > MAX_ITEM_BYTES) throw validation('Item size has exceeded the maximum allowed size');
    const existing = table.items.get(key);
    this.#check(input, condition, existing);
    table.items.set(key, item);
    return returnValues === 'ALL_OLD' && existing !== undefined ? { Attributes: existing } : {};
  }

  #updateItem(input: OperationInput): object {
    const table = this.#table(input);
    const keyItem = parseItem(optionalObject(input, 'Key'), 'Key');
    const key = this.#keyOf(table, keyItem, true);
    const returnValues = this.#returnValues(input, [
      'NONE',
      'ALL_OLD',
      'UPDATED_OLD',
      'ALL_NEW',
      'UPDATED_NEW',
    ]);
    const context = expressionContext(parseNames(input), parseValues(input));
    const condition = this.#condition(input, context);
    const expression = optionalString(input, 'UpdateExpression');
    const keyNames = [table.hash.name, ...(table.range === undefined ? [] : [table.range.name])];
    const update = expression === undefined ? undefined : parseUpdate(expression, context, keyNames);
    assertAllUsed(context, condition !== undefined || update !== undefined);
    const existing = table.items.get(key);
    this.#check(input, condition, existing);
    const next =
      update === undefined
        ? { ...(existing ?? {}), ...keyItem }
        : update({ ...(existing ?? {}), ...keyItem });
    if (itemBytes(next) > MAX_ITEM_BYTES)
      throw validation('Item size to update has exceeded the maximum allowed size');
    table.items.set(key, next);
    const changed = (item: Item | undefined): Item =>
      Object.fromEntries(
        Object.entries(item ?? {}).filter(
          ([name]) =>
            !keyNames.includes(name) && JSON.stringify(existing?.[name]) !== JSON.stringify(next[name]),
        ),
      );
    switch (returnValues) {
      case 'ALL_OLD':
        return existing === undefined ? {} : { Attributes: existing };
      case 'ALL_NEW':
        return { Attributes: next };
      case 'UPDATED_OLD':
        return { Attributes: changed(existing) };
      case 'UPDATED_NEW':
        return { Attributes: changed(next) };
      default:
        return {};
    }
  }

  #deleteItem(input: OperationInput): object {
    const table = this.#table(input);
    const key = this.#keyOf(table, parseItem(optionalObject(input, 'Key'), 'Key'), true);
    const returnValues = this.#returnValues(input, ['NONE', 'ALL_OLD']);
    const context = expressionContext(parseNames(input), parseValues(input));
    const condition = this.#condition(input, context);
    assertAllUsed(context, condition !== undefined);
    const existing = table.items.get(key);
    this.#check(input, condition, existing);
    table.items.delete(key);
    return returnValues === 'ALL_OLD' && existing !== undefined ? { Attributes: existing } : {};
  }
}

/** Serves a {@link DynamoDbService} over AWS JSON 1.0. */
export function createDynamoDbHandler(dynamodb: DynamoDbService): ProtocolHandler {
  return createAwsJsonHandler({
    service: 'dynamodb',
    targetPrefix: DYNAMODB_TARGET_PREFIX,
    jsonVersion: '1.0',
    isOperation: (operation) => DynamoDbService.isOperation(operation),
    invoke: (operation, input) => {
      if (!DynamoDbService.isOperation(operation)) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `The emulator does not implement ${operation}.`,
        );
      }
      return dynamodb.invoke(operation, input);
    },
    resourceMembers: ['TableName'],
  });
}
