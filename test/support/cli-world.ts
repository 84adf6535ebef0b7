import { PassThrough } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Prompter } from '../../cli/context';
import { type CliDeps, runCli } from '../../cli/run';
import { STRATEGIES } from '../../lambdas/credentials/registry';
import { createConsumerAdapters } from '../../lambdas/rollout/consumers';
import {
  type ConsumerConfig,
  type RolloutConfig,
  rolloutConfigParameterName,
} from '../../lambdas/rollout/contract';
import { createRolloutMetrics } from '../../lambdas/rollout/metrics';
import { createNotifier } from '../../lambdas/rollout/notify';
import { createRolloutHandler } from '../../lambdas/rollout/rollout-handler';
import { SECRETS_MANAGER_RETRY } from '../../lambdas/rollout/secret-state';
import { createRotationLambda } from '../../lambdas/rotation/lambda';
import { createLogger } from '../../lambdas/shared/observability';
import { generateSharedKey } from '../../lambdas/verifier';
import { type Emulator, type EmulatorOptions, startEmulator } from '../../local/emulator';
import { synthesizedDefinition } from '../../local/workflow/definition';
import { createLockTable } from '../../local/workflow/lock-table';
import { ALL_SERVICES, endpointVariable } from './aws-targets';
import { recordSecretMaterial } from './log-scan';

/** The rotation function of the world's shared-key secrets. */
export const SHARED_KEY_FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:handover-shared-key';

/** What one CLI run printed and exited with. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed, for `--json` runs. */
  json<T = Record<string, unknown>>(): T;
}

/** Options of one CLI run. */
export interface RunOptions {
  /** Answers to confirmations, in order. @default - every confirmation is refused */
  readonly confirm?: readonly boolean[];
  /** What the secret prompt reads. */
  readonly secret?: string;
  /** Text piped on stdin (instead of a prompter). */
  readonly stdin?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Aborting it is Ctrl-C. */
  readonly signal?: AbortSignal;
}

/**
 * The CLI's world: the AWS emulator with the SYNTHESIZED rollout state machine created in it
 * (CreateStateMachine) and run by its Step Functions, the real rollout function and the real
 * shared-key rotation function registered as its Lambda functions, and a helper that runs the CLI
 * in-process against it (the CLI's clients reach the emulator through the endpoint variables).
 */
