/**
 * CloudTrail: every call the emulator serves (once its caller is authenticated) becomes a
 * management event, with the caller identity of the signing key, and `LookupEvents` answers with
 * AWS's lookup attributes, time range, paging and throttling.
 *
 * Kept from the service (API reference of LookupEvents, the CloudTrail record contents):
 * - one lookup attribute at most (`AccessKeyId`, `EventId`, `EventName`, `EventSource`, `ReadOnly`,
 *   `ResourceName`, `ResourceType`, `Username`), and the time range; newest events first;
 * - `MaxResults` from 1 to 50 (default 50), `NextToken` tied to the request it came from
 *   (`InvalidNextTokenException` when it is reused with other parameters);
 * - two lookups per second per account and region (`ThrottlingException`, "Rate exceeded", HTTP 400);
 * - events of the last 90 days, in the region the call was signed for;
 * - events are visible only after a delivery delay (`deliveryDelayMs`, 0 by default: AWS documents
 *   "an average of about 5 minutes", not guaranteed);
 * - the record: `userIdentity` (`Root` or `IAMUser`, with `accessKeyId`), `eventSource`
 *   (`<signing name>.amazonaws.com`), `sourceIPAddress`, `userAgent`, `requestParameters` without
 *   secret values (the call log's redaction), `readOnly`, `resources`, `errorCode`.
 *
 * Not emulated: Insights events (`EventCategory: insight` answers no events), trails, event data
 * stores and CloudTrail Lake queries, data events; calls that fail authentication are not recorded.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Event, LookupEventsResponse } from '@aws-sdk/client-cloudtrail';
import { createAwsJsonHandler } from './aws-json-protocol';
import type { CallRecord } from './call-log';
import { AwsServiceError, throttling } from './errors';
import { type OperationInput, optionalInteger, optionalObjectList, optionalString } from './input';
import type { ProtocolHandler } from './protocol';

/** Every CloudTrail operation the emulator implements. */
export const CLOUDTRAIL_OPERATIONS = ['LookupEvents'] as const;
/** A CloudTrail operation the emulator implements. */
export type CloudTrailOperation = (typeof CLOUDTRAIL_OPERATIONS)[number];

/** The `X-Amz-Target` prefix of CloudTrail (AWS JSON 1.1). */
export const CLOUDTRAIL_TARGET_PREFIX = 'CloudTrail_20131101';

/** The lookup attributes AWS documents for management events. */
export const LOOKUP_ATTRIBUTE_KEYS = [
  'AccessKeyId',
  'EventId',
  'EventName',
  'EventSource',
  'ReadOnly',
  'ResourceName',
  'ResourceType',
  'Username',
] as const;
type LookupAttributeKey = (typeof LOOKUP_ATTRIBUTE_KEYS)[number];

/** How long CloudTrail keeps management events for LookupEvents. */
const RETENTION_MS = 90 * 24 * 3600 * 1000;
const MAX_RESULTS = 50;

/** CloudTrail's own exception names (LookupEvents). */
export const CLOUDTRAIL_ERROR = {
  invalidLookupAttributes: 'InvalidLookupAttributesException',
  invalidMaxResults: 'InvalidMaxResultsException',
  invalidNextToken: 'InvalidNextTokenException',
  invalidTimeRange: 'InvalidTimeRangeException',
  invalidEventCategory: 'InvalidEventCategoryException',
} as const;

