import type { StrategyContext } from '../../../../lambdas/rotation/strategy';
import { FakeKeyService, type FakeProvider, FakeSendgrid, FakeTwilio } from '../../../support/providers';
import { readOnlySecrets } from '../../../support/secrets-port';

export const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/mail-AbCdEf';
export const MANAGEMENT_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:provider-admin-GhIjKl';
export const TOKEN = '11111111-2222-3333-4444-555555555555';

/** Base URLs of the in-process fakes (https: the strategy refuses plain http to a remote host). */
export const BASE_URLS = {
  sendgrid: 'https://sendgrid.fake',
  twilio: 'https://twilio.fake',
  acme: 'https://acme.fake',
} as const;

/**
 * The three fake providers, answered in-process (no network): one `fetch` routes by host. The
 * fakes are the same classes the integration tests serve over real HTTP.
 */
export function fakeProviders() {
  const sendgrid = new FakeSendgrid();
  const twilio = new FakeTwilio();
  const acme = new FakeKeyService();
  const byHost: Record<string, FakeProvider> = {
    'sendgrid.fake': sendgrid,
    'twilio.fake': twilio,
    'acme.fake': acme,
  };
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const target = byHost[url.host];
    if (target === undefined) throw new TypeError(`fetch failed: no fake at ${url.host}`);
    return target.fetch(input, init);
  };
  return { sendgrid, twilio, acme, fetch };
}

/** Records waits instead of waiting. */
export function recordingSleep() {
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
  };
  return { waits, sleep };
}

/** A StrategyContext whose logger records every line and whose secret reader serves `secrets`. */
export function fakeContext(secrets: Record<string, string> = {}, rotationId = TOKEN) {
  const lines: string[] = [];
  const reads: string[] = [];
  const record =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
    };
  const ctx: StrategyContext = {
    secretId: SECRET_ARN,
    rotationId,
    logger: { debug: record('debug'), info: record('info'), warn: record('warn') },
    secrets: readOnlySecrets((secretId) => {
      reads.push(secretId);
      return secrets[secretId];
    }),
  };
  return { ctx, lines, reads, secrets };
}
