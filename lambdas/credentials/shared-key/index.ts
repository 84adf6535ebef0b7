export { type SharedKeySettings, sharedKeyContract } from './contract';
export type { CloudWatchSend, SharedKeyStrategyOptions } from './options';
export { sharedKeyOptionsFromEnv } from './options';
export type { SharedKeySecret } from './schema';
export {
  parseSharedKeySecret,
  secretPartOf,
  serializeSharedKeySecret,
  sharedKeySecretSchema,
} from './schema';
export { RESTORE_SEARCH_LIMIT } from './stages';
export { createSharedKeyStrategy } from './strategy';
export type { UsageQuery } from './usage';
export { readPreviousKeyUsage, usagePeriodSeconds } from './usage';
