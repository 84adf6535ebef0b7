/**
 * Quoting for the few statements that cannot take bind parameters (`CREATE ROLE`, `ALTER ROLE`,
 * `GRANT`). Usernames are already restricted to plain identifiers at parse time; quoting them
 * anyway is defence in depth.
 */

/**
 * Quotes an SQL identifier: wraps it in double quotes and doubles any double quote inside.
 *
 * @example
 * ```ts
 * `ALTER ROLE ${quoteIdent('app')} NOLOGIN` // ALTER ROLE "app" NOLOGIN
 * ```
 */
export function quoteIdent(identifier: string): string {
  if (identifier.includes('\0')) throw new TypeError('an SQL identifier cannot contain a NUL character');
  return `"${identifier.replaceAll('"', '""')}"`;
}

/**
 * Quotes an SQL string literal, safe whatever `standard_conforming_strings` is: single quotes are
 * doubled, and a literal containing a backslash is written as an `E''` literal with the backslash
 * doubled (the same rule as libpq's `PQescapeLiteral`).
 *
 * @example
 * ```ts
 * `ALTER ROLE "app" VALID UNTIL ${quoteLiteral('infinity')}` // ... VALID UNTIL 'infinity'
 * ```
 */
export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new TypeError('an SQL literal cannot contain a NUL character');
  const quoted = value.replaceAll("'", "''");
  return value.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}
