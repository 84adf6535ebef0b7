import * as z from 'zod/mini';
import { SecretFormatError } from '../../shared/errors';

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes. */
export const MAX_IDENTIFIER_BYTES = 63;
/** The suffix of the second user in the alternating-users scheme. */
export const CLONE_SUFFIX = '_clone';
/** The database a secret without `dbname` connects to. */
export const DEFAULT_DBNAME = 'postgres';
/** Plain SQL identifiers only: nothing that needs quoting, so nothing to smuggle through a quote. */
const USERNAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_$]*$/;

const byteLength = (value: string) => Buffer.byteLength(value, 'utf8');

/** A username that is safe everywhere: a plain identifier of at most 63 bytes. */
export const usernameSchema = z.string({ error: 'expected a string' }).check(
  z.minLength(1, { error: 'expected a non-empty string' }),
  z.refine((value: string) => byteLength(value) <= MAX_IDENTIFIER_BYTES, {
    error: `expected at most ${MAX_IDENTIFIER_BYTES} bytes (PostgreSQL identifier limit)`,
    abort: true,
  }),
  z.refine((value: string) => USERNAME_PATTERN.test(value), {
    error: 'expected a plain identifier matching ^[A-Za-z_][A-Za-z0-9_$]*$',
  }),
);

const portNumber = () => z.int().check(z.gte(1), z.lte(65535));
const portSchema = z.union(
  [
    portNumber(),
    z.pipe(z.string().check(z.regex(/^[0-9]{1,5}$/)), z.pipe(z.transform(Number), portNumber())),
  ],
  { error: 'expected a port number from 1 to 65535 (a number or a numeric string)' },
);

const nonEmpty = z
  .string({ error: 'expected a string' })
  .check(z.minLength(1, { error: 'expected a non-empty string' }));

/**
 * The credentials every PostgreSQL secret carries. This is all an RDS-managed master secret
 * (`manageMasterUserPassword`) holds; the connection fields are optional here.
 */
export const postgresCredentialsSchema = z.object({
  engine: z.optional(z.literal('postgres', { error: 'expected "postgres"' })),
  host: z.optional(nonEmpty),
  port: z.optional(portSchema),
  username: usernameSchema,
  password: nonEmpty,
  dbname: z.optional(nonEmpty),
  masterarn: z.optional(nonEmpty),
  dbInstanceIdentifier: z.optional(nonEmpty),
  dbClusterIdentifier: z.optional(nonEmpty),
});

/** The secret being rotated: the shape `rds.DatabaseSecret` and RDS secret attachments write. */
export const postgresSecretSchema = z.extend(postgresCredentialsSchema, {
  host: nonEmpty,
  port: portSchema,
  dbname: z._default(nonEmpty, DEFAULT_DBNAME),
});

type WithRaw<T> = T & {
  /**
   * The JSON object exactly as parsed, unknown fields included. `serialize` starts from it, so
   * fields Handover does not know survive rotation. It holds the password: never log it.
   */
  readonly raw: Readonly<Record<string, unknown>>;
};

/** A parsed PostgreSQL secret (the one being rotated). */
export type PostgresSecret = WithRaw<Readonly<z.output<typeof postgresSecretSchema>>>;
/** A parsed master secret: credentials, connection fields optional. */
export type PostgresCredentials = WithRaw<Readonly<z.output<typeof postgresCredentialsSchema>>>;

function parseJsonObject(value: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    // The SyntaxError's message quotes the input: do not keep it, not even as a cause.
    throw new SecretFormatError('$', 'secret value is not valid JSON: expected a JSON object');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new SecretFormatError('$', 'secret value must be a JSON object');
  }
  return json as Record<string, unknown>;
}

function validate<S extends z.ZodMiniType>(schema: S, raw: Record<string, unknown>): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  // Report the first issue; zod issue messages here are ours and never echo the input.
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '$';
  const message = issue?.code === 'invalid_type' && raw[field] === undefined ? 'is required' : issue?.message;
  throw new SecretFormatError(field, `secret field "${field}" ${message ?? 'is invalid'}`);
}

/**
 * Parses and validates the secret being rotated. Bad input throws a `SecretFormatError` naming the
 * field and what was expected, never the value.
 */
export function parsePostgresSecret(value: string): PostgresSecret {
  const raw = parseJsonObject(value);
  return { ...validate(postgresSecretSchema, raw), raw };
}

/** Parses a master secret: the same fields, but only `username` and `password` are required. */
export function parsePostgresCredentials(value: string): PostgresCredentials {
  const raw = parseJsonObject(value);
  return { ...validate(postgresCredentialsSchema, raw), raw };
}

const KNOWN_FIELDS = [
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

/**
 * Serialises a secret for PutSecretValue: the original JSON object with the known fields written
 * back. A field whose value did not change keeps its original form (a port written as `"5432"`
 * stays a string), a defaulted `dbname` is not added, and unknown fields are preserved.
 */
export function serializePostgresSecret(value: PostgresSecret | PostgresCredentials): string {
  const out: Record<string, unknown> = { ...value.raw };
  for (const key of KNOWN_FIELDS) {
    const next = value[key];
    const original = value.raw[key];
    if (next === undefined) continue;
    if (key === 'port' && original !== undefined && Number(original) === next) continue;
    if (key === 'dbname' && original === undefined && next === DEFAULT_DBNAME) continue;
    out[key] = next;
  }
  return JSON.stringify(out);
}

/** The base role of an alternating pair: the username without its `_clone` suffix. */
export function baseUsername(username: string): string {
  return username.endsWith(CLONE_SUFFIX) && username.length > CLONE_SUFFIX.length
    ? username.slice(0, -CLONE_SUFFIX.length)
    : username;
}

/** The clone role of an alternating pair. */
export function cloneUsername(username: string): string {
  return `${baseUsername(username)}${CLONE_SUFFIX}`;
}

/** The other user of an alternating pair: `app` -> `app_clone`, `app_clone` -> `app`. */
export function toggleUsername(username: string): string {
  const base = baseUsername(username);
  return username === base ? cloneUsername(base) : base;
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
