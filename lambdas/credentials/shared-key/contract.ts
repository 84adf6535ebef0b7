import { METRICS_NAMESPACE } from '../../shared/metric-names';
import { flag, matching, withDefault } from '../../shared/settings';
import { defineCredentialContract, type SettingsOf, strategyField } from '../contract';

const NAMESPACE = '1 to 255 characters, not starting with "AWS/"';

export const sharedKeyContract = defineCredentialContract({
  id: 'shared-key',
  strategies: ['verifier'],
  settings: {
    /**
     * The only strategy: verifiers accept AWSCURRENT and AWSPREVIOUS until the old key is revoked.
     * @default 'verifier'
     */
    strategy: strategyField('shared-key', ['verifier']),
    /**
     * The namespace the verifiers publish their metrics to (their `createEmfMetricsSink` /
     * `createCloudWatchMetricsSink` namespace).
     * @default 'Handover'
     */
    metricsNamespace: withDefault(matching(/^(?!AWS\/)[\s\S]{1,255}$/, NAMESPACE), METRICS_NAMESPACE),
    /**
     * Whether the usage check needs proof that verifiers were reporting (their `VerifierHeartbeat`
     * metric) before it calls the old key unused. Without it, "no previous-key accepts" cannot be
     * told apart from "no verifier publishes metrics", and the old key would be revoked on no
     * evidence.
     * @default true
     */
    requireVerifierHeartbeat: withDefault(flag(), true),
  },
  tuning: {},
  env: {
    metricsNamespace: { name: 'HANDOVER_SHARED_KEY_METRICS_NAMESPACE' },
    requireVerifierHeartbeat: { name: 'HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT', as: 'boolean' },
  },
});

/** The settings of a shared-key rotation, as a policy entry or `Rotation.sharedKey()` gives them. */
export type SharedKeySettings = SettingsOf<typeof sharedKeyContract>;
