export { CONSUMER_DIMENSION, ROLLOUT_METRIC } from '../../lambdas/rollout/contract';
export {
  CREDENTIAL_TYPE_DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  SERVICE_DIMENSION,
  SERVICE_NAME,
  STEP_DIMENSION,
} from '../../lambdas/shared/metric-names';
export { BreakGlassRole, type BreakGlassRoleOptions, type BreakGlassRoleProps } from './break-glass';
export {
  Consumer,
  type ConsumerOptions,
  type EventConsumerOptions,
  type LambdaConsumerOptions,
  type SsmParameterConsumerOptions,
  type WebhookConsumerOptions,
} from './consumers';
export {
  type ContractOf,
  type CredentialTypeSpec,
  type GrantContext,
  ROTATION_TYPES,
  type RotationSettingsOf,
  type RotationTarget,
  type SpecProblem,
  secretArnForPolicies,
  secretsManagerService,
  specOf,
  type TargetField,
  type TargetUse,
  targetsOf,
} from './credential-types';
export { HandoverDashboard, type HandoverDashboardProps } from './dashboard';
export { Handover, type HandoverProps, type RotateOptions } from './handover';
export {
  BASE_ENVIRONMENT,
  HANDOVER_RUNTIME,
  HandoverFunction,
  type HandoverFunctionProps,
  HOUSE_BUNDLING,
  isPrebuiltBundle,
} from './handover-function';
export { credentialTypeMetric, handoverMetric, searchMetrics, sumOverTypes } from './metrics';
export {
  ROTATION_FAILED_EVENT_PATTERN,
  RotationMonitoring,
  type RotationMonitoringProps,
} from './monitoring';
export { type DeployedConsumer, deployConsumer } from './rollout-consumers';
export { FAILURE_STATES, RolloutDefinition } from './rollout-definition';
export {
  MAX_EXECUTION,
  type RolloutSecret,
  RolloutWorkflow,
  type RolloutWorkflowProps,
} from './rollout-workflow';
export {
  checkRotation,
  ROTATION_CHECKS,
  type RotationCheck,
  type RotationCheckInput,
  settingsProblems,
} from './rotation-checks';
export {
  RotationFunction,
  type RotationFunctionOptions,
  type RotationFunctionProps,
  type RotationNetwork,
} from './rotation-function';
export { RotationSchedule, type RotationScheduleOptions, type ScheduleProblem } from './rotation-schedule';
export {
  type ApiKeyRotationOptions,
  type DatabaseEndpoint,
  type DatabaseRotationOptions,
  type IamAccessKeyRotationOptions,
  type MasterSecretRotationOptions,
  Rotation,
  type SharedKeyRotationOptions,
} from './rotation-strategy';
export { ALARM, type AlarmId, alarmDescription, RUNBOOK, runbookAnchor, runbookLink } from './runbook';
export { importSecret } from './secret-references';
export { RotationConfigurationError, SecretRotation, type SecretRotationProps } from './secret-rotation';
