/**
 * How a consumer reads its secret, and how long it may keep an old value: what every consumer entry
 * may state (`reads`), what the policy's grace window must outlast, and what an emergency rollout
 * reports for a consumer it cannot refresh. Pure: the CDK constructs and the rollout function share
 * it. The table in docs/consumers.md (#how-consumers-cache) is this file in words.
 */
import * as z from 'zod/mini';
import { type DurationLike, duration, oneOf } from '../../shared/settings';

/** The ways a consumer reads its secret, each with how long it may keep a value. */
export const CACHE_MODES = {
  /** Reads Secrets Manager on every use. */
  direct: { defaultSeconds: 0, maxSeconds: 0, describe: 'reads Secrets Manager on every use, no cache' },
  /** The AWS Parameters and Secrets Lambda Extension (`SECRETS_MANAGER_TTL`, 300 s at most). */
  'lambda-extension': {
    defaultSeconds: 300,
    maxSeconds: 300,
    describe:
      'the AWS Parameters and Secrets Lambda Extension: SECRETS_MANAGER_TTL, 300 s by default and at most',
  },
  /** The Secrets Manager Agent (`ttl_seconds`, 300 s by default, 3,600 s at most). */
  'secrets-manager-agent': {
    defaultSeconds: 300,
    maxSeconds: 3600,
    describe: 'the Secrets Manager Agent: ttl_seconds, 300 s by default, up to 3,600 s',
  },
  /** The AWS Secrets Manager caching libraries (Java, Python, .NET, Go, JavaScript): 1 h by default. */
  'sdk-cache': {
    defaultSeconds: 3600,
    maxSeconds: undefined,
    describe: 'the AWS Secrets Manager caching libraries: refresh interval 1 hour by default',
  },
  /** External Secrets Operator (`refreshInterval`, 1 h by default). */
  'external-secrets': {
    defaultSeconds: 3600,
    maxSeconds: undefined,
    describe: 'External Secrets Operator: refreshInterval, 1 hour by default',
  },
  /** ECS `secrets` injected as environment variables: resolved when a task starts, kept until it stops. */
  'ecs-environment': {
    defaultSeconds: undefined,
    maxSeconds: undefined,
    describe: 'ECS secrets as environment variables: read when a task starts, kept until a new task starts',
  },
  /** Any other cache: state its `ttl`. */
  custom: {
    defaultSeconds: undefined,
    maxSeconds: undefined,
    describe: 'its own cache, with the ttl stated',
  },
} as const satisfies Readonly<
  Record<
    string,
    {
      readonly defaultSeconds: number | undefined;
      readonly maxSeconds: number | undefined;
      readonly describe: string;
    }
  >
>;

/** A way of reading a secret. */
export type CacheMode = keyof typeof CACHE_MODES;

/** Every cache mode, in table order. */
export const CACHE_MODE_NAMES = Object.keys(CACHE_MODES) as readonly CacheMode[];

/** `reads` as a policy writes it: a mode, or a mode and the ttl it is configured with. */
export type ReadsSetting = CacheMode | { readonly via: CacheMode; readonly ttl: DurationLike };

/** `reads` as the rollout configuration carries it (`cache`): the mode and its staleness in seconds. */
export interface CacheConfig {
  readonly via: CacheMode;
  /** The longest it may keep an old value, in seconds; `null` until the consumer restarts. */
  readonly staleSeconds: number | null;
}

/** The policy setting `reads` (a consumer entry field every kind has). */
export function readsSetting() {
  return z.union([
    oneOf(CACHE_MODE_NAMES as unknown as [CacheMode, ...CacheMode[]]),
    z.object({ via: oneOf(CACHE_MODE_NAMES as unknown as [CacheMode, ...CacheMode[]]), ttl: duration() }),
  ]);
}

/** The rollout configuration field `cache`. */
export const cacheConfigSchema = z.object({
  via: z.enum(CACHE_MODE_NAMES as unknown as [CacheMode, ...CacheMode[]], {
    error: `expected one of ${CACHE_MODE_NAMES.join(', ')}`,
  }),
  staleSeconds: z.nullable(z.number({ error: 'expected seconds or null' })),
});

/**
 * The worst-case staleness of a consumer that reads as `reads`, in seconds (`null`: until it
 * restarts), and a problem when a stated ttl exceeds the mode's maximum or a mode needs a ttl.
 * An `ecs-service` consumer reading through ECS environment variables is restarted by the rollout
 * itself (a new deployment), so its staleness ends with the deployment: 0 after consumers moved.
 *
 * @example
 * ```ts
 * staleness('lambda', 'lambda-extension'); // { seconds: 300 }
 * staleness('webhook', { via: 'secrets-manager-agent', ttl: Duration.minutes(10) }); // { seconds: 600 }
 * ```
 */
export function staleness(
  kind: string,
  reads: ReadsSetting | undefined,
): { readonly seconds: number | null; readonly problem?: string } {
  if (reads === undefined) return { seconds: 0 };
  const via = typeof reads === 'string' ? reads : reads.via;
  const mode = CACHE_MODES[via];
  if (via === 'ecs-environment' && kind === 'ecs-service') return { seconds: 0 };
  if (typeof reads === 'object') {
    const seconds = Math.ceil(reads.ttl.toMilliseconds() / 1000);
    if (mode.maxSeconds !== undefined && seconds > mode.maxSeconds) {
      return {
        seconds,
        problem: `${via} keeps a value ${mode.maxSeconds} s at most (${mode.describe}), got a ttl of ${seconds} s`,
      };
    }
    return { seconds };
  }
  if (via === 'custom')
    return { seconds: null, problem: 'custom needs its ttl: { via: "custom", ttl: Duration }' };
  return { seconds: mode.defaultSeconds ?? null };
}

/** The `cache` configuration of a consumer's `reads`, for the rollout function. */
export function cacheConfig(kind: string, reads: ReadsSetting | undefined): CacheConfig | undefined {
  if (reads === undefined) return undefined;
  return { via: typeof reads === 'string' ? reads : reads.via, staleSeconds: staleness(kind, reads).seconds };
}

/** `300 s`, `1 h`, `until it restarts`. */
export function describeStaleness(seconds: number | null): string {
  if (seconds === null) return 'until it restarts';
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}
