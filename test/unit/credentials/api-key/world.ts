import type { ApiKeyStrategyOptions } from '../../../../lambdas/credentials/api-key/options';
import type { ProviderId } from '../../../../lambdas/credentials/api-key/provider';
import { createApiKeyStrategy } from '../../../../lambdas/credentials/api-key/strategy';
import {
  BASE_URLS,
  fakeContext,
  fakeProviders,
  MANAGEMENT_ARN,
  recordingSleep,
  SECRET_ARN,
  TOKEN,
} from './fakes';

/**
 * One provider's world for strategy unit tests: the in-process fakes, an initial key, the
 * management secret, the current secret's JSON and a strategy wired to them.
 */
export function providerWorld(
  provider: Exclude<ProviderId, 'stripe'>,
  features: { list?: boolean; lastUsed?: boolean } = {},
  options: Partial<ApiKeyStrategyOptions> = {},
) {
  const fakes = fakeProviders();
  const { waits, sleep } = recordingSleep();
  const strategy = createApiKeyStrategy({
    fetch: fakes.fetch,
    sleep,
    random: () => 0.5,
    baseUrls: { sendgrid: BASE_URLS.sendgrid, twilio: BASE_URLS.twilio },
    httpServices: { acme: fakes.acme.config(BASE_URLS.acme, features) },
    ...options,
  });
  let current: Record<string, unknown>;
  let management: Record<string, unknown>;
  let managementSecret: string;
  let exists: (keyId: string) => boolean;
  let names: () => string[];
  switch (provider) {
    case 'sendgrid': {
      const admin = fakes.sendgrid.addManagementKey();
      const first = fakes.sendgrid.addKey('initial', ['mail.send']);
      current = {
        provider,
        managementSecretArn: MANAGEMENT_ARN,
        keyId: first.id,
        apiKey: first.secret,
        scopes: ['mail.send'],
        team: 'mail',
      };
      management = { apiKey: admin.secret };
      managementSecret = admin.secret;
      exists = (id) => fakes.sendgrid.keys.has(id);
      names = () => fakes.sendgrid.names();
      break;
    }
    case 'twilio': {
      const main = fakes.twilio.addKey('main', 'admin');
      const first = fakes.twilio.addKey('standard', 'initial');
      current = {
        provider,
        managementSecretArn: MANAGEMENT_ARN,
        keyId: first.sid,
        apiKey: first.secret,
        accountSid: fakes.twilio.accountSid,
        team: 'sms',
      };
      management = { apiKeySid: main.sid, apiKeySecret: main.secret };
      managementSecret = main.secret;
      exists = (sid) => fakes.twilio.keys.has(sid);
      names = () => fakes.twilio.names();
      break;
    }
    case 'http': {
      const first = fakes.acme.addKey('initial', ['read']);
      current = {
        provider,
        service: 'acme',
        params: { project: 'p1', scopes: ['read'] },
        managementSecretArn: MANAGEMENT_ARN,
        keyId: String(first.id),
        apiKey: first.token,
        team: 'search',
      };
      management = { token: fakes.acme.adminToken };
      managementSecret = fakes.acme.adminToken;
      exists = (id) => fakes.acme.keys.has(Number(id));
      names = () => fakes.acme.names();
      break;
    }
  }
  const fake = provider === 'sendgrid' ? fakes.sendgrid : provider === 'twilio' ? fakes.twilio : fakes.acme;
  const currentJson = JSON.stringify(current);
  return {
    fakes,
    fake,
    strategy,
    waits,
    currentJson,
    current: strategy.parse(currentJson),
    managementSecret,
    managementJson: JSON.stringify(management),
    exists,
    names,
    /** A context serving the management secret and (as AWSCURRENT of the rotated secret) `currentValue`. */
    context(token = TOKEN, currentValue = currentJson, managementValue = JSON.stringify(management)) {
      return fakeContext({ [MANAGEMENT_ARN]: managementValue, [SECRET_ARN]: currentValue }, token);
    },
  };
}
