import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { Env } from '../../shared/env';
import { HandoverError } from '../../shared/errors';
import { METRICS_NAMESPACE } from '../../shared/metric-names';
import { fromEnv } from '../contract';
import { sharedKeyContract } from './contract';

/** The CloudWatch operations the strategy calls (GetMetricData), and nothing else. */
export type CloudWatchSend = Pick<CloudWatchClient, 'send'>;

/** Options of {@link createSharedKeyStrategy}. */
export interface SharedKeyStrategyOptions {
  /**
   * The CloudWatch client `inUse` reads the verifiers' metrics with.
   * @default - an SDK client configured from the environment, created on first use
   */
  readonly cloudWatch?: CloudWatchSend;
  /**
   * The namespace the verifiers publish their metrics to (their `createEmfMetricsSink` /
   * `createCloudWatchMetricsSink` namespace).
   * @default 'Handover'
   */
  readonly metricsNamespace?: string;
  /**
   * Whether `inUse` needs proof that verifiers were reporting (their `VerifierHeartbeat` metric)
   * before it calls the old key unused. Without it, "no previous-key accepts" cannot be told apart
   * from "no verifier publishes metrics", and the old key would be revoked on no evidence.
   * @default true
   */
  readonly requireVerifierHeartbeat?: boolean;
  /**
   * The clock, for `createdAt` and the usage window.
   * @default - the system clock
   */
  readonly now?: () => Date;
}

/** Validated settings. */
export interface ResolvedSharedKeyOptions {
  readonly metricsNamespace: string;
  readonly requireVerifierHeartbeat: boolean;
  readonly now: () => Date;
}

/** Validates every option and reports all problems at once. */
export function resolveSharedKeyOptions(options: SharedKeyStrategyOptions): ResolvedSharedKeyOptions {
  const problems: string[] = [];
  const metricsNamespace = options.metricsNamespace ?? METRICS_NAMESPACE;
  if (
    typeof metricsNamespace !== 'string' ||
    metricsNamespace.length === 0 ||
    metricsNamespace.length > 255 ||
    metricsNamespace.startsWith('AWS/')
  ) {
    problems.push(
      `metricsNamespace must be 1 to 255 characters and not start with "AWS/", got '${String(metricsNamespace)}'`,
    );
  }
  const requireVerifierHeartbeat = options.requireVerifierHeartbeat ?? true;
  if (typeof requireVerifierHeartbeat !== 'boolean') {
    problems.push(`requireVerifierHeartbeat must be a boolean, got ${String(requireVerifierHeartbeat)}`);
  }
  if (options.cloudWatch !== undefined && typeof options.cloudWatch.send !== 'function') {
    problems.push('cloudWatch must be a CloudWatch client');
  }
  if (problems.length > 0) {
    throw new HandoverError(`invalid shared-key strategy options: ${problems.join('; ')}`);
  }
  return { metricsNamespace, requireVerifierHeartbeat, now: options.now ?? (() => new Date()) };
}

/**
 * Reads the settings of {@link SharedKeyStrategyOptions} from the environment the constructs set
 * (`sharedKeyContract`), failing fast with the variable's name: `HANDOVER_SHARED_KEY_METRICS_NAMESPACE`
 * (default `Handover`, where the verifiers publish) and `HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT`
 * (`true` or `false`, default `true`). The SDK clients are not configuration: the composition root
 * adds them.
 *
 * @example
 * ```ts
 * const strategy = createSharedKeyStrategy({ ...sharedKeyOptionsFromEnv(), cloudWatch });
 * ```
 */
export function sharedKeyOptionsFromEnv(env: Env = process.env): SharedKeyStrategyOptions {
  const { metricsNamespace, requireVerifierHeartbeat } = fromEnv(sharedKeyContract, env);
  return { metricsNamespace, requireVerifierHeartbeat };
}
