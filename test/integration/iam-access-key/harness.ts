import {
  CreateAccessKeyCommand,
  CreateUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import {
  type AccessKeySecret,
  createIamAccessKeyStrategy,
  iamAccessKeyOptionsFromEnv,
} from '../../../lambdas/credentials/iam-access-key';
import { createSecretsManagerPort } from '../../../lambdas/rotation/secrets-port';
import type { StrategyContext } from '../../../lambdas/rotation/strategy';
import { type Emulator, type RotationOutcome, startEmulator } from '../../../local/emulator';
import { recordSecretMaterial } from '../../support/log-scan';

export const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:handover-iam-access-key';

export interface Key {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * One test file's world: the emulator reached through the STANDARD endpoint variables
 * (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, `AWS_ENDPOINT_URL_IAM`, `AWS_ENDPOINT_URL_STS`, as the SDK
 * clients in the Lambda read them), and the real rotation Lambda (`handler.ts`, its module-scope
 * clients, Powertools logger and metrics) registered with it. The strategy the rollout workflow
 * would use for inUse / revoke / restore is built from the same environment.
 */
export async function startWorld() {
  const emulator: Emulator = await startEmulator({ rotation: { retries: 2, retryDelayMs: 0 } });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: emulator.endpoint,
    AWS_ENDPOINT_URL_IAM: emulator.endpoint,
    AWS_ENDPOINT_URL_STS: emulator.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    HANDOVER_IAM_TEST_TIMEOUT_MS: '10000',
  });
  // The composition root reads the environment at import, like a Lambda cold start.
  const { handler } = await import('../../../lambdas/credentials/iam-access-key/handler');
  emulator.registerRotationLambda(LAMBDA_ARN, handler);
  // No endpoints here: the clients resolve them from the standard variables.
  const sm = new SecretsManagerClient({});
  const iam = new IAMClient({});
  const strategy = createIamAccessKeyStrategy(iamAccessKeyOptionsFromEnv());
  let users = 0;

  const world = {
    emulator,
    sm,
    iam,
    strategy,
    handler,

    async createUser(path?: string): Promise<string> {
      users += 1;
      const name = `app-${users}-${crypto.randomUUID().slice(0, 8)}`;
      await iam.send(
        new CreateUserCommand({ UserName: name, ...(path === undefined ? {} : { Path: path }) }),
      );
      return name;
    },

    async createKey(userName: string): Promise<Key> {
      const out = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
      const key = {
        accessKeyId: out.AccessKey?.AccessKeyId ?? '',
        secretAccessKey: out.AccessKey?.SecretAccessKey ?? '',
      };
      recordSecretMaterial(key.secretAccessKey, key.accessKeyId);
      return key;
    },

    /** An IAM user with one key, and a secret holding it; returns the secret ARN and the key. */
    async createApp(options: { raw?: string; extra?: Record<string, unknown>; path?: string } = {}) {
      const username = await world.createUser(options.path);
      const key = await world.createKey(username);
      const created = await sm.send(
        new CreateSecretCommand({
          Name: `iam-${crypto.randomUUID()}`,
          SecretString: options.raw ?? JSON.stringify({ username, ...key, ...options.extra }),
        }),
      );
      return { arn: created.ARN ?? '', username, key };
    },

    /** RotateSecret through the SDK, then wait until Secrets Manager's side of it settles. */
    async rotate(
      arn: string,
      options: { token?: string; immediately?: boolean } = {},
    ): Promise<RotationOutcome> {
      await sm.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotationLambdaARN: LAMBDA_ARN,
          RotationRules: { AutomaticallyAfterDays: 30 },
          ...(options.token === undefined ? {} : { ClientRequestToken: options.token }),
          ...(options.immediately === undefined ? {} : { RotateImmediately: options.immediately }),
        }),
      );
      const outcome = await emulator.secretsManager.waitForRotation(arn);
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS']) {
        const value = await world.value(arn, stage).catch(() => undefined);
        if (value !== undefined) recordSecretMaterial(value.secretAccessKey, value.accessKeyId);
      }
      return outcome;
    },

    async value(arn: string, stage: string): Promise<AccessKeySecret> {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: stage }));
      return strategy.parse(out.SecretString ?? '');
    },

    async stages(arn: string): Promise<Record<string, string[]>> {
      return (await sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};
    },

    /** The user's keys as `id:Status`, oldest first. */
    async keys(userName: string): Promise<string[]> {
      const out = await iam.send(new ListAccessKeysCommand({ UserName: userName }));
      return (out.AccessKeyMetadata ?? []).map((key) => `${key.AccessKeyId}:${key.Status}`);
    },

    async deactivate(userName: string, accessKeyId: string): Promise<void> {
      await iam.send(
        new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: 'Inactive' }),
      );
    },

    /** The ARN a key authenticates as with STS, as a consumer would see it; `undefined` when rejected. */
    async callerArn(key: Key): Promise<string | undefined> {
      const client = new STSClient({ credentials: key, maxAttempts: 1 });
      try {
        return (await client.send(new GetCallerIdentityCommand({}))).Arn;
      } catch {
        return undefined;
      } finally {
        client.destroy();
      }
    },

    /** The context the rollout workflow would give the strategy for one secret. */
    context(arn: string): StrategyContext {
      const noop = () => undefined;
      return {
        secretId: arn,
        rotationId: 'rollout',
        secrets: createSecretsManagerPort(sm),
        logger: { debug: noop, info: noop, warn: noop },
      };
    },

    /** What the rollout workflow does after the grace window: revoke the AWSPREVIOUS key. */
    async revokePrevious(arn: string): Promise<AccessKeySecret> {
      const previous = await world.value(arn, 'AWSPREVIOUS');
      await strategy.revoke?.(previous, world.context(arn));
      return previous;
    },

    /** The IAM and STS calls the emulator received since the last reset, as `service:Operation`. */
    identityCalls(): string[] {
      return emulator.calls
        .filter((call) => call.service === 'iam' || call.service === 'sts')
        .map((call) => `${call.service}:${call.operation}`);
    },

    async close() {
      sm.destroy();
      iam.destroy();
      await emulator.close();
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof startWorld>>;
