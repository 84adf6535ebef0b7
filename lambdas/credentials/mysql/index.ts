export type { RoundTripHook, RoundTripKind } from '../database/round-trip';
export type { TlsMode } from '../database/tls';
export { loadRdsCaBundle, TLS_MODES } from '../database/tls';
export type { AccountRow, AccountState, AlternatingState } from './alternating-users';
export { alternatingUsersStrategy, limitsClause, planSet, requireClause } from './alternating-users';
export type { LoginTarget, MysqlClient, MysqlConnect, MysqlConnectionConfig } from './connection';
export { ConnectionError, connectWithMysql2, HELLO_SQL, isLoginRejected } from './connection';
export { MYSQL_MODES, type MysqlMode, type MysqlSettings, mysqlContract } from './contract';
export { DISCARD_STATEMENT, dualPasswordStrategy, retainStatement } from './dual-password';
export type { GrantEntry, GrantSet } from './grants';
export { GrantParseError, parseGrantLine, parseGrants, planGrantSync } from './grants';
export type { MysqlStrategyOptions } from './options';
export { mysqlOptionsFromEnv } from './options';
export type { MysqlCredentials, MysqlSecret } from './schema';
export {
  baseUsername,
  cloneUsername,
  DEFAULT_PORT,
  MAX_USERNAME_LENGTH,
  MYSQL_ENGINES,
  parseMysqlCredentials,
  parseMysqlSecret,
  serializeMysqlSecret,
  toggleUsername,
} from './schema';
export type { ServerInfo, ServerVariant } from './server';
export {
  assertDualPassword,
  maxUsernameLength,
  parseServerVersion,
  supportsDualPassword,
} from './server';
export { ownPasswordStatement, singleUserStrategy } from './single-user';
export type { Account, SqlMode } from './sql';
export { account, literal, nativePasswordHash, parseSqlMode } from './sql';
export { createMysqlStrategy } from './strategy';
export type { MysqlSslConfig, MysqlTlsOptions } from './tls';
export { mysqlSslConfig } from './tls';
