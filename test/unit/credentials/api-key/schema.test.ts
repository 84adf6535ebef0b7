import { describe, expect, it } from 'vitest';
import { createHttpClient } from '../../../../lambdas/credentials/api-key/http-client';
import { keyNameFor, rotationTag, secretNameOf } from '../../../../lambdas/credentials/api-key/key-name';
import { buildProviders } from '../../../../lambdas/credentials/api-key/provider-registry';
import { parseHttpServices } from '../../../../lambdas/credentials/api-key/providers/http/config';
import { parseApiKeySecret, serializeApiKeySecret } from '../../../../lambdas/credentials/api-key/schema';
import { SecretFormatError } from '../../../../lambdas/shared/errors';
import { FakeKeyService } from '../../../support/providers';
import { MANAGEMENT_ARN, SECRET_ARN, TOKEN } from './fakes';

const providers = buildProviders({
  http: createHttpClient(),
  baseUrls: { sendgrid: 'https://sendgrid.fake', twilio: 'https://twilio.fake' },
  httpServices: parseHttpServices({ acme: new FakeKeyService().config('https://acme.fake') }),
});
const parse = (value: string) => parseApiKeySecret(value, providers);

const API_KEY = 'SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const sendgrid = {
  provider: 'sendgrid',
  managementSecretArn: MANAGEMENT_ARN,
  keyId: 'qfTQ6KG0QBiwWdJ0-pCLCA',
  apiKey: API_KEY,
  scopes: ['mail.send'],
};
const twilio = {
  provider: 'twilio',
  managementSecretArn: MANAGEMENT_ARN,
  keyId: `SK${'a'.repeat(32)}`,
  apiKey: 'twilio-secret-value-0123456789ab',
  accountSid: `AC${'b'.repeat(32)}`,
};
const http = {
  provider: 'http',
  service: 'acme',
  params: { project: 'p1', scopes: ['read'] },
  managementSecretArn: MANAGEMENT_ARN,
  keyId: '1001',
  apiKey: 'svc_0123456789abcdefghijklmnop',
};

