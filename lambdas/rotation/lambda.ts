import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger, createRotationMetrics } from '../shared/observability';
import { createRotationHandler } from './engine';
import { createSecretsManagerPort, type SecretsManagerSend } from './secrets-port';
import type { CredentialStrategy } from './strategy';

/** Optional overrides of {@link createRotationLambda}; production passes none. */
export interface RotationLambdaOptions {
  /**
   * The Secrets Manager client.
   * @default - an SDK client configured from the environment (region, credentials, and the
   * standard endpoint variables `AWS_ENDPOINT_URL` / `AWS_ENDPOINT_URL_SECRETS_MANAGER`)
   */
  readonly client?: SecretsManagerSend;
}

/**
 * Wires a strategy to the engine with production dependencies: the composition root every
 * rotation Lambda's `handler.ts` calls once, at module scope.
 *
 * @example
 * ```ts
 * // lambdas/credentials/postgres/handler.ts
 * export const handler = createRotationLambda(createPostgresStrategy(postgresOptionsFromEnv()));
 * ```
 */
export function createRotationLambda<S>(
  strategy: CredentialStrategy<S>,
  options: RotationLambdaOptions = {},
): (event: unknown) => Promise<void> {
  return createRotationHandler({
    strategy,
    secrets: createSecretsManagerPort(options.client ?? new SecretsManagerClient({})),
    logger: createLogger(),
    metrics: createRotationMetrics(strategy.type),
  });
}
