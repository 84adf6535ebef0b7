import * as z from 'zod/mini';
import { SecretFormatError } from '../../shared/errors';
import { parseSecretJson, serializeSecretJson, type WithRaw } from '../../shared/secret-json';
import { CLONE_SUFFIX, cloneUsername } from '../database/alternating-usernames';
import { assertLocatable } from '../database/rds/locator';
import { DATABASE_SECRET_FIELDS, databaseCredentialsSchema, plainUsernameSchema } from '../database/schema';

export { baseUsername, CLONE_SUFFIX, cloneUsername, toggleUsername } from '../database/alternating-usernames';

/**
 * The longest user name any supported server accepts (MariaDB: 80 characters). The server's own
 * limit (MySQL 5.7.8+: 32, older MySQL: 16) is checked once connected, see `server.ts`.
 */
export const MAX_USERNAME_LENGTH = 80;
/** The port a secret without `port` connects to (as AWS's rotation templates assume). */
export const DEFAULT_PORT = 3306;
/**
 * Values of `engine` accepted: what RDS and CDK write for MySQL, MariaDB and Aurora MySQL secrets.
 * MySQL and MariaDB differ in SQL; Handover tells them apart from the server's `VERSION()`, not
 * from this field.
 */
export const MYSQL_ENGINES = ['mysql', 'mariadb', 'aurora-mysql'] as const;
/** A username that is safe everywhere: a plain identifier of at most 80 characters. */
export const usernameSchema = plainUsernameSchema(
  (value) => value.length <= MAX_USERNAME_LENGTH,
  `expected at most ${MAX_USERNAME_LENGTH} characters (the longest user name MariaDB accepts; MySQL 5.7+ accepts 32)`,
);

/**
 * The credentials every MySQL / MariaDB secret carries. This is all an RDS-managed master secret
 * (`manageMasterUserPassword`) holds; the connection fields are optional here.
 */
export const mysqlCredentialsSchema = databaseCredentialsSchema(
  z.enum(MYSQL_ENGINES, { error: `expected one of ${MYSQL_ENGINES.join(', ')}` }),
  usernameSchema,
);

/**
 * The secret being rotated: the shape `rds.DatabaseSecret` and RDS secret attachments write.
 * `dbname` stays optional (a MySQL login needs no database). `host` is optional here only because
 * a secret that names `dbInstanceIdentifier` or `dbClusterIdentifier` may leave it (and `port`) to
 * RDS; {@link parseMysqlSecret} requires it otherwise, and defaults `port` to 3306 when `host` is given.
 */
export const mysqlSecretSchema = mysqlCredentialsSchema;

/** A parsed MySQL / MariaDB secret (the one being rotated). */
export type MysqlSecret = WithRaw<Readonly<z.output<typeof mysqlSecretSchema>>>;
/** A parsed master secret: credentials, connection fields optional. */
export type MysqlCredentials = WithRaw<Readonly<z.output<typeof mysqlCredentialsSchema>>>;

/**
 * Parses and validates the secret being rotated. Bad input throws a `SecretFormatError` naming the
 * field and what was expected, never the value.
 *
 * @example
 * ```ts
 * const secret = parseMysqlSecret('{"engine":"mysql","host":"db","username":"app","password":"…"}');
 * secret.port; // 3306
 * ```
 */
export function parseMysqlSecret(value: string): MysqlSecret {
  const secret = parseSecretJson(mysqlSecretSchema, value);
  assertLocatable(secret, false);
  // A secret with a host and no port means MySQL's default port (as AWS's templates assume); one
  // that leaves the host to RDS takes RDS's port too.
  return secret.port === undefined && secret.host !== undefined ? { ...secret, port: DEFAULT_PORT } : secret;
}

/** Parses a master secret: the same fields, but only `username` and `password` are required. */
export function parseMysqlCredentials(value: string): MysqlCredentials {
  return parseSecretJson(mysqlCredentialsSchema, value);
}

/**
 * Serialises a secret for PutSecretValue: the original JSON object with the known fields written
 * back. A field whose value did not change keeps its original form (a port written as `"3306"`
 * stays a string), a defaulted `port` is not added, and unknown fields are preserved.
 */
export function serializeMysqlSecret(value: MysqlSecret | MysqlCredentials): string {
  return serializeSecretJson<MysqlSecret | MysqlCredentials>(value, DATABASE_SECRET_FIELDS, {
    port: DEFAULT_PORT,
  });
}

/** Throws unless the clone name of `username` fits the longest user name any server accepts. */
export function assertClonable(username: string, limit = MAX_USERNAME_LENGTH): void {
  const clone = cloneUsername(username);
  if (clone.length > limit) {
    throw new SecretFormatError(
      'username',
      `secret field "username" is too long for alternating users: the clone name "${clone}" (username + ` +
        `"${CLONE_SUFFIX}") must be at most ${limit} characters, got ${clone.length}`,
    );
  }
}
