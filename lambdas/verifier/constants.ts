/** Every outcome of a verification. A public contract: logs, metrics and 401 bodies carry it. */
export const AUTH_OUTCOMES = [
  'accepted-current',
  'accepted-previous',
  'rejected-unknown',
  'rejected-revoked',
  'rejected-stale',
  'rejected-malformed',
] as const;
export type AuthOutcome = (typeof AUTH_OUTCOMES)[number];

/** The outcomes that reject a request. */
export const REJECTION_OUTCOMES = [
  'rejected-unknown',
  'rejected-revoked',
  'rejected-stale',
  'rejected-malformed',
] as const;
export type RejectionOutcome = (typeof REJECTION_OUTCOMES)[number];

/**
 * A count of zero for every rejection outcome: an object literal (the type makes it exhaustive), so
 * the counters the hot path increments have a fixed shape from the start.
 */
export const zeroRejectionCounts = (): Record<RejectionOutcome, number> => ({
  'rejected-unknown': 0,
  'rejected-revoked': 0,
  'rejected-stale': 0,
  'rejected-malformed': 0,
});

/** The `credential_type` of every verifier log line and metric. */
export const SHARED_KEY_CREDENTIAL_TYPE = 'shared-key';

/**
 * Metric names the verifier publishes (namespace `Handover` by default), a public contract: the
 * shared-key strategy's `inUse`, alarms and dashboards read them. Every metric carries the
 * dimensions `credential_type` (= `shared-key`) and `secret_name`; the accept metrics are also
 * published per `key_id`, and `AuthRejected` per `reason` (the rejection outcome). Key ids a client
 * presented are never a dimension (an attacker could create unbounded metrics); only ids of keys
 * that Secrets Manager holds are.
 */
export const VERIFIER_METRIC = {
  /** Requests accepted with the AWSCURRENT key. */
  currentKeyAccepted: 'CurrentKeyAccepted',
  /** Requests accepted with the AWSPREVIOUS key during the grace window: the old key is still in use. */
  previousKeyAccepted: 'PreviousKeyAccepted',
  /**
   * Requests rejected, by `reason` (`rejected-unknown`, `rejected-revoked`, `rejected-stale`,
   * `rejected-malformed`).
   */
  authRejected: 'AuthRejected',
  /** Background refreshes that failed (the verifier kept its last good keys). */
  refreshFailed: 'VerifierRefreshFailed',
  /**
   * Refreshes that failed in a row, as of the flush (a gauge: alarm on its Maximum). Published only
   * while it is above zero. After `maxStalenessMs` without a successful refresh the AWSPREVIOUS key
   * is answered `rejected-stale`.
   */
  consecutiveRefreshFailures: 'VerifierConsecutiveRefreshFailures',
  /**
   * 1 per verifier per flush, whatever the traffic: proves verifiers were reporting, so "no
   * previous-key accepts" means "unused" rather than "nobody was counting".
   */
  heartbeat: 'VerifierHeartbeat',
} as const;

/** Metric dimension names. */
export const VERIFIER_DIMENSION = {
  credentialType: 'credential_type',
  secretName: 'secret_name',
  keyId: 'key_id',
  reason: 'reason',
  /** Who presented the AWSPREVIOUS key (`PreviousKeyAccepted` only, when the verifier names callers). */
  caller: 'caller',
} as const;

/** Defaults and limits of the verifier's options. */
export const VERIFIER_DEFAULTS = {
  refreshIntervalMs: 60_000,
  refreshJitter: 0.1,
  metricsFlushIntervalMs: 60_000,
  rejectionLogMaxLines: 100,
  retiredKeyIds: 32,
  unknownKeyRefreshMinIntervalMs: 10_000,
  /**
   * The floor of the default `maxStalenessMs` (15 minutes); the default is three jittered refresh
   * intervals when that is longer.
   */
  maxStalenessMs: 900_000,
  /** Callers named per previous key and flush window; the rest count as `other`. */
  callersPerKey: 20,
} as const;

export const VERIFIER_LIMITS = {
  minIntervalMs: 1_000,
  maxIntervalMs: 86_400_000,
  /** The most callers a verifier names per key and flush window (metric dimension values are custom metrics). */
  maxCallersPerKey: 100,
} as const;
