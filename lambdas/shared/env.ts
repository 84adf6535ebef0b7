import type * as z from 'zod/mini';
import { ConfigurationError } from './errors';
import { defaultOf, type Resolved } from './settings';

/** A process environment: the Lambda's, or one a test or the sandbox builds. */
export type Env = Readonly<Record<string, string | undefined>>;

/** How a setting's value is written into its variable, and read back. */
export type EnvCodec = 'string' | 'integer' | 'boolean' | 'json';

/** The variable of one setting. */
export interface EnvVariable {
  /** The variable's name (`HANDOVER_...`). */
  readonly name: string;
  /**
   * How the value is written and read: as text, an integer, `true` / `false`, or JSON.
   * @default 'string'
   */
  readonly as?: EnvCodec;
  /**
   * Reading fails when the variable is unset.
   * @default false
   */
  readonly required?: boolean;
  /**
   * Writing sets the variable even when the setting is not given, with the schema's default, so
   * the function's configuration shows it (e.g. the TLS mode).
   * @default false
   */
  readonly always?: boolean;
}

/**
 * A map setting written as one variable per key, e.g. `providerBaseUrls.sendgrid`. Its values are
 * read as text: the code that uses them checks them (and lists every problem at once).
 */
export interface EnvVariablePerKey {
  /** The keys the map may hold, in the order their variables are written. */
  readonly keys: readonly string[];
  /** The variable of one key. */
  readonly name: (key: string) => string;
}

/** The variables of the fields of a settings shape (fields without one never reach the environment). */
export type EnvVariables<Shape> = { readonly [K in keyof Shape]?: EnvVariable | EnvVariablePerKey };

/** A settings shape: zod/mini schemas by field name. */
export type Shape = Readonly<Record<string, z.ZodMiniType>>;

const isPerKey = (variable: EnvVariable | EnvVariablePerKey): variable is EnvVariablePerKey =>
  'keys' in variable;

const encode = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

const shorten = (text: string) => (text.length > 200 ? `${text.slice(0, 197)}...` : text);

/** The variable's text as a value of its codec; what cannot be read stays text for the schema to refuse. */
function decode(variable: EnvVariable, raw: string): unknown {
  switch (variable.as ?? 'string') {
    case 'integer':
      return /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'json':
      try {
        return JSON.parse(raw);
      } catch {
        throw new ConfigurationError(variable.name, `${variable.name} must be JSON, got '${shorten(raw)}'`);
      }
    default:
      return raw;
  }
}

/**
 * The variables that carry `settings`, as the CDK constructs write them: a setting that is not
 * given sets no variable, unless its variable is `always` written (then with the schema's default).
 * Values are not validated here: validate the settings against the shape first.
 *
 * @example
 * ```ts
 * writeEnv(shape, { testTimeoutMs: { name: 'HANDOVER_IAM_TEST_TIMEOUT_MS', as: 'integer' } }, { testTimeoutMs: 5000 });
 * // { HANDOVER_IAM_TEST_TIMEOUT_MS: '5000' }
 * ```
 */
export function writeEnv<S extends Shape>(
  shape: S,
  variables: EnvVariables<S>,
  settings: Readonly<Partial<Record<keyof S, unknown>>>,
): Record<string, string> {
  const env: Record<string, string> = {};
  const given = settings as Readonly<Record<string, unknown>>;
  for (const [field, variable] of Object.entries(variables) as Array<
    [string, EnvVariable | EnvVariablePerKey]
  >) {
    const value = given[field];
    if (isPerKey(variable)) {
      const map = (value ?? {}) as Readonly<Record<string, unknown>>;
      for (const key of variable.keys) {
        if (map[key] !== undefined) env[variable.name(key)] = encode(map[key]);
      }
    } else if (value !== undefined) {
      env[variable.name] = encode(value);
    } else if (variable.always === true && defaultOf(shape[field]) !== undefined) {
      env[variable.name] = encode(defaultOf(shape[field]));
    }
  }
  return env;
}

/**
 * The settings of `shape` from an environment, as a Lambda reads them: each variable is checked
 * against its field's schema, and the fields left unset get their defaults. Fails fast with a
 * `ConfigurationError` naming the first variable that is missing or malformed, what is allowed and
 * what it holds: `HANDOVER_PASSWORD_LENGTH must be an integer from 16 to 128, got '8'`.
 */
export function readEnv<S extends Shape>(
  shape: S,
  variables: EnvVariables<S>,
  env: Env = process.env,
): Resolved<S> {
  const read = (name: string) => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? undefined : raw;
  };
  const fail = (name: string, allowed: string | undefined, raw: string) =>
    new ConfigurationError(name, `${name} must be ${allowed ?? 'valid'}, got '${shorten(raw)}'`);
  const values: Record<string, unknown> = {};
  for (const [field, variable] of Object.entries(variables) as Array<
    [string, EnvVariable | EnvVariablePerKey]
  >) {
    const schema = shape[field];
    if (isPerKey(variable)) {
      const map: Record<string, string> = {};
      for (const key of variable.keys) {
        const raw = read(variable.name(key));
        if (raw !== undefined) map[key] = raw.trim();
      }
      values[field] = map;
      continue;
    }
    const raw = read(variable.name);
    if (raw === undefined) {
      if (variable.required === true) {
        throw new ConfigurationError(variable.name, `environment variable ${variable.name} is required`);
      }
      continue;
    }
    const value = decode(variable, raw);
    const issue = schema?.safeParse(value).error?.issues[0];
    if (issue !== undefined) throw fail(variable.name, issue.message, raw);
    values[field] = value;
  }
  // The fields left unset: their defaults.
  for (const [field, schema] of Object.entries(shape)) {
    if (!(field in values) && defaultOf(schema) !== undefined) values[field] = defaultOf(schema);
  }
  return values as Resolved<S>;
}

/** Reads an optional integer variable within `[min, max]`. */
export function intEnv(
  name: string,
  fallback: number,
  range: { min: number; max: number },
  env: Env = process.env,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw new ConfigurationError(
      name,
      `${name} must be an integer from ${range.min} to ${range.max}, got '${raw}'`,
    );
  }
  return value;
}
