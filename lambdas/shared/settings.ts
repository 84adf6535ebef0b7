/**
 * Building blocks of the settings schemas in plug-in contracts (zod/mini, so the Lambda bundles
 * stay small). Each issue message says what is ALLOWED, in the words policy errors and environment
 * errors print: `passwordLength: got 8; allowed: an integer from 16 to 128` in a policy,
 * `HANDOVER_PASSWORD_LENGTH must be an integer from 16 to 128, got '8'` in a Lambda.
 *
 * A custom issue may carry `params.received`: what a policy error shows instead of the value (a
 * length, a summary), when the value itself is too long or must not be echoed.
 */
import * as z from 'zod/mini';

/**
 * A setting with a default: optional in what a deployment gives, always set in what the Lambda runs
 * with. (A plain optional schema carrying its default, rather than zod's `_default`: one schema
 * class fewer in every Lambda bundle.)
 */
export type Defaulted<S extends z.ZodMiniType = z.ZodMiniType> = z.ZodMiniOptional<S> & {
  readonly defaultValue: z.output<S>;
};

/** `schema`, optional, with the value a Lambda runs with when the setting is not given. */
export function withDefault<S extends z.ZodMiniType>(schema: S, defaultValue: z.output<S>): Defaulted<S> {
  return Object.assign(z.optional(schema), { defaultValue });
}

/** The default of a setting, if it has one. */
export function defaultOf(schema: z.ZodMiniType | undefined): unknown {
  return (schema as Partial<Defaulted> | undefined)?.defaultValue;
}

/** The values of a settings shape with every default applied. */
export type Resolved<Shape> = z.output<z.ZodMiniObject<Shape & Readonly<Record<string, z.ZodMiniType>>>> & {
  readonly [K in keyof Shape as Shape[K] extends { readonly defaultValue: unknown }
    ? K
    : never]-?: Shape[K] extends {
    readonly defaultValue: infer D;
  }
    ? D
    : never;
};

/** `a, b or c`. */
export function either(values: readonly string[]): string {
  return values.length < 2
    ? (values[0] ?? 'nothing')
    : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

// Every builder is a `custom` schema: one small zod class for every rule keeps the Lambda bundles
// as small as hand-written checks.

/** An integer from `min` to `max`. */
export function integer(min: number, max: number) {
  return z.custom<number>(
    (value) => Number.isInteger(value) && (value as number) >= min && (value as number) <= max,
    {
      error: `an integer from ${min} to ${max}`,
    },
  );
}

/** One of `values`; `allowed` replaces the words `one of a, b, c`. */
export function oneOf<const T extends readonly [string, ...string[]]>(values: T, allowed?: string) {
  return z.enum(values, { error: allowed ?? `one of ${values.join(', ')}` });
}

/** `true` or `false`. */
export function flag() {
  return z.custom<boolean>((value) => typeof value === 'boolean', { error: 'true or false' });
}

/** A string matching `pattern`. */
export function matching(pattern: RegExp, allowed: string) {
  return z.custom<string>((value) => typeof value === 'string' && pattern.test(value), { error: allowed });
}

/**
 * A length of time, as CDK's `Duration` (`Duration.hours(4)`) or anything with `toMilliseconds()`:
 * contracts stay free of CDK, and a policy passes its `Duration` as is.
 */
export interface DurationLike {
  toMilliseconds(): number;
  toHumanString(): string;
}

/** A {@link DurationLike}. */
export function duration() {
  return z.custom<DurationLike>(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Partial<DurationLike>).toMilliseconds === 'function',
    { error: 'a Duration, e.g. Duration.hours(4)' },
  );
}
