/**
 * The contract of the `event` consumer kind (the adapter is `event.ts`): anything else (CI
 * pipelines, Kubernetes, other teams) gets an EventBridge event carrying a task token and confirms
 * with SendTaskSuccess; the workflow waits for it.
 */
import * as z from 'zod/mini';
import { EVENT_BUS_NAME } from '../../shared/aws-patterns';
import { matching } from '../../shared/settings';
import { consumerName, defineConsumer, durationWithin, expectInteger, expectText } from './consumer-contract';

/** The default bus. */
export const DEFAULT_EVENT_BUS = 'default';
/** The default acknowledgement timeout of an event consumer, in seconds. */
export const DEFAULT_ACK_TIMEOUT_SECONDS = 3600;
/** A week: the longest an event consumer may take to acknowledge, in seconds. */
export const MAX_ACK_TIMEOUT_SECONDS = 7 * 24 * 3600;

/** What the rollout function reads for a event consumer, besides `kind`, `name`, `canary`. */
export const eventConfig = {
  /**
   * The bus the event goes to.
   * @default 'default'
   */
  eventBusName: z.optional(expectText('an event bus name or ARN')),
  /**
   * How long to wait for the acknowledgement, in seconds.
   * @default 3600
   */
  timeoutSeconds: z.optional(expectInteger(1, MAX_ACK_TIMEOUT_SECONDS)),
};

export const eventConsumer = /* @__PURE__ */ defineConsumer({
  kind: 'event',
  settings: () => ({
    /** The consumer's name: an event consumer has no target to name it after, so it names itself. */
    name: consumerName(),
    /**
     * The bus the event goes to (name).
     * @default 'default'
     */
    eventBusName: z.optional(matching(EVENT_BUS_NAME, 'an event bus name')),
    /**
     * How long the consumer has to acknowledge (SendTaskSuccess), 1 second to 7 days.
     * @default Duration.hours(1)
     */
    timeout: z.optional(
      durationWithin(1000, MAX_ACK_TIMEOUT_SECONDS * 1000, '1 second to 7 days, in whole seconds', 1000),
    ),
  }),
  config: eventConfig,
  refresh: { how: 'acknowledged', describe: 'the consumer acknowledges once it runs on the new version' },
  identity: ['name'],
  toConfig: ({ eventBusName, timeout }) => ({
    ...(eventBusName === undefined ? {} : { eventBusName }),
    ...(timeout === undefined ? {} : { timeoutSeconds: timeout.toMilliseconds() / 1000 }),
  }),
  permissions: ({ eventBusName }) => [{ putEvents: eventBusName ?? DEFAULT_EVENT_BUS }],
  waitSeconds: ({ timeoutSeconds }) => timeoutSeconds ?? DEFAULT_ACK_TIMEOUT_SECONDS,
});
