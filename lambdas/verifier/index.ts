export { parseBearer } from './bearer';
export type { VerifierClock, VerifierTimer } from './clock';
export { systemClock } from './clock';
export type { AuthOutcome, RejectionOutcome } from './constants';
export {
  AUTH_OUTCOMES,
  REJECTION_OUTCOMES,
  SHARED_KEY_CREDENTIAL_TYPE,
  VERIFIER_DEFAULTS,
  VERIFIER_DIMENSION,
  VERIFIER_METRIC,
  zeroRejectionCounts,
} from './constants';
export type { SharedKeyParts } from './key-format';
export {
  entropyProblem,
  generateKeyId,
  generateSharedKey,
  isSharedKey,
  KEY_ID_PATTERN,
  keyIdOf,
  keyIdOfMalformed,
  parseSharedKey,
  SECRET_ENTROPY_BITS,
  SHARED_KEY_FORMAT,
  SHARED_KEY_LENGTH,
  SHARED_KEY_PATTERN,
  secretOf,
} from './key-format';
export type { AuthDecision, KeyEntry, KeyRingVersion, KeyStage, PreviousKeyGate } from './key-ring';
export { KeyRing, RetiredKeys } from './key-ring';
export type { LoadedVersions, VerifierSecretsClient } from './loader';
export { loadVersions } from './loader';
export type {
  CloudWatchMetricsSinkOptions,
  EmfMetricsSinkOptions,
  KeyAccepts,
  VerifierMetricRecord,
  VerifierMetricsSink,
  VerifierMetricsSnapshot,
} from './metrics';
export {
  createCloudWatchMetricsSink,
  createEmfMetricsSink,
  mergeSnapshots,
  toMetricRecords,
} from './metrics';
export type { SuppressedCounts } from './rejection-log';
export { RejectionLogLimiter } from './rejection-log';
export type { SharedKeyVersion } from './secret-value';
export { readSharedKeyVersion } from './secret-value';
export type { RejectionContext, Verifier, VerifierOptions, VerifierStatus } from './verifier';
export { callerValue, createVerifier } from './verifier';
