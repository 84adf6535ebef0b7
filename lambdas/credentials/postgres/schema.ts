import * as z from 'zod/mini';
import { SecretFormatError } from '../../shared/errors';
import { parseSecretJson, serializeSecretJson, type WithRaw } from '../../shared/secret-json';
import { CLONE_SUFFIX, cloneUsername } from '../database/alternating-usernames';
import { assertLocatable } from '../database/rds/locator';
import {
  DATABASE_SECRET_FIELDS,
  databaseCredentialsSchema,
  nonEmpty,
  plainUsernameSchema,
} from '../database/schema';

export { baseUsername, CLONE_SUFFIX, cloneUsername, toggleUsername } from '../database/alternating-usernames';

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes. */
export const MAX_IDENTIFIER_BYTES = 63;
/** The database a secret without `dbname` connects to. */
export const DEFAULT_DBNAME = 'postgres';
const byteLength = (value: string) => Buffer.byteLength(value, 'utf8');

/** A username that is safe everywhere: a plain identifier of at most 63 bytes. */
export const usernameSchema = plainUsernameSchema(
  (value) => byteLength(value) <= MAX_IDENTIFIER_BYTES,
  `expected at most ${MAX_IDENTIFIER_BYTES} bytes (PostgreSQL identifier limit)`,
);

/**
 * The credentials every PostgreSQL secret carries. This is all an RDS-managed master secret
 * (`manageMasterUserPassword`) holds; the connection fields are optional here.
 */
export const postgresCredentialsSchema = databaseCredentialsSchema(
  z.literal('postgres', { error: 'expected "postgres"' }),
  usernameSchema,
);

/**
 * The secret being rotated: the shape `rds.DatabaseSecret` and RDS secret attachments write.
 * `host` and `port` are optional here only because a secret that names `dbInstanceIdentifier` or
 * `dbClusterIdentifier` may leave them to RDS; {@link parsePostgresSecret} requires them otherwise.
 */
export const postgresSecretSchema = z.extend(postgresCredentialsSchema, {
  dbname: z._default(nonEmpty, DEFAULT_DBNAME),
});

/** A parsed PostgreSQL secret (the one being rotated). */
export type PostgresSecret = WithRaw<Readonly<z.output<typeof postgresSecretSchema>>>;
/** A parsed master secret: credentials, connection fields optional. */
export type PostgresCredentials = WithRaw<Readonly<z.output<typeof postgresCredentialsSchema>>>;

/**
 * Parses and validates the secret being rotated. Bad input throws a `SecretFormatError` naming the
 * field and what was expected, never the value. `host` and `port` are required unless the secret
 * names an RDS instance or cluster (`dbInstanceIdentifier` / `dbClusterIdentifier`): then missing
 * ones are looked up in RDS when connecting, and never written into the secret.
 *
 * @example
 * ```ts
 * parsePostgresSecret('{"dbInstanceIdentifier":"orders","username":"app","password":"…"}'); // host, port from RDS
 * parsePostgresSecret('{"username":"app","password":"…"}'); // SecretFormatError: field "host"
 * ```
 */
export function parsePostgresSecret(value: string): PostgresSecret {
  const secret = parseSecretJson(postgresSecretSchema, value);
  assertLocatable(secret, true);
  return secret;
}

/** Parses a master secret: the same fields, but only `username` and `password` are required. */
export function parsePostgresCredentials(value: string): PostgresCredentials {
  return parseSecretJson(postgresCredentialsSchema, value);
}

/**
 * Serialises a secret for PutSecretValue: the original JSON object with the known fields written
 * back. A field whose value did not change keeps its original form (a port written as `"5432"`
 * stays a string), a defaulted `dbname` is not added, and unknown fields are preserved.
 */
export function serializePostgresSecret(value: PostgresSecret | PostgresCredentials): string {
  return serializeSecretJson<PostgresSecret | PostgresCredentials>(value, DATABASE_SECRET_FIELDS, {
    dbname: DEFAULT_DBNAME,
  });
}

/** Throws unless the alternating pair of `username` fits PostgreSQL's identifier limit. */
export function assertClonable(username: string): void {
  const clone = cloneUsername(username);
  if (byteLength(clone) > MAX_IDENTIFIER_BYTES) {
    throw new SecretFormatError(
      'username',
      `secret field "username" is too long for alternating users: the clone name (username + "${CLONE_SUFFIX}") ` +
        `must be at most ${MAX_IDENTIFIER_BYTES} bytes, got ${byteLength(clone)} bytes`,
    );
  }
}
