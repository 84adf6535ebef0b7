import { isIPv4, isIPv6 } from 'node:net';
import * as z from 'zod/mini';

/** Plain SQL identifiers only: nothing that needs quoting, so nothing to smuggle through a quote. */
const USERNAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** A non-empty string field. */
export const nonEmpty = z
  .string({ error: 'expected a string' })
  .check(z.minLength(1, { error: 'expected a non-empty string' }));

/** One RFC 1123 label: letters, digits and hyphens, 1 to 63 characters, no hyphen at either end. */
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const ALL_DIGITS = /^[0-9]+$/;
/** The longest host name DNS carries (RFC 1123 §2.1), without a trailing dot. */
const MAX_HOST_LENGTH = 253;

/**
 * Whether `value` is where a database can be reached, and nothing else: a host name (RFC 1123:
 * dot-separated labels of letters, digits and hyphens, 1 to 63 characters each, no hyphen at
 * either end, at most 253 characters, the last label not all digits so that it never reads as a
 * malformed IPv4 address) or an IP address literal: IPv4 in dotted-decimal (four octets, no leading
 * zeros) or IPv6 as AWS and the drivers write it (no brackets, no zone id). Anything that could
 * carry a port, a path, a query, user info or a control character is refused.
 *
 * @example
 * ```ts
 * isHostOrAddress('orders.abc123.eu-west-1.rds.amazonaws.com'); // true
 * isHostOrAddress('2001:db8::1'); // true
 * isHostOrAddress('db?password=hunter2'); // false
 * ```
 */
export function isHostOrAddress(value: string): boolean {
  if (isIPv4(value)) return true;
  if (value.includes(':')) return !value.includes('%') && isIPv6(value);
  if (value.length > MAX_HOST_LENGTH) return false;
  const labels = value.split('.');
  return labels.every((label) => HOST_LABEL.test(label)) && !ALL_DIGITS.test(labels.at(-1) ?? '');
}

/**
 * A database `host`: a host name or an IP address ({@link isHostOrAddress}). The error names what
 * is expected, never the value (it may hold a password: `db?password=...`).
 */
export const hostSchema = z.string({ error: 'expected a string' }).check(
  z.minLength(1, { error: 'expected a non-empty string', abort: true }),
  z.refine(isHostOrAddress, {
    error:
      'expected a host name (RFC 1123: labels of letters, digits and hyphens, dot-separated) or an IP address ' +
      '(IPv4, or IPv6 without brackets), with no port, path, query or other characters',
  }),
);

const portNumber = () => z.int().check(z.gte(1), z.lte(65535));

/** A TCP port: a number, or a numeric string as some secrets hold it. */
export const portSchema = z.union(
  [
    portNumber(),
    z.pipe(z.string().check(z.regex(/^[0-9]{1,5}$/)), z.pipe(z.transform(Number), portNumber())),
  ],
  { error: 'expected a port number from 1 to 65535 (a number or a numeric string)' },
);

/**
 * A username that is safe everywhere: a non-empty plain identifier that `fits` the engine's
 * length limit (`error` says which limit when it does not).
 *
 * @example
 * ```ts
 * const usernameSchema = plainUsernameSchema((name) => name.length <= 80, 'expected at most 80 characters');
 * ```
 */
export function plainUsernameSchema(fits: (value: string) => boolean, error: string) {
  return z.string({ error: 'expected a string' }).check(
    z.minLength(1, { error: 'expected a non-empty string' }),
    z.refine(fits, { error, abort: true }),
    z.refine((value: string) => USERNAME_PATTERN.test(value), {
      error: 'expected a plain identifier matching ^[A-Za-z_][A-Za-z0-9_$]*$',
    }),
  );
}

/**
 * The credentials every database secret carries (what an RDS-managed master secret holds, the
 * connection fields optional): `engine` and `username` as the engine accepts them.
 *
 * @example
 * ```ts
 * const schema = databaseCredentialsSchema(z.literal('postgres'), usernameSchema);
 * ```
 */
export function databaseCredentialsSchema<E extends z.ZodMiniType, U extends z.ZodMiniType>(
  engine: E,
  username: U,
) {
  return z.object({
    engine: z.optional(engine),
    host: z.optional(hostSchema),
    port: z.optional(portSchema),
    username,
    password: nonEmpty,
    dbname: z.optional(nonEmpty),
    masterarn: z.optional(nonEmpty),
    dbInstanceIdentifier: z.optional(nonEmpty),
    dbClusterIdentifier: z.optional(nonEmpty),
  });
}

/** The fields of {@link databaseCredentialsSchema}, in the order `serialize` writes them back. */
export const DATABASE_SECRET_FIELDS = [
  'engine',
  'host',
  'port',
  'username',
  'password',
  'dbname',
  'masterarn',
  'dbInstanceIdentifier',
  'dbClusterIdentifier',
] as const;
