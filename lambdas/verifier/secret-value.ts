import { SecretFormatError } from '../shared/errors';
import { parseSharedKey, SHARED_KEY_PATTERN } from './key-format';

/** What the verifier needs from one version of a shared-key secret. */
export interface SharedKeyVersion {
  /** The whole key, `hk_<id>_<secret>`: never log it. */
  readonly key: string;
  /** The public key id. */
  readonly keyId: string;
  /** The secret part: never log it. */
  readonly secret: string;
}

/**
 * Reads the key from a shared-key secret's JSON (`{ "key": "hk_<id>_<secret>", "keyId": "<id>",
 * "createdAt": "<ISO 8601>", ...other fields }`). Only `key` is required; `keyId`, when present, must
 * be the key's own id. Bad input throws `SecretFormatError` naming the field, never the value.
 *
 * @example
 * ```ts
 * const { keyId } = readSharedKeyVersion(await getSecretString(secretId));
 * ```
 */
export function readSharedKeyVersion(secretString: string): SharedKeyVersion {
  let json: unknown;
  try {
    json = JSON.parse(secretString);
  } catch {
    // The SyntaxError's message quotes the input: do not keep it, not even as a cause.
    throw new SecretFormatError('$', 'secret value is not valid JSON: expected a JSON object');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SecretFormatError('$', 'secret value must be a JSON object');
  }
  const { key, keyId } = json as Record<string, unknown>;
  if (key === undefined) throw new SecretFormatError('key', 'secret field "key" is required');
  const parts = parseSharedKey(key);
  if (parts === undefined) {
    throw new SecretFormatError(
      'key',
      `secret field "key" must be a shared key matching ${SHARED_KEY_PATTERN.source}`,
    );
  }
  if (keyId !== undefined && keyId !== parts.keyId) {
    throw new SecretFormatError(
      'keyId',
      `secret field "keyId" must equal the id inside "key" (${parts.keyId})`,
    );
  }
  return { key: key as string, ...parts };
}
