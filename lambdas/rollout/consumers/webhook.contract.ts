/**
 * The contract of the `webhook` consumer kind (the adapter is `webhook.ts`): a signed POST (HMAC
 * over a timestamp and the body) that must answer 2xx within a deadline.
 */
import * as z from 'zod/mini';
import { matching } from '../../shared/settings';
import {
  defineConsumer,
  durationWithin,
  expectInteger,
  expectText,
  secretReference,
} from './consumer-contract';

/** The default per-attempt deadline of a webhook, in milliseconds. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** What the rollout function reads for a webhook consumer, besides `kind`, `name`, `canary`. */
export const webhookConfig = {
  /** An https URL, or http to a loopback address (local receivers), as the adapter allows. */
  url: z.string({ error: 'expected an https:// URL' }).check(
    z.regex(/^(https:\/\/[^\s/]+|http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?)(\/\S*)?$/, {
      error: 'expected an https:// URL',
    }),
  ),
  /** ARN of a secret whose value is the HMAC signing key (never the rotated secret). */
  signingSecretArn: expectText('the signing secret ARN'),
  /**
   * The deadline of one delivery, in milliseconds.
   * @default 10000
   */
  timeoutMs: z.optional(expectInteger(100, 60_000)),
};

export const webhookConsumer = /* @__PURE__ */ defineConsumer({
  kind: 'webhook',
  settings: () => ({
    /** An https:// URL. */
    url: matching(
      /^https:\/\/[^\s/:]+(:\d+)?(\/\S*)?$/,
      'an https:// URL (webhooks are signed, never sent in plaintext)',
    ),
    /**
     * The secret whose value is the HMAC signing key (32 characters at least). The receiver
     * verifies every request with it.
     * @default - a secret the stack creates with a random 64-character key (`handover/webhook-signing/<entry id>/<consumer name>`)
     */
    signingSecret: z.optional(secretReference()),
    /**
     * The deadline for a 2xx answer, 100 ms to 60 seconds.
     * @default Duration.seconds(10)
     */
    timeout: z.optional(durationWithin(100, 60_000, '100 ms to 60 seconds')),
  }),
  config: webhookConfig,
  refresh: { how: 'acknowledged', describe: 'the receiver answers 2xx once it holds the new version' },
  identity: ['url'],
  defaultName: ({ url }) => {
    try {
      return typeof url === 'string' ? new URL(url).hostname : undefined;
    } catch {
      return undefined;
    }
  },
  secrets: {
    signingSecret: {
      configField: 'signingSecretArn',
      generate: {
        name: (entry, consumer) => `handover/webhook-signing/${entry}/${consumer}`,
        description: (entry, consumer) =>
          `Handover: HMAC key signing the rollout webhooks of ${entry} to ${consumer} (the receiver verifies with it)`,
        length: 64,
        notRotated: (entry, consumer) =>
          `The HMAC key signing rollout webhooks to consumer "${consumer}" of "${entry}": the receiver holds a copy to verify signatures, so rotating it is a coordinated change with that receiver (give the consumer a signingSecret the receiver manages, e.g. a Handover shared-key secret, to rotate it).`,
      },
    },
  },
  toConfig: ({ url, timeout }, secretArns) => ({
    url,
    ...(timeout === undefined ? {} : { timeoutMs: timeout.toMilliseconds() }),
    signingSecretArn: secretArns.signingSecret ?? '',
  }),
  permissions: () => [{ readSecret: 'signingSecret' }],
});
