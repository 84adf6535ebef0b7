import { randomInt } from 'node:crypto';

/**
 * The shared-key format, a public contract between the rotation Lambda that mints keys, the
 * services that verify them and the clients that present them:
 *
 * ```
 * hk_<key id>_<secret>
 * hk_7mqc2xk4bd5t_Q3xYk0J8pZ2m9WvR4tLb6NcF1hD7sGaE5uKoTiV0yXw
 * ```
 *
 * - `hk`: a fixed prefix, so secret scanners (and people) recognise a Handover key.
 * - key id: 12 characters of lower-case RFC 4648 base32 (`a-z`, `2-7`), 60 random bits. PUBLIC: logs,
 *   metrics, 401 bodies and dashboards name a key by its id.
 * - secret: 43 characters of base62 (`A-Z`, `a-z`, `0-9`), 43 × log2(62) = 256.03 random bits.
 *   Never logged. Base62 rather than base64url: no `_` or `-`, so the separator stays unambiguous
 *   and a double-click selects the whole key.
 *
 * Every character is URL-, header-, shell- and JSON-safe. A key is always 59 characters and matches
 * {@link SHARED_KEY_PATTERN}: `^hk_([a-z2-7]{12})_([A-Za-z0-9]{43})$`.
 */
export const SHARED_KEY_FORMAT = {
  prefix: 'hk',
  idAlphabet: 'abcdefghijklmnopqrstuvwxyz234567',
  idLength: 12,
  secretAlphabet: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
  secretLength: 43,
} as const;

/** `hk_` */
const PREFIX = `${SHARED_KEY_FORMAT.prefix}_`;
/** Offset of the key id in a key. */
const ID_START = PREFIX.length;
/** Offset of the `_` between the key id and the secret. */
const SEPARATOR_AT = ID_START + SHARED_KEY_FORMAT.idLength;
/** Offset of the secret part. */
const SECRET_START = SEPARATOR_AT + 1;

/** The length of every shared key: 59 characters. */
export const SHARED_KEY_LENGTH = SECRET_START + SHARED_KEY_FORMAT.secretLength;

/** Matches a whole shared key; group 1 is the key id, group 2 the secret part. */
export const SHARED_KEY_PATTERN = /^hk_([a-z2-7]{12})_([A-Za-z0-9]{43})$/;
/** Matches a key id on its own. */
export const KEY_ID_PATTERN = /^[a-z2-7]{12}$/;

/** Bits of entropy in the secret part: 256.03. */
export const SECRET_ENTROPY_BITS = SHARED_KEY_FORMAT.secretLength * Math.log2(62);

/** A key split into its public id and its secret part. */
export interface SharedKeyParts {
  /** The public key id: safe to log. */
  readonly keyId: string;
  /** The secret part: never log it. */
  readonly secret: string;
}

function randomString(alphabet: string, length: number): string {
  let out = '';
  // randomInt draws from the CSPRNG without modulo bias.
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** A new random key id (12 base32 characters, 60 bits). */
export function generateKeyId(): string {
  return randomString(SHARED_KEY_FORMAT.idAlphabet, SHARED_KEY_FORMAT.idLength);
}

/**
 * Generates a new shared key from the local CSPRNG: `hk_<12-char id>_<43-char base62 secret>`.
 *
 * @example
 * ```ts
 * const key = generateSharedKey(); // 'hk_7mqc2xk4bd5t_Q3xY...'
 * const { keyId } = parseSharedKey(key) ?? {};
 * ```
 */
export function generateSharedKey(): string {
  return `${PREFIX}${generateKeyId()}_${randomString(SHARED_KEY_FORMAT.secretAlphabet, SHARED_KEY_FORMAT.secretLength)}`;
}

/** Whether `value` is a well-formed shared key. */
export function isSharedKey(value: unknown): value is string {
  return typeof value === 'string' && value.length === SHARED_KEY_LENGTH && SHARED_KEY_PATTERN.test(value);
}

/**
 * Splits a well-formed key into its id and secret part; `undefined` for anything else (never throws,
 * never echoes the input).
 */
export function parseSharedKey(value: unknown): SharedKeyParts | undefined {
  if (!isSharedKey(value)) return undefined;
  return { keyId: value.slice(ID_START, SEPARATOR_AT), secret: value.slice(SECRET_START) };
}

/** The key id of a well-formed key, without validating the secret part. Hot-path helper. */
export function keyIdOf(key: string): string {
  return key.slice(ID_START, SEPARATOR_AT);
}

/** The secret part of a well-formed key. Hot-path helper. */
export function secretOf(key: string): string {
  return key.slice(SECRET_START);
}

/**
 * The key id of a value that is NOT a well-formed key but starts like one (`hk_<valid id>_`), e.g.
 * a truncated or mangled key: lets a `rejected-malformed` decision still say which key it was.
 * Only a string of the id alphabet is ever returned, so it is safe to log.
 */
export function keyIdOfMalformed(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length <= SEPARATOR_AT || !value.startsWith(PREFIX))
    return undefined;
  if (value.charCodeAt(SEPARATOR_AT) !== 0x5f /* _ */) return undefined;
  const keyId = value.slice(ID_START, SEPARATOR_AT);
  return KEY_ID_PATTERN.test(keyId) ? keyId : undefined;
}

/**
 * Checks that a secret part has the full entropy its format promises: the exact length, the base62
 * alphabet, and no sign of a broken generator (fewer than 16 distinct characters: a uniformly random
 * 43-character base62 string has about 31; fewer than 16 happens with probability below 1e-12).
 * Returns the problem, or `undefined` when the secret is fine. Never echoes the secret.
 */
export function entropyProblem(secret: string): string | undefined {
  if (secret.length !== SHARED_KEY_FORMAT.secretLength) {
    return `the secret part must be ${SHARED_KEY_FORMAT.secretLength} characters, got ${secret.length}`;
  }
  if (!/^[A-Za-z0-9]+$/.test(secret)) return 'the secret part must be base62 (A-Z, a-z, 0-9)';
  const distinct = new Set(secret).size;
  if (distinct < 16) {
    return `the secret part has only ${distinct} distinct characters: it was not drawn uniformly at random`;
  }
  return undefined;
}
