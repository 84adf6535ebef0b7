import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { PostgresMode } from '../../lambdas/credentials/postgres/options';
import { type Emulator, startEmulator } from '../../local/emulator';
import { startPostgres, type TestPostgres } from '../../local/postgres';
import { synthesizedDefinition } from '../../local/workflow/definition';
import { type LocalFunction, LocalStepFunctions } from '../../local/workflow/local-step-functions';
import { createLockTable } from '../../local/workflow/lock-table';
import { ALL_SERVICES, endpointVariable } from '../support/aws-targets';
import { type FaultProxy, startFaultProxy } from './proxy';

/** A Lambda timeout planned for one rotation step: killed at its n-th Secrets Manager call. */
export interface StepKill {
  readonly step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
  /** 1-based index of the step's Secrets Manager call the kill hits. */
  readonly call: number;
  /** `before` the call reaches Secrets Manager, or `after` it took effect (its answer never used). */
  readonly phase: 'before' | 'after';
}

/** A Lambda timeout planned for one task of the rollout function (the first invocation of it). */
export interface TaskKill {
  readonly task: string;
  readonly phase: 'before' | 'after';
}

/** An acting state entered by an execution that did not hold the secret's lock at that moment. */
export interface ActingOutsideLock {
  readonly execution: string;
  readonly secretArn: string;
  readonly state: string;
  readonly holder: string | undefined;
}

/**
 * The states in which a rollout acts on a secret or its consumers: each must be entered only by
 * the execution that holds the secret's lock.
 */
export const ACTING_STATES: ReadonlySet<string> = new Set([
  'Start rotation',
  'Canary: update and verify consumer',
  'Main: update and verify consumer',
  'Revoke old credential',
  'Revoke compromised credential',
  'Roll back',
  'Restore old credential',
  'Re-point: update and verify consumer',
]);

export const LOCK_TABLE = 'handover-chaos-locks';
export const functionArn = (mode: PostgresMode) =>
  `arn:aws:lambda:us-east-1:123456789012:function:chaos-postgres-${mode}`;

const timedOut = () =>
  Object.assign(new Error('Task timed out after 30.00 seconds'), { name: 'Sandbox.Timedout' });

/**
 * The fault schedules' world, started once for a whole run: real PostgreSQL (TLS) behind a fault
 * proxy for the rotation functions, the AWS emulator over HTTP (faults injected there reach the
 * real SDK clients of both functions), the lock table, the real alternating-users and single-user
 * rotation functions (each step killable at any of its Secrets Manager calls), the real rollout
 * function (each task killable), and the synthesized state machine run locally with every wait and
 * retry interval at zero. The harness itself reads the emulator's models in-process, so no fault
 * it injects can blind it. Powertools' JSON log lines are captured, not printed.
 */
