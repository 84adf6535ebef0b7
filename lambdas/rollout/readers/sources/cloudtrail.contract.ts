/**
 * The contract of the `cloudtrail` reader source (the runtime is `cloudtrail.ts`): CloudTrail event
 * history, read with LookupEvents in the secret's account and region (90 days, two calls a second).
 */
import * as z from 'zod/mini';
import { integer, oneOf } from '../../../shared/settings';
import { expectInteger } from '../../consumers/consumer-contract';
import { defineReaderSource } from './source-contract';

/** How LookupEvents finds a secret's reads. */
export const LOOKUP_BY = ['resource-name', 'event-name'] as const;

/** The default page budget of one lookup (50 events a page). */
export const DEFAULT_MAX_PAGES = 200;

/** What the rollout function reads for a `cloudtrail` source, besides `kind`. */
export const cloudTrailSourceConfig = {
  /**
   * `resource-name`: events whose resource is the secret's ARN (few calls); `event-name`: every
   * GetSecretValue of the account and region, kept when `requestParameters.secretId` names the
   * secret (more calls; for accounts where the resource lookup misses reads).
   * @default 'resource-name'
   */
  lookupBy: z.optional(z.enum(LOOKUP_BY, { error: `expected one of ${LOOKUP_BY.join(', ')}` })),
  /**
   * Pages read at most per lookup; beyond, the readers are reported as incomplete (and the usage gate
   * does not trust an absence).
   * @default 200
   */
  maxPages: z.optional(expectInteger(1, 5000)),
};

export const cloudTrailSource = /* @__PURE__ */ defineReaderSource({
  kind: 'cloudtrail',
  describe: 'CloudTrail event history (LookupEvents): 90 days of management events, this account and region',
  config: cloudTrailSourceConfig,
  settings: () => ({
    /**
     * How LookupEvents finds the secret's reads: by the secret's ARN as the event's resource, or by
     * event name (every GetSecretValue of the account and region, filtered here).
     * @default 'resource-name'
     */
    lookupBy: z.optional(oneOf(LOOKUP_BY)),
    /**
     * Pages (of 50 events) one lookup reads at most, 1 to 5000. LookupEvents allows two calls a second,
     * shared by the account: 200 pages take about 100 seconds.
     * @default 200
     */
    maxPages: z.optional(integer(1, 5000)),
  }),
  toConfig: ({ lookupBy, maxPages }) => ({
    ...(lookupBy === undefined ? {} : { lookupBy }),
    ...(maxPages === undefined ? {} : { maxPages }),
  }),
  // LookupEvents supports no resource-level permission.
  permissions: () => [{ actions: ['cloudtrail:LookupEvents'], resource: { arn: '*' } }],
});
