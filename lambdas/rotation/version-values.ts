/**
 * The values of the versions one rotation has already read or written, kept between the four steps
 * of that rotation while the same warm Lambda environment serves them (as it does when Secrets
 * Manager calls the steps back to back), so setSecret and testSecret do not fetch again what
 * createSecret just read or stored.
 *
 * Only VALUES are remembered, by version id: a version's value never changes (PutSecretValue with
 * an existing version id and a different value is refused with `ResourceExistsException`: "you
 * can't modify an existing version; you can only create new ones", Secrets Manager API reference).
 * Staging labels and `RotationEnabled` change, so every step still reads them. A cold environment
 * remembers nothing and reads everything, which is always correct.
 *
 * The memory holds one rotation per secret (a new token replaces it), at most {@link MAX_SECRETS}
 * secrets, and forgets a secret's values once its rotation finishes: secret material stays in the
 * environment's memory no longer than the rotation that needed it.
 */
export interface VersionValues {
  /** The remembered value of `versionId` of `secretArn` in rotation `token`, if any. */
  get(secretArn: string, token: string, versionId: string): string | undefined;
  /** Remembers a value read or stored during rotation `token`. */
  remember(secretArn: string, token: string, versionId: string, value: string): void;
  /** Forgets everything remembered for `secretArn` (its rotation finished). */
  forget(secretArn: string): void;
}

/** Secrets whose current rotation a {@link VersionValues} keeps at once; the oldest is dropped first. */
export const MAX_SECRETS = 16;

/**
 * A {@link VersionValues} in this process's memory.
 *
 * @example
 * ```ts
 * const values = createVersionValues();
 * values.remember(arn, token, token, pendingJson);
 * values.get(arn, token, token); // pendingJson, in the next step of the same rotation
 * ```
 */
export function createVersionValues(maxSecrets: number = MAX_SECRETS): VersionValues {
  const rotations = new Map<string, { readonly token: string; readonly values: Map<string, string> }>();
  return {
    get(secretArn, token, versionId) {
      const rotation = rotations.get(secretArn);
      return rotation?.token === token ? rotation.values.get(versionId) : undefined;
    },
    remember(secretArn, token, versionId, value) {
      let rotation = rotations.get(secretArn);
      if (rotation?.token !== token) {
        rotations.delete(secretArn);
        rotation = { token, values: new Map() };
        rotations.set(secretArn, rotation);
        for (const oldest of rotations.keys()) {
          if (rotations.size <= maxSecrets) break;
          rotations.delete(oldest);
        }
      }
      rotation.values.set(versionId, value);
    },
    forget(secretArn) {
      rotations.delete(secretArn);
    },
  };
}