export async function startChaosWorld() {
  const database: TestPostgres = await startPostgres();
  const proxy: FaultProxy = await startFaultProxy({ host: '127.0.0.1', port: database.port });
  const emulator: Emulator = await startEmulator({
    rotation: { retries: 2, retryDelayMs: 0 },
    lambda: { updateDelayMs: 0 },
  });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: emulator.endpoint,
    ...Object.fromEntries(ALL_SERVICES.map((service) => [endpointVariable(service), emulator.endpoint])),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const work = mkdtempSync(join(tmpdir(), 'handover-chaos-'));
  const caFile = join(work, 'ca.pem');
  writeFileSync(caFile, database.ca);

  // Powertools writes JSON lines to stdout and stderr: keep them for the invariants, print the rest
  // (and them too with HANDOVER_CHAOS_LOGS=1, to read a replayed schedule).
  const logs: Array<Record<string, unknown>> = [];
  const showLogs = process.env.HANDOVER_CHAOS_LOGS === '1';
  const capture = (stream: NodeJS.WriteStream) => {
    const original = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      if (text.startsWith('{"level"') || text.startsWith('{"_aws"')) {
        for (const line of text.split('\n')) {
          if (line.startsWith('{"level"')) logs.push(JSON.parse(line) as Record<string, unknown>);
        }
        return showLogs ? (original as (...args: unknown[]) => boolean)(chunk, ...rest) : true;
      }
      return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    return () => {
      stream.write = original as typeof stream.write;
    };
  };
  const write = process.stdout.write.bind(process.stdout);
  const restore = [capture(process.stdout), capture(process.stderr)];

  // Imported only now: the functions read the environment set above.
  const { createRotationLambda } = await import('../../lambdas/rotation/lambda');
  const { STRATEGIES } = await import('../../lambdas/credentials/registry');
  const { createRolloutHandler } = await import('../../lambdas/rollout/rollout-handler');
  const { createConsumerAdapters } = await import('../../lambdas/rollout/consumers');
  const { createNotifier } = await import('../../lambdas/rollout/notify');
  const { createLogger } = await import('../../lambdas/shared/observability');

  const dynamodb = new DynamoDBClient({});
  await createLockTable(dynamodb, LOCK_TABLE);

  // A step killed midway: the kill plan hits the n-th Secrets Manager call of one invocation.
  const invocation = new AsyncLocalStorage<{ step: string; calls: number }>();
  const plans: { step?: StepKill & { used?: boolean }; task?: TaskKill & { used?: boolean } } = {};
  const realSecretsManager = new SecretsManagerClient({});
  const killable = {
    send: (async (command: never) => {
      const context = invocation.getStore();
      const plan = plans.step;
      if (context !== undefined && plan !== undefined && !plan.used && plan.step === context.step) {
        context.calls += 1;
        if (context.calls === plan.call) {
          plan.used = true;
          if (plan.phase === 'after') await realSecretsManager.send(command);
          throw timedOut();
        }
      }
      return realSecretsManager.send(command);
    }) as SecretsManagerClient['send'],
  };

  const hooks: { onStep?: (functionArn: string, step: string) => void } = {};
  const rotationFunctions = new Map<PostgresMode, LocalFunction>();
  for (const mode of ['alternating-users', 'single-user'] as const) {
    const lambda = createRotationLambda(
      STRATEGIES.postgres({
        HANDOVER_POSTGRES_MODE: mode,
        HANDOVER_TLS_MODE: 'verify-full',
        HANDOVER_TLS_CA_FILE: caFile,
      }),
      // As the constructs deploy it: every secret is rolled out by the workflow.
      { client: killable, rolloutsTracked: true },
    );
    rotationFunctions.set(mode, lambda as LocalFunction);
    emulator.registerRotationLambda(functionArn(mode), (event) =>
      invocation.run({ step: event.Step, calls: 0 }, () => {
        hooks.onStep?.(functionArn(mode), event.Step);
        return lambda(event);
      }),
    );
  }

  const { definition, rolloutFunctionArn } = synthesizedDefinition();
  const functions = new Map<string, LocalFunction>();
  const listeners = new Map<string, (state: string) => void>();
  const executionSecret = new Map<string, string>();
  const actingOutsideLock: ActingOutsideLock[] = [];
  const holderOf = (secretArn: string) =>
    emulator.dynamodb
      .items(LOCK_TABLE)
      .find((item) => (item.secretArn as { S?: string } | undefined)?.S === secretArn)?.holder as
      | { S?: string }
      | undefined;
  const local = new LocalStepFunctions(definition, {
    functions,
    tokens: emulator.stepFunctions,
    waitMs: { 'Wait for rotation': 10 },
    onStateEntered: (record, state) => {
      const secretArn = executionSecret.get(record.arn);
      if (secretArn !== undefined && ACTING_STATES.has(state)) {
        const holder = holderOf(secretArn)?.S;
        if (holder !== record.arn)
          actingOutsideLock.push({ execution: record.arn, secretArn, state, holder });
      }
      listeners.get(record.arn)?.(state);
    },
  });
  const logger = createLogger();
  const ssm = new SSMClient({});
  const eventBridge = new EventBridgeClient({});
  const settings = { leaseSeconds: 3600, rotationTimeoutSeconds: 2, lockTable: LOCK_TABLE };
  const rollout = createRolloutHandler({
    secretsManager: new SecretsManagerClient({}),
    ssm,
    sfn: local.sfn,
    dynamodb,
    adapters: createConsumerAdapters({
      lambda: new LambdaClient({}),
      ecs: new ECSClient({}),
      ssm,
      eventBridge,
      secretsManager: new SecretsManagerClient({}),
      logger,
      options: { lambda: { pollIntervalMs: 5 }, webhook: { retryBaseMs: 5 } },
    }),
    notifier: createNotifier({
      sns: new SNSClient({}),
      eventBridge,
      topicArn: emulator.sns.createTopic('handover-chaos'),
      logger,
    }),
    metrics: {
      consumerUpdateFailed() {},
      oldCredentialStillInUse() {},
      rollout() {},
      lockLost() {},
      emergencyRollout() {},
      undeclaredReaders() {},
    },
    logger,
    settings,
  });
  functions.set(rolloutFunctionArn, async (payload) => {
    const plan = plans.task;
    const task = (payload as { Task?: string }).Task;
    if (plan !== undefined && !plan.used && plan.task === task) {
      plan.used = true;
      if (plan.phase === 'after') await rollout(payload);
      throw timedOut();
    }
    return rollout(payload);
  });
  for (const [mode, lambda] of rotationFunctions) functions.set(functionArn(mode), lambda);

  // The master user: the superuser, reached through the proxy like every rotation connection.
  const master = emulator.secretsManager.invoke('CreateSecret', {
    Name: 'chaos/master',
    SecretString: JSON.stringify({
      engine: 'postgres',
      host: 'localhost',
      port: proxy.port,
      dbname: 'postgres',
      ...database.superuser,
    }),
  }) as { ARN: string };

  return {
    database,
    proxy,
    emulator,
    local,
    logs,
    actingOutsideLock,
    masterArn: master.ARN,
    settings,
    /** Prints past the log capture. */
    print: (text: string) => write(text),
    /** Sets the kill plans of the next schedule (or clears them). */
    plan(step: StepKill | undefined, task: TaskKill | undefined) {
      plans.step = step === undefined ? undefined : { ...step };
      plans.task = task === undefined ? undefined : { ...task };
    },
    /** Called when a rotation step of a function starts (the "second action" trigger). */
    onStep(listener: ((functionArn: string, step: string) => void) | undefined) {
      hooks.onStep = listener;
    },
    /** Starts an execution of the rollout state machine for a secret, with a state listener. */
    startExecution(secretArn: string, input: unknown, name: string, onState?: (state: string) => void) {
      const arn = LocalStepFunctions.executionArn(name);
      executionSecret.set(arn, secretArn);
      if (onState !== undefined) listeners.set(arn, onState);
      const started = local.start(input, name, { 'Grace window': 15 });
      return started;
    },
    async close() {
      for (const undo of restore) undo();
      await emulator.close();
      await proxy.close();
      await database.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export type ChaosWorld = Awaited<ReturnType<typeof startChaosWorld>>;
