export type { AwsJsonServiceOptions } from './aws-json-protocol';
export { createAwsJsonHandler, toAwsJson } from './aws-json-protocol';
export type { CloudWatchOperation, CloudWatchOptions } from './cloudwatch';
export {
  CLOUDWATCH_ERROR,
  CLOUDWATCH_OPERATIONS,
  CLOUDWATCH_TARGET_PREFIX,
  CloudWatchService,
  createCloudWatchHandler,
} from './cloudwatch';
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
export type { AccessKeyUse, IamIdentity, IamOperation, IamOptions } from './iam';
export {
  ACCESS_KEYS_PER_USER,
  createIamHandler,
  IAM_OPERATIONS,
  IAM_VERSION,
  IAM_XMLNS,
  IamService,
} from './iam';
export type { OperationInput } from './input';
export type { DecodedCall, HttpRequest, HttpResponse, ProtocolHandler } from './protocol';
export type { QueryErrorKind, QueryServiceOptions, SigV4Credential } from './query-protocol';
export {
  createQueryHandler,
  decodeQueryForm,
  parseSigV4Credential,
  QUERY_ERROR,
  queryError,
  toQueryXml,
} from './query-protocol';
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
export type { StsOperation } from './sts';
export { createStsHandler, STS_OPERATIONS, STS_VERSION, STS_XMLNS, StsService } from './sts';
