import {
  type CloudTrailClient,
  DescribeQueryCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudtrail';
import type { ReaderSource, ReadQuery, ReadScan, SecretRead } from '../model';
import type { ReaderSourceConfigOf } from './contracts';

export { cloudTrailLakeSource } from './cloudtrail-lake.contract';

/** What the `cloudtrail-lake` source needs. */
export interface CloudTrailLakeSourceDeps {
  readonly cloudTrail: Pick<CloudTrailClient, 'send'>;
  /** @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A SQL string literal: single quotes doubled. */
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
/** Lake's timestamp literal: `'2026-01-01 12:00:00.000'`. */
const timestamp = (date: Date) => literal(date.toISOString().replace('T', ' ').replace('Z', ''));

/**
 * The query: successful GetSecretValue events on the secret (by ARN, name or partial ARN) in the
 * window, grouped by principal, origin, user agent, what was asked for, and whether they came before
 * or after the rotation.
 */
export function readersQuery(eventDataStoreId: string, query: ReadQuery): string {
  const partial = query.secretArn.replace(/-[A-Za-z0-9]{6}$/, '');
  const side =
    query.boundary === undefined
      ? "'before'"
      : `CASE WHEN eventTime >= ${timestamp(query.boundary)} THEN 'after' ELSE 'before' END`;
  return [
    'SELECT userIdentity.type AS identityType,',
    '  coalesce(userIdentity.sessionContext.sessionIssuer.arn, userIdentity.arn, userIdentity.invokedBy) AS principal,',
    '  sourceIPAddress AS sourceIp, vpcEndpointId, userAgent,',
    "  element_at(requestParameters, 'versionId') AS versionId,",
    "  element_at(requestParameters, 'versionStage') AS versionStage,",
    `  ${side} AS side, count(*) AS reads, min(eventTime) AS firstRead, max(eventTime) AS lastRead`,
    `FROM ${eventDataStoreId}`,
    "WHERE eventSource = 'secretsmanager.amazonaws.com' AND eventName = 'GetSecretValue' AND errorCode IS NULL",
    `  AND eventTime >= ${timestamp(query.start)} AND eventTime <= ${timestamp(query.end)}`,
    `  AND element_at(requestParameters, 'secretId') IN (${[query.secretArn, query.secretName, partial].map(literal).join(', ')})`,
    'GROUP BY 1, 2, 3, 4, 5, 6, 7, 8',
  ].join('\n');
}

const cell = (row: ReadonlyArray<Record<string, string>>, column: string): string | undefined => {
  const found = row.find((entry) => column in entry)?.[column];
  return found === undefined || found === '' ? undefined : found;
};
const lakeTime = (value: string | undefined) => new Date(`${(value ?? '').replace(' ', 'T')}Z`);

/**
 * Reads a secret's GetSecretValue events from a CloudTrail Lake event data store (an organisation
 * trail, or one that keeps longer than 90 days): one SQL query (StartQuery, DescribeQuery until it
 * finishes, GetQueryResults pages), grouped by the store, so a secret read a million times is a few
 * rows.
 *
 * @example
 * ```ts
 * const source = createCloudTrailLakeSource({ kind: 'cloudtrail-lake', eventDataStoreArn }, { cloudTrail });
 * ```
 */
export function createCloudTrailLakeSource(
  config: ReaderSourceConfigOf<'cloudtrail-lake'>,
  deps: CloudTrailLakeSourceDeps,
): ReaderSource {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const store = config.eventDataStoreArn;
  const storeId = store.split('/').pop() ?? store;
  const timeoutMs = (config.queryTimeoutSeconds ?? 120) * 1000;
  return {
    async reads(query: ReadQuery): Promise<ReadScan> {
      let calls = 1;
      const started = await deps.cloudTrail.send(
        new StartQueryCommand({ QueryStatement: readersQuery(storeId, query) }),
      );
      const queryId = started.QueryId;
      if (queryId === undefined)
        throw new Error(`CloudTrail Lake StartQuery on ${store} returned no QueryId`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        calls += 1;
        const status = await deps.cloudTrail.send(
          new DescribeQueryCommand({ EventDataStore: store, QueryId: queryId }),
        );
        if (status.QueryStatus === 'FINISHED') break;
        if (status.QueryStatus !== 'QUEUED' && status.QueryStatus !== 'RUNNING') {
          throw new Error(
            `CloudTrail Lake query ${queryId} on ${store} ended ${status.QueryStatus ?? 'without a status'}: ${status.ErrorMessage ?? 'no message'}`,
          );
        }
        if (Date.now() > deadline) {
          throw new Error(
            `CloudTrail Lake query ${queryId} on ${store} did not finish within ${timeoutMs / 1000} s`,
          );
        }
        await sleep(1000);
      }
      const reads: SecretRead[] = [];
      let next: string | undefined;
      do {
        calls += 1;
        const page = await deps.cloudTrail.send(
          new GetQueryResultsCommand({
            EventDataStore: store,
            QueryId: queryId,
            ...(next === undefined ? {} : { NextToken: next }),
          }),
        );
        for (const row of page.QueryResultRows ?? []) {
          const principal = cell(row, 'principal') ?? 'unknown';
          const type = cell(row, 'identityType') ?? 'Unknown';
          const sourceIp = cell(row, 'sourceIp');
          const vpcEndpointId = cell(row, 'vpcEndpointId');
          const userAgent = cell(row, 'userAgent');
          const versionId = cell(row, 'versionId');
          const versionStage = cell(row, 'versionStage');
          reads.push({
            principal: { arn: type === 'AWSService' ? `service:${principal}` : principal, type },
            ...(sourceIp === undefined ? {} : { sourceIp }),
            ...(vpcEndpointId === undefined ? {} : { vpcEndpointId }),
            ...(userAgent === undefined ? {} : { userAgent: userAgent.slice(0, 200) }),
            ...(versionId === undefined ? {} : { versionId }),
            ...(versionStage === undefined ? {} : { versionStage }),
            first: lakeTime(cell(row, 'firstRead')),
            last: lakeTime(cell(row, 'lastRead')),
            count: Number(cell(row, 'reads') ?? 1),
          });
        }
        next = page.NextToken;
      } while (next !== undefined);
      return { reads, complete: true, calls };
    },
  };
}
