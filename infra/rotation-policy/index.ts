export {
  type EntryContext,
  POLICY_CHECKS,
  type PolicyCheck,
  type PolicyContext,
  type PolicyProblem,
  SECRET_CHECKS,
  type SecretCheck,
} from './checks';
export { LOG_RETENTION_DAYS, POLICY_DEFAULTS, ROLLOUT_DEFAULTS } from './schema';
export type {
  AlarmPolicy,
  ApiKeySecretPolicy,
  ConsumerKind,
  ConsumerPolicy,
  DatabasePolicy,
  FunctionPolicy,
  IamAccessKeySecretPolicy,
  MysqlSecretPolicy,
  NetworkPolicy,
  NewSecretPolicy,
  PostgresSecretPolicy,
  RolloutPolicy,
  RotationPolicy,
  SchedulePolicy,
  SecretPolicy,
  SecretPolicyBase,
  SecretPolicyOf,
  SecretReference,
  SecretSource,
  SharedKeySecretPolicy,
  UsageGatePolicy,
} from './types';
export { definePolicy } from './types';
export {
  formatProblem,
  PolicyValidationError,
  type ResolvedConsumer,
  type ResolvedNetwork,
  type ResolvedPolicy,
  type ResolvedRollout,
  type ResolvedSecret,
  validatePolicy,
} from './validate';
