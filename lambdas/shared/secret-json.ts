import type * as z from 'zod/mini';
import { SecretFormatError } from './errors';

/** A parsed secret value and the JSON object it came from. */
export type WithRaw<T> = T & {
  /**
   * The JSON object exactly as parsed, unknown fields included. `serialize` starts from it, so
   * fields Handover does not know survive rotation. It holds the password: never log it.
   */
  readonly raw: Readonly<Record<string, unknown>>;
};

/**
 * Parses a secret string as a JSON object. Bad input throws a `SecretFormatError` for field `$`
 * that never quotes the input.
 */
export function parseJsonObject(value: string): Record<string, unknown> {
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

/**
 * Parses a secret string as a JSON object and validates it against `schema`. Bad input throws a
 * `SecretFormatError` naming the first offending field (`$` for the whole value) and what was
 * expected, never the value itself (the schema's messages must not echo input either).
 *
 * @example
 * ```ts
 * const secret = parseSecretJson(mysqlSecretSchema, secretString); // { ...fields, raw }
 * ```
 */
export function parseSecretJson<S extends z.ZodMiniType>(schema: S, value: string): WithRaw<z.output<S>> {
  const raw = parseJsonObject(value);
  const result = schema.safeParse(raw);
  if (result.success) return { ...(result.data as object), raw } as WithRaw<z.output<S>>;
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : '$';
  const message = issue?.code === 'invalid_type' && raw[field] === undefined ? 'is required' : issue?.message;
  throw new SecretFormatError(field, `secret field "${field}" ${message ?? 'is invalid'}`);
}

/**
 * Serialises a secret for PutSecretValue: the original JSON object with the known fields written
 * back. A field whose value did not change keeps its original form (a port written as `"5432"`
 * stays a string), a field that only holds its default (`defaults`) is not added, and unknown
 * fields are preserved.
 */
export function serializeSecretJson<T extends { readonly raw: Readonly<Record<string, unknown>> }>(
  value: T,
  knownFields: readonly (keyof T & string)[],
  defaults: Partial<Record<keyof T & string, unknown>> = {},
): string {
  const out: Record<string, unknown> = { ...value.raw };
  for (const key of knownFields) {
    const next = value[key];
    const original = value.raw[key];
    if (next === undefined) continue;
    if (original !== undefined && typeof next === 'number' && Number(original) === next) continue;
    if (original === undefined && key in defaults && defaults[key] === next) continue;
    out[key] = next;
  }
  return JSON.stringify(out);
}
