import type { CredentialType } from '../rotation/constants';
import type { CredentialStrategy } from '../rotation/strategy';
import { createPostgresStrategy, postgresOptionsFromEnv } from './postgres';

type Env = Readonly<Record<string, string | undefined>>;

/** Builds a credential type's strategy from the environment its Lambda runs with. */
export type StrategyFactory = (env: Env) => CredentialStrategy<unknown>;

/**
 * Every credential type and how to build its strategy. An exhaustive `Record`: a new type in
 * `CREDENTIAL_TYPES` does not compile until it is registered here.
 */
export const STRATEGIES: Readonly<Record<CredentialType, StrategyFactory>> = {
  postgres: (env) => createPostgresStrategy(postgresOptionsFromEnv(env)) as CredentialStrategy<unknown>,
};