/** Options of {@link CloudTrailService}. */
export interface CloudTrailOptions {
  /** @default '123456789012' */
  readonly accountId?: string;
  /**
   * LookupEvents calls allowed per second per account and region; more are `ThrottlingException`.
   * @default 2
   */
  readonly lookupsPerSecond?: number;
  /**
   * How long after a call its event becomes visible to LookupEvents, in milliseconds.
   * @default 0
   */
  readonly deliveryDelayMs?: number;
  /** The clock, in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
}

/** A CloudTrail record (the JSON `CloudTrailEvent` carries), as the emulator writes it. */
export interface TrailRecord {
  readonly eventVersion: string;
  readonly userIdentity: Readonly<Record<string, unknown>>;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion: string;
  readonly sourceIPAddress: string;
  readonly userAgent?: string;
  readonly errorCode?: string;
  readonly requestParameters: Readonly<Record<string, unknown>> | null;
  readonly responseElements: null;
  readonly requestID: string;
  readonly eventID: string;
  readonly readOnly: boolean;
  readonly resources?: ReadonlyArray<{ readonly ARN: string; readonly type: string }>;
  readonly eventType: 'AwsApiCall';
  readonly managementEvent: true;
  readonly recipientAccountId: string;
  readonly eventCategory: 'Management';
}

/** One recorded event with what LookupEvents filters on. */
interface StoredEvent {
  readonly sequence: number;
  readonly time: number;
  readonly visibleAt: number;
  readonly record: TrailRecord;
  readonly accessKeyId?: string;
  readonly username?: string;
  readonly resources: ReadonlyArray<{ readonly type: string; readonly name: string }>;
}

/** Resource types by service, for the resource an output or input names. */
const RESOURCE_TYPES: Readonly<Record<string, string>> = {
  secretsmanager: 'AWS::SecretsManager::Secret',
  lambda: 'AWS::Lambda::Function',
  ssm: 'AWS::SSM::Parameter',
  sns: 'AWS::SNS::Topic',
};

const READ_ONLY = /^(Get|List|Describe|Lookup|BatchGet)/;

/** `2026-01-01T12:00:00Z`: CloudTrail's eventTime, to the second. */
const trailTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

/**
 * The CloudTrail model: a record per authenticated call, and LookupEvents over them.
 *
 * @example
 * ```ts
 * const trail = new CloudTrailService({ deliveryDelayMs: 0 });
 * trail.record(callRecord, 'secretsmanager', output);
 * trail.invoke('LookupEvents', { LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: 'GetSecretValue' }] }, 'us-east-1');
 * ```
 */
export class CloudTrailService {
  readonly accountId: string;
  /** LookupEvents calls allowed per second per account and region. */
  lookupsPerSecond: number;
  /** How long after a call its event becomes visible, in milliseconds. */
  deliveryDelayMs: number;
  readonly #now: () => number;
  readonly #events: StoredEvent[] = [];
  /** Lookup times in the last second, per region (the account is the emulator's). */
  readonly #lookups = new Map<string, number[]>();
  #sequence = 0;

  constructor(options: CloudTrailOptions = {}) {
    this.accountId = options.accountId ?? '123456789012';
    this.lookupsPerSecond = options.lookupsPerSecond ?? 2;
    this.deliveryDelayMs = options.deliveryDelayMs ?? 0;
    this.#now = options.now ?? Date.now;
  }

  /** Whether `operation` is a CloudTrail operation the emulator implements. */
  static isOperation(operation: string): operation is CloudTrailOperation {
    return (CLOUDTRAIL_OPERATIONS as readonly string[]).includes(operation);
  }

