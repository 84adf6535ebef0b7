import { type CloudTrailSend, lookupTrail, type TrailEvent } from '../../../shared/cloudtrail';
import type { ReaderSource, ReadQuery, ReadScan, SecretRead } from '../model';
import { DEFAULT_MAX_PAGES } from './cloudtrail.contract';
import type { ReaderSourceConfigOf } from './contracts';

export { cloudTrailSource } from './cloudtrail.contract';

/** What the `cloudtrail` source needs. */
export interface CloudTrailSourceDeps {
  readonly cloudTrail: CloudTrailSend;
  /** @default - setTimeout (tests pass a fast one) */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Whether a GetSecretValue's `secretId` (a name, a partial or complete ARN) names the secret. */
export function namesSecret(secretId: unknown, query: Pick<ReadQuery, 'secretArn' | 'secretName'>): boolean {
  if (typeof secretId !== 'string') return false;
  if (secretId === query.secretArn || secretId === query.secretName) return true;
  // A partial ARN: the complete one without its 6-character suffix.
  return query.secretArn.startsWith(`${secretId}-`) && query.secretArn.length === secretId.length + 7;
}

/** One GetSecretValue event as a read. */
export function readOf(event: TrailEvent): SecretRead {
  const { versionId, versionStage } = event.requestParameters;
  return {
    principal: event.principal,
    ...(event.sourceIp === undefined ? {} : { sourceIp: event.sourceIp }),
    ...(event.vpcEndpointId === undefined ? {} : { vpcEndpointId: event.vpcEndpointId }),
    ...(event.userAgent === undefined ? {} : { userAgent: event.userAgent }),
    ...(typeof versionId === 'string' ? { versionId } : {}),
    ...(typeof versionStage === 'string' ? { versionStage } : {}),
    first: event.time,
    last: event.time,
    count: 1,
  };
}

/**
 * Reads a secret's GetSecretValue events with CloudTrail's LookupEvents (event history: 90 days,
 * this account and region): by the secret's ARN as the event's resource, or by event name, keeping
 * the successful reads whose `secretId` names the secret. (BatchGetSecretValue writes one
 * GetSecretValue event per secret it returns, so batch reads are among them.) At most two calls a
 * second, throttled calls retried, `maxPages` pages at most.
 *
 * @example
 * ```ts
 * const source = createCloudTrailSource({ kind: 'cloudtrail' }, { cloudTrail: new CloudTrailClient({}) });
 * const scan = await source.reads({ secretArn, secretName, start, end: new Date() });
 * ```
 */
export function createCloudTrailSource(
  config: ReaderSourceConfigOf<'cloudtrail'>,
  deps: CloudTrailSourceDeps,
): ReaderSource {
  return {
    async reads(query: ReadQuery): Promise<ReadScan> {
      const byName = config.lookupBy === 'event-name';
      const found = await lookupTrail(deps.cloudTrail, {
        attribute: byName
          ? { key: 'EventName', value: 'GetSecretValue' }
          : { key: 'ResourceName', value: query.secretArn },
        start: query.start,
        end: query.end,
        maxPages: config.maxPages ?? DEFAULT_MAX_PAGES,
        ...(deps.sleep === undefined ? {} : { sleep: deps.sleep }),
        keep: (event) =>
          event.eventName === 'GetSecretValue' &&
          event.eventSource === 'secretsmanager.amazonaws.com' &&
          event.errorCode === undefined &&
          namesSecret(event.requestParameters.secretId, query),
      });
      return {
        reads: found.events.map(readOf),
        complete: found.complete,
        ...(found.oldest === undefined || found.complete ? {} : { readBackTo: found.oldest }),
        calls: found.pages + found.throttled,
      };
    },
  };
}
