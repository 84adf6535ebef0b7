export {
  ACTIVE_PREVIOUS_KEY_POLICIES,
  type ActivePreviousKeyPolicy,
  type IamAccessKeySettings,
  iamAccessKeyContract,
} from './contract';
export type { CallerIdentity, IamApi, KeyInfo, LastUse } from './iam-api';
export { awsErrorCode, createIamApi } from './iam-api';
export type {
  AccessKeyCredentials,
  IamAccessKeyStrategyOptions,
  IamApiCall,
  IamSend,
  StsClientFactory,
  StsSend,
} from './options';
export { iamAccessKeyOptionsFromEnv } from './options';
export type { AccessKeySecret } from './schema';
export {
  FIELD_SPELLINGS,
  maskAccessKeyId,
  maskAccessKeyIds,
  parseAccessKeySecret,
  serializeAccessKeySecret,
} from './schema';
export { createIamAccessKeyStrategy } from './strategy';
