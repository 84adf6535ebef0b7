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
  type HolderStatus,
  holderStatus,
  type LockState,
  lockOf,
  releaseLock,
  type StepFunctionsSend,
  staleReason,
  takeLock,
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
