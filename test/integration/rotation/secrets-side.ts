import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type Emulator, type RotationOutcome, startEmulator } from '../../../local/emulator';
import { recordSecretMaterial } from '../../support/log-scan';

/**
 * The Secrets Manager side of a full-rotation test file: the emulator, reached through the
 * STANDARD endpoint variable (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, as every SDK client in a Lambda
 * reads it), a client built without an explicit endpoint, and the calls the tests make. Database
 * harnesses add their server and their handlers on top.
 */
export async function startSecretsSide() {
  const emulator: Emulator = await startEmulator({ rotation: { retries: 2, retryDelayMs: 0 } });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: emulator.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  // No endpoint here: the client resolves it from the standard variable.
  const sm = new SecretsManagerClient({});

  const side = {
    emulator,
    sm,

    /** Creates a secret with a unique name; returns its ARN. */
    async createSecret(prefix: string, secretString: string): Promise<string> {
      const created = await sm.send(
        new CreateSecretCommand({ Name: `${prefix}-${crypto.randomUUID()}`, SecretString: secretString }),
      );
      return created.ARN ?? '';
    },

    /** RotateSecret through the SDK, then wait until Secrets Manager's side of it settles. */
    async rotate(lambdaArn: string, arn: string, clientRequestToken?: string): Promise<RotationOutcome> {
      await sm.send(
        new RotateSecretCommand({
          SecretId: arn,
          RotationLambdaARN: lambdaArn,
          RotationRules: { AutomaticallyAfterDays: 30 },
          ...(clientRequestToken === undefined ? {} : { ClientRequestToken: clientRequestToken }),
        }),
      );
      const outcome = await emulator.secretsManager.waitForRotation(arn);
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING']) {
        const value = await side.value(arn, { VersionStage: stage }).catch(() => undefined);
        if (typeof value?.password === 'string') recordSecretMaterial(value.password);
      }
      return outcome;
    },

    /** The parsed JSON of one version, by id or staging label. */
    async value(
      arn: string,
      selector: { VersionStage?: string; VersionId?: string },
    ): Promise<Record<string, unknown>> {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: arn, ...selector }));
      return JSON.parse(out.SecretString ?? '') as Record<string, unknown>;
    },

    async stages(arn: string): Promise<Record<string, string[]>> {
      return (await sm.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages ?? {};
    },
  };
  return side;
}
