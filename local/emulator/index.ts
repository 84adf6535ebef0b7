export type { Credentials, Principal, SigV4Authorization } from './auth';
export { Authenticator, computeSignature, parseAuthorization } from './auth';
export type { AwsJsonServiceOptions } from './aws-json-protocol';
export { createAwsJsonHandler, toAwsJson } from './aws-json-protocol';
export type { CallRecord } from './call-log';
export { CallLog, HIDDEN, redactParameters } from './call-log';
export type { CloudTrailOperation, CloudTrailOptions, TrailRecord } from './cloudtrail';
export {
  CLOUDTRAIL_ERROR,
  CLOUDTRAIL_OPERATIONS,
  CLOUDTRAIL_TARGET_PREFIX,
  CloudTrailService,
  createCloudTrailHandler,
  LOOKUP_ATTRIBUTE_KEYS,
} from './cloudtrail';
export type { CloudWatchOperation, CloudWatchOptions } from './cloudwatch';
export {
  CLOUDWATCH_ERROR,
  CLOUDWATCH_OPERATIONS,
  CLOUDWATCH_TARGET_PREFIX,
  CloudWatchService,
  createCloudWatchHandler,
} from './cloudwatch';
export { CONTROL_PATH_PREFIX, handleControl } from './control';
export type { AttributeValue, DynamoDbOperation, DynamoDbOptions, Item } from './dynamodb';
export {
  createDynamoDbHandler,
  DYNAMODB_ERROR,
  DYNAMODB_OPERATIONS,
  DYNAMODB_TARGET_PREFIX,
  DynamoDbService,
} from './dynamodb';
export type { AuthFailure, AwsProtocol, QueryErrorKind } from './errors';
export {
  AUTH_ERROR,
  AUTH_MESSAGE,
  AwsServiceError,
  authError,
  ERROR_TYPE,
  internalServiceError,
  invalidParameter,
  invalidRequest,
  jsonErrorResponse,
  QUERY_ERROR,
  queryError,
  queryErrorResponse,
  resourceExists,
  resourceNotFound,
  restJsonErrorResponse,
  throttling,
} from './errors';
export type {
  DeliveredEvent,
  EventBridgeOperation,
  EventBridgeOptions,
  EventFilter,
  EventListener,
} from './eventbridge';
export {
  createEventBridgeHandler,
  EVENTBRIDGE_OPERATIONS,
  EVENTBRIDGE_TARGET_PREFIX,
  EventBridgeService,
} from './eventbridge';
export type { FaultError, FaultHandle, FaultOptions, RateLimitHandle, RateLimitOptions } from './faults';
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
export type {
  FunctionHandler,
  LambdaFunctionOptions,
  LambdaOperation,
  LambdaOptions,
  LambdaUpdateFailure,
} from './lambda';
export {
  createLambdaHandler,
  LAMBDA_ERROR,
  LAMBDA_OPERATIONS,
  LAMBDA_PATH_PREFIX,
  LambdaService,
} from './lambda';
export type { DecodedCall, HttpRequest, HttpResponse, ProtocolHandler } from './protocol';
export type { QueryServiceOptions } from './query-protocol';
export { createQueryHandler, decodeQueryForm, toQueryXml } from './query-protocol';
export type { RandomPasswordOptions } from './random-password';
export { generateRandomPassword } from './random-password';
export type {
  RdsClusterMemberOptions,
  RdsClusterOptions,
  RdsErrorKind,
  RdsInstanceOptions,
  RdsOperation,
  RdsOptions,
} from './rds';
export {
  createRdsHandler,
  RDS_ERROR,
  RDS_OPERATIONS,
  RDS_VERSION,
  RDS_XMLNS,
  RdsService,
  rdsError,
  toRdsXml,
} from './rds';
export type { RestJsonRoute, RestJsonServiceOptions } from './rest-json-protocol';
export { createRestJsonHandler } from './rest-json-protocol';
export type {
  RotationLambdaEvent,
  RotationLambdaHandler,
  RotationRetryOptions,
  RotationRun,
  RotationRunResult,
  RotationStep,
  StepInvocation,
} from './rotation-driver';
export { driveRotation, ROTATION_STEPS } from './rotation-driver';
export type {
  FunctionAccess,
  RotationOutcome,
  RotationRecord,
  SecretsManagerOperation,
  SecretsManagerOptions,
} from './secrets-manager';
export {
  createSecretsManagerHandler,
  SECRETS_MANAGER_OPERATIONS,
  SECRETS_MANAGER_TARGET_PREFIX,
  SecretsManagerService,
  STAGE,
} from './secrets-manager';
export type { Emulator, EmulatorLogEntry, EmulatorOptions } from './server';
export { startEmulator } from './server';
export type { SfnOperation, TaskTokenStatus, WaitForTaskTokenOptions } from './sfn';
export {
  createStepFunctionsHandler,
  SFN_ERROR,
  SFN_OPERATIONS,
  SFN_TARGET_PREFIX,
  StepFunctionsService,
  TASK_FAILURE,
  TaskFailedError,
} from './sfn';
export type {
  AslDefinition,
  SfnExecutionOperation,
  StateMachinesOptions,
  TaskFunction,
  TaskTokens,
} from './sfn-executions';
export {
  adaptDefinitionForRunner,
  allStates,
  SFN_EXECUTION_ERROR,
  SFN_EXECUTION_OPERATIONS,
  StateMachines,
} from './sfn-executions';
export type { PublishedMessage, SnsOperation, SnsOptions } from './sns';
export { createSnsHandler, SNS_ERROR, SNS_OPERATIONS, SNS_VERSION, SNS_XMLNS, SnsService } from './sns';
export type { ParameterSnapshot, SsmOperation, SsmOptions } from './ssm';
export { createSsmHandler, SSM_ERROR, SSM_OPERATIONS, SSM_TARGET_PREFIX, SsmService } from './ssm';
export type { StsOperation } from './sts';
export { createStsHandler, STS_OPERATIONS, STS_VERSION, STS_XMLNS, StsService } from './sts';
