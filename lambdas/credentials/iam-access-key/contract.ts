import { integer, oneOf, withDefault } from '../../shared/settings';
import { defineCredentialContract, type SettingsOf, strategyField } from '../contract';

/** What createSecret does when the AWSPREVIOUS key still holds a slot and is Active. */
export const ACTIVE_PREVIOUS_KEY_POLICIES = ['fail', 'delete'] as const;
export type ActivePreviousKeyPolicy = (typeof ACTIVE_PREVIOUS_KEY_POLICIES)[number];

/** The longest STS test retry window: a Lambda runs 15 minutes at most. */
export const MAX_TEST_TIMEOUT_MS = 900_000;

/** The default STS test retry window, in milliseconds. */
export const DEFAULT_TEST_TIMEOUT_MS = 30_000;

export const iamAccessKeyContract = defineCredentialContract({
  id: 'iam-access-key',
  strategies: ['access-key'],
  settings: {
    /**
     * The only strategy: two access keys, the new one created beside the current one.
     * @default 'access-key'
     */
    strategy: strategyField('iam-access-key', ['access-key']),
    /**
     * How long testSecret retries STS while a new key propagates (`InvalidClientTokenId`), in
     * milliseconds, 0 to 900000. `0` tries once. Keep it below the function timeout.
     * @default 30000
     */
    testTimeoutMs: withDefault(integer(0, MAX_TEST_TIMEOUT_MS), DEFAULT_TEST_TIMEOUT_MS),
    /**
     * What createSecret does when the user already has two keys and the one besides AWSCURRENT's
     * is the AWSPREVIOUS key, still Active (the previous rollout has not revoked it yet): `fail`
     * the rotation (consumers may still use that key), or `delete` it.
     * @default 'fail'
     */
    activePreviousKey: withDefault(oneOf(ACTIVE_PREVIOUS_KEY_POLICIES), 'fail'),
  },
  tuning: {},
  env: {
    testTimeoutMs: { name: 'HANDOVER_IAM_TEST_TIMEOUT_MS', as: 'integer' },
    activePreviousKey: { name: 'HANDOVER_IAM_ACTIVE_PREVIOUS_KEY' },
  },
});

/** The settings of an IAM access key rotation, as a policy entry or `Rotation.iamAccessKey()` gives them. */
export type IamAccessKeySettings = SettingsOf<typeof iamAccessKeyContract>;
