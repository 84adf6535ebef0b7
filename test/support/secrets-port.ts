import type { SecretsPort } from '../../lambdas/rotation/secrets-port';

/**
 * A {@link SecretsPort} for strategy unit tests that only READ other secrets' AWSCURRENT values
 * (a master or a management secret): `getSecretString` answers from `lookup`; every other operation
 * fails loudly, so a strategy that starts describing, reading versions or moving labels is caught
 * by the test rather than silently given an answer. Tests of label moves use the emulator instead.
 *
 * @example
 * ```ts
 * const ctx = { ...base, secrets: readOnlySecrets((id) => values[id]) };
 * ```
 */
export function readOnlySecrets(
  lookup: (secretId: string) => string | undefined | Promise<string | undefined>,
): SecretsPort {
  const unexpected = (operation: string) => async (): Promise<never> => {
    throw new Error(`test double: ${operation} was not expected (this fake only answers getSecretString)`);
  };
  return {
    async getSecretString(secretId) {
      const value = await lookup(secretId);
      if (value === undefined) throw new Error(`no secret ${secretId}`);
      return value;
    },
    describe: unexpected('describe'),
    getVersion: unexpected('getVersion'),
    putPending: unexpected('putPending'),
    moveStage: unexpected('moveStage'),
    removeStage: unexpected('removeStage'),
    listVersions: unexpected('listVersions'),
  };
}
