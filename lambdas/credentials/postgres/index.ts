export { alternatingUsersStrategy, planSet } from './alternating-users';
export type {
  PostgresClient,
  PostgresConnect,
  PostgresConnectionConfig,
  RoundTripHook,
  RoundTripKind,
} from './connection';
export { ConnectionError, connectWithPg } from './connection';
export { POSTGRES_MODES, type PostgresMode, type PostgresSettings, postgresContract } from './contract';
export type { PostgresStrategyOptions } from './options';
export { postgresOptionsFromEnv } from './options';
export type { PostgresCredentials, PostgresSecret } from './schema';
export {
  baseUsername,
  cloneUsername,
  MAX_IDENTIFIER_BYTES,
  parsePostgresCredentials,
  parsePostgresSecret,
  serializePostgresSecret,
  toggleUsername,
} from './schema';
export { scramSha256Verifier } from './scram';
export { quoteIdent, quoteLiteral } from './sql';
export { createPostgresStrategy } from './strategy';
export type { PostgresTlsOptions, TlsMode } from './tls';
export { loadRdsCaBundle, TLS_MODES } from './tls';
