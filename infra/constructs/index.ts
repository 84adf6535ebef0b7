export { ROLLOUT_METRIC } from '../../lambdas/rollout/contract';
export {
  CREDENTIAL_TYPE_DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../../lambdas/shared/metric-names';
export {
  BASE_ENVIRONMENT,
  HANDOVER_RUNTIME,
  HandoverFunction,
  type HandoverFunctionProps,
  HOUSE_BUNDLING,
} from './handover-function';
export {
  type ApiKeyRotationOptions,
  type DatabaseEndpoint,
  type DatabaseRotationOptions,
  type IamAccessKeyRotationOptions,
  type MasterSecretRotationOptions,
  Rotation,
  type SharedKeyRotationOptions,
} from './rotation-strategy';
export { checkRotation, type RotationCheckInput } from './rotation-checks';
export { RotationFunction, type RotationFunctionProps, type RotationNetwork } from './rotation-function';
export {
  ROTATION_FAILED_EVENT_PATTERN,
  RotationMonitoring,
  type RotationMonitoringProps,
} from './monitoring';
export { RotationSchedule, type RotationScheduleOptions, type ScheduleProblem } from './rotation-schedule';
export {
  API_KEY_PROVIDERS,
  DATABASE_TLS_MODES,
  type DatabaseTlsMode,
  type GrantContext,
  IAM_ACTIVE_PREVIOUS_KEY,
  type IamActivePreviousKey,
  MYSQL_STRATEGIES,
  type MysqlStrategy,
  POSTGRES_STRATEGIES,
  type PostgresStrategy,
  ROTATION_TYPES,
  type RotationSettings,
  type RotationTarget,
  type RotationTypeSpec,
  type SettingField,
  type SpecProblem,
  secretArnForPolicies,
  secretsManagerService,
  type TargetField,
} from './credential-types';
export { ALARM, type AlarmId, alarmDescription, RUNBOOK, runbookAnchor, runbookLink } from './runbook';
export { RotationConfigurationError, SecretRotation, type SecretRotationProps } from './secret-rotation';
