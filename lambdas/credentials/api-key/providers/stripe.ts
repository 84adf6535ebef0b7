import * as z from 'zod/mini';
import type { HttpClient } from '../http-client';
import type { OperatorAssistedDefinition, OperatorAssistedProvider, ProviderPlugin } from '../provider';
import { joinUrl, keyLabel, readResponse } from '../provider-support';
import { validateFields } from '../schema';

/** Stripe's API. */
export const STRIPE_BASE_URL = 'https://api.stripe.com';
/** Where Stripe's Dashboard lists the API keys. */
const DASHBOARD = 'https://dashboard.stripe.com';
const DISPLAY_NAME = 'Stripe';

/** A Stripe secret (`sk_`) or restricted (`rk_`) key, live or test. */
const KEY = /^(sk|rk)_(live|test)_[A-Za-z0-9]{10,247}$/;

/** Stripe settings in the rotated secret. */
export const stripeSettingsSchema = z.object({
  /**
   * The account whose keys these are (`acct_...`): the Dashboard link then opens it.
   * @default - the account the person is signed in to
   */
  accountId: z.optional(
    z
      .string({ error: 'expected a string' })
      .check(z.regex(/^acct_[A-Za-z0-9]{1,64}$/, { error: 'expected acct_...' })),
  ),
});
export type StripeSettings = z.output<typeof stripeSettingsSchema>;

const balanceSchema = z.object({ object: z.literal('balance') });

/** `sk_live_...4242`: a key as the Dashboard shows it, its type, mode and last four characters. */
export function stripeKeyId(key: string): string {
  const match = KEY.exec(key);
  const prefix = match === null ? 'key' : `${match[1]}_${match[2]}`;
  return `${prefix}_...${key.slice(-4)}`;
}

/**
 * Stripe, operator-assisted: Stripe's secret and restricted keys are created and rolled only in its
 * Dashboard (no API manages them), where "Roll key..." makes a new key and keeps the old one valid
 * until the expiration the person chooses.
 * - verify: `GET /v1/balance` with the key itself (`Authorization: Bearer <key>`): read-only, and
 *   allowed to every secret key and to restricted keys with Balance read access;
 * - the key's id is the form the Dashboard shows, `sk_live_...4242` (type, mode, last four);
 * - creating and ending keys are steps in the Dashboard, which the rotation names.
 */
export function createStripeProvider(deps: {
  readonly http: HttpClient;
  readonly baseUrl: string;
}): OperatorAssistedDefinition<StripeSettings> {
  const { http, baseUrl } = deps;
  return {
    id: 'stripe',
    displayName: DISPLAY_NAME,
    kind: 'operator-assisted',
    parseSettings: (raw) => validateFields(stripeSettingsSchema, { ...raw }),
    bind({ settings }): OperatorAssistedProvider {
      const dashboard = (mode: string) =>
        `${DASHBOARD}${settings.accountId === undefined ? '' : `/${settings.accountId}`}${mode === 'test' ? '/test' : ''}/apikeys`;
      const modeOf = (keyId: string) => (keyId.includes('_test_') ? 'test' : 'live');
      return {
        id: 'stripe',
        displayName: DISPLAY_NAME,
        checkKey(key) {
          if (!KEY.test(key)) {
            return 'expected a Stripe secret or restricted key: sk_live_..., rk_live_..., sk_test_... or rk_test_... (letters and digits after the prefix)';
          }
          return undefined;
        },
        keyIdOf: stripeKeyId,
        createInstructions: (currentKeyId) =>
          `in the Stripe Dashboard (${dashboard(modeOf(currentKeyId))}), find the key ${currentKeyId}, choose "..." > "Roll key...", set the current key to expire later than the rollout needs (its grace window and usage checks), roll it and copy the new key`,
        revokeReminder: (oldKeyId) =>
          `Stripe keys can only be ended in the Dashboard: at ${dashboard(modeOf(oldKeyId))}, end key ${oldKeyId} ("..." > "Delete key" for a restricted key, or roll it again with the expiration "now"), unless the expiration chosen when it was rolled has passed`,
        async verify(key) {
          const response = await http({
            provider: DISPLAY_NAME,
            operation: `verify ${key.role} key`,
            credential: keyLabel(key),
            method: 'GET',
            url: joinUrl(baseUrl, '/v1/balance'),
            headers: { authorization: `Bearer ${key.secret}` },
            idempotent: true,
            secrets: [key.secret],
          });
          readResponse(balanceSchema, response.json, DISPLAY_NAME, `verify ${key.role} key`);
        },
      };
    },
  };
}

/** Stripe's plugin: operator-assisted, at {@link STRIPE_BASE_URL}. */
export const stripe = {
  baseUrl: STRIPE_BASE_URL,
  create: ({ http, baseUrl }) => createStripeProvider({ http, baseUrl }) as OperatorAssistedDefinition,
} satisfies ProviderPlugin;
