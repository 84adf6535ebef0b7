/**
 * CloudTrail management events, read with `LookupEvents`: the one place Handover pages through
 * them, paces its calls and parses their records. The rollout workflow reads who read a secret;
 * the IAM access key strategy reads who still calls AWS with an old key.
 *
 * LookupEvents (API reference): events of the last 90 days in the region, at most 50 per page,
 * newest first, one lookup attribute per call, and two calls per second per account and region
 * (beyond it, `ThrottlingException`). CloudTrail delivers an event "within an average of about 5
 * minutes" of the call, not guaranteed: an absence is only trusted some time after.
 */
import {
  type CloudTrailClient,
  type LookupAttributeKey,
  LookupEventsCommand,
  type LookupEventsCommandOutput,
} from '@aws-sdk/client-cloudtrail';

/** The CloudTrail operation Handover calls (LookupEvents), and nothing else. */
export type CloudTrailSend = Pick<CloudTrailClient, 'send'>;

export { CLOUDTRAIL_DELIVERY } from './cloudtrail-delivery';

/** Who made a call, as Handover names principals: the role (not the session), the user, the service. */
export interface TrailPrincipal {
  /**
   * The principal's stable ARN: the role ARN of an assumed role (`sessionContext.sessionIssuer`),
   * the user ARN of an IAM user, `arn:...:root`, or `service:<name>.amazonaws.com` for an AWS service.
   */
  readonly arn: string;
  /** CloudTrail's `userIdentity.type`: `AssumedRole`, `IAMUser`, `Root`, `AWSService`, ... */
  readonly type: string;
  /** The session name of an assumed role (a Lambda function name, an ECS task id, an instance id). */
  readonly session?: string;
}

/** One event, parsed: who, from where, what, when. No request body beyond the parameters CloudTrail keeps. */
export interface TrailEvent {
  readonly eventName: string;
  readonly eventSource: string;
  readonly time: Date;
  readonly principal: TrailPrincipal;
  readonly accessKeyId?: string;
  readonly sourceIp?: string;
  readonly vpcEndpointId?: string;
  /** At most 200 characters. */
  readonly userAgent?: string;
  readonly errorCode?: string;
  /** `requestParameters` as CloudTrail records them (`secretId`, `versionId`, `versionStage`, ...). */
  readonly requestParameters: Readonly<Record<string, unknown>>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/**
 * The principal of a CloudTrail `userIdentity`: an assumed role is named by its role
 * (`sessionContext.sessionIssuer.arn`), with the session apart, so every Lambda environment or ECS
 * task of one role is one principal.
 *
 * @example
 * ```ts
 * principalOf({ type: 'AssumedRole', arn: 'arn:aws:sts::1:assumed-role/api/fn', sessionContext: { sessionIssuer: { arn: 'arn:aws:iam::1:role/api' } } });
 * // { arn: 'arn:aws:iam::1:role/api', type: 'AssumedRole', session: 'fn' }
 * ```
 */
export function principalOf(identity: unknown): TrailPrincipal {
  if (!isRecord(identity)) return { arn: 'unknown', type: 'Unknown' };
  const type = text(identity.type) ?? 'Unknown';
  const arn = text(identity.arn);
  const context = isRecord(identity.sessionContext) ? identity.sessionContext : {};
  const issuer = isRecord(context.sessionIssuer) ? text(context.sessionIssuer.arn) : undefined;
  if (type === 'AWSService') {
    return { arn: `service:${text(identity.invokedBy) ?? 'unknown'}`, type };
  }
  if (issuer !== undefined) {
    const session = arn?.split('/').slice(2).join('/');
    return { arn: issuer, type, ...(session === undefined || session === '' ? {} : { session }) };
  }
  if (arn !== undefined) return { arn, type };
  const account = text(identity.accountId);
  const principalId = text(identity.principalId);
  return { arn: account === undefined ? (principalId ?? 'unknown') : `account:${account}`, type };
}

/** Parses the record LookupEvents returns in `CloudTrailEvent`; `undefined` when it is not one. */
export function parseTrailRecord(json: string | undefined): TrailEvent | undefined {
  if (json === undefined) return undefined;
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!isRecord(record)) return undefined;
  const time = new Date(text(record.eventTime) ?? Number.NaN);
  const eventName = text(record.eventName);
  if (eventName === undefined || Number.isNaN(time.getTime())) return undefined;
  const identity = isRecord(record.userIdentity) ? record.userIdentity : {};
  const userAgent = text(record.userAgent);
  const sourceIp = text(record.sourceIPAddress);
  const vpcEndpointId = text(record.vpcEndpointId);
  const accessKeyId = text(identity.accessKeyId);
  const errorCode = text(record.errorCode);
  return {
    eventName,
    eventSource: text(record.eventSource) ?? 'unknown',
    time,
    principal: principalOf(identity),
    ...(accessKeyId === undefined ? {} : { accessKeyId }),
    ...(sourceIp === undefined ? {} : { sourceIp }),
    ...(vpcEndpointId === undefined ? {} : { vpcEndpointId }),
    ...(userAgent === undefined ? {} : { userAgent: userAgent.slice(0, 200) }),
    ...(errorCode === undefined ? {} : { errorCode }),
    requestParameters: isRecord(record.requestParameters) ? record.requestParameters : {},
  };
}

