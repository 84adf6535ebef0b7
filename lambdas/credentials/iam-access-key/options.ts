import type { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import type { CloudTrailSend } from '../../shared/cloudtrail';
import type { Env } from '../../shared/env';
import { HandoverError } from '../../shared/errors';
import { checkSetting, fromEnv } from '../contract';
import { type ActivePreviousKeyPolicy, DEFAULT_TEST_TIMEOUT_MS, iamAccessKeyContract } from './contract';

/** The IAM client operations the strategy calls (`send`), for least-privilege fakes. */
export type IamSend = Pick<IAMClient, 'send'>;
/** The STS client operations the strategy calls (`send`), for least-privilege fakes. */
export type StsSend = Pick<STSClient, 'send'>;

/** The credentials an STS client is built with: one access key. */
export interface AccessKeyCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Builds an STS client that signs with `credentials` (the key under test). */
export type StsClientFactory = (credentials: AccessKeyCredentials) => StsSend;

/** One IAM or STS API call the strategy makes, as `onCall` reports it. No secrets. */
export interface IamApiCall {
  readonly service: 'iam' | 'sts';
  /** The operation, e.g. `CreateAccessKey`. */
  readonly operation: string;
}

export { ACTIVE_PREVIOUS_KEY_POLICIES, type ActivePreviousKeyPolicy } from './contract';

/** Options of {@link createIamAccessKeyStrategy}. */
export interface IamAccessKeyStrategyOptions {
  /**
   * The IAM client.
   * @default - an SDK client configured from the environment (region, credentials, and the
   * standard endpoint variables `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_IAM`)
   */
  readonly iam?: IamSend;
  /**
   * Builds the STS client that tests a key with its own credentials (one per test).
   * @default - `new STSClient({ credentials })`, endpoint from the environment (`AWS_ENDPOINT_URL_STS`)
   */
  readonly sts?: StsClientFactory;
  /**
   * The CloudTrail client `inUse` names the callers of an old key with (LookupEvents by
   * `AccessKeyId`).
   * @default - an SDK client configured from the environment, created on first use
   */
  readonly cloudTrail?: CloudTrailSend;
  /**
   * LookupEvents pages (of 50 events) `inUse` reads at most to name an old key's callers; beyond,
   * the callers it found are named and the evidence says the list is partial.
   * @default 20
   */
  readonly callerLookupMaxPages?: number;
  /**
   * How long testSecret keeps retrying STS GetCallerIdentity while a new key is rejected
   * (`InvalidClientTokenId`: IAM has not propagated it yet), in milliseconds. `0` tries once.
   * Keep it below the Lambda timeout.
   * @default 30000
   */
  readonly testTimeoutMs?: number;
  /**
   * The first wait between two STS attempts, in milliseconds; each next wait doubles.
   * @default 250
   */
  readonly testInitialDelayMs?: number;
  /**
   * The longest wait between two STS attempts, in milliseconds.
   * @default 4000
   */
  readonly testMaxDelayMs?: number;
  /**
   * What createSecret does when the user already has two keys and the one besides AWSCURRENT's is
   * the AWSPREVIOUS key, still Active (the previous rollout has not revoked it yet). `fail`: the
   * rotation fails and says so (consumers may still use that key). `delete`: it is deleted.
   * @default 'fail'
   */
  readonly activePreviousKey?: ActivePreviousKeyPolicy;
  /**
   * Called before every IAM and STS call, e.g. to count API calls per rotation in benchmarks.
   * @default - none
   */
  readonly onCall?: (call: IamApiCall) => void;
  /**
   * Waits between STS attempts. Tests pass a fake clock.
   * @default - `setTimeout` from `node:timers/promises`
   */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Monotonic milliseconds, for the test deadline.
   * @default - `performance.now`
   */
  readonly now?: () => number;
}

/** The validated numbers and policies a strategy runs with (clients are resolved by the factory). */
export interface ResolvedIamOptions {
  readonly testTimeoutMs: number;
  readonly testInitialDelayMs: number;
  readonly testMaxDelayMs: number;
  readonly activePreviousKey: ActivePreviousKeyPolicy;
}

/** Validates every option and reports all problems at once. */
export function resolveIamOptions(options: IamAccessKeyStrategyOptions): ResolvedIamOptions {
  const problems: string[] = [];
  const { settings } = iamAccessKeyContract;
  const testTimeoutMs = checkSetting(
    settings.testTimeoutMs,
    'testTimeoutMs',
    options.testTimeoutMs ?? DEFAULT_TEST_TIMEOUT_MS,
    problems,
  );
  const testInitialDelayMs = options.testInitialDelayMs ?? 250;
  if (!Number.isInteger(testInitialDelayMs) || testInitialDelayMs < 1) {
    problems.push(`testInitialDelayMs must be a positive integer, got ${testInitialDelayMs}`);
  }
  const testMaxDelayMs = options.testMaxDelayMs ?? Math.max(4000, testInitialDelayMs);
  if (!Number.isInteger(testMaxDelayMs) || testMaxDelayMs < testInitialDelayMs) {
    problems.push(
      `testMaxDelayMs must be an integer of at least testInitialDelayMs (${testInitialDelayMs}), got ${testMaxDelayMs}`,
    );
  }
  const activePreviousKey = checkSetting(
    settings.activePreviousKey,
    'activePreviousKey',
    options.activePreviousKey ?? 'fail',
    problems,
  );
  if (problems.length > 0) {
    throw new HandoverError(`invalid IAM access key strategy options: ${problems.join('; ')}`);
  }
  return { testTimeoutMs, testInitialDelayMs, testMaxDelayMs, activePreviousKey };
}

/**
 * Reads the settings of {@link IamAccessKeyStrategyOptions} from the environment the constructs set
 * (`iamAccessKeyContract`), failing fast with the variable's name: `HANDOVER_IAM_TEST_TIMEOUT_MS`
 * (0 to 900000, default 30000) and `HANDOVER_IAM_ACTIVE_PREVIOUS_KEY` (`fail` or `delete`, default
 * `fail`). Clients are not part of the result: the strategy builds SDK clients from the standard
 * AWS settings unless the composition root passes its own.
 *
 * @example
 * ```ts
 * export const handler = createRotationLambda(createIamAccessKeyStrategy(iamAccessKeyOptionsFromEnv()));
 * ```
 */
export function iamAccessKeyOptionsFromEnv(env: Env = process.env): IamAccessKeyStrategyOptions {
  const { testTimeoutMs, activePreviousKey } = fromEnv(iamAccessKeyContract, env);
  return { testTimeoutMs, activePreviousKey };
}
