import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProviderRequestError } from '../../../lambdas/credentials/api-key/http-client';
import { keyNameFor } from '../../../lambdas/credentials/api-key/key-name';
import type { ApiKeyStrategyOptions } from '../../../lambdas/credentials/api-key/options';
import type { ProviderId } from '../../../lambdas/credentials/api-key/provider';
import { createApiKeyStrategy } from '../../../lambdas/credentials/api-key/strategy';
import { noPrevious, type StrategyContext } from '../../../lambdas/rotation/strategy';
import { TargetError } from '../../../lambdas/shared/errors';
import { FakeKeyService, type FakeProvider, FakeSendgrid, FakeTwilio } from '../../support/providers';
import { readOnlySecrets } from '../../support/secrets-port';

/**
 * The strategy against the local fake providers over real HTTP (node:http on 127.0.0.1, the global
 * fetch, real timeouts and real waits), one provider at a time: create / verify / revoke, retries
 * on 429 and 5xx, slow answers, and the messages of rejected credentials.
 */
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/notify-AbCdEf';
const MANAGEMENT_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:provider-admin-GhIjKl';

const sendgrid = new FakeSendgrid();
const twilio = new FakeTwilio();
const acme = new FakeKeyService();
const urls = { sendgrid: '', twilio: '', acme: '' };

beforeAll(async () => {
  [urls.sendgrid, urls.twilio, urls.acme] = await Promise.all([
    sendgrid.listen(),
    twilio.listen(),
    acme.listen(),
  ]);
});

afterAll(async () => {
  await Promise.all([sendgrid.close(), twilio.close(), acme.close()]);
});

function setup(provider: Exclude<ProviderId, 'stripe'>, options: Partial<ApiKeyStrategyOptions> = {}) {
  const strategy = createApiKeyStrategy({
    baseUrls: { sendgrid: urls.sendgrid, twilio: urls.twilio },
    httpServices: { acme: acme.config(urls.acme) },
    requestTimeoutMs: 1000,
    retryBudgetMs: 5000,
    keyPropagationMs: 0,
    ...options,
  });
  let value: Record<string, unknown>;
  let management: Record<string, unknown>;
  let fake: FakeProvider;
  let exists: (id: string) => boolean;
  switch (provider) {
    case 'sendgrid': {
      const admin = sendgrid.addManagementKey();
      const first = sendgrid.addKey('initial', ['mail.send']);
      management = { apiKey: admin.secret };
      value = { provider, keyId: first.id, apiKey: first.secret, scopes: ['mail.send'] };
      fake = sendgrid;
      exists = (id) => sendgrid.keys.has(id);
      break;
    }
    case 'twilio': {
      const main = twilio.addKey('main', 'admin');
      const first = twilio.addKey('standard', 'initial');
      management = { apiKeySid: main.sid, apiKeySecret: main.secret };
      value = { provider, keyId: first.sid, apiKey: first.secret, accountSid: twilio.accountSid };
      fake = twilio;
      exists = (sid) => twilio.keys.has(sid);
      break;
    }
    case 'http': {
      const first = acme.addKey('initial', ['read']);
      management = { token: acme.adminToken };
      value = {
        provider,
        service: 'acme',
        params: { project: 'p1', scopes: ['read'] },
        keyId: String(first.id),
        apiKey: first.token,
      };
      fake = acme;
      exists = (id) => acme.keys.has(Number(id));
      break;
    }
  }
  fake.clearFaults();
  fake.requests.length = 0;
  const current = strategy.parse(JSON.stringify({ ...value, managementSecretArn: MANAGEMENT_ARN }));
  const token = crypto.randomUUID();
  const secrets: Record<string, string> = { [MANAGEMENT_ARN]: JSON.stringify(management) };
  const ctx: StrategyContext = {
    secretId: SECRET_ARN,
    rotationId: token,
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined },
    secrets: readOnlySecrets((id) => secrets[id]),
  };
  return { strategy, current, ctx, fake, exists, secrets, name: keyNameFor(SECRET_ARN, token) };
}

