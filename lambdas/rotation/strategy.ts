import type { Straggler } from '../shared/stragglers';
import type { CredentialType } from './constants';
import type { LiveRollout } from './interlock';
import type { SecretsPort } from './secrets-port';

export type { Straggler } from '../shared/stragglers';

/** The narrow logging surface a strategy gets: one structured line per decision. */
export interface StrategyLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

/** What the engine hands a strategy on every call. */
export interface StrategyContext {
  /** ARN of the secret being rotated. */
  readonly secretId: string;
  /** The ClientRequestToken: the version id of the pending value. */
  readonly rotationId: string;
  readonly logger: StrategyLogger;
  /**
   * Secrets Manager, for this invocation: reads of other secrets (a master or management secret),
   * of the rotated secret's versions, and label moves (shared keys). Each read reaches Secrets
   * Manager once per invocation, whoever makes it.
   */
  readonly secrets: SecretsPort;
  /**
   * setSecret only: the live rollout this rotation belongs to (the one whose lock is on the secret
   * and which rolls this version out), e.g. an emergency rollout. Absent for a rotation no rollout
   * started or carries.
   */
  readonly rollout?: LiveRollout;
}

/** Reads the AWSPREVIOUS value on demand (once; later calls return the same promise). */
export type PreviousReader<S> = () => Promise<S | undefined>;

/** A {@link PreviousReader} for a secret with no AWSPREVIOUS version. */
export const noPrevious = async (): Promise<undefined> => undefined;

/** Answer of {@link CredentialStrategy.inUse}: is the old credential still being used? */
export interface UsageReport {
  readonly inUse: boolean;
  /**
   * `false` when the target cannot tell whether the credential is used (a provider without
   * last-used data): `inUse` is then `false` for lack of evidence, and `evidence` says so. The
   * rollout workflow reports such a revocation as unverified instead of presenting it as safe.
   * @default true
   */
  readonly observable?: boolean;
  /** Human-readable evidence, e.g. `2 sessions of app_clone from 10.0.1.7`. No secrets. */
  readonly evidence: string;
  readonly lastUsed?: Date;
  /**
   * Who still uses the old credential, as far as the target shows it: identity, where from, last
   * seen, evidence (database sessions, callers of an IAM key, verifier callers). Never a secret.
   * @default - none named (the target cannot tell who)
   */
  readonly stragglers?: readonly Straggler[];
}

/** A strategy action that could not be done by Handover, and what a person must do instead. */
export interface NotDone {
  readonly done: false;
  /** The exact step, e.g. the provider dashboard's. No secret. */
  readonly reason: string;
}

/**
 * A credential type, as a plain object the rotation engine drives. `S` is the parsed secret value.
 * Every method must be idempotent: Secrets Manager retries steps, and the engine re-runs them after
 * a failure at any point.
 */
export interface CredentialStrategy<S> {
  readonly type: CredentialType;
  /** Short name of the variant, e.g. `single-user`, for logs and metrics. */
  readonly variant: string;
  /**
   * Whether the previous credential keeps working after finishSecret, until `revoke`. This is
   * what makes a rollout reversible: `false` for single-user database rotation (setSecret
   * replaced the only password), `true` for alternating users, dual passwords and every key type.
   */
  readonly previousStaysValid: boolean;
  /**
   * Whether `create` only computes a value (a new password or key from the local CSPRNG) and changes
   * nothing anywhere. Then createSecret stores the value at once, and when an earlier attempt has
   * already stored one for the token (PutSecretValue refuses to change a version) reuses that one:
   * a rotation reads one version less. Leave it unset for types whose `create` makes something at a
   * target (an IAM or provider key): createSecret then reads the token's version first and calls
   * `create` only when it has no value, so a re-run never makes a second key.
   * @default false
   */
  readonly createIsPure?: boolean;
  /** Schema-validates a secret value. Bad input throws `SecretFormatError` naming the field. */
  parse(value: string): S;
  /** Serialises a value for PutSecretValue, keeping unknown fields of the original JSON. */
  serialize(value: S): string;
  /** The public identity of a credential (username, key id): safe to fingerprint and log. */
  identify(value: S): string;
  /** Every secret string inside a value (passwords, key secrets), so errors can be redacted. */
  secretsOf(value: S): readonly string[];
  /**
   * Builds the pending value from the current one (may create a key at a provider). `previous`
   * reads the AWSPREVIOUS value on demand, as in `set` (e.g. to tell a provider key the previous
   * version still holds from an orphan left by a failed attempt). The engine always passes it.
   */
  create(current: S, ctx: StrategyContext, previous?: PreviousReader<S>): Promise<S>;
  /**
   * Makes the pending credential valid at the target. Idempotent. `previous` reads the AWSPREVIOUS
   * value only when called (most rotations never need it, and each read is an API call); it
   * resolves to `undefined` when there is none or it no longer parses.
   */
  set(pending: S, current: S, previous: PreviousReader<S>, ctx: StrategyContext): Promise<void>;
  /** Proves the pending credential works. */
  test(pending: S, ctx: StrategyContext): Promise<void>;
  /** Used by the rollout workflow after consumers moved: is the old credential still used? */
  inUse?(old: S, since: Date, ctx: StrategyContext): Promise<UsageReport>;
  /**
   * Makes the old credential stop working. A credential only a person can end (a key created in a
   * provider's dashboard) resolves with {@link NotDone}: the rollout reports the step instead of a
   * revocation.
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: every existing revoke resolves with nothing (revoked); NotDone is the one other outcome.
  revoke?(old: S, ctx: StrategyContext): Promise<void | NotDone>;
  /** Undoes `revoke` during rollback, where the type allows it. */
  restore?(old: S, ctx: StrategyContext): Promise<void>;
}
