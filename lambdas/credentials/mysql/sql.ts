import { createHash } from 'node:crypto';
import { escape as mysqlEscape } from 'sql-escaper';

/**
 * Building the few statements that cannot take bind parameters (`ALTER USER`, `GRANT`,
 * `SHOW GRANTS FOR`). Every value goes through `escape` of sql-escaper (the escaper mysql2 itself
 * uses, imported directly so building SQL does not load the driver), told the session's SQL mode:
 * with `NO_BACKSLASH_ESCAPES` a backslash is an ordinary character and a quote must be doubled, so
 * escaping for the wrong mode could end a string early. Usernames are already plain identifiers;
 * escaping them anyway is defence in depth.
 */

/** The parts of `@@SESSION.sql_mode` that change how strings and identifiers are quoted. */
export interface SqlMode {
  readonly noBackslashEscapes: boolean;
  readonly ansiQuotes: boolean;
}

/** Reads the quoting-relevant flags from a `sql_mode` value. */
export function parseSqlMode(sqlMode: string): SqlMode {
  const flags = new Set(sqlMode.toUpperCase().split(','));
  return {
    noBackslashEscapes: flags.has('NO_BACKSLASH_ESCAPES'),
    // ANSI is shorthand that includes ANSI_QUOTES.
    ansiQuotes: flags.has('ANSI_QUOTES') || flags.has('ANSI'),
  };
}

/**
 * A string literal for the given SQL mode, escaped by sql-escaper's `escape` (mysql2's).
 *
 * @example
 * ```ts
 * literal("O'Brien", { noBackslashEscapes: false, ansiQuotes: false }); // 'O\'Brien'
 * literal("O'Brien", { noBackslashEscapes: true, ansiQuotes: false });  // 'O''Brien'
 * ```
 */
export function literal(value: string, mode: SqlMode): string {
  return mysqlEscape(value, false, 'Z', mode);
}

/** A MySQL account, `'user'@'host'`, as string literals. */
export function account(user: string, host: string, mode: SqlMode): string {
  return `${literal(user, mode)}@${literal(host, mode)}`;
}

/** A user and host, e.g. the parts of `CURRENT_USER()`. */
export interface Account {
  readonly user: string;
  readonly host: string;
}

/**
 * Splits `CURRENT_USER()` (`app@%`, `app@10.0.%`) at the first `@`: rotated usernames are plain
 * identifiers, so they cannot contain one.
 */
export function splitAccount(value: string): Account {
  const at = value.indexOf('@');
  return at < 0 ? { user: value, host: '' } : { user: value.slice(0, at), host: value.slice(at + 1) };
}

/**
 * The `mysql_native_password` hash of a password (`*` + upper-case hex SHA1(SHA1(password))), as
 * `mysql.user` stores it. MariaDB writes statements to its general and slow query logs as sent,
 * so on MariaDB Handover sends this hash (`IDENTIFIED BY PASSWORD '*…'`, `SET PASSWORD = '*…'`)
 * and the plaintext never reaches the server. (MySQL rewrites the password out of `ALTER USER`
 * in its logs, so it gets the plaintext and keeps the account's own authentication plugin.)
 *
 * @example
 * ```ts
 * nativePasswordHash('password'); // '*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19'
 * ```
 */
export function nativePasswordHash(password: string): string {
  const stage1 = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(stage1).digest('hex').toUpperCase()}`;
}
