/**
 * What every consumer kind's contract (`<kind>.contract.ts`, beside its adapter) declares: pure
 * data and pure functions (no SDK, no I/O), imported by the rollout function (which parses its
 * configuration with `config`) and by the CDK constructs (which validate `settings`, grant
 * `permissions` and write `toConfig`'s result). A kind is described ONCE: the policy's consumer
 * entry, the construct's consumer and the rollout configuration all derive from it.
 */
import * as z from 'zod/mini';
import { type DurationLike, duration, matching } from '../../shared/settings';
import { cacheConfigSchema, readsSetting } from './cache';

/** A zod/mini shape: schemas by field name. */
export type ConsumerShape = Readonly<Record<string, z.ZodMiniType>>;

/** A secret by complete ARN (preferred) or name, with its own KMS key if it has one: as a policy names one. */
export type SecretReference = (
  | { readonly arn: string; readonly name?: never }
  | { readonly name: string; readonly arn?: never }
) & {
  /**
   * The customer-managed KMS key (key ARN) the secret is encrypted with.
   * @default - the AWS managed key `aws/secretsmanager`
   */
  readonly kmsKeyArn?: string;
};

/** Where a permission applies: an ARN as given, or one built in the stack's partition, region and account. */
export type ResourceReference =
  | { readonly arn: string }
  | {
      readonly service: string;
      readonly resource: string;
      readonly resourceName: string;
      /**
       * `arn:...:function:name` (`:`) or `arn:...:parameter/name` (`/`).
       * @default '/'
       */
      readonly separator?: ':' | '/';
    };

/** One thing the rollout function must be allowed to do for a consumer. */
export type ConsumerPermission =
  /** AWS actions on one resource; `viaService` limits a KMS key to use through that service. */
  | {
      readonly actions: readonly string[];
      readonly resource: ResourceReference;
      readonly viaService?: string;
    }
  /** Read a secret: the rotated one (`'rotated'`) or one a secret field of the settings names. */
  | { readonly readSecret: string }
  /** Put events on an EventBridge bus (by name). */
  | { readonly putEvents: string };

/** A secret a kind's settings name, which the rollout function reads. */
export interface SecretField {
  /** The configuration field that receives the secret's ARN. */
  readonly configField: string;
  /**
   * The secret the stack creates when the settings name none.
   * @default - the field is required
   */
  readonly generate?: {
    /** Its name, from the policy entry id and the consumer name. */
    readonly name: (entry: string, consumer: string) => string;
    /** Its description. */
    readonly description: (entry: string, consumer: string) => string;
    /** Characters of the random value (no punctuation). */
    readonly length: number;
    /** Why it is not rotated on a schedule (it is acknowledged for cdk-nag with these words). */
    readonly notRotated: (entry: string, consumer: string) => string;
  };
}

/** A consumer kind's contract. */
export interface ConsumerContract<
  Kind extends string = string,
  Config extends ConsumerShape = ConsumerShape,
  Settings extends ConsumerShape = ConsumerShape,
> {
  /** The kind: the `kind` of every consumer of it, and the key of its adapter. */
  readonly kind: Kind;
  /** What the rollout function receives for a consumer of this kind, besides `kind`, `name`, `canary`. */
  readonly config: Config;
  /**
   * What a deployment writes for a consumer of this kind (a policy entry, a construct's consumer),
   * besides `kind`, `name`, `canary`; each issue message says what is allowed. Built on demand:
   * only the CDK constructs use it, so the rollout function's bundle leaves it out.
   */
  readonly settings: () => Settings;
  /** The settings fields that identify the target: two consumers with the same values are one. */
  readonly identity: readonly (keyof Settings & string)[];
  /**
   * The consumer's name when the settings give none, derived from its target (the settings as
   * written, maybe invalid); absent when the kind cannot derive one (then `name` is a setting).
   */
  readonly defaultName?: (settings: Readonly<Record<string, unknown>>) => string | undefined;
  /**
   * The secrets the settings name, by settings field.
   * @default - none
   */
  readonly secrets?: Readonly<Partial<Record<keyof Settings & string, SecretField>>>;
  /**
   * The configuration of valid settings: the ONE mapping between what a deployment writes and
   * what the rollout function reads. `secretArns` holds the ARN of each secret field.
   */
  readonly toConfig: (
    settings: z.output<z.ZodMiniObject<Settings>>,
    secretArns: Readonly<Record<string, string>>,
  ) => z.input<z.ZodMiniObject<Config>>;
  /** What the rollout function must be allowed to do for a consumer with these settings. */
  readonly permissions: (settings: z.output<z.ZodMiniObject<Settings>>) => readonly ConsumerPermission[];
  /**
   * For a kind the workflow waits on (a task token): the longest one wait may last, in seconds.
   * @default - the workflow does not wait on the consumer
   */
  readonly waitSeconds?: (config: z.output<z.ZodMiniObject<Config>>) => number;
  /**
   * What updating a consumer of this kind does to a value it holds: `forced` (the update itself
   * makes it read again: new Lambda execution environments, a new ECS deployment), `acknowledged`
   * (the consumer says it moved: an event acknowledgement, a webhook's 2xx), `none` (it keeps what
   * it holds until its own cache expires). An emergency rollout reports the `none` ones with their
   * worst-case staleness.
   */
  readonly refresh: { readonly how: 'forced' | 'acknowledged' | 'none'; readonly describe: string };
  /**
   * Who reads the secret for a consumer of this kind, in words (the principal the readers check
   * matches it by: a Lambda's execution role, an ECS service's task and execution roles).
   * @default - no principal of its own: name it with `principals`
   */
  readonly principal?: string;
}

