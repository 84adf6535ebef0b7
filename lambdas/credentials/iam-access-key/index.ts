export { IAM_ACCESS_KEY_ENV, iamAccessKeyOptionsFromEnv } from './env';
export type { CallerIdentity, IamApi, KeyInfo, LastUse } from './iam-api';
export { awsErrorCode, createIamApi } from './iam-api';
export type {
  AccessKeyCredentials,
  ActivePreviousKeyPolicy,
  IamAccessKeyStrategyOptions,
  IamApiCall,
  IamSend,
  StsClientFactory,
  StsSend,
} from './options';
export { ACTIVE_PREVIOUS_KEY_POLICIES } from './options';
export type { AccessKeySecret } from './schema';
export {
  FIELD_SPELLINGS,
  maskAccessKeyId,
  maskAccessKeyIds,
  parseAccessKeySecret,
  serializeAccessKeySecret,
} from './schema';
export { createIamAccessKeyStrategy } from './strategy';
