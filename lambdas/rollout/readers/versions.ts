import { ListSecretVersionIdsCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerSend } from '../secret-state';

/**
 * When a version of a secret was created (ListSecretVersionIds, every page), or `undefined` when the
 * secret no longer lists it. A version becomes AWSCURRENT within its rotation, seconds after it is
 * created: the creation of the version a rotation replaces is when the previous rotation happened.
 *
 * @example
 * ```ts
 * const since = await versionCreated(secretsManager, secretArn, oldVersionId);
 * ```
 */
export async function versionCreated(
  client: SecretsManagerSend,
  secretArn: string,
  versionId: string,
): Promise<Date | undefined> {
  let next: string | undefined;
  do {
    const page = await client.send(
      new ListSecretVersionIdsCommand({
        SecretId: secretArn,
        IncludeDeprecated: true,
        ...(next === undefined ? {} : { NextToken: next }),
      }),
    );
    const found = page.Versions?.find((version) => version.VersionId === versionId);
    if (found !== undefined) return found.CreatedDate;
    next = page.NextToken;
  } while (next !== undefined);
  return undefined;
}
