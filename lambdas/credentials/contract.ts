/**
 * What every credential type's `contract.ts` declares: pure data (no SDK, no I/O), imported by the
 * rotation Lambda (which reads its settings from the environment) and by the CDK constructs (which
 * validate the settings and write the environment). A type's settings are described ONCE, as a
 * zod/mini shape: the documented settings interface is its input type, the policy validates with
 * it, and its variables are the one mapping between settings and the Lambda environment
 * ({@link toEnv} writes it, {@link fromEnv} reads it).
 */
import * as z from 'zod/mini';
import { type Env, type EnvVariables, readEnv, type Shape, writeEnv } from '../shared/env';
import { oneOf, type Resolved, withDefault } from '../shared/settings';

/** A credential type's contract. */
export interface CredentialContract<
  Id extends string = string,
  Strategy extends string = string,
  Settings extends Shape = Shape,
  Tuning extends Shape = Shape,
> {
  /** The type's id: folder name, registry key, log value and metric dimension. */
  readonly id: Id;
  /** The strategies (variants) the type's Lambda runs; the first is the default. */
  readonly strategies: readonly [Strategy, ...Strategy[]];
  /**
   * The settings a deployment chooses, `strategy` included (a {@link strategyField}): the policy
   * entry of the type and the construct factories take exactly these, and nothing else.
   */
  readonly settings: Settings;
  /** Settings the Lambda reads that the constructs never set (operators may set them by hand). */
  readonly tuning: Tuning;
  /** The variable of each setting and tuning field (a setting without one never reaches the Lambda). */
  readonly env: EnvVariables<Settings & Tuning>;
}

/** The settings a deployment gives: the documented settings interface of a contract. */
export type SettingsOf<C extends CredentialContract> = z.input<z.ZodMiniObject<C['settings']>>;

/** The settings a contract's Lambda runs with: defaults applied, tuning included. */
export type RuntimeSettingsOf<C extends CredentialContract> = Resolved<C['settings'] & C['tuning']>;

/** A contract's strategies. */
export type StrategyOf<C extends CredentialContract> = C['strategies'][number];

/**
 * The `strategy` field of a settings shape: one of the type's strategies, the first by default.
 *
 * @example
 * ```ts
 * strategy: strategyField('postgres', ['single-user', 'alternating-users']),
 * ```
 */
export function strategyField<const Strategy extends string>(
  type: string,
  strategies: readonly [Strategy, ...Strategy[]],
) {
  return withDefault(oneOf(strategies, `one of ${strategies.join(', ')} for ${type}`), strategies[0]);
}

/**
 * Declares a credential type's contract (an identity that keeps the literal types).
 *
 * @example
 * ```ts
 * export const sharedKeyContract = defineCredentialContract({
 *   id: 'shared-key',
 *   strategies: ['verifier'],
 *   settings: { strategy: strategyField('shared-key', ['verifier']) },
 *   tuning: {},
 *   env: {},
 * });
 * ```
 */
export function defineCredentialContract<
  const Id extends string,
  const Strategy extends string,
  Settings extends Shape,
  Tuning extends Shape,
>(contract: {
  readonly id: Id;
  readonly strategies: readonly [Strategy, ...Strategy[]];
  readonly settings: Settings;
  readonly tuning: Tuning;
  readonly env: EnvVariables<NoInfer<Settings & Tuning>>;
}): CredentialContract<Id, Strategy, Settings, Tuning> {
  return contract;
}

/** The strategy a contract runs when the settings name none. */
export function defaultStrategyOf<C extends CredentialContract>(contract: C): StrategyOf<C> {
  return contract.strategies[0];
}

/**
 * The Lambda environment of a type's settings: what the CDK constructs set. Validate the settings
 * first (`settingsSchema`).
 */
export function toEnv<C extends CredentialContract>(
  contract: C,
  settings: SettingsOf<C>,
): Record<string, string> {
  return writeEnv(contract.settings, contract.env, settings as Record<string, unknown>);
}

/**
 * The settings a type's Lambda runs with, read from its environment, defaults applied. Fails fast
 * with a `ConfigurationError` naming the variable.
 *
 * @example
 * ```ts
 * const settings = fromEnv(postgresContract); // { strategy: 'alternating-users', tlsMode: 'verify-full', ... }
 * ```
 */
export function fromEnv<C extends CredentialContract>(contract: C, env?: Env): RuntimeSettingsOf<C> {
  return readEnv({ ...contract.settings, ...contract.tuning }, contract.env, env) as RuntimeSettingsOf<C>;
}

/**
 * Checks one option a strategy is given against the rule of its setting in the contract: the
 * problem (`passwordLength must be an integer from 16 to 128, got 8`) joins `problems`; the value
 * comes back, for the caller to use when `problems` stays empty.
 */
export function checkSetting<T>(rule: z.ZodMiniType, name: string, value: T, problems: string[]): T {
  const issue = rule.safeParse(value).error?.issues[0];
  if (issue !== undefined) problems.push(`${name} must be ${issue.message}, got ${String(value)}`);
  return value;
}

/** The schema of a type's settings: strict, so a setting the type does not read is refused. */
export function settingsSchema<C extends CredentialContract>(
  contract: C,
): z.ZodMiniObject<C['settings'], z.core.$strict> {
  return z.strictObject(contract.settings);
}
