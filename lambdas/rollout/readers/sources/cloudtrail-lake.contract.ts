/**
 * The contract of the `cloudtrail-lake` reader source (the runtime is `cloudtrail-lake.ts`): an
 * event data store of CloudTrail Lake (an organisation trail's), queried with SQL, for secrets read
 * from other accounts or more often than LookupEvents can page through.
 */
import * as z from 'zod/mini';
import { integer, matching } from '../../../shared/settings';
import { expectInteger, expectText } from '../../consumers/consumer-contract';
import { defineReaderSource } from './source-contract';

/** An event data store ARN. */
const EVENT_DATA_STORE_ARN =
  /^arn:aws[a-z-]*:cloudtrail:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:eventdatastore\/[A-Za-z0-9-]{1,64}$/;

/** What the rollout function reads for a `cloudtrail-lake` source, besides `kind`. */
export const cloudTrailLakeSourceConfig = {
  /** The event data store's ARN. */
  eventDataStoreArn: expectText('an event data store ARN'),
  /**
   * Seconds to wait for a query to finish.
   * @default 120
   */
  queryTimeoutSeconds: z.optional(expectInteger(5, 600)),
};

export const cloudTrailLakeSource = /* @__PURE__ */ defineReaderSource({
  kind: 'cloudtrail-lake',
  describe: 'a CloudTrail Lake event data store (an organisation trail), queried with SQL',
  config: cloudTrailLakeSourceConfig,
  settings: () => ({
    /** The event data store holding the secret's GetSecretValue management events (its ARN). */
    eventDataStoreArn: matching(
      EVENT_DATA_STORE_ARN,
      'an event data store ARN, arn:aws:cloudtrail:<region>:<account>:eventdatastore/<id>',
    ),
    /**
     * How long one query may take, 5 to 600 seconds.
     * @default 120
     */
    queryTimeoutSeconds: z.optional(integer(5, 600)),
  }),
  toConfig: ({ eventDataStoreArn, queryTimeoutSeconds }) => ({
    eventDataStoreArn,
    ...(queryTimeoutSeconds === undefined ? {} : { queryTimeoutSeconds }),
  }),
  permissions: ({ eventDataStoreArn }) => [
    {
      actions: ['cloudtrail:StartQuery', 'cloudtrail:DescribeQuery', 'cloudtrail:GetQueryResults'],
      resource: { arn: eventDataStoreArn },
    },
  ],
});
