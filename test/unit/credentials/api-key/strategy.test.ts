import { describe, expect, it } from 'vitest';
import { ProviderRequestError } from '../../../../lambdas/credentials/api-key/http-client';
import { keyNameFor } from '../../../../lambdas/credentials/api-key/key-name';
import type { ApiKeyUsageReport } from '../../../../lambdas/credentials/api-key/strategy';
import { createApiKeyStrategy } from '../../../../lambdas/credentials/api-key/strategy';
import { noPrevious } from '../../../../lambdas/rotation/strategy';
import { HandoverError, SecretFormatError, TargetError } from '../../../../lambdas/shared/errors';
import { MANAGEMENT_ARN, SECRET_ARN, TOKEN } from './fakes';
import { providerWorld } from './world';

const NAME = keyNameFor(SECRET_ARN, TOKEN);

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('createApiKeyStrategy', () => {
  it('refuses bad options, listing every problem at once', () => {
    expect(() =>
      createApiKeyStrategy({
        baseUrls: { sendgrid: 'http://api.sendgrid.com', twilio: 'not a url' },
        maxAttempts: 0,
        requestTimeoutMs: 1.5,
        httpServices: { acme: { baseUrl: 'https://acme.example' } },
      }),
    ).toThrow(
      expect.objectContaining({
        constructor: HandoverError,
        message: expect.stringMatching(
          /baseUrls.sendgrid must use https.*baseUrls.twilio must be an absolute URL.*requestTimeoutMs must be an integer.*maxAttempts must be an integer from 1 to 10, got 0.*acme.managementAuth is required/,
        ),
      }),
    );
  });

  describe.each(['sendgrid', 'twilio', 'http'] as const)('%s', (provider) => {
    it('creates a new key named after the secret and the rotation, and keeps the current key', async () => {
      const w = providerWorld(provider);
      const { ctx, lines, reads } = w.context();

      const pending = await w.strategy.create(w.current, ctx);

      expect(pending.keyId).not.toBe(w.current.keyId);
      expect(pending.apiKey).not.toBe(w.current.apiKey);
      expect(pending.keyName).toBe(NAME);
      expect(w.exists(pending.keyId)).toBe(true);
      expect(w.exists(w.current.keyId)).toBe(true);
      expect(reads).toEqual([MANAGEMENT_ARN]);
      // Unknown fields and settings survive; the key id is logged, the key never is.
      expect(JSON.parse(w.strategy.serialize(pending))).toMatchObject({
        team: expect.any(String),
        keyId: pending.keyId,
      });
      expect(lines.join('\n')).toContain(pending.keyId);
      expect(lines.join('\n')).not.toContain(pending.apiKey);
      expect(lines.join('\n')).not.toContain(w.managementSecret);
    });

    it('runs a whole rotation: create, set, test, then revoke deletes only the old key', async () => {
      const w = providerWorld(provider);
      const { ctx } = w.context();
      const pending = await w.strategy.create(w.current, ctx);
      const after = w.context(TOKEN, w.strategy.serialize(pending));

      await w.strategy.set(pending, w.current, noPrevious, ctx);
      await w.strategy.test(pending, ctx);
      expect(w.exists(w.current.keyId)).toBe(true);
      await w.strategy.revoke?.(w.current, after.ctx);

      expect(w.exists(w.current.keyId)).toBe(false);
      expect(w.exists(pending.keyId)).toBe(true);
      expect(after.lines.join('\n')).toContain('old key deleted at the provider');
    });

    it('deletes the orphan of an earlier attempt before creating again (PutSecretValue failed after the create)', async () => {
      const w = providerWorld(provider);
      const first = await w.strategy.create(w.current, w.context().ctx);
      const { ctx, lines } = w.context();

      const second = await w.strategy.create(w.current, ctx);

      expect(second.keyId).not.toBe(first.keyId);
      expect(w.exists(first.keyId)).toBe(false);
      expect(w.names().filter((n) => n === NAME)).toHaveLength(1);
      expect(w.fake.effects).toEqual([`create:${NAME}`, `delete:${NAME}`, `create:${NAME}`]);
      expect(lines.join('\n')).toContain('orphan-deleted');
    });

    it('cleans up and creates again when the create response is lost after the provider created the key', async () => {
      const w = providerWorld(provider);
      const fault = w.fake.fail({ operation: 'create', status: 500, afterEffect: true });

      const pending = await w.strategy.create(w.current, w.context().ctx);

      expect(fault.hits).toBe(1);
      expect(w.names().filter((n) => n === NAME)).toHaveLength(1);
      expect(w.exists(pending.keyId)).toBe(true);
      expect(w.fake.operations()).toEqual(['list', 'create', 'list', 'delete', 'create']);
    });

    it('gives up after maxAttempts creates whose outcome is unknown, leaving no key behind it knows of', async () => {
      const w = providerWorld(provider, {}, { maxAttempts: 2 });
      w.fake.fail({ operation: 'create', status: 503, afterEffect: true, times: 5 });

      const error = await rejection(w.strategy.create(w.current, w.context().ctx));

      expect(error).toBeInstanceOf(ProviderRequestError);
      expect(error.message).toContain('create key: HTTP 503');
      expect(w.fake.operations().filter((o) => o === 'create')).toHaveLength(2);
    });

    it('names the management credential when the provider rejects it, and creates nothing', async () => {
      const w = providerWorld(provider);
      w.fake.fail({ operation: 'list', status: 401 });

      const error = await rejection(w.strategy.create(w.current, w.context().ctx));

      expect(error).toBeInstanceOf(TargetError);
      expect(error.message).toMatch(
        /list keys: HTTP 401 Unauthorized: .* rejected the management credential \(secret arn:aws:secretsmanager:us-east-1:123456789012:secret:provider-admin-GhIjKl\)/,
      );
      expect(w.fake.effects).toEqual([]);
    });

    it('refuses a management secret without its credential field, naming the field and the secret', async () => {
      const w = providerWorld(provider);

      const error = await rejection(
        w.strategy.create(w.current, w.context(TOKEN, w.currentJson, '{"unrelated": "x"}').ctx),
      );

      expect(error).toBeInstanceOf(SecretFormatError);
      expect(error.message).toContain(`management secret ${MANAGEMENT_ARN}`);
      expect(w.fake.requests).toEqual([]);
    });

    it('keeps the management credential out of an error whose body echoes it', async () => {
      const w = providerWorld(provider);
      w.fake.fail({
        operation: 'list',
        status: 400,
        body: { message: `bad credential ${w.managementSecret}` },
      });

      const error = await rejection(w.strategy.create(w.current, w.context().ctx));

      expect(error.message).toContain('HTTP 400');
      expect(error.message).not.toContain(w.managementSecret);
      expect(String(error.stack)).not.toContain(w.managementSecret);
    });

    it('test fails naming the new key when the provider rejects it', async () => {
      const w = providerWorld(provider);
      const { ctx } = w.context();
      const pending = await w.strategy.create(w.current, ctx);
      w.fake.fail({ operation: 'verify', status: 401, times: 10 });

      const error = await rejection(w.strategy.test(pending, ctx));

      expect(error).toBeInstanceOf(TargetError);
      expect(error.message).toContain(`rejected the new key ${pending.keyId}`);
      expect(error.message).not.toContain(pending.apiKey);
    });

    it('test waits for a new key the provider does not accept yet (propagation)', async () => {
      const w = providerWorld(provider);
      const { ctx } = w.context();
      const pending = await w.strategy.create(w.current, ctx);
      w.fake.fail({ operation: 'verify', status: 401, times: 2 });

      await w.strategy.test(pending, ctx);

      expect(w.waits).toEqual([250, 500]);
    });

    it('tests the current key, labelled as such, when Secrets Manager only tests the configuration', async () => {
      const w = providerWorld(provider);
      const { ctx } = w.context('configuration-test-token-0000000000');
      await w.strategy.test(w.current, ctx);

      w.fake.fail({ operation: 'verify', status: 401 });
      const error = await rejection(w.strategy.test(w.current, ctx));
      expect(error.message).toContain(`rejected the current key ${w.current.keyId}`);
      expect(w.waits).toEqual([]);
    });

    it('revoke refuses to delete the key the current secret uses', async () => {
      const w = providerWorld(provider);

      const error = await rejection(w.strategy.revoke?.(w.current, w.context().ctx) ?? Promise.resolve());

      expect(error).toBeInstanceOf(TargetError);
      expect(error.message).toContain('the current secret uses it');
      expect(w.exists(w.current.keyId)).toBe(true);
    });

    it('revoke succeeds again when the key is already deleted', async () => {
      const w = providerWorld(provider);
      const pending = await w.strategy.create(w.current, w.context().ctx);
      const after = w.context(TOKEN, w.strategy.serialize(pending)).ctx;

      await w.strategy.revoke?.(w.current, after);
      await w.strategy.revoke?.(w.current, after);

      expect(w.exists(w.current.keyId)).toBe(false);
      expect(w.fake.operations().filter((o) => o === 'delete')).toHaveLength(2);
    });

    it.each([
      ['before', false],
      ['after', true],
    ] as const)(
      'revoke converges when the delete fails %s the provider acts, and is re-run',
      async (_timing, afterEffect) => {
        const w = providerWorld(provider, {}, { maxAttempts: 2 });
        const pending = await w.strategy.create(w.current, w.context().ctx);
        const after = w.context(TOKEN, w.strategy.serialize(pending)).ctx;
        // Before: both HTTP attempts fail, so revoke fails. After: the key is gone but the answer is
        // lost; the HTTP retry gets 404, which is success.
        w.fake.fail({ operation: 'delete', status: 500, afterEffect, times: afterEffect ? 1 : 2 });

        const first = await w.strategy.revoke?.(w.current, after).then(
          () => 'ok',
          (error: Error) => error.message,
        );
        await w.strategy.revoke?.(w.current, after);

        expect(first).toEqual(
          afterEffect ? 'ok' : expect.stringContaining('HTTP 500 Internal Server Error after 2 attempts'),
        );
        expect(w.exists(w.current.keyId)).toBe(false);
        expect(w.exists(pending.keyId)).toBe(true);
      },
    );

    it('set refuses a pending value that moved to another management secret, or reuses the current key', async () => {
      const w = providerWorld(provider);
      const { ctx } = w.context();
      const pending = await w.strategy.create(w.current, ctx);

      const moved = { ...pending, managementSecretArn: `${MANAGEMENT_ARN}x` };
      await expect(w.strategy.set(moved, w.current, noPrevious, ctx)).rejects.toThrow(SecretFormatError);
      await expect(
        w.strategy.set({ ...pending, keyId: w.current.keyId }, w.current, noPrevious, ctx),
      ).rejects.toThrow(/is the current key: createSecret did not create a new key/);
      await w.strategy.set(pending, w.current, noPrevious, ctx);
    });

    it('refuses a management secret that is the rotated secret itself', async () => {
      const w = providerWorld(provider);
      const self = { ...JSON.parse(w.currentJson), managementSecretArn: SECRET_ARN };
      const current = w.strategy.parse(JSON.stringify(self));

      await expect(w.strategy.create(current, w.context().ctx)).rejects.toThrow(
        /names the rotated secret itself/,
      );
      expect(w.fake.requests).toEqual([]);
    });
  });

  describe('sendgrid', () => {
    it('test fails when the key lacks a requested scope', async () => {
      const w = providerWorld('sendgrid');
      const narrow = w.fakes.sendgrid.addKey('narrow', ['stats.read']);
      const secret = w.strategy.parse(
        JSON.stringify({ ...JSON.parse(w.currentJson), keyId: narrow.id, apiKey: narrow.secret }),
      );

      await expect(w.strategy.test(secret, w.context().ctx)).rejects.toThrow(
        `key ${narrow.id} works but lacks the scopes mail.send`,
      );
    });

    it('inUse says SendGrid does not report usage, without claiming the key is idle', async () => {
      const w = providerWorld('sendgrid');

      const report = (await w.strategy.inUse?.(w.current, new Date(0), w.context().ctx)) as ApiKeyUsageReport;

      expect(report).toEqual({
        inUse: false,
        observable: false,
        evidence: `unknown: SendGrid does not report when a key was last used, so there is no evidence either way for key ${w.current.keyId}`,
      });
      expect(w.fake.requests).toEqual([]);
    });
  });

  describe('twilio', () => {
    it('refuses an auth token management secret for another account', async () => {
      const w = providerWorld('twilio');
      const other = JSON.stringify({ accountSid: `AC${'0'.repeat(32)}`, authToken: 'x'.repeat(32) });

      await expect(w.strategy.create(w.current, w.context(TOKEN, w.currentJson, other).ctx)).rejects.toThrow(
        /field "accountSid" .* is not the rotated secret's account/,
      );
    });

    it('manages keys with the account auth token as well as with a Main key', async () => {
      const w = providerWorld('twilio');
      const token = JSON.stringify({ authToken: w.fakes.twilio.authToken });

      const pending = await w.strategy.create(w.current, w.context(TOKEN, w.currentJson, token).ctx);

      expect(w.exists(pending.keyId)).toBe(true);
    });

    it('names the management credential when it is a Standard key (which cannot manage keys)', async () => {
      const w = providerWorld('twilio');
      const standard = w.fakes.twilio.addKey('standard', 'not-main');
      const value = JSON.stringify({ apiKeySid: standard.sid, apiKeySecret: standard.secret });

      await expect(w.strategy.create(w.current, w.context(TOKEN, w.currentJson, value).ctx)).rejects.toThrow(
        /HTTP 403 Forbidden: Twilio rejected the management credential .* not allowed/,
      );
    });
  });

  describe('http (generic)', () => {
    it('reports the old key in use when the service saw it after the given time', async () => {
      const w = providerWorld('http');
      const since = new Date('2026-01-01T00:00:00Z');
      w.fakes.acme.now = () => new Date('2026-01-01T00:05:00Z');
      w.fakes.acme.use(w.current.apiKey);

      const report = await w.strategy.inUse?.(w.current, since, w.context().ctx);

      expect(report).toEqual({
        inUse: true,
        observable: true,
        lastUsed: new Date('2026-01-01T00:05:00Z'),
        evidence: `Acme Keys (generic HTTP) reports key ${w.current.keyId} last used at 2026-01-01T00:05:00.000Z (at or after 2026-01-01T00:00:00.000Z)`,
        // The provider knows when, not who: the straggler named is the key's holder.
        stragglers: [
          expect.objectContaining({
            identity: expect.stringContaining(
              `whoever holds Acme Keys (generic HTTP) key ${w.current.keyId}`,
            ),
            lastSeen: new Date('2026-01-01T00:05:00Z'),
          }),
        ],
      });
    });

    it('reports the old key idle when last used before the given time, or never', async () => {
      const w = providerWorld('http');
      expect(await w.strategy.inUse?.(w.current, new Date(), w.context().ctx)).toMatchObject({
        inUse: false,
        observable: true,
        evidence: expect.stringContaining('never used'),
      });

      w.fakes.acme.now = () => new Date('2025-12-31T23:00:00Z');
      w.fakes.acme.use(w.current.apiKey);
      expect(
        await w.strategy.inUse?.(w.current, new Date('2026-01-01T00:00:00Z'), w.context().ctx),
      ).toMatchObject({
        inUse: false,
        lastUsed: new Date('2025-12-31T23:00:00Z'),
      });
    });

    it('without a list endpoint, says a lost create may have left a key to delete by hand', async () => {
      const w = providerWorld('http', { list: false, lastUsed: false });
      w.fake.fail({ operation: 'create', status: 502, afterEffect: true });

      const error = await rejection(w.strategy.create(w.current, w.context().ctx));

      expect(error).toBeInstanceOf(TargetError);
      expect(error.message).toContain(
        `cannot list keys, so Handover cannot tell whether a key named "${NAME}" was created`,
      );
      expect(w.names()).toContain(NAME);
      expect(await w.strategy.inUse?.(w.current, new Date(), w.context().ctx)).toMatchObject({
        observable: false,
      });
    });

    it('reads key ids the service returns as numbers, and sends params in the body and headers', async () => {
      const w = providerWorld('http');

      const pending = await w.strategy.create(w.current, w.context().ctx);

      expect(pending.keyId).toMatch(/^[0-9]+$/);
      expect(w.fakes.acme.keys.get(Number(pending.keyId))?.scopes).toEqual(['read']);
    });
  });
});
