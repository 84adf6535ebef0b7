import { setTimeout as sleep } from 'node:timers/promises';
import { AddPermissionCommand, GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  type RotationRulesType,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  driveRotation,
  type Emulator,
  ROTATION_STEPS,
  type RotationLambdaHandler,
  type RotationOutcome,
  type StepInvocation,
} from '../../local/emulator';
import { createNoOpFunction } from './lambda-functions';

/** How a test asks for a rotation. */
export interface RotateOptions {
  /** RotateSecret's `ClientRequestToken` (to resume a rotation). @default - a new token */
  readonly token?: string;
  /** RotateSecret's `RotateImmediately`. @default true */
  readonly immediately?: boolean;
  /** @default { AutomaticallyAfterDays: 30 } */
  readonly rules?: RotationRulesType;
}

/**
 * Secrets Manager's part of a rotation, whoever plays it: the in-process emulator (RotateSecret
 * runs the registered handler), or, for any other endpoint, this harness as the AWS documentation
 * describes the service.
 */
export interface RotationTarget {
  /**
   * Makes `handler` the rotation function called `name`; returns the function ARN to name in
   * RotateSecret. Against another endpoint, a function is registered through the Lambda API first
   * (a no-op: the harness runs the handler in-process).
   */
  register(name: string, handler: RotationLambdaHandler): Promise<string>;
  /** RotateSecret, then the rotation's steps as the service runs them; resolves when it settled. */
  rotate(secretId: string, functionArn: string, options?: RotateOptions): Promise<RotationOutcome>;
}

/** How long the harness waits for another endpoint to run the steps itself. */
export const ROTATION_WAIT_VARIABLE = 'HANDOVER_TEST_ROTATION_WAIT_MS';

/** The service's retries of a failing step, as the emulator is configured for tests: 2 retries, no delay. */
const STEP_RETRY = { retries: 2, retryDelayMs: 0 } as const;

/**
 * The in-process emulator plays the service: handlers are registered with it, RotateSecret runs
 * them, and `waitForRotation` reports how the rotation went.
 */
export function emulatorRotationTarget(
  emulator: Emulator,
  client: SecretsManagerClient,
  where: { readonly region: string; readonly accountId: string },
): RotationTarget {
  return {
    async register(name, handler) {
      const arn = `arn:aws:lambda:${where.region}:${where.accountId}:function:handover-test-${name}`;
      emulator.registerRotationLambda(arn, handler);
      return arn;
    },
    async rotate(secretId, functionArn, options = {}) {
      const rotated = await client.send(rotateCommand(secretId, functionArn, options));
      return emulator.secretsManager.waitForRotation(rotated.ARN ?? secretId);
    },
  };
}

