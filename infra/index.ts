/**
 * The package root (`import { ... } from 'handover'`): every construct a CDK app needs to rotate
 * its secrets with Handover, the whole-policy stack, the policy types and their validation, and the
 * consumer kinds of the rollout workflow. The verifier library is `handover/verifier`, the webhook
 * verification helper `handover/webhooks`.
 */
export {
  CONSUMER_KINDS,
  type ConsumerKind,
  type ConsumerSettings,
  type ConsumerSettingsOf,
} from '../lambdas/rollout/consumers/contracts';
export {
  type EcsServiceConsumer,
  type EventConsumer,
  type LambdaConsumer,
  ROLLOUT_ERRORS,
  ROLLOUT_MODES,
  type RolloutMode,
  type SsmParameterConsumer,
  type WebhookConsumer,
} from '../lambdas/rollout/contract';
export { CREDENTIAL_TYPES, type CredentialType } from '../lambdas/rotation/constants';
export * from './constructs';
export { HANDOVER_LAMBDAS, type HandoverLambda, lambdaEntry } from './paths';
export {
  type AlarmPolicy,
  type ApiKeySecretPolicy,
  type ConsumerPolicy,
  type DatabasePolicy,
  definePolicy,
  type FunctionPolicy,
  formatProblem,
  type IamAccessKeySecretPolicy,
  type MysqlSecretPolicy,
  type NetworkPolicy,
  type NewSecretPolicy,
  type PolicyProblem,
  PolicyValidationError,
  type PostgresSecretPolicy,
  type ResolvedPolicy,
  type ResolvedSecret,
  type RolloutPolicy,
  type RotationPolicy,
  type SchedulePolicy,
  type SecretPolicy,
  type SecretReference,
  type SecretSource,
  type SharedKeySecretPolicy,
  type UsageGatePolicy,
  validatePolicy,
} from './rotation-policy';
export { HandoverStack, type HandoverStackProps, type PolicyEntryResources } from './stacks/handover-stack';
