import * as z from 'zod/mini';

/** Plain SQL identifiers only: nothing that needs quoting, so nothing to smuggle through a quote. */
const USERNAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/** A non-empty string field. */
export const nonEmpty = z
  .string({ error: 'expected a string' })
  .check(z.minLength(1, { error: 'expected a non-empty string' }));

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
    host: z.optional(nonEmpty),
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
