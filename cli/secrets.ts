import {
  DescribeSecretCommand,
  type DescribeSecretResponse,
  ListSecretVersionIdsCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, GetParametersByPathCommand } from '@aws-sdk/client-ssm';
import { parseRolloutConfig } from '../lambdas/rollout/config';
import {
  ROLLOUT_CONFIG_PREFIX,
  type RolloutConfig,
  rolloutConfigParameterName,
} from '../lambdas/rollout/contract';
import { type LockState, lockOf } from '../lambdas/rollout/lock';
import type { SecretState } from '../lambdas/rollout/secret-state';
import { secretMetadataOf } from '../lambdas/rotation/secrets-port';
import type { CliContext } from './context';
import { CliError, EXIT, fromAwsError } from './errors';

/** What the CLI reads of a secret (DescribeSecret): the rollout's view of it, and the dates. */
export interface SecretView extends SecretState {
  readonly description: DescribeSecretResponse;
}

/** DescribeSecret; an unknown secret is `EXIT.notFound` with what to do. */
export async function describe(ctx: CliContext, secretId: string): Promise<SecretView> {
  let out: DescribeSecretResponse;
  try {
    out = await ctx.aws.secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (error) {
    throw fromAwsError(error, `secretsmanager:DescribeSecret on ${secretId}`, (code) =>
      code === 'ResourceNotFoundException'
        ? new CliError(
            EXIT.notFound,
            `secret ${secretId} does not exist in ${regionOf(ctx)}`,
            'Check the name or ARN, or pass --region',
          )
        : undefined,
    );
  }
  return { ...secretMetadataOf(out, secretId), description: out };
}

/** The region the clients use, for messages. */
function regionOf(ctx: CliContext): string {
  return ctx.options.region ?? ctx.env.AWS_REGION ?? ctx.env.AWS_DEFAULT_REGION ?? 'the configured region';
}

/**
 * The rollout lock of a secret, as the tags on the secret show it (the rollout keeps them as the
 * human-readable mirror of its lock). The ONE place the CLI reads the lock.
 */
export function rolloutLock(secret: SecretState): LockState {
  return lockOf(secret);
}

/**
 * The secret's rollout configuration (its SSM parameter), which exists exactly for the secrets a
 * deployed Handover policy covers. A secret outside every policy is `EXIT.notManaged`.
 */
export async function rolloutConfig(
  ctx: CliContext,
  secret: Pick<SecretState, 'name'>,
): Promise<RolloutConfig> {
  const parameter = rolloutConfigParameterName(secret.name);
  let value: string | undefined;
  try {
    const out = await ctx.aws.ssm.send(new GetParameterCommand({ Name: parameter }));
    value = out.Parameter?.Value;
  } catch (error) {
    throw fromAwsError(error, `ssm:GetParameter on ${parameter}`, (code) =>
      code === 'ParameterNotFound'
        ? new CliError(
            EXIT.notManaged,
            `secret ${secret.name} is outside every Handover policy (it has no rollout configuration ${parameter})`,
            'Add it to the policy (infra/policy.ts) and deploy, or check --region',
          )
        : undefined,
    );
  }
  try {
    return parseRolloutConfig(value ?? '', parameter);
  } catch (error) {
    throw new CliError(
      EXIT.notManaged,
      `the rollout configuration of ${secret.name} is not valid: ${error instanceof Error ? error.message : String(error)}`,
      'Deploy the stack again (cdk deploy) to rewrite it',
      { cause: error },
    );
  }
}

/** One version of a secret with its labels and creation date. */
export interface VersionView {
  readonly versionId: string;
  readonly stages: readonly string[];
  readonly created?: Date;
}

/** The secret's labelled versions, newest first (ListSecretVersionIds). */
export async function versions(ctx: CliContext, secret: SecretState): Promise<VersionView[]> {
  const found: VersionView[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await ctx.aws.secretsManager.send(
        new ListSecretVersionIdsCommand({
          SecretId: secret.arn,
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      for (const version of out.Versions ?? []) {
        if (version.VersionId === undefined) continue;
        found.push({
          versionId: version.VersionId,
          stages: version.VersionStages ?? [],
          ...(version.CreatedDate === undefined ? {} : { created: version.CreatedDate }),
        });
      }
      token = out.NextToken;
    } while (token !== undefined);
  } catch (error) {
    throw fromAwsError(error, `secretsmanager:ListSecretVersionIds on ${secret.name}`);
  }
  // Versions only DescribeSecret knows (a label on a version with no value yet) come last.
  for (const [versionId, stages] of Object.entries(secret.versions)) {
    if (!found.some((version) => version.versionId === versionId)) found.push({ versionId, stages });
  }
  return found
    .filter((version) => version.stages.length > 0)
    .sort(
      (a, b) =>
        (b.created?.getTime() ?? Number.MAX_SAFE_INTEGER) - (a.created?.getTime() ?? Number.MAX_SAFE_INTEGER),
    );
}

/** A secret a deployed policy covers: its rollout configuration, by the secret's ARN. */
export interface ManagedSecret {
  readonly parameter: string;
  readonly config: RolloutConfig;
}

/**
 * Every secret a deployed policy covers: the rollout configurations under `/handover/rollout/`
 * (SSM GetParametersByPath). A configuration that does not parse is skipped with a note.
 */
export async function managedSecrets(ctx: CliContext): Promise<ManagedSecret[]> {
  const found: ManagedSecret[] = [];
  let token: string | undefined;
  try {
    do {
      const out = await ctx.aws.ssm.send(
        new GetParametersByPathCommand({
          Path: ROLLOUT_CONFIG_PREFIX.replace(/\/$/, ''),
          Recursive: true,
          MaxResults: 10,
          ...(token === undefined ? {} : { NextToken: token }),
        }),
      );
      for (const parameter of out.Parameters ?? []) {
        if (parameter.Name === undefined) continue;
        try {
          found.push({
            parameter: parameter.Name,
            config: parseRolloutConfig(parameter.Value ?? '', parameter.Name),
          });
        } catch (error) {
          ctx.out.note(
            `skipped ${parameter.Name}: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }
      token = out.NextToken;
    } while (token !== undefined);
  } catch (error) {
    throw fromAwsError(error, `ssm:GetParametersByPath on ${ROLLOUT_CONFIG_PREFIX}`);
  }
  return found;
}
