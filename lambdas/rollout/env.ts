import { intEnv } from '../shared/env';
import { ConfigurationError } from '../shared/errors';
import { DEFAULT_RUNBOOK_URL } from '../shared/runbook-location';
import { ROLLOUT_ENV } from './contract';
import type { RolloutSettings } from './deps';

type Env = Readonly<Record<string, string | undefined>>;

/** What the rollout function reads from its environment besides {@link RolloutSettings}. */
export interface RolloutEnvironment extends RolloutSettings {
  readonly topicArn?: string;
  readonly eventBusName: string;
  readonly runbookUrl: string;
}

/**
 * Reads the rollout function's settings from the environment (`ROLLOUT_ENV`), failing fast with the
 * variable's name.
 *
 * @example
 * ```ts
 * const settings = rolloutEnvironment(); // { leaseSeconds: 2764800, rotationTimeoutSeconds: 900, ... }
 * ```
 */
export function rolloutEnvironment(env: Env = process.env): RolloutEnvironment {
  const topicArn = env[ROLLOUT_ENV.topicArn];
  const lockTable = env[ROLLOUT_ENV.lockTable];
  if (lockTable === undefined || lockTable === '') {
    throw new ConfigurationError(
      ROLLOUT_ENV.lockTable,
      `${ROLLOUT_ENV.lockTable} is required: the DynamoDB table of the rollout locks (the RolloutWorkflow construct sets it)`,
    );
  }
  return {
    lockTable,
    leaseSeconds: intEnv(ROLLOUT_ENV.leaseSeconds, 32 * 24 * 3600, { min: 60, max: 366 * 24 * 3600 }, env),
    rotationTimeoutSeconds: intEnv(ROLLOUT_ENV.rotationTimeoutSeconds, 900, { min: 1, max: 24 * 3600 }, env),
    ...(topicArn === undefined || topicArn === '' ? {} : { topicArn }),
    eventBusName: env[ROLLOUT_ENV.eventBusName] || 'default',
    runbookUrl: env[ROLLOUT_ENV.runbookUrl] || DEFAULT_RUNBOOK_URL,
  };
}
