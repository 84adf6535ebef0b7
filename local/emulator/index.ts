export type { AwsJsonServiceOptions } from './aws-json-protocol';
export { createAwsJsonHandler, toAwsJson } from './aws-json-protocol';
export {
  AwsServiceError,
  ERROR_TYPE,
  internalServiceError,
  invalidParameter,
  invalidRequest,
  resourceExists,
  resourceNotFound,
  throttling,
} from './errors';
export type { FaultError, FaultHandle, FaultOptions } from './faults';
export { FaultInjector } from './faults';
export type { OperationInput } from './input';
export type { DecodedCall, HttpRequest, HttpResponse, ProtocolHandler } from './protocol';
export type { RandomPasswordOptions } from './random-password';
export { generateRandomPassword } from './random-password';
export type {
  RotationLambdaEvent,
  RotationLambdaHandler,
  RotationRetryOptions,
  RotationStep,
  StepInvocation,
} from './rotation-driver';
export type {
  RotationOutcome,
  RotationRecord,
  SecretsManagerOperation,
  SecretsManagerOptions,
} from './secrets-manager';
export { SECRETS_MANAGER_OPERATIONS, SecretsManagerService, STAGE } from './secrets-manager';
export type { CallRecord, Emulator, EmulatorLogEntry, EmulatorOptions } from './server';
export { startEmulator } from './server';
