import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { STAGE } from '../rotation/constants';
import { versionWith } from '../rotation/versions';
import { HandoverError, SecretFormatError } from '../shared/errors';
import type { KeyRingVersion } from './key-ring';
import { readSharedKeyVersion } from './secret-value';

/** The Secrets Manager operations a verifier calls: DescribeSecret and GetSecretValue. */
export type VerifierSecretsClient = Pick<SecretsManagerClient, 'send'>;

/** The accepted versions of the secret, as read from Secrets Manager. */
export interface LoadedVersions {
  readonly arn: string;
  /** The secret's name: the `secret_name` metric dimension. */
  readonly name: string;
  readonly current: KeyRingVersion;
  readonly previous: KeyRingVersion | undefined;
  /** Why an AWSPREVIOUS version was not loaded (it does not parse), if so. Never a secret. */
  readonly previousProblem?: string;
}

/**
 * Reads the AWSCURRENT and AWSPREVIOUS keys: one DescribeSecret, plus one GetSecretValue per version
 * not in `known` (a version's value never changes in Secrets Manager, so a steady-state refresh is a
 * single DescribeSecret call). Throws when AWSCURRENT cannot be read or parsed; an unparseable
 * AWSPREVIOUS is skipped and reported in `previousProblem`.
 */
export async function loadVersions(
  client: VerifierSecretsClient,
  secretId: string,
  known: ReadonlyMap<string, KeyRingVersion>,
): Promise<LoadedVersions> {
  const described = await client.send(new DescribeSecretCommand({ SecretId: secretId }));
  const arn = described.ARN ?? secretId;
  const name = described.Name ?? secretId;
  const versions = described.VersionIdsToStages ?? {};
  const currentId = versionWith(versions, STAGE.current);
  if (currentId === undefined) {
    throw new HandoverError(`secret ${arn} has no AWSCURRENT version`);
  }
  const read = async (versionId: string, stage: string): Promise<KeyRingVersion> => {
    const cached = known.get(versionId);
    if (cached !== undefined) return cached;
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: versionId }));
    if (out.SecretString === undefined) {
      throw new SecretFormatError(
        'SecretString',
        `${stage} version ${versionId} of ${arn} has no SecretString`,
      );
    }
    try {
      const { keyId, secret } = readSharedKeyVersion(out.SecretString);
      return { versionId, keyId, secret };
    } catch (error) {
      if (error instanceof SecretFormatError) {
        throw new SecretFormatError(error.field, `${stage} version ${versionId} of ${arn}: ${error.message}`);
      }
      throw error;
    }
  };
  const current = await read(currentId, STAGE.current);
  const previousId = versionWith(versions, STAGE.previous);
  if (previousId === undefined || previousId === currentId) {
    return { arn, name, current, previous: undefined };
  }
  try {
    return { arn, name, current, previous: await read(previousId, STAGE.previous) };
  } catch (error) {
    if (!(error instanceof SecretFormatError)) throw error;
    return { arn, name, current, previous: undefined, previousProblem: error.message };
  }
}
