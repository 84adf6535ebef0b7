import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import { type ConsumerAdapterOptions, createConsumerAdapters } from '../../../../lambdas/rollout/consumers';
import type { ConsumerUpdate } from '../../../../lambdas/rollout/contract';
import { createLogger } from '../../../../lambdas/shared/observability';
import type { EmulatorOptions } from '../../../../local/emulator';
import { startAws } from '../../../support/aws';
import { createNoOpFunction, RUN_ID } from '../../../support/lambda-functions';
import { recordSecretMaterial } from '../../../support/log-scan';
import { readParameter } from '../../../support/ssm-parameters';

/** Fast polling and backoff, so the bounded waits stay short in tests. */
export const FAST: ConsumerAdapterOptions = {
  lambda: { pollIntervalMs: 20, updateTimeoutMs: 5000, conflictBackoffMs: 20 },
  webhook: { attempts: 3, retryBaseMs: 20, maxRetryDelayMs: 100 },
};

/**
 * One test file's world: Secrets Manager, Lambda, SSM, EventBridge and Step Functions where the run
 * says (endpoints given, or the emulator), reached by every SDK client through the STANDARD
 * endpoint variables (as the rollout task handlers' clients read them), the real adapters built by
 * `createConsumerAdapters` with the real Powertools logger (its output goes through the suite-wide
 * log scan), and helpers to create secrets, functions and read parameters through the public API.
 */
export async function startConsumerWorld(options: EmulatorOptions = {}) {
  const aws = await startAws({
    services: ['secretsmanager', 'lambda', 'ssm', 'eventbridge', 'sfn'],
    emulator: { rotation: { retries: 0, retryDelayMs: 0 }, ...options },
  });
  // No endpoint here: each client resolves it from the standard variables. One attempt, so an
  // injected fault fails the call instead of being retried away by the SDK.
  const clients = {
    lambda: new LambdaClient({ maxAttempts: 1 }),
    ecs: new ECSClient({ maxAttempts: 1 }),
    ssm: new SSMClient({ maxAttempts: 1 }),
    eventBridge: new EventBridgeClient({ maxAttempts: 1 }),
    secretsManager: new SecretsManagerClient({ maxAttempts: 1 }),
    sfn: new SFNClient({ maxAttempts: 1 }),
  };
  const adapters = createConsumerAdapters({ ...clients, logger: createLogger(), options: FAST });
  let secrets = 0;

  return {
    aws,
    /** The in-process emulator; for the emulator-only tests. */
    get emulator() {
      return aws.requireEmulator();
    },
    clients,
    adapters,
    /** A name unique to this run, so that runs against the same endpoint do not collide. */
    unique(name: string): string {
      return `${name}-${RUN_ID}`;
    },
    /** Creates a function through the Lambda API with these variables; returns its name. */
    async createFunction(name: string, environment: Readonly<Record<string, string>>): Promise<string> {
      const functionName = `${name}-${RUN_ID}`;
      await createNoOpFunction(clients.lambda, {
        functionName,
        accountId: await aws.accountId(),
        environment,
      });
      return functionName;
    },
    /** The function's configuration through the public API. */
    async functionConfiguration(functionName: string) {
      return clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    },
    /** The parameter's latest version through the public API; `undefined` when there is none. */
    parameter: (name: string) => readParameter(clients.ssm, name),
    /**
     * Creates a secret with two versions and returns the ARN and both version ids; both values are
     * recorded for the log scan.
     */
    async createSecret(oldValue: string, newValue: string) {
      recordSecretMaterial(oldValue, newValue);
      secrets += 1;
      const created = await clients.secretsManager.send(
        new CreateSecretCommand({
          Name: `consumers/secret-${secrets}-${crypto.randomUUID()}`,
          SecretString: oldValue,
        }),
      );
      const put = await clients.secretsManager.send(
        new PutSecretValueCommand({ SecretId: created.ARN, SecretString: newValue }),
      );
      return { arn: created.ARN ?? '', oldVersion: created.VersionId ?? '', newVersion: put.VersionId ?? '' };
    },
    /** A rollout update to `versionId` of `secretArn`. */
    update(secretArn: string, versionId: string, overrides: Partial<ConsumerUpdate> = {}): ConsumerUpdate {
      return {
        secretArn,
        versionId,
        rolloutId: `rollout-${crypto.randomUUID()}`,
        mode: 'scheduled',
        ...overrides,
      };
    },
    async close() {
      for (const client of Object.values(clients)) client.destroy();
      await aws.close();
    },
  };
}

export type ConsumerWorld = Awaited<ReturnType<typeof startConsumerWorld>>;

/** Resolves with the error a promise rejects with; fails when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`rejected with a non-Error: ${String(error)}`);
  }
  throw new Error('expected a rejection, but the promise resolved');
}
