import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  type SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { SecretFormatError } from '../shared/errors';
import type { SecretReader } from './strategy';

/** What the engine needs to know about a secret: its ARN, whether rotation is on, and its labels. */
export interface SecretMetadata {
  readonly arn: string;
  readonly name: string;
  readonly rotationEnabled: boolean;
  /** version id -> staging labels, as DescribeSecret's `VersionIdsToStages`. */
  readonly versions: Readonly<Record<string, readonly string[]>>;
}

/** Selects one version of a secret, by id or by staging label. */
export type VersionSelector = { readonly versionId: string } | { readonly stage: string };

/**
 * The narrow Secrets Manager surface the rotation engine uses. One adapter talks to the AWS SDK
 * ({@link createSecretsManagerPort}); unit tests pass in-memory fakes.
 */
export interface SecretsPort extends SecretReader {
  describe(secretId: string): Promise<SecretMetadata>;
  /** The value of one version, or `undefined` when the version or label has no value. */
  getValue(secretId: string, version: VersionSelector): Promise<string | undefined>;
  /** Stores `value` as version `versionId` with the AWSPENDING label. */
  putPending(secretId: string, versionId: string, value: string, rotationToken?: string): Promise<void>;
  /** Moves `stage` to `toVersionId`, taking it from `fromVersionId` (required when it sits there). */
  moveStage(secretId: string, stage: string, toVersionId: string, fromVersionId?: string): Promise<void>;
  /** Removes `stage` from `fromVersionId`. */
  removeStage(secretId: string, stage: string, fromVersionId: string): Promise<void>;
}

/** The SDK client operations the port calls, and nothing else (for least-privilege fakes). */
export type SecretsManagerSend = Pick<SecretsManagerClient, 'send'>;

/**
 * Adapts the AWS SDK Secrets Manager client to {@link SecretsPort}. The client reaches real AWS, the
 * local emulator or any other implementation through the standard endpoint settings.
 *
 * @example
 * ```ts
 * const port = createSecretsManagerPort(new SecretsManagerClient({}));
 * const meta = await port.describe('arn:aws:secretsmanager:...');
 * ```
 */
export function createSecretsManagerPort(client: SecretsManagerSend): SecretsPort {
  const getValue = async (secretId: string, version: VersionSelector): Promise<string | undefined> => {
    try {
      const out = await client.send(
        new GetSecretValueCommand({
          SecretId: secretId,
          ...('versionId' in version ? { VersionId: version.versionId } : { VersionStage: version.stage }),
        }),
      );
      return out.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  };
  return {
    async describe(secretId) {
      const out = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
      return {
        arn: out.ARN ?? secretId,
        name: out.Name ?? secretId,
        rotationEnabled: out.RotationEnabled === true,
        versions: out.VersionIdsToStages ?? {},
      };
    },
    getValue,
    async getSecretString(secretId) {
      const out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (out.SecretString === undefined) {
        throw new SecretFormatError('SecretString', `secret ${secretId} has no SecretString in AWSCURRENT`);
      }
      return out.SecretString;
    },
    async putPending(secretId, versionId, value, rotationToken) {
      await client.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: versionId,
          SecretString: value,
          VersionStages: ['AWSPENDING'],
          ...(rotationToken === undefined ? {} : { RotationToken: rotationToken }),
        }),
      );
    },
    async moveStage(secretId, stage, toVersionId, fromVersionId) {
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: stage,
          MoveToVersionId: toVersionId,
          ...(fromVersionId === undefined ? {} : { RemoveFromVersionId: fromVersionId }),
        }),
      );
    },
    async removeStage(secretId, stage, fromVersionId) {
      await client.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: stage,
          RemoveFromVersionId: fromVersionId,
        }),
      );
    },
  };
}
