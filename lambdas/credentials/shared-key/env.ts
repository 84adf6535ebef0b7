import { enumEnv } from '../../shared/env';
import { ConfigurationError } from '../../shared/errors';
import { METRICS_NAMESPACE } from '../../shared/observability';
import type { SharedKeyStrategyOptions } from './options';

/** Environment variables of the shared-key rotation Lambda (set only by the CDK constructs). */
export const SHARED_KEY_ENV = {
  metricsNamespace: 'HANDOVER_SHARED_KEY_METRICS_NAMESPACE',
  requireVerifierHeartbeat: 'HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads {@link SharedKeyStrategyOptions} from the environment, failing fast with the variable's name.
 * Every variable is optional: `HANDOVER_SHARED_KEY_METRICS_NAMESPACE` (default `Handover`, where the
 * verifiers publish) and `HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT` (`true` or `false`, default `true`).
 * The SDK clients are not configuration: the composition root adds them.
 *
 * @example
 * ```ts
 * const strategy = createSharedKeyStrategy({ ...sharedKeyOptionsFromEnv(), cloudWatch });
 * ```
 */
export function sharedKeyOptionsFromEnv(env: Env = process.env): SharedKeyStrategyOptions {
  const namespace = env[SHARED_KEY_ENV.metricsNamespace];
  if (
    namespace !== undefined &&
    namespace !== '' &&
    (namespace.length > 255 || namespace.startsWith('AWS/'))
  ) {
    throw new ConfigurationError(
      SHARED_KEY_ENV.metricsNamespace,
      `${SHARED_KEY_ENV.metricsNamespace} must be 1 to 255 characters and not start with "AWS/", got '${namespace}'`,
    );
  }
  const heartbeat = enumEnv(SHARED_KEY_ENV.requireVerifierHeartbeat, ['true', 'false'], 'true', env);
  return {
    metricsNamespace: namespace === undefined || namespace === '' ? METRICS_NAMESPACE : namespace,
    requireVerifierHeartbeat: heartbeat === 'true',
  };
}