/**
 * Declares a consumer kind's contract (an identity that keeps the literal types). Call it as
 * `/* @__PURE__ *\/ defineConsumer({...})` with only literals and functions inside, so a bundle
 * that uses only the kind's `config` leaves the rest out.
 */
export function defineConsumer<
  const Kind extends string,
  Config extends ConsumerShape,
  Settings extends ConsumerShape,
>(contract: ConsumerContract<Kind, Config, Settings>): ConsumerContract<Kind, Config, Settings> {
  return contract;
}

/**
 * Settings every consumer has, whatever its kind, besides `kind`, `name` and `canary`: who reads
 * the secret for it, and how.
 */
export function commonConsumerSettings() {
  return {
    /**
     * IAM principals (role or user ARNs, or ARN patterns ending in `*`) that read the secret for this
     * consumer, besides the one its kind knows (a Lambda's execution role, an ECS service's roles):
     * the readers check counts their reads as this consumer's.
     * @default - none
     */
    principals: z.optional(
      z.array(
        matching(
          /^arn:aws[a-z-]*:(iam|sts)::\d{12}:[\w+=,.@/*-]+$/,
          'an IAM role or user ARN (or a pattern ending in *)',
        ),
        { error: 'a list of IAM role or user ARNs' },
      ),
    ),
    /**
     * How it reads the secret, so the grace window outlasts its cache (see docs/consumers.md,
     * "How consumers cache"): `direct`, `lambda-extension`, `secrets-manager-agent`, `sdk-cache`,
     * `external-secrets`, `ecs-environment`, or `{ via, ttl: Duration }` for a configured ttl.
     * @default - not stated: the grace window is not checked against it
     */
    reads: z.optional(readsSetting()),
  };
}

/** What the rollout function reads for every consumer, besides its kind's `config`. */
export const commonConsumerConfig = {
  /** Principals reading the secret for it, besides its kind's own. */
  principals: z.optional(
    z.array(expectText('a principal ARN'), { error: 'expected a list of principal ARNs' }),
  ),
  /** How it reads the secret (`reads` in the policy), with its worst-case staleness. */
  cache: z.optional(cacheConfigSchema),
};

/** The common settings, as a policy writes them. */
export type CommonConsumerSettings = Readonly<
  z.input<z.ZodMiniObject<ReturnType<typeof commonConsumerSettings>>>
>;
/** The common configuration, as the rollout function reads it. */
export type CommonConsumerConfig = Readonly<z.output<z.ZodMiniObject<typeof commonConsumerConfig>>>;

/** A consumer name: unique within a secret, in logs, metrics and notifications. */
export const CONSUMER_NAME = /^[A-Za-z0-9._-]{1,128}$/;

/** The words of {@link CONSUMER_NAME}. */
export const CONSUMER_NAME_ALLOWED = 'a consumer name: 1 to 128 of A-Z a-z 0-9 ._-';

/** A consumer name setting. */
export function consumerName() {
  return matching(CONSUMER_NAME, CONSUMER_NAME_ALLOWED);
}

/** A length of time within `[min, max]` milliseconds (a multiple of `step`), in the words `allowed`. */
export function durationWithin(min: number, max: number, allowed: string, step = 1) {
  return duration().check(
    z.refine(
      (value: DurationLike) => {
        const ms = value.toMilliseconds();
        return ms >= min && ms <= max && ms % step === 0;
      },
      { error: allowed },
    ),
  );
}

/** A secret reference setting (`{ arn }` or `{ name }`, with `kmsKeyArn` when the secret has its own key). */
export function secretReference() {
  return z.custom<SecretReference>(
    (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
    { error: '{ arn: "<complete secret ARN>" } or { name: "<secret name>" }' },
  );
}

// The rollout function's own words for a configuration it cannot use (`consumers[1].url: expected an
// https:// URL`): the configuration is written by the CDK app, so these name what was expected.

/** A non-empty string, in the rollout configuration. */
export function expectText(what: string) {
  return z.string({ error: `expected ${what}` }).check(z.minLength(1, { error: `expected ${what}` }));
}

/** An integer from `min` to `max`, in the rollout configuration. */
export function expectInteger(min: number, max: number) {
  const error = `expected an integer from ${min} to ${max}`;
  return z.int({ error }).check(z.gte(min, { error }), z.lte(max, { error }));
}
