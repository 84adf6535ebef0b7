import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  isOperatorAssisted,
  parseApiKeySecret,
  serializeApiKeySecret,
} from '../../lambdas/credentials/api-key';
import { resolveApiKeyOptions } from '../../lambdas/credentials/api-key/options';
import { currentVersion } from '../../lambdas/rollout/secret-state';
import { STAGE } from '../../lambdas/rotation/constants';
import { versionWith } from '../../lambdas/rotation/versions';
import type { CliContext } from '../context';
import { CliError, EXIT, errorCode, fromAwsError } from '../errors';
import { describe, rolloutConfig } from '../secrets';

/**
 * `handover provide <secret>`: hands the key a person created at an operator-assisted provider to
 * the rotation waiting for it. The key is read from a prompt without echo (or stdin), checked for
 * shape, and written ONLY to Secrets Manager: PutSecretValue of the waiting rotation's version
 * (`ClientRequestToken` = the AWSPENDING version id), the whole secret JSON with the new key.
 * Then RotateSecret with that same token resumes the rotation: createSecret finds the value and
 * reuses it, testSecret verifies the key against the provider, finishSecret makes it AWSCURRENT,
 * and the rollout carries it to consumers. Never in an argument, a Step Functions input or output,
 * a task token result, a log line or an event.
 *
 * Idempotent: run again after an interruption, it finds the key already stored (the same value is
 * accepted, another refused by Secrets Manager) and only resumes the rotation.
 */
export async function provideCommand(
  ctx: CliContext,
  secretId: string,
  options: { readonly follow?: boolean },
): Promise<number> {
  const { out } = ctx;
  const secret = await describe(ctx, secretId);
  const config = await rolloutConfig(ctx, secret);
  if (config.credentialType !== 'api-key') {
    throw new CliError(
      EXIT.refused,
      `${secret.name} is a ${config.credentialType} secret: its rotation creates the credential itself, there is nothing to provide`,
      `Rotate it with handover rotate ${secret.name}`,
    );
  }
  const pending = versionWith(secret.versions, STAGE.pending);
  if (pending === undefined || pending === currentVersion(secret)) {
    throw new CliError(
      EXIT.refused,
      `no rotation of ${secret.name} is waiting for a key`,
      `Start one first (handover rotate ${secret.name}, or wait for its schedule); it then waits for this command`,
    );
  }
  const read = async (selector: { VersionId?: string; VersionStage?: string }) => {
    try {
      return (
        await ctx.aws.secretsManager.send(new GetSecretValueCommand({ SecretId: secret.arn, ...selector }))
      ).SecretString;
    } catch (error) {
      if (errorCode(error) === 'ResourceNotFoundException') return undefined;
      throw fromAwsError(error, `secretsmanager:GetSecretValue on ${secret.name}`);
    }
  };
  const { providers } = resolveApiKeyOptions({});
  const current = parseApiKeySecret((await read({ VersionStage: 'AWSCURRENT' })) ?? '{}', providers);
  const definition = providers[current.provider];
  if (!isOperatorAssisted(definition)) {
    throw new CliError(
      EXIT.refused,
      `${secret.name} is rotated through ${definition.displayName}'s key-management API: there is nothing to provide`,
      "Read the rotation function's logs for why its rotation is waiting",
    );
  }
  const provider = definition.bind({ settings: current.settings });

  const stored = await read({ VersionId: pending });
  if (stored === undefined) {
    out.note(
      `The rotation of ${secret.name} waits for a new ${provider.displayName} key (version ${pending}).`,
    );
    out.note(`To create it: ${provider.createInstructions(current.keyId)}.`);
    const key = (
      await ctx.prompt.secret(`New ${provider.displayName} key for ${secret.name} (input hidden):`)
    ).trim();
    const problem = provider.checkKey(key);
    if (problem !== undefined)
      throw new CliError(
        EXIT.usage,
        `that is not a ${provider.displayName} key: ${problem}`,
        'Nothing was stored; run it again',
      );
    if (key === current.apiKey) {
      throw new CliError(
        EXIT.usage,
        `that is the current key of ${secret.name}`,
        'Create a new key at the provider, then run this again',
      );
    }
    const keyId = provider.keyIdOf(key);
    if (keyId === current.keyId) {
      throw new CliError(
        EXIT.usage,
        `the new key ends like the current one (${keyId}): the rotation could not tell them apart`,
        'Roll it once more at the provider',
      );
    }
    const { keyName: _previousName, ...rest } = current;
    const value = serializeApiKeySecret({ ...rest, keyId, apiKey: key });
    try {
      await ctx.aws.secretsManager.send(
        new PutSecretValueCommand({
          SecretId: secret.arn,
          ClientRequestToken: pending,
          SecretString: value,
          VersionStages: ['AWSPENDING'],
        }),
      );
    } catch (error) {
      throw fromAwsError(error, `secretsmanager:PutSecretValue on ${secret.name}`, (code) =>
        code === 'ResourceExistsException'
          ? new CliError(
              EXIT.refused,
              `another key was provided for version ${pending} of ${secret.name} meanwhile`,
              'Nothing was changed; run handover status',
            )
          : undefined,
      );
    }
    out.note(`Stored ${keyId} as version ${pending} of ${secret.name} (AWSPENDING).`);
  } else {
    out.note(`A key is already stored as version ${pending} of ${secret.name}: resuming its rotation.`);
  }

  let resumed = true;
  try {
    await ctx.aws.secretsManager.send(
      new RotateSecretCommand({ SecretId: secret.arn, ClientRequestToken: pending }),
    );
  } catch (error) {
    const code = errorCode(error);
    if (code !== 'InvalidRequestException')
      throw fromAwsError(error, `secretsmanager:RotateSecret on ${secret.name}`);
    // A rotation of this version is running already: it finds the key on its next createSecret.
    resumed = false;
  }
  out.line(
    `The rotation of ${secret.name} ${resumed ? 'resumed' : 'is running and picks the key up'}: it verifies the key against ${provider.displayName}, then the rollout carries it to the consumers (handover status ${secret.name}).`,
  );
  let status: 'resumed' | 'current' | 'waiting' = 'resumed';
  if (options.follow === true) {
    status = 'waiting';
    for (let checks = 0; checks < 600; checks += 1) {
      const described = await ctx.aws.secretsManager.send(
        new DescribeSecretCommand({ SecretId: secret.arn }),
      );
      if (described.VersionIdsToStages?.[pending]?.includes('AWSCURRENT') === true) {
        status = 'current';
        break;
      }
      await new Promise((done) => setTimeout(done, ctx.pollMs));
    }
    out.line(
      status === 'current'
        ? `Version ${pending} is AWSCURRENT.`
        : `Version ${pending} is not AWSCURRENT yet.`,
    );
  }
  out.result({ secret: secret.name, secretArn: secret.arn, versionId: pending, status });
  return status === 'waiting' ? EXIT.refused : EXIT.ok;
}
