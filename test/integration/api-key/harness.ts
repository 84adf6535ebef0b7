import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { apiKeyOptionsFromEnv } from '../../../lambdas/credentials/api-key/options';
import type { ProviderId } from '../../../lambdas/credentials/api-key/provider';
import type { ApiKeySecret } from '../../../lambdas/credentials/api-key/schema';
import { createApiKeyStrategy } from '../../../lambdas/credentials/api-key/strategy';
import { createRotationLambda } from '../../../lambdas/rotation/lambda';
import { createSecretsManagerPort } from '../../../lambdas/rotation/secrets-port';
import type { StrategyContext } from '../../../lambdas/rotation/strategy';
import type { RotationOutcome } from '../../../local/emulator';
import { startAws } from '../../support/aws';
import { recordSecretMaterial } from '../../support/log-scan';
import { FakeKeyService, FakeSendgrid, FakeTwilio } from '../../support/providers';

/** The rotated secret's JSON as a test reads it back. */
export interface StoredSecret {
  readonly provider: ProviderId;
  readonly keyId: string;
  readonly apiKey: string;
  readonly keyName?: string;
  readonly [field: string]: unknown;
}

/**
 * One test file's world: the three fake providers over real HTTP on 127.0.0.1, Secrets Manager
 * (an endpoint given, or the emulator) reached through the STANDARD endpoint variable, and the real
 * rotation Lambda handler, built from the environment exactly as `handler.ts` builds it, registered
 * as the rotation function.
 * `strategy` is a second instance with the same configuration, in the role of the rollout
 * workflow (inUse, revoke).
 */
export async function startApiKeyWorld() {
  const sendgrid = new FakeSendgrid();
  const twilio = new FakeTwilio();
  const acme = new FakeKeyService();
  const [sendgridUrl, twilioUrl, acmeUrl] = await Promise.all([
    sendgrid.listen(),
    twilio.listen(),
    acme.listen(),
  ]);
  const aws = await startAws({ services: ['secretsmanager'] });
  const env = {
    HANDOVER_API_KEY_SENDGRID_BASE_URL: sendgridUrl,
    HANDOVER_API_KEY_TWILIO_BASE_URL: twilioUrl,
    HANDOVER_API_KEY_HTTP_SERVICES: JSON.stringify({
      acme: acme.config(acmeUrl),
      'acme-nolist': acme.config(acmeUrl, { list: false, lastUsed: false }),
    }),
    HANDOVER_API_KEY_REQUEST_TIMEOUT_MS: '2000',
    HANDOVER_API_KEY_RETRY_BUDGET_MS: '2000',
    HANDOVER_API_KEY_PROPAGATION_MS: '0',
  };
  const handler = createRotationLambda(createApiKeyStrategy(apiKeyOptionsFromEnv(env)));
  const functionArn = await aws.rotation.register('api-key', handler);
  const strategy = createApiKeyStrategy(apiKeyOptionsFromEnv(env));
  const sm = new SecretsManagerClient({});
  const port = createSecretsManagerPort(sm);
  const logLines: string[] = [];

  const world = {
    sendgrid,
    twilio,
    acme,
    aws,
    /** The in-process emulator; for the emulator-only tests. */
    get emulator() {
      return aws.requireEmulator();
    },
    sm,
    strategy,
    logLines,

    /** An initial key at the provider, its management secret and the rotated secret. */
    async createSecret(
      provider: Exclude<ProviderId, 'stripe'> | 'http-nolist',
      extra: Record<string, unknown> = {},
    ) {
      let value: Record<string, unknown>;
      let management: Record<string, unknown>;
      switch (provider) {
        case 'sendgrid': {
          const admin = sendgrid.addManagementKey();
          const first = sendgrid.addKey('initial', ['mail.send']);
          management = { apiKey: admin.secret };
          value = { provider, keyId: first.id, apiKey: first.secret, scopes: ['mail.send'] };
          break;
        }
        case 'twilio': {
          const main = twilio.addKey('main', 'admin');
          const first = twilio.addKey('standard', 'initial');
          management = { apiKeySid: main.sid, apiKeySecret: main.secret };
          value = { provider, keyId: first.sid, apiKey: first.secret, accountSid: twilio.accountSid };
          break;
        }
        case 'http':
        case 'http-nolist': {
          const first = acme.addKey('initial', ['read']);
          management = { token: acme.adminToken };
          value = {
            provider: 'http',
            service: provider === 'http' ? 'acme' : 'acme-nolist',
            params: { project: 'p1', scopes: ['read'] },
            keyId: String(first.id),
            apiKey: first.token,
          };
          break;
        }
      }
      const admin = await sm.send(
        new CreateSecretCommand({
          Name: `admin-${crypto.randomUUID()}`,
          SecretString: JSON.stringify(management),
        }),
      );
      const full = { ...value, managementSecretArn: admin.ARN, owner: 'team-mail', ...extra };
      const created = await sm.send(
        new CreateSecretCommand({
          Name: `app/${provider}-${crypto.randomUUID()}`,
          SecretString: JSON.stringify(full),
        }),
      );
      return {
        arn: created.ARN ?? '',
        managementArn: admin.ARN ?? '',
        initial: full as unknown as StoredSecret,
      };
    },

    /** RotateSecret through the SDK, then wait until Secrets Manager's side of it settles. */
    async rotate(arn: string, clientRequestToken?: string): Promise<RotationOutcome> {
      const outcome = await aws.rotation.rotate(arn, functionArn, {
        ...(clientRequestToken !== undefined && { token: clientRequestToken }),
      });
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS']) {
        const value = await world.value(arn, { VersionStage: stage }).catch(() => undefined);
        if (typeof value?.apiKey === 'string') recordSecretMaterial(value.apiKey);
      }
      return outcome;
    },

    async value(arn: string, selector: { VersionStage?: string; VersionId?: string }): Promise<StoredSecret> {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: arn, ...selector }));
      return JSON.parse(out.SecretString ?? '') as StoredSecret;
    },

    async stages(arn: string): Promise<Record<string, string[]>> {
      return (await sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};
    },

    /** The context the rollout workflow would give the strategy (real Secrets Manager reads). */
    context(arn: string): StrategyContext {
      const record = (level: string) => (message: string, fields?: Record<string, unknown>) => {
        logLines.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`);
      };
      return {
        secretId: arn,
        rotationId: 'rollout',
        logger: { debug: record('debug'), info: record('info'), warn: record('warn') },
        secrets: port,
      };
    },

    /** Parses a stored value with the strategy, as the rollout workflow does. */
    parse(value: StoredSecret): ApiKeySecret {
      return strategy.parse(JSON.stringify(value));
    },

    /** Whether the provider accepts `key` right now, as a consumer calling it would see. */
    async keyWorks(value: StoredSecret): Promise<boolean> {
      try {
        await strategy.test(
          world.parse(value),
          world.context(`arn:aws:secretsmanager:${aws.region}:000000000000:secret:probe-AbCdEf`),
        );
        return true;
      } catch {
        return false;
      }
    },

    async close() {
      sm.destroy();
      await aws.close();
      await Promise.all([sendgrid.close(), twilio.close(), acme.close()]);
    },
  };
  return world;
}

export type ApiKeyWorld = Awaited<ReturnType<typeof startApiKeyWorld>>;
