import { STAGE } from '../rotation/constants';
import { describeSecret, type SecretMetadata, type SecretsManagerSend } from '../rotation/secrets-port';
import { versionWith } from '../rotation/versions';

export type { SecretsManagerSend };
/** What the workflow reads of a secret (DescribeSecret): identity, rotation, staging labels and tags. */
export type SecretState = SecretMetadata;
/** DescribeSecret, reduced to {@link SecretState} (the rotation functions' own reading of it). */
export { describeSecret };

/**
 * How the rollout function's Secrets Manager client retries: RotateSecret and every write share 50
 * calls per second per account and region (not raisable), and a bulk emergency runs many rollouts
 * at once, so throttling is expected: the SDK's adaptive mode slows the client down when it is
 * throttled, and 10 attempts outlast a burst instead of failing the rollout.
 */
export const SECRETS_MANAGER_RETRY = { retryMode: 'adaptive', maxAttempts: 10 } as const;

/** The version AWSCURRENT is on, or `undefined` (a secret with no value yet). */
export const currentVersion = (state: SecretState): string | undefined =>
  versionWith(state.versions, STAGE.current);

/** An 8-character prefix of a version id, for human messages (`v=9c1d8f0e`). */
export const shortVersion = (versionId: string | undefined): string =>
  versionId === undefined ? 'none' : versionId.slice(0, 8);