export async function startCliWorld(
  options: { readonly emulator?: EmulatorOptions; readonly rotationTimeoutSeconds?: number } = {},
) {
  const emulator: Emulator = await startEmulator({
    rotation: { retries: 1, retryDelayMs: 0 },
    stepFunctions: { maxWaitMs: 20 },
    ...options.emulator,
  });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: emulator.endpoint,
    ...Object.fromEntries(ALL_SERVICES.map((service) => [endpointVariable(service), emulator.endpoint])),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const sm = new SecretsManagerClient({});
  const ssm = new SSMClient({});
  const sfn = new SFNClient({});
  const eventBridge = new EventBridgeClient({});
  const logger = createLogger();

  const rotation = createRotationLambda(
    STRATEGIES['shared-key']({ HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT: 'false' }),
  );
  emulator.registerRotationLambda(SHARED_KEY_FUNCTION_ARN, rotation);
  emulator.lambda.registerHandler(SHARED_KEY_FUNCTION_ARN, rotation);

  const { definition, rolloutFunctionArn } = synthesizedDefinition();
  const dynamodb = new DynamoDBClient({});
  const lockTable = await createLockTable(dynamodb, 'handover-cli-rollout-locks');
  const rollout = createRolloutHandler({
    // As the deployed rollout function builds it (lambdas/rollout/handler.ts).
    secretsManager: new SecretsManagerClient(SECRETS_MANAGER_RETRY),
    ssm,
    sfn,
    dynamodb,
    adapters: createConsumerAdapters({
      lambda: new LambdaClient({}),
      ecs: new ECSClient({}),
      ssm,
      eventBridge,
      secretsManager: sm,
      logger,
      options: { lambda: { pollIntervalMs: 10 }, webhook: { retryBaseMs: 10 } },
    }),
    notifier: createNotifier({ sns: new SNSClient({}), eventBridge, logger }),
    metrics: createRolloutMetrics(),
    logger,
    settings: { leaseSeconds: 3600, rotationTimeoutSeconds: options.rotationTimeoutSeconds ?? 20, lockTable },
  });
  emulator.lambda.registerHandler(rolloutFunctionArn, rollout);
  const machine = await sfn.send(
    new CreateStateMachineCommand({
      name: 'Handover-rollout',
      definition: JSON.stringify(definition),
      roleArn: 'arn:aws:iam::123456789012:role/handover-rollout',
    }),
  );

  const world = {
    emulator,
    sm,
    ssm,
    sfn,
    stateMachineArn: machine.stateMachineArn ?? '',
    rolloutFunctionArn,

    /**
     * A shared-key secret with rotation on and a rollout configuration (a policy covers it), each
     * consumer an SSM parameter mirror.
     */
    async managedSecret(
      name: string,
      settings: {
        readonly consumers?: readonly ConsumerConfig[];
        readonly tags?: Readonly<Record<string, string>>;
      } = {},
    ): Promise<{ arn: string; name: string }> {
      const arn = await world.unmanagedSecret(name, settings.tags);
      emulator.secretsManager.configureRotation(arn, SHARED_KEY_FUNCTION_ARN, {
        ScheduleExpression: 'rate(30 days)',
        Duration: '4h',
      });
      const config: RolloutConfig = {
        secretArn: arn,
        credentialType: 'shared-key',
        rotationFunctionArn: SHARED_KEY_FUNCTION_ARN,
        graceSeconds: 1,
        usageRecheckSeconds: 1,
        usageMaxChecks: 2,
        maxConcurrency: 4,
        consumers: settings.consumers ?? [],
      };
      await ssm.send(
        new PutParameterCommand({
          Name: rolloutConfigParameterName(name),
          Value: JSON.stringify(config),
          Type: 'String',
        }),
      );
      return { arn, name };
    },

    /** A shared-key secret no policy covers. */
    async unmanagedSecret(name: string, tags: Readonly<Record<string, string>> = {}): Promise<string> {
      const key = generateSharedKey();
      recordSecretMaterial(key);
      const created = await sm.send(
        new CreateSecretCommand({ Name: name, SecretString: JSON.stringify({ key }) }),
      );
      const arn = created.ARN ?? '';
      if (Object.keys(tags).length > 0) {
        await sm.send(
          new TagResourceCommand({
            SecretId: arn,
            Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
          }),
        );
      }
      return arn;
    },

    /** Runs `handover <argv>` in-process against the emulator. */
    async run(argv: readonly string[], run: RunOptions = {}): Promise<CliRun> {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      stdout.on('data', (chunk: Buffer) => out.push(chunk));
      stderr.on('data', (chunk: Buffer) => err.push(chunk));
      const answers = [...(run.confirm ?? [])];
      const prompt: Prompter = {
        confirm: async () => answers.shift() ?? false,
        secret: async () => {
          if (run.secret === undefined) throw new Error('the test gave no secret to type');
          return run.secret;
        },
      };
      const stdin = Object.assign(new PassThrough(), { isTTY: false });
      stdin.end(run.stdin ?? '');
      const deps: CliDeps = {
        stdout,
        stderr,
        stdin,
        env: { ...process.env, HANDOVER_POLL_INTERVAL_MS: '25', ...run.env },
        ...(run.stdin === undefined ? { prompt } : {}),
        ...(run.signal === undefined ? {} : { signal: run.signal }),
      };
      const code = await runCli(argv, deps);
      const text = Buffer.concat(out).toString('utf8');
      return {
        code,
        stdout: text,
        stderr: Buffer.concat(err).toString('utf8'),
        json: <T>() => JSON.parse(text) as T,
      };
    },

    async close() {
      sm.destroy();
      ssm.destroy();
      sfn.destroy();
      eventBridge.destroy();
      await emulator.close();
    },
  };
  return world;
}

export type CliWorld = Awaited<ReturnType<typeof startCliWorld>>;
