import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { RotationLambdaHandler, RotationOutcome } from '../../../local/emulator';
import { type AwsService, startAws } from '../../support/aws';
import { recordSecretMaterial } from '../../support/log-scan';

/**
 * The Secrets Manager side of a full-rotation test file: Secrets Manager where the run says (an
 * endpoint given, or the emulator), reached through the STANDARD endpoint variable
 * (`AWS_ENDPOINT_URL_SECRETS_MANAGER`, as every SDK client in a Lambda reads it), a client built
 * without an explicit endpoint, the service's part of a rotation, and the calls the tests make.
 * Database harnesses add their server and their handlers on top.
 */
export async function startSecretsSide(services: readonly AwsService[] = ['secretsmanager']) {
  const aws = await startAws({ services });
  // No endpoint here: the client resolves it from the standard variable.
  const sm = new SecretsManagerClient({});
  const functions = new Map<string, string>();

  const side = {
    aws,
    sm,

    /** Makes `handler` the rotation function called `name`. */
    async register(name: string, handler: RotationLambdaHandler): Promise<void> {
      functions.set(name, await aws.rotation.register(name, handler));
    },

    /** Creates a secret with a unique name; returns its ARN. */
    async createSecret(prefix: string, secretString: string): Promise<string> {
      const created = await sm.send(
        new CreateSecretCommand({ Name: `${prefix}-${crypto.randomUUID()}`, SecretString: secretString }),
      );
      return created.ARN ?? '';
    },

    /** RotateSecret with the function called `name`, then wait until Secrets Manager's side of it settles. */
    async rotate(name: string, arn: string, clientRequestToken?: string): Promise<RotationOutcome> {
      const functionArn = functions.get(name);
      if (functionArn === undefined) throw new Error(`no rotation function named ${name}`);
      const outcome = await aws.rotation.rotate(arn, functionArn, {
        ...(clientRequestToken !== undefined && { token: clientRequestToken }),
      });
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

    async close(): Promise<void> {
      sm.destroy();
      await aws.close();
    },
  };
  return side;
}

export type SecretsSide = Awaited<ReturnType<typeof startSecretsSide>>;
