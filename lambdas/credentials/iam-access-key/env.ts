import { enumEnv, intEnv } from '../../shared/env';
import {
  ACTIVE_PREVIOUS_KEY_POLICIES,
  type IamAccessKeyStrategyOptions,
  MAX_TEST_TIMEOUT_MS,
} from './options';

/** Environment variables of the IAM access key rotation Lambda (set only by the CDK constructs). */
export const IAM_ACCESS_KEY_ENV = {
  testTimeoutMs: 'HANDOVER_IAM_TEST_TIMEOUT_MS',
  activePreviousKey: 'HANDOVER_IAM_ACTIVE_PREVIOUS_KEY',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads {@link IamAccessKeyStrategyOptions} from the environment, failing fast with the variable's
 * name: `HANDOVER_IAM_TEST_TIMEOUT_MS` (0 to 900000, default 30000) and
 * `HANDOVER_IAM_ACTIVE_PREVIOUS_KEY` (`fail` or `delete`, default `fail`). Every variable is
 * optional. Clients are not part of the result: the strategy builds SDK clients from the standard
 * AWS settings unless the composition root passes its own.
 *
 * @example
 * ```ts
 * export const handler = createRotationLambda(createIamAccessKeyStrategy(iamAccessKeyOptionsFromEnv()));
 * ```
 */
export function iamAccessKeyOptionsFromEnv(env: Env = process.env): IamAccessKeyStrategyOptions {
  return {
    testTimeoutMs: intEnv(
      IAM_ACCESS_KEY_ENV.testTimeoutMs,
      30_000,
      { min: 0, max: MAX_TEST_TIMEOUT_MS },
      env,
    ),
    activePreviousKey: enumEnv(
      IAM_ACCESS_KEY_ENV.activePreviousKey,
      ACTIVE_PREVIOUS_KEY_POLICIES,
      'fail',
      env,
    ),
  };
}