describe('parseApiKeySecret', () => {
  it('parses a SendGrid secret with its scopes', () => {
    const secret = parse(JSON.stringify(sendgrid));
    expect(secret).toMatchObject({ provider: 'sendgrid', keyId: sendgrid.keyId, apiKey: API_KEY });
    expect(secret.settings).toEqual({ scopes: ['mail.send'] });
  });

  it('parses a Twilio secret with its account', () => {
    expect(parse(JSON.stringify(twilio)).settings).toEqual({ accountSid: twilio.accountSid });
  });

  it('parses a generic HTTP secret with its service and params', () => {
    expect(parse(JSON.stringify(http)).settings).toEqual({
      service: 'acme',
      params: { project: 'p1', scopes: ['read'] },
    });
  });

  it.each([
    ['not JSON', 'not json', '$', /not valid JSON/],
    ['an array', '[]', '$', /must be a JSON object/],
    ['null', 'null', '$', /must be a JSON object/],
    ['no provider', { ...sendgrid, provider: undefined }, 'provider', /"provider" is required/],
    [
      'an unknown provider',
      { ...sendgrid, provider: 'mailgun' },
      'provider',
      /expected one of sendgrid, twilio, http/,
    ],
    [
      'no management secret',
      { ...sendgrid, managementSecretArn: undefined },
      'managementSecretArn',
      /is required/,
    ],
    [
      'a management secret name',
      { ...sendgrid, managementSecretArn: 'provider-admin' },
      'managementSecretArn',
      /full ARN/,
    ],
    ['no key id', { ...sendgrid, keyId: undefined }, 'keyId', /is required/],
    ['a key id with a slash', { ...sendgrid, keyId: '../admin' }, 'keyId', /no spaces or "\/"/],
    ['a key id with a space', { ...sendgrid, keyId: 'a b' }, 'keyId', /no spaces/],
    ['a numeric key id', { ...sendgrid, keyId: 17 }, 'keyId', /expected a string/],
    ['no key', { ...sendgrid, apiKey: undefined }, 'apiKey', /is required/],
    ['an empty key', { ...sendgrid, apiKey: '' }, 'apiKey', /non-empty/],
    [
      'a bad key name prefix',
      { ...sendgrid, keyNamePrefix: '-bad prefix' },
      'keyNamePrefix',
      /starts every key name/,
    ],
    ['SendGrid without scopes', { ...sendgrid, scopes: undefined }, 'scopes', /is required/],
    ['SendGrid with no scopes', { ...sendgrid, scopes: [] }, 'scopes', /full-access key without scopes/],
    ['SendGrid with a bad scope', { ...sendgrid, scopes: ['Mail Send'] }, 'scopes.0', /SendGrid scope names/],
    ['Twilio without an account', { ...twilio, accountSid: undefined }, 'accountSid', /is required/],
    [
      'Twilio with a bad account',
      { ...twilio, accountSid: 'AC123' },
      'accountSid',
      /AC followed by 32 hex digits/,
    ],
    ['HTTP without a service', { ...http, service: undefined }, 'service', /is required/],
    [
      'HTTP with an unknown service',
      { ...http, service: 'other' },
      'service',
      /unknown generic HTTP service "other" \(configured: acme\)/,
    ],
    [
      'HTTP without a required param',
      { ...http, params: { scopes: ['read'] } },
      'params.project',
      /uses \{params.project\}/,
    ],
    [
      'HTTP with a nested param',
      { ...http, params: { project: { a: 1 }, scopes: [] } },
      'params.project',
      /expected a string, number, boolean/,
    ],
  ])(
    'refuses %s with a SecretFormatError naming the field, not the value',
    (_what, input, field, message) => {
      const text = typeof input === 'string' ? input : JSON.stringify(input);
      let caught: unknown;
      try {
        parse(text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SecretFormatError);
      expect((caught as SecretFormatError).field).toBe(field);
      expect((caught as Error).message).toMatch(message);
      expect((caught as Error).message).not.toContain(API_KEY);
      expect((caught as Error).message).not.toContain('twilio-secret-value');
      expect((caught as Error).message).not.toContain('not json');
    },
  );
});

describe('serializeApiKeySecret', () => {
  it('writes the new key over the original JSON and keeps provider settings and unknown fields', () => {
    const original = { ...sendgrid, team: 'mail', nested: { a: [1, 2] } };
    const current = parse(JSON.stringify(original));

    const written = JSON.parse(
      serializeApiKeySecret({ ...current, keyId: 'newKeyId', apiKey: 'SG.new.key', keyName: 'handover-x-1' }),
    );

    expect(written).toEqual({
      ...original,
      keyId: 'newKeyId',
      apiKey: 'SG.new.key',
      keyName: 'handover-x-1',
    });
  });

  it('round-trips a secret unchanged', () => {
    const text = JSON.stringify({ ...twilio, keyName: 'handover-prod-mail-0123456789ab', extra: true });
    expect(JSON.parse(serializeApiKeySecret(parse(text)))).toEqual(JSON.parse(text));
  });
});

describe('key names', () => {
  it('takes the secret name from its ARN, without the random suffix', () => {
    expect(secretNameOf(SECRET_ARN)).toBe('prod/mail');
    expect(secretNameOf('plain-name')).toBe('plain-name');
  });

  it('names a key <prefix>-<tag>, the same on every attempt of a rotation', () => {
    const name = keyNameFor(SECRET_ARN, TOKEN);
    expect(name).toBe(`handover-prod-mail-${rotationTag(SECRET_ARN, TOKEN)}`);
    expect(name).toMatch(/^handover-prod-mail-[0-9a-f]{12}$/);
    expect(keyNameFor(SECRET_ARN, TOKEN)).toBe(name);
  });

  it('gives tokens that share their first characters different names', () => {
    expect(keyNameFor(SECRET_ARN, 'rotation-0001-aaaaaaaaaaaaaaaaaaaaaaaaaaaa')).not.toBe(
      keyNameFor(SECRET_ARN, 'rotation-0002-aaaaaaaaaaaaaaaaaaaaaaaaaaaa'),
    );
  });

  it('gives the same token on two secrets different names', () => {
    const other = SECRET_ARN.replace('prod/mail', 'prod/sms');
    expect(rotationTag(SECRET_ARN, TOKEN)).not.toBe(rotationTag(other, TOKEN));
  });

  it('uses the keyNamePrefix and fits 64 characters however long the secret name is', () => {
    expect(keyNameFor(SECRET_ARN, TOKEN, 'mail-prod')).toMatch(/^mail-prod-[0-9a-f]{12}$/);
    const long = `arn:aws:secretsmanager:us-east-1:123456789012:secret:${'x'.repeat(200)}-AbCdEf`;
    const name = keyNameFor(long, TOKEN);
    expect(name).toHaveLength(64);
    expect(name.endsWith(`-${rotationTag(long, TOKEN)}`)).toBe(true);
  });
});
