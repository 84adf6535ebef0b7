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
  PutSecretValueCommand,
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
import type { RotationOutcome } from '../../../local/emulator';
import { startAws } from '../../support/aws';
import { recordSecretMaterial } from '../../support/log-scan';

export interface Key {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * One test file's world: Secrets Manager, IAM and STS where the run says (the endpoints given, or
 * the emulator), reached through the STANDARD endpoint variables as the SDK clients in the Lambda
 * read them; the real rotation Lambda (`handler.ts`, its module-scope clients, Powertools logger
 * and metrics) registered as the rotation function; Secrets Manager's part played by the emulator
 * or by the harness. The strategy the rollout workflow would use for inUse / revoke / restore is
 * built from the same environment.
 */
export async function startWorld() {
  const aws = await startAws({ services: ['secretsmanager', 'iam', 'sts', 'cloudtrail'] });
  // How long testSecret waits for STS to accept a new key: long enough for the emulated propagation
  // delay; raise it for a real account, where propagation takes seconds.
  process.env.HANDOVER_IAM_TEST_TIMEOUT_MS ??= '2500';
  // The composition root reads the environment at import, like a Lambda cold start.
  const { handler } = await import('../../../lambdas/credentials/iam-access-key/handler');
  const functionArn = await aws.rotation.register('iam-access-key', handler);
  // No endpoints here: the clients resolve them from the standard variables.
  const sm = new SecretsManagerClient({});
  const iam = new IAMClient({});
  const strategy = createIamAccessKeyStrategy(iamAccessKeyOptionsFromEnv());
  const accountId = await aws.accountId();
  let users = 0;

  const world = {
    aws,
    /** The in-process emulator; for the emulator-only tests. */
    get emulator() {
      return aws.requireEmulator();
    },
    accountId,
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

    /** The ARN of IAM user `name`. */
    userArn(name: string, path = '/'): string {
      return `arn:aws:iam::${accountId}:user${path}${name}`;
    },

    /** RotateSecret through the SDK, then wait until Secrets Manager's side of it settles. */
    async rotate(
      arn: string,
      options: { token?: string; immediately?: boolean } = {},
    ): Promise<RotationOutcome> {
      const outcome = await aws.rotation.rotate(arn, functionArn, options);
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS']) {
        const value = await world.value(arn, stage).catch(() => undefined);
        if (value !== undefined) recordSecretMaterial(value.secretAccessKey, value.accessKeyId);
      }
      return outcome;
    },

    /** Puts `value` as a new AWSPENDING version (as an earlier createSecret would have); returns its id. */
    async putPending(arn: string, value: Record<string, unknown>): Promise<string> {
      if (typeof value.secretAccessKey === 'string') recordSecretMaterial(value.secretAccessKey);
      const token = crypto.randomUUID();
      await sm.send(
        new PutSecretValueCommand({
          SecretId: arn,
          ClientRequestToken: token,
          SecretString: JSON.stringify(value),
          VersionStages: ['AWSPENDING'],
        }),
      );
      return token;
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
      return aws
        .requireEmulator()
        .calls.filter((call) => call.service === 'iam' || call.service === 'sts')
        .map((call) => `${call.service}:${call.operation}`);
    },

    async close() {
      sm.destroy();
      iam.destroy();
      await aws.close();
    },
  };
  return world;
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/** A secret JSON that is wrong in one field, and that field's name. */
export const BAD_INPUT_CASES = [
  ['malformed JSON', () => '{"username":"x","accessKeyId":"AKIA', '$'],
  ['a missing username', (k: Key) => JSON.stringify({ ...k }), 'username'],
  [
    'a missing secretAccessKey',
    (k: Key) => JSON.stringify({ username: 'x', accessKeyId: k.accessKeyId }),
    'secretAccessKey',
  ],
  [
    'a numeric accessKeyId',
    (k: Key) => JSON.stringify({ username: 'x', accessKeyId: 42, secretAccessKey: k.secretAccessKey }),
    'accessKeyId',
  ],
  ['a username that is a list', (k: Key) => JSON.stringify({ username: ['x'], ...k }), 'username'],
] as const satisfies readonly (readonly [string, (k: Key) => string, string])[];
