import { ConfigurationError } from './errors';

type Env = Readonly<Record<string, string | undefined>>;

/** Reads a required environment variable; fails fast with its name. */
export function requireEnv(name: string, env: Env = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new ConfigurationError(name, `environment variable ${name} is required`);
  }
  return value;
}

/** Reads an optional variable that must be one of `allowed`. */
export function enumEnv<const T extends string>(
  name: string,
  allowed: readonly T[],
  fallback: T,
  env: Env = process.env,
): T {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigurationError(name, `${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  }
  return value as T;
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