describe.each(['sendgrid', 'twilio', 'http'] as const)('%s over HTTP', (provider) => {
  it('creates, verifies and revokes keys', async () => {
    const s = setup(provider);

    const pending = await s.strategy.create(s.current, s.ctx);
    await s.strategy.set(pending, s.current, noPrevious, s.ctx);
    await s.strategy.test(pending, s.ctx);
    s.secrets[SECRET_ARN] = s.strategy.serialize(pending);
    await s.strategy.revoke?.(s.current, s.ctx);

    expect(s.exists(pending.keyId)).toBe(true);
    expect(s.exists(s.current.keyId)).toBe(false);
    expect(s.fake.operations()).toEqual(['list', 'create', 'verify', 'delete']);
    await expect(s.strategy.test(s.current, s.ctx)).rejects.toThrow(
      `rejected the current key ${s.current.keyId}`,
    );
  });

  it('honours Retry-After on 429 with a real wait', async () => {
    const s = setup(provider);
    s.fake.fail({ operation: 'list', status: 429, retryAfter: '1' });

    const started = performance.now();
    const pending = await s.strategy.create(s.current, s.ctx);

    expect(performance.now() - started).toBeGreaterThanOrEqual(990);
    expect(s.exists(pending.keyId)).toBe(true);
    expect(s.fake.requests.map((r) => `${r.operation}:${r.status}`)).toEqual([
      'list:429',
      'list:200',
      'create:201',
    ]);
  });

  it('fails at once, saying why, when Retry-After is longer than the retry budget', async () => {
    const s = setup(provider, { retryBudgetMs: 1000 });
    s.fake.fail({ operation: 'create', status: 429, retryAfter: '30' });

    const started = performance.now();
    const error = await s.strategy.create(s.current, s.ctx).catch((e: unknown) => e);

    expect(performance.now() - started).toBeLessThan(900);
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect((error as Error).message).toContain(
      'create key: rate limited (HTTP 429 Too Many Requests) after 1 attempt: Retry-After 30 s exceeds the remaining retry budget of 1 s',
    );
  });

  it('retries 5xx answers to reads and deletes with backoff', async () => {
    const s = setup(provider);
    s.fake.fail({ operation: 'list', status: 503, times: 2 });
    s.fake.fail({ operation: 'verify', status: 502 });

    const pending = await s.strategy.create(s.current, s.ctx);
    await s.strategy.test(pending, s.ctx);
    s.fake.fail({ operation: 'delete', status: 500 });
    s.secrets[SECRET_ARN] = s.strategy.serialize(pending);
    await s.strategy.revoke?.(s.current, s.ctx);

    expect(s.fake.requests.map((r) => `${r.operation}:${r.status}`)).toEqual([
      'list:503',
      'list:503',
      'list:200',
      `create:201`,
      'verify:502',
      'verify:200',
      'delete:500',
      'delete:204',
    ]);
    expect(s.exists(s.current.keyId)).toBe(false);
  });

  it('retries a read that answers slower than the request timeout', async () => {
    const s = setup(provider, { requestTimeoutMs: 200 });
    s.fake.fail({ operation: 'list', delayMs: 1000 });

    const pending = await s.strategy.create(s.current, s.ctx);

    expect(s.exists(pending.keyId)).toBe(true);
    expect(s.fake.operations()).toEqual(['list', 'create']);
  });

  it('cleans up and creates once more when a create times out after the provider made the key', async () => {
    const s = setup(provider, { requestTimeoutMs: 200 });
    s.fake.fail({ operation: 'create', delayMs: 1000, afterEffect: true });

    const pending = await s.strategy.create(s.current, s.ctx);

    expect(s.fake.effects.slice(-3)).toEqual([`create:${s.name}`, `delete:${s.name}`, `create:${s.name}`]);
    expect(s.exists(pending.keyId)).toBe(true);
  });

  it('names the management credential when the provider rejects it', async () => {
    const s = setup(provider);
    s.secrets[MANAGEMENT_ARN] =
      provider === 'sendgrid'
        ? JSON.stringify({ apiKey: 'SG.wrongwrongwrongwrongwr.wrongwrongwrongwrongwrongwrongwrongwrongwro' })
        : provider === 'twilio'
          ? JSON.stringify({ authToken: 'f'.repeat(32) })
          : JSON.stringify({ token: 'wrong-admin-token-0000000000' });

    const error = await s.strategy.create(s.current, s.ctx).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TargetError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `list keys: HTTP 401 Unauthorized: .* rejected the management credential \\(secret ${MANAGEMENT_ARN}\\) \\(it is invalid, revoked or deleted\\)`,
      ),
    );
    expect((error as Error).message).not.toContain('wrong');
    expect(s.fake.effects.filter((e) => e.includes(s.name))).toEqual([]);
  });
});