  /**
   * Records one answered call as a management event. Calls whose caller was not authenticated are
   * not recorded. `output` (the operation's result) names the resource for services whose ARN is
   * only known after the call (a secret addressed by name).
   */
  record(call: CallRecord, signingName: string, output?: object): void {
    const caller = call.caller;
    if (caller === undefined) return;
    const region = call.region ?? 'us-east-1';
    const userIdentity =
      caller.type === 'Root'
        ? {
            type: 'Root',
            principalId: caller.principalId,
            arn: caller.arn,
            accountId: caller.accountId,
            accessKeyId: caller.accessKeyId,
          }
        : {
            type: 'IAMUser',
            principalId: caller.principalId,
            arn: caller.arn,
            accountId: caller.accountId,
            accessKeyId: caller.accessKeyId,
            userName: caller.userName,
          };
    const resources = resourcesOf(call, output);
    const record: TrailRecord = {
      eventVersion: '1.09',
      userIdentity,
      eventTime: trailTime(call.time),
      eventSource: `${signingName}.amazonaws.com`,
      eventName: call.operation,
      awsRegion: region,
      sourceIPAddress: call.sourceIp,
      ...(call.userAgent === undefined ? {} : { userAgent: call.userAgent }),
      ...(call.errorCode === undefined ? {} : { errorCode: call.errorCode }),
      requestParameters:
        Object.keys(call.requestParameters).length === 0
          ? null
          : (camelCased(call.requestParameters) as Record<string, unknown>),
      responseElements: null,
      requestID: call.requestId,
      eventID: randomUUID(),
      readOnly: READ_ONLY.test(call.operation),
      ...(resources.length === 0
        ? {}
        : { resources: resources.map((resource) => ({ ARN: resource.name, type: resource.type })) }),
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: this.accountId,
      eventCategory: 'Management',
    };
    const time = call.time.getTime();
    this.#sequence += 1;
    this.#events.push({
      sequence: this.#sequence,
      time,
      visibleAt: time + this.deliveryDelayMs,
      record,
      accessKeyId: caller.accessKeyId,
      username: caller.type === 'Root' ? 'root' : caller.userName,
      resources,
    });
  }

  /** Every recorded event, delivered or not, oldest first (copies of the records). */
  records(): TrailRecord[] {
    return this.#events.map((event) => structuredClone(event.record));
  }

  /** Forgets every event. */
  clear(): void {
    this.#events.length = 0;
  }

  /** Runs one CloudTrail operation, in the region the request was signed for. */
  invoke(_operation: CloudTrailOperation, input: OperationInput, region: string): LookupEventsResponse {
    this.#throttle(region);
    return this.#lookupEvents(input, region);
  }

  #throttle(region: string): void {
    const now = this.#now();
    const recent = (this.#lookups.get(region) ?? []).filter((at) => now - at < 1000);
    if (recent.length >= this.lookupsPerSecond) {
      this.#lookups.set(region, recent);
      throw throttling('Rate exceeded');
    }
    recent.push(now);
    this.#lookups.set(region, recent);
  }

  #lookupEvents(input: OperationInput, region: string): LookupEventsResponse {
    const attributes = optionalObjectList(input, 'LookupAttributes') ?? [];
    if (attributes.length > 1) {
      throw new AwsServiceError(
        CLOUDTRAIL_ERROR.invalidLookupAttributes,
        'You can specify only one lookup attribute.',
      );
    }
    const attribute = attributes[0];
    let filter: { key: LookupAttributeKey; value: string } | undefined;
    if (attribute !== undefined) {
      const key = optionalString(attribute, 'AttributeKey');
      const value = optionalString(attribute, 'AttributeValue');
      if (key === undefined || !(LOOKUP_ATTRIBUTE_KEYS as readonly string[]).includes(key)) {
        throw new AwsServiceError(
          CLOUDTRAIL_ERROR.invalidLookupAttributes,
          `AttributeKey must be one of ${LOOKUP_ATTRIBUTE_KEYS.join(', ')}.`,
        );
      }
      if (value === undefined || value === '') {
        throw new AwsServiceError(
          CLOUDTRAIL_ERROR.invalidLookupAttributes,
          'AttributeValue must not be empty.',
        );
      }
      filter = { key: key as LookupAttributeKey, value };
    }
    let maxResults: number;
    try {
      maxResults = optionalInteger(input, 'MaxResults', 1, MAX_RESULTS) ?? MAX_RESULTS;
    } catch {
      throw new AwsServiceError(
        CLOUDTRAIL_ERROR.invalidMaxResults,
        `MaxResults must be from 1 to ${MAX_RESULTS}.`,
      );
    }
    const category = optionalString(input, 'EventCategory');
    if (category !== undefined && category !== 'insight') {
      throw new AwsServiceError(CLOUDTRAIL_ERROR.invalidEventCategory, 'EventCategory must be insight.');
    }
    const now = this.#now();
    const start = timeOf(input.StartTime) ?? now - RETENTION_MS;
    const end = timeOf(input.EndTime) ?? now;
    if (start > end) {
      throw new AwsServiceError(CLOUDTRAIL_ERROR.invalidTimeRange, 'Start time must be before end time.');
    }
    const query = createHash('sha256')
      .update(
        JSON.stringify([filter, input.StartTime ?? null, input.EndTime ?? null, category ?? null, region]),
      )
      .digest('hex')
      .slice(0, 16);
    const before = decodeToken(optionalString(input, 'NextToken'), query);
    if (category === 'insight') return { Events: [] };

    const matches = this.#events.filter(
      (event) =>
        event.visibleAt <= now &&
        event.time >= now - RETENTION_MS &&
        event.time >= start &&
        event.time <= end &&
        event.record.awsRegion === region &&
        (before === undefined || event.sequence < before) &&
        (filter === undefined || matchesAttribute(event, filter)),
    );
    // Newest first.
    matches.sort((a, b) => b.time - a.time || b.sequence - a.sequence);
    const page = matches.slice(0, maxResults);
    const last = page.at(-1);
    const next =
      matches.length > maxResults && last !== undefined ? encodeToken(last.sequence, query) : undefined;
    return {
      Events: page.map(toEvent),
      ...(next === undefined ? {} : { NextToken: next }),
    };
  }
}

