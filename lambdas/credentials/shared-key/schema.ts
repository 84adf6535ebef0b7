import * as z from 'zod/mini';
import { SecretFormatError } from '../../shared/errors';
import { parseSecretJson } from '../../shared/secret-json';
import { KEY_ID_PATTERN, keyIdOf, SHARED_KEY_PATTERN, secretOf } from '../../verifier';

/**
 * The secret JSON of a shared key. Only `key` is required (so a first secret can be created by
 * hand: `{"key": "hk_..."}`); Handover always writes all three fields. Unknown fields are kept
 * through rotations.
 *
 * ```json
 * { "key": "hk_7mqc2xk4bd5t_Q3xY…", "keyId": "7mqc2xk4bd5t", "createdAt": "2026-11-21T10:00:00.000Z" }
 * ```
 */
export const sharedKeySecretSchema = z.object({
  key: z.string({ error: 'expected a string' }).check(
    z.regex(SHARED_KEY_PATTERN, {
      error: `expected a shared key matching ${SHARED_KEY_PATTERN.source} (59 characters)`,
    }),
  ),
  keyId: z.optional(
    z
      .string({ error: 'expected a string' })
      .check(z.regex(KEY_ID_PATTERN, { error: `expected a key id matching ${KEY_ID_PATTERN.source}` })),
  ),
  createdAt: z.optional(
    z.iso.datetime({ offset: true, error: 'expected an ISO 8601 date-time, e.g. 2026-11-21T10:00:00Z' }),
  ),
});

/** A parsed shared-key secret. */
export interface SharedKeySecret {
  /** The whole key, `hk_<id>_<secret>`. Never log it. */
  readonly key: string;
  /** The public key id (always the id inside `key`). */
  readonly keyId: string;
  /** When the key was created (ISO 8601), when known. */
  readonly createdAt?: string;
  /**
   * The JSON object exactly as parsed, unknown fields included, so they survive rotation. It holds
   * the key: never log it.
   */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** The secret part of a parsed secret's key. Never log it. */
export const secretPartOf = (value: SharedKeySecret): string => secretOf(value.key);

/**
 * Parses and validates a shared-key secret. Bad input throws `SecretFormatError` naming the field
 * and what was expected, never the value.
 */
export function parseSharedKeySecret(value: string): SharedKeySecret {
  const { key, keyId, createdAt, raw } = parseSecretJson(sharedKeySecretSchema, value);
  const ownId = keyIdOf(key);
  if (keyId !== undefined && keyId !== ownId) {
    throw new SecretFormatError('keyId', `secret field "keyId" must equal the id inside "key" (${ownId})`);
  }
  return { key, keyId: ownId, ...(createdAt === undefined ? {} : { createdAt }), raw };
}

/**
 * Serialises a secret for PutSecretValue: `key`, `keyId` and `createdAt` first, then every other
 * field of the original JSON unchanged.
 */
export function serializeSharedKeySecret(value: SharedKeySecret): string {
  const { key: _key, keyId: _keyId, createdAt: _createdAt, ...rest } = value.raw;
  return JSON.stringify({
    key: value.key,
    keyId: value.keyId,
    ...(value.createdAt === undefined ? {} : { createdAt: value.createdAt }),
    ...rest,
  });
}
