import { createHash, createHmac, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** The iteration count PostgreSQL itself uses (`scram_iterations` default). */
export const SCRAM_ITERATIONS = 4096;
const SALT_BYTES = 16;

/** The keys RFC 5802 derives from a password. */
export interface ScramKeys {
  readonly saltedPassword: Buffer;
  readonly clientKey: Buffer;
  readonly storedKey: Buffer;
  readonly serverKey: Buffer;
}

/** Options for {@link scramSha256Verifier}. */
export interface ScramOptions {
  /**
   * The salt.
   * @default - 16 random bytes
   */
  readonly salt?: Buffer;
  /**
   * PBKDF2 iterations.
   * @default 4096
   */
  readonly iterations?: number;
}

// RFC 3454 C.1.2 non-ASCII spaces, and B.1 "commonly mapped to nothing".
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/gu;
const MAPPED_TO_NOTHING = new Set([
  0xad,
  0x34f,
  0x1806,
  0x180b,
  0x180c,
  0x180d,
  0x200c,
  0x200d,
  0x2060,
  0xfeff,
  ...Array.from({ length: 16 }, (_, i) => 0xfe00 + i),
]);
// Prohibited output (RFC 4013 section 2.3), the subset that matters in practice: controls,
// private use, non-characters, surrogates. PostgreSQL then uses the password unprepared.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const PROHIBITED = /[\u0000-\u001F\u007F-\u009F\uE000-\uF8FF\uFFF9-\uFFFF]/u;

/**
 * SASLprep (RFC 4013) as PostgreSQL applies it to a password before hashing (`pg_saslprep`): an
 * ASCII password is used as is; otherwise spaces are mapped, "mapped to nothing" characters
 * removed and the result NFKC-normalised. If the result contains prohibited characters, PostgreSQL
 * falls back to the raw password, and so do we. (Bidirectional checks are not implemented; a
 * password that needs them may be prepared differently, which `testSecret` then catches.)
 */
export function saslPrep(password: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the full ASCII range is the point
  if (/^[\u0000-\u007F]*$/.test(password)) return password;
  const mapped = [...password.replace(NON_ASCII_SPACE, ' ')]
    .filter((char) => !MAPPED_TO_NOTHING.has(char.codePointAt(0) ?? 0))
    .join('');
  const prepared = mapped.normalize('NFKC');
  return PROHIBITED.test(prepared) ? password : prepared;
}

const hmac = (key: Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** Derives the RFC 5802 keys for SCRAM-SHA-256 (RFC 7677). */
export async function scramSha256Keys(
  password: string,
  salt: Buffer,
  iterations: number,
): Promise<ScramKeys> {
  const saltedPassword = await pbkdf2Async(
    Buffer.from(saslPrep(password), 'utf8'),
    salt,
    iterations,
    32,
    'sha256',
  );
  const clientKey = hmac(saltedPassword, 'Client Key');
  return {
    saltedPassword,
    clientKey,
    storedKey: createHash('sha256').update(clientKey).digest(),
    serverKey: hmac(saltedPassword, 'Server Key'),
  };
}

/**
 * Computes the SCRAM-SHA-256 verifier PostgreSQL stores for a password, so `ALTER ROLE ... PASSWORD`
 * can send it instead of the plaintext: the password then never reaches the server's statement
 * log, `pg_stat_statements` or `pg_stat_activity`. PostgreSQL stores a string in this format as is.
 *
 * @example
 * ```ts
 * const verifier = await scramSha256Verifier(password);
 * // 'SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>'
 * ```
 */
export async function scramSha256Verifier(password: string, options: ScramOptions = {}): Promise<string> {
  const salt = options.salt ?? randomBytes(SALT_BYTES);
  const iterations = options.iterations ?? SCRAM_ITERATIONS;
  const { storedKey, serverKey } = await scramSha256Keys(password, salt, iterations);
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
