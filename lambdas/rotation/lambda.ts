import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createLogger, createRotationMetrics } from '../shared/observability';
import { isStrategyAction, runStrategyAction, type StrategyActionResult } from './actions';
import { createRotationHandler } from './engine';
import { ROLLOUTS_ENV, ROLLOUTS_TRACKED } from './interlock';
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
  /**
   * Every secret this function rotates is rolled out by a rollout workflow (the interlock's
   * never-recorded rule: `lambdas/rotation/interlock.ts`).
   * @default - `HANDOVER_ROLLOUTS=tracked` in the environment (the constructs set it)
   */
  readonly rolloutsTracked?: boolean;
}

/**
 * Wires a strategy to the engine with production dependencies: the composition root every
 * rotation Lambda's `handler.ts` calls once, at module scope. The same function serves Secrets
 * Manager's four steps (`{ Step, ... }`) and the rollout workflow's strategy actions
 * (`{ Action, ... }`: describe, inUse, revoke, restore), so both run with one role and network.
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
): (event: unknown) => Promise<StrategyActionResult | undefined> {
  const secrets = createSecretsManagerPort(options.client ?? new SecretsManagerClient({}));
  const logger = createLogger();
  const rotate = createRotationHandler({
    strategy,
    secrets,
    logger,
    metrics: createRotationMetrics(strategy.type),
    rolloutsTracked: options.rolloutsTracked ?? process.env[ROLLOUTS_ENV] === ROLLOUTS_TRACKED,
  });
  return (event) =>
    isStrategyAction(event)
      ? runStrategyAction(event, { strategy, secrets, logger })
      : rotate(event).then(() => undefined);
}
