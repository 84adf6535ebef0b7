import type { CredentialType } from '../rotation/constants';
import type { CredentialStrategy } from '../rotation/strategy';
import { apiKeyOptionsFromEnv, createApiKeyStrategy } from './api-key';
import { createIamAccessKeyStrategy, iamAccessKeyOptionsFromEnv } from './iam-access-key';
import { createMysqlStrategy, mysqlOptionsFromEnv } from './mysql';
import { createPostgresStrategy, postgresOptionsFromEnv } from './postgres';
import { createSharedKeyStrategy, sharedKeyOptionsFromEnv } from './shared-key';

type Env = Readonly<Record<string, string | undefined>>;

/** Builds a credential type's strategy from the environment its Lambda runs with. */
export type StrategyFactory = (env: Env) => CredentialStrategy<unknown>;

const erase = <S>(strategy: CredentialStrategy<S>) => strategy as CredentialStrategy<unknown>;

/**
 * Every credential type and how to build its strategy. An exhaustive `Record`: a new type in
 * `CREDENTIAL_TYPES` does not compile until it is registered here.
 */
export const STRATEGIES: Readonly<Record<CredentialType, StrategyFactory>> = {
  postgres: (env) => erase(createPostgresStrategy(postgresOptionsFromEnv(env))),
  mysql: (env) => erase(createMysqlStrategy(mysqlOptionsFromEnv(env))),
  'iam-access-key': (env) => erase(createIamAccessKeyStrategy(iamAccessKeyOptionsFromEnv(env))),
  'api-key': (env) => erase(createApiKeyStrategy(apiKeyOptionsFromEnv(env))),
  'shared-key': (env) => erase(createSharedKeyStrategy(sharedKeyOptionsFromEnv(env))),
};
