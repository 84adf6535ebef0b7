export { type ClaimResult, claimLock, lockTableOf, rotationInFlight } from './claim';
export { parseRolloutConfig, ROLLOUT_LIMITS, withWorkflowDefaults } from './config';
export {
  adapterFor,
  type CheckWaveTask,
  type ConsumersUpdatedTask,
  type ConsumerTask,
  checkWave,
  consumersUpdated,
  type EmergencyRevokedTask,
  publishConsumerEvent,
  updateConsumer,
} from './consumer-tasks';
export { DEFAULT_ACK_TIMEOUT_SECONDS } from './consumers/event.contract';
export type { RolloutDeps, RolloutSettings, SsmSend } from './deps';
export { type RolloutEnvironment, rolloutEnvironment } from './env';
export { causeMessage, RolloutError } from './errors';
export { emergencyRevoked, type FinishOutcome, type FinishResult, type FinishTask, finish } from './finish';
export { MANUAL_INPUT_EXAMPLE, parseRolloutInput, type RolloutRequest, type RolloutTrigger } from './input';
export {
  type AcquireResult,
  acquireLock,
  type DynamoDbSend,
  type HolderStatus,
  holderStatus,
  LOCK_ATTRIBUTE,
  type LockClaim,
  type LockState,
  type LockTable,
  lockOf,
  mirrorLock,
  type ReleaseResult,
  readLock,
  releaseLock,
  type StepFunctionsSend,
  setLockVersion,
  staleReason,
  stopHolder,
  takeOverLock,
} from './lock';
export { createRolloutMetrics, type RolloutMetrics } from './metrics';
export {
  consumerReport,
  createNotifier,
  executionConsoleUrl,
  type MilestoneDetail,
  type Notifier,
  type NotifierDeps,
  strategyActionCommand,
  summarize,
} from './notify';
export type {
  ConsumerOutcome,
  RollbackResult,
  RolloutFailure,
  RolloutPlan,
  RotationProgress,
  UsageGate,
  WorkflowState,
} from './plan';
export { type PreflightResult, type PreflightTask, preflight } from './preflight';
export { type RollbackTask, rollback } from './rollback';
export { createRolloutHandler } from './rollout-handler';
export { checkRotation, type RotationTask, rotationToken, startRotation } from './rotate-secret';
export { FAILURE_GUIDE, failureAnchor, isRolloutErrorCode } from './runbook';
export { planWaves, usageWindows } from './waves';
export {
  CONSUMER_NOT_READY_RETRY,
  CONSUMER_UPDATE_WORST_SECONDS,
  type ConsumerDuration,
  leaseSecondsFor,
  type RolloutDurationInput,
  type RolloutWorstCase,
  rolloutWorstCase,
} from './worst-case';