function rotateCommand(secretId: string, functionArn: string, options: RotateOptions): RotateSecretCommand {
  return new RotateSecretCommand({
    SecretId: secretId,
    RotationLambdaARN: functionArn,
    RotationRules: options.rules ?? { AutomaticallyAfterDays: 30 },
    ...(options.token !== undefined && { ClientRequestToken: options.token }),
    ...(options.immediately !== undefined && { RotateImmediately: options.immediately }),
  });
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/**
 * The harness plays Secrets Manager for an endpoint it does not control, relying only on what the
 * AWS documentation promises:
 *
 * 1. `register` creates a no-op function through the Lambda API (role from
 *    `HANDOVER_TEST_LAMBDA_ROLE_ARN`, else `arn:aws:iam::<account>:role/handover-test-rotation`) and
 *    lets `secretsmanager.amazonaws.com` invoke it, since RotateSecret needs a function the service
 *    can invoke. An existing function or statement of that name is reused.
 * 2. `rotate` calls RotateSecret: the service creates the AWSPENDING version (its id is the
 *    response's `VersionId`) and turns rotation on.
 * 3. If the version is not AWSCURRENT within `HANDOVER_TEST_ROTATION_WAIT_MS` (default 500 ms), the
 *    target did not run the steps (it cannot run our handler), so the harness invokes
 *    createSecret, setSecret, testSecret and finishSecret in-process with that version, in order,
 *    retrying a failing step twice like the service. With `RotateImmediately=false` only testSecret
 *    runs, with a token that is no version, as the service does. The event has no `RotationToken`:
 *    only the service has one.
 */
export function harnessRotationTarget(deps: {
  readonly secretsManager: SecretsManagerClient;
  readonly lambda: LambdaClient;
  readonly accountId: () => Promise<string>;
  /** Whether Lambda has no endpoint of its own while Secrets Manager has (a function there is invisible to it). */
  readonly lambdaUnset: boolean;
}): RotationTarget {
  const handlers = new Map<string, RotationLambdaHandler>();
  const waitMs = Number(process.env[ROTATION_WAIT_VARIABLE] ?? 500);

  const ensureFunction = async (name: string): Promise<string> => {
    if (deps.lambdaUnset) {
      throw new Error(
        'Secrets Manager has an endpoint but Lambda has none: RotateSecret needs a function that Secrets ' +
          'Manager can invoke, registered on the same AWS. Give Lambda the same endpoint ' +
          '(AWS_ENDPOINT_URL_LAMBDA, or AWS_ENDPOINT_URL for every service).',
      );
    }
    const functionName = `handover-test-${name}`;
    let arn: string | undefined;
    try {
      arn = await createNoOpFunction(deps.lambda, {
        functionName,
        accountId: await deps.accountId(),
        description: 'Handover integration tests: a no-op rotation function; the tests run the steps',
      });
    } catch (error) {
      if (errorName(error) !== 'ResourceConflictException') throw error;
    }
    arn ??= (await deps.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName })))
      .FunctionArn;
    try {
      await deps.lambda.send(
        new AddPermissionCommand({
          FunctionName: functionName,
          StatementId: 'secretsmanager-invoke',
          Action: 'lambda:InvokeFunction',
          Principal: 'secretsmanager.amazonaws.com',
        }),
      );
    } catch (error) {
      if (errorName(error) !== 'ResourceConflictException') throw error;
    }
    if (arn === undefined) throw new Error(`Lambda returned no ARN for function ${functionName}`);
    return arn;
  };

  const isCurrent = async (secretArn: string, versionId: string): Promise<boolean> => {
    const described = await deps.secretsManager.send(new DescribeSecretCommand({ SecretId: secretArn }));
    return described.VersionIdsToStages?.[versionId]?.includes('AWSCURRENT') ?? false;
  };

  return {
    async register(name, handler) {
      const arn = await ensureFunction(name);
      handlers.set(arn, handler);
      return arn;
    },
    async rotate(secretId, functionArn, options = {}) {
      const handler = handlers.get(functionArn);
      if (handler === undefined) throw new Error(`no handler registered for ${functionArn}`);
      const rotated = await deps.secretsManager.send(rotateCommand(secretId, functionArn, options));
      const secretArn = rotated.ARN ?? secretId;
      const immediate = options.immediately ?? true;
      const versionId = immediate ? rotated.VersionId : crypto.randomUUID();
      if (versionId === undefined) throw new Error(`RotateSecret of ${secretArn} returned no VersionId`);
      if (immediate) {
        const deadline = Date.now() + waitMs;
        do {
          if (await isCurrent(secretArn, versionId)) return { status: 'succeeded', versionId, steps: [] };
          await sleep(Math.min(100, waitMs));
        } while (Date.now() < deadline);
      }
      const steps: StepInvocation[] = [];
      const result = await driveRotation({
        handler,
        steps: immediate ? ROTATION_STEPS : ['testSecret'],
        secretArn,
        clientRequestToken: versionId,
        retry: STEP_RETRY,
        onStep: (invocation) => steps.push(invocation),
        stopReason: () => undefined,
      });
      return result.ok
        ? { status: 'succeeded', versionId, steps }
        : { status: 'failed', versionId, steps, error: result.error };
    },
  };
}

/** Clients for {@link harnessRotationTarget}, from the standard endpoint variables. */
export function harnessClients(): { secretsManager: SecretsManagerClient; lambda: LambdaClient } {
  return { secretsManager: new SecretsManagerClient({}), lambda: new LambdaClient({}) };
}