/** Input members as CloudTrail records them: `SecretId` as `secretId`, at every depth. */
function camelCased(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCased);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, member]) => [
      `${key.charAt(0).toLowerCase()}${key.slice(1)}`,
      camelCased(member),
    ]),
  );
}

/** The resources a call was about, as CloudTrail lists them. */
function resourcesOf(call: CallRecord, output: object | undefined): Array<{ type: string; name: string }> {
  const type = RESOURCE_TYPES[call.service];
  const arn = (output as { ARN?: unknown; TopicArn?: unknown } | undefined)?.ARN;
  if (call.service === 'iam') {
    const parameters = call.requestParameters;
    return [
      ...(typeof parameters.UserName === 'string'
        ? [{ type: 'AWS::IAM::User', name: parameters.UserName }]
        : []),
      ...(typeof parameters.AccessKeyId === 'string'
        ? [{ type: 'AWS::IAM::AccessKey', name: parameters.AccessKeyId }]
        : []),
    ];
  }
  if (type !== undefined && typeof arn === 'string') return [{ type, name: arn }];
  return [];
}

function matchesAttribute(event: StoredEvent, filter: { key: LookupAttributeKey; value: string }): boolean {
  const { record } = event;
  switch (filter.key) {
    case 'AccessKeyId':
      return event.accessKeyId === filter.value;
    case 'EventId':
      return record.eventID === filter.value;
    case 'EventName':
      return record.eventName === filter.value;
    case 'EventSource':
      return record.eventSource === filter.value;
    case 'ReadOnly':
      return String(record.readOnly) === filter.value;
    case 'ResourceName':
      return event.resources.some((resource) => resource.name === filter.value);
    case 'ResourceType':
      return event.resources.some((resource) => resource.type === filter.value);
    case 'Username':
      return event.username === filter.value;
  }
}

function toEvent(event: StoredEvent): Event {
  const { record } = event;
  return {
    EventId: record.eventID,
    EventName: record.eventName,
    ReadOnly: String(record.readOnly),
    ...(event.accessKeyId === undefined ? {} : { AccessKeyId: event.accessKeyId }),
    EventTime: new Date(event.time),
    EventSource: record.eventSource,
    ...(event.username === undefined ? {} : { Username: event.username }),
    Resources: event.resources.map((resource) => ({
      ResourceType: resource.type,
      ResourceName: resource.name,
    })),
    CloudTrailEvent: JSON.stringify(record),
  };
}

/** An AWS JSON timestamp (epoch seconds) as epoch milliseconds. */
function timeOf(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new AwsServiceError(CLOUDTRAIL_ERROR.invalidTimeRange, 'StartTime and EndTime must be timestamps.');
  }
  return value * 1000;
}

function encodeToken(sequence: number, query: string): string {
  return Buffer.from(JSON.stringify({ s: sequence, q: query })).toString('base64');
}

function decodeToken(token: string | undefined, query: string): number | undefined {
  if (token === undefined) return undefined;
  try {
    const decoded = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { s?: unknown; q?: unknown };
    if (typeof decoded.s === 'number' && decoded.q === query) return decoded.s;
  } catch {
    // Falls through to the error.
  }
  throw new AwsServiceError(
    CLOUDTRAIL_ERROR.invalidNextToken,
    'Invalid token, or a token used with other parameters than the request it came from.',
  );
}

/**
 * Serves a {@link CloudTrailService} over AWS JSON 1.1 (signing name `cloudtrail`, target
 * `CloudTrail_20131101.<Operation>`).
 */
export function createCloudTrailHandler(cloudTrail: CloudTrailService): ProtocolHandler {
  const json = createAwsJsonHandler({
    service: 'cloudtrail',
    targetPrefix: CLOUDTRAIL_TARGET_PREFIX,
    jsonVersion: '1.1',
    isOperation: (operation) => CloudTrailService.isOperation(operation),
    invoke: () => {
      throw new Error('unreachable: execute is overridden');
    },
    resourceMembers: [],
  });
  return {
    ...json,
    execute: async (call) => {
      if (!CloudTrailService.isOperation(call.operation)) {
        throw new AwsServiceError(
          'UnknownOperationException',
          `The emulator does not implement ${call.operation}.`,
        );
      }
      return cloudTrail.invoke(call.operation, call.input, call.region ?? 'us-east-1');
    },
  };
}