/** What a lookup is for, and how far it may go. */
export interface TrailLookup {
  /** The one lookup attribute. */
  readonly attribute: { readonly key: LookupAttributeKey; readonly value: string };
  readonly start: Date;
  readonly end: Date;
  /**
   * Pages read at most (50 events each); beyond, the result is marked incomplete.
   * @default 200
   */
  readonly maxPages?: number;
  /**
   * The least time between two calls, in milliseconds: LookupEvents allows two per second per account
   * and region, shared with every other caller.
   * @default 500
   */
  readonly minIntervalMs?: number;
  /**
   * How often a throttled call is tried again (after 1 s, 2 s, 4 s, ... at most 8 s).
   * @default 6
   */
  readonly throttleRetries?: number;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Reads only these events (others are skipped while paging, not kept). @default - every event */
  readonly keep?: (event: TrailEvent) => boolean;
}

/** The events a lookup found, and whether it read every page. */
export interface TrailLookupResult {
  readonly events: TrailEvent[];
  readonly pages: number;
  /** `false` when `maxPages` stopped it: events older than `oldest` were not read. */
  readonly complete: boolean;
  /** The oldest event time read, when the lookup stopped early. */
  readonly oldest?: Date;
  /** Throttled calls that were retried. */
  readonly throttled: number;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Reads every page of a LookupEvents query (newest first), at most two calls a second, retrying a
 * throttled call with backoff, and stops after `maxPages` pages (the result then says how far back
 * it read). Other errors are thrown as the SDK raises them.
 *
 * @example
 * ```ts
 * const found = await lookupTrail(new CloudTrailClient({}), {
 *   attribute: { key: 'ResourceName', value: secretArn },
 *   start: since,
 *   end: new Date(),
 * });
 * ```
 */
export async function lookupTrail(client: CloudTrailSend, lookup: TrailLookup): Promise<TrailLookupResult> {
  const sleep = lookup.sleep ?? realSleep;
  const maxPages = lookup.maxPages ?? 200;
  const minIntervalMs = lookup.minIntervalMs ?? 500;
  const retries = lookup.throttleRetries ?? 6;
  const events: TrailEvent[] = [];
  let next: string | undefined;
  let pages = 0;
  let throttled = 0;
  let lastCall = Number.NEGATIVE_INFINITY;
  let oldest: Date | undefined;
  do {
    if (pages >= maxPages) return { events, pages, complete: false, throttled, ...(oldest && { oldest }) };
    let page: LookupEventsCommandOutput | undefined;
    for (let attempt = 0; page === undefined; attempt++) {
      const wait = lastCall + minIntervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      lastCall = Date.now();
      try {
        page = await client.send(
          new LookupEventsCommand({
            LookupAttributes: [
              { AttributeKey: lookup.attribute.key, AttributeValue: lookup.attribute.value },
            ],
            StartTime: lookup.start,
            EndTime: lookup.end,
            MaxResults: 50,
            ...(next === undefined ? {} : { NextToken: next }),
          }),
        );
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (name !== 'ThrottlingException' || attempt >= retries) throw error;
        throttled += 1;
        await sleep(Math.min(1000 * 2 ** attempt, 8000));
      }
    }
    pages += 1;
    for (const event of page.Events ?? []) {
      const parsed = parseTrailRecord(event.CloudTrailEvent);
      if (parsed === undefined) continue;
      if (oldest === undefined || parsed.time < oldest) oldest = parsed.time;
      if (lookup.keep === undefined || lookup.keep(parsed)) events.push(parsed);
    }
    next = page.NextToken;
  } while (next !== undefined);
  return { events, pages, complete: true, throttled };
}
