import {
  DescribeSecretCommand,
  type DescribeSecretResponse,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { STAGE } from '../rotation/constants';

/**
 * How the rollout function's Secrets Manager client retries: RotateSecret and every write share 50
 * calls per second per account and region (not raisable), and a bulk emergency runs many rollouts
 * at once, so throttling is expected: the SDK's adaptive mode slows the client down when it is
 * throttled, and 10 attempts outlast a burst instead of failing the rollout.
 */
export const SECRETS_MANAGER_RETRY = { retryMode: 'adaptive', maxAttempts: 10 } as const;

/** The Secrets Manager operations the rollout function calls, and nothing else. */
export type SecretsManagerSend = Pick<SecretsManagerClient, 'send'>;

/** What the workflow reads of a secret: identity, rotation, staging labels and tags. */
export interface SecretState {
  readonly arn: string;
  readonly name: string;
  readonly rotationEnabled: boolean;
  /** version id -> staging labels. */
  readonly versions: Readonly<Record<string, readonly string[]>>;
  readonly tags: Readonly<Record<string, string>>;
}

/** DescribeSecret, reduced to {@link SecretState}. */
export async function describeSecret(client: SecretsManagerSend, secretId: string): Promise<SecretState> {
  return secretStateOf(await client.send(new DescribeSecretCommand({ SecretId: secretId })), secretId);
}

/** A DescribeSecret answer, reduced to {@link SecretState}. */
export function secretStateOf(out: DescribeSecretResponse, secretId: string): SecretState {
  const tags: Record<string, string> = {};
  for (const tag of out.Tags ?? []) {
    if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
  }
  return {
    arn: out.ARN ?? secretId,
    name: out.Name ?? secretId,
    rotationEnabled: out.RotationEnabled === true,
    versions: out.VersionIdsToStages ?? {},
    tags,
  };
}

/** The version holding a staging label, or `undefined`. */
export function versionWith(state: SecretState, stage: string): string | undefined {
  return Object.entries(state.versions).find(([, stages]) => stages.includes(stage))?.[0];
}

/** The version AWSCURRENT is on, or `undefined` (a secret with no value yet). */
export const currentVersion = (state: SecretState): string | undefined => versionWith(state, STAGE.current);

/** An 8-character prefix of a version id, for human messages (`v=9c1d8f0e`). */
export const shortVersion = (versionId: string | undefined): string =>
  versionId === undefined ? 'none' : versionId.slice(0, 8);
