/**
 * The AWS-free sandbox (`npm start`): a real PostgreSQL server with TLS, the AWS emulator over
 * HTTP, the real rotation Lambda code, the real rollout function and the SYNTHESIZED rollout state
 * machine executed locally. It rotates a single-user and an alternating-users secret several times
 * while a pool of clients keeps logging in with whatever AWSCURRENT holds; every alternating-users
 * rotation is followed by the rollout workflow (an SSM parameter mirror as canary, a signed-webhook
 * receiver, a shortened grace window, the usage gate, revocation). A shared key is rotated too,
 * while the clients of a `node:http` service using the verifier send requests with it, and rolled
 * out the same way. It prints a timeline, the failed requests per client kind, and the state
 * transitions and Step Functions cost per rollout.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import pg from 'pg';
import type { PostgresMode } from '../lambdas/credentials/postgres/options';
import { quoteIdent, quoteLiteral } from '../lambdas/credentials/postgres/sql';
import {
  type ConsumerConfig,
  type RolloutConfig,
  rolloutConfigParameterName,
} from '../lambdas/rollout/contract';
import { createCloudWatchMetricsSink, createVerifier, generateSharedKey } from '../lambdas/verifier';
import { createAuthServer } from '../lambdas/verifier/examples/node-http';
import { verifyWebhookSignature } from '../lambdas/webhooks/signature';
import type { StepInvocation } from './emulator';
import { startEmulator } from './emulator';
import { startPostgres } from './postgres';
import { synthesizedDefinition } from './workflow/definition';
import { rotationSucceededEvent } from './workflow/events';
import {
  type ExecutionRecord,
  type LocalFunction,
  LocalStepFunctions,
} from './workflow/local-step-functions';

export interface SandboxOptions {
  /** Rotations per PostgreSQL secret (the shared key rotates once). @default 3 */
  readonly rounds?: number;
  /** Database clients per strategy that keep logging in, and clients of the orders service. @default 4 */
  readonly clientsPerStrategy?: number;
  /** How long a client caches the secret value before reading it again, in ms. @default 200 */
  readonly cacheMs?: number;
  /**
   * The rollout's grace window, in ms (the Wait state is shortened to it; the definition's seconds
   * are not slept). Longer than `cacheMs`, so every client has re-read AWSCURRENT before the gate.
   * @default 600
   */
  readonly graceMs?: number;
  /** Print the timeline and summary. @default true */
  readonly print?: boolean;
  /** Let the Lambda's JSON logs and metrics through. @default false */
  readonly verbose?: boolean;
}

export interface StrategySummary {
  readonly mode: PostgresMode;
  readonly rotations: number;
  readonly rotationsFailed: number;
  readonly logins: number;
  readonly failedLogins: number;
  /** Milliseconds between the first and the last failed login, if any failed. */
  readonly failureWindowMs: number;
}

/** One execution of the rollout workflow after an alternating-users rotation. */
export interface RolloutSummary {
  /** The rotated secret: the alternating-users PostgreSQL secret or the shared key. */
  readonly secret: 'postgres' | 'shared-key';
  readonly round: number;
  readonly status: ExecutionRecord['status'];
  /** The Fail state's error, when the execution failed (e.g. `Handover.OldCredentialStillInUse`). */
  readonly error?: string;
  /** Billable state transitions of the execution. */
  readonly transitions: number;
  /** At Standard pricing, $0.025 per 1,000 state transitions. */
  readonly costUsd: number;
  /** Usage checks the gate ran before deciding. */
  readonly usageChecks: number;
  /** The old credential was revoked, and it no longer logs in. */
  readonly revoked: boolean;
  /** The consumers found on the new version afterwards (`mirror`: the SSM parameter, `partner`: the webhook). */
  readonly consumersUpdated: readonly string[];
}

/** Requests one kind of client sent during the whole run, and how many failed. */
export interface ClientSummary {
  readonly kind: 'database-pool' | 'orders-service-client' | 'webhook-receiver';
  readonly requests: number;
  readonly failed: number;
}

export interface SandboxResult {
  readonly strategies: readonly StrategySummary[];
  readonly rollouts: readonly RolloutSummary[];
  /** The zero-downtime paths' clients (alternating-users and its consumers). */
  readonly clients: readonly ClientSummary[];
  readonly durationMs: number;
}

/** Step Functions Standard workflows: $0.025 per 1,000 state transitions. */
export const STANDARD_PRICE_PER_TRANSITION_USD = 0.025 / 1000;

const LAMBDA_ARN = (mode: PostgresMode) =>
  `arn:aws:lambda:us-east-1:123456789012:function:handover-postgres-${mode}`;
const MODES: readonly PostgresMode[] = ['single-user', 'alternating-users'];

/** Runs the sandbox and returns what it measured. Cleans up after itself, even on failure. */
export async function runSandbox(options: SandboxOptions = {}): Promise<SandboxResult> {
  const rounds = options.rounds ?? 3;
  const clientsPerStrategy = options.clientsPerStrategy ?? 4;
  const cacheMs = options.cacheMs ?? 200;
  const graceMs = options.graceMs ?? 600;
  const print = options.print ?? true;
  const out = (line: string) => {
    if (print) process.stdout.write(`${line}\n`);
  };
  const started = performance.now();
  const elapsed = () => `+${((performance.now() - started) / 1000).toFixed(3)}s`.padStart(9);

  if (!options.verbose) {
    // The timeline shows every failure; the functions' JSON logs are for --verbose.
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  }
  const work = mkdtempSync(join(tmpdir(), 'handover-sandbox-'));
  const database = await startPostgres();
  const emulator = await startEmulator({
    rotation: { retries: 2, retryDelayMs: 100 },
    lambda: { updateDelayMs: 0 },
  });
  const stops: Array<() => Promise<void>> = [];
  // The signed-webhook receiver: verifies every delivery's signature before answering 2xx.
  const webhook = { requests: 0, failed: 0, verified: new Set<string>() };
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      webhook.requests++;
      const body = Buffer.concat(chunks);
      const verdict = verifyWebhookSignature({
        headers: request.headers,
        body,
        keys: [WEBHOOK_SIGNING_KEY],
      });
      const payload = JSON.parse(body.toString('utf8')) as {
        consumer: string;
        phase: string;
        versionId: string;
      };
      if (!verdict.valid) webhook.failed++;
      else if (payload.phase === 'verify') webhook.verified.add(payload.versionId);
      out(
        `${elapsed()}  webhook receiver  ${payload.phase.padEnd(12)} v=${payload.versionId.slice(0, 8)}  signature ${verdict.valid ? 'valid' : verdict.reason}`,
      );
      response.writeHead(verdict.valid ? 200 : 401, { 'content-type': 'application/json' });
      response.end(verdict.valid ? JSON.stringify({ versionId: payload.versionId }) : '{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  stops.push(async () => {
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
    receiver.closeAllConnections();
  });
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/handover`;
  try {
    out(`Handover sandbox: PostgreSQL ${database.majorVersion} (TLS, test CA) on 127.0.0.1:${database.port}`);
    out(
      `                  AWS emulator (Secrets Manager, SSM, CloudWatch, SNS, EventBridge) at ${emulator.endpoint}`,
    );
    const caFile = join(work, 'ca.pem');
    writeFileSync(caFile, database.ca);
    const aws = { region: 'us-east-1', credentials: { accessKeyId: 'sandbox', secretAccessKey: 'sandbox' } };
    Object.assign(process.env, {
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: 'sandbox',
      AWS_SECRET_ACCESS_KEY: 'sandbox',
      AWS_ENDPOINT_URL: emulator.endpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    const sm = new SecretsManagerClient({ ...aws, endpoint: emulator.endpoint });
    // The rotation code is imported only now, so it reads the sandbox's environment.
    const { createRotationLambda } = await import('../lambdas/rotation/lambda');
    const { STRATEGIES } = await import('../lambdas/credentials/registry');
    const { createRolloutHandler } = await import('../lambdas/rollout/rollout-handler');
    const { createConsumerAdapters } = await import('../lambdas/rollout/consumers');
    const { createNotifier } = await import('../lambdas/rollout/notify');
    const { createRolloutMetrics } = await import('../lambdas/rollout/metrics');
    const { createLogger } = await import('../lambdas/shared/observability');
    const registerRotation = (label: string, arn: string, handler: (event: never) => Promise<unknown>) =>
      emulator.registerRotationLambda(arn, async (event) => {
        const t = performance.now();
        const step = `${label.padEnd(17)} ${event.Step.padEnd(12)} v=${event.ClientRequestToken.slice(0, 8)}`;
        try {
          await handler(event as never);
          out(`${elapsed()}  ${step}  ${Math.round(performance.now() - t)} ms`);
        } catch (error) {
          out(`${elapsed()}  ${step}  FAILED: ${(error as Error).message}`);
          throw error;
        }
      });

    const connection = { engine: 'postgres', host: 'localhost', port: database.port, dbname: 'postgres' };
    const master = await sm.send(
      new CreateSecretCommand({
        Name: 'sandbox/postgres/master',
        SecretString: JSON.stringify({ ...connection, ...database.superuser }),
      }),
    );
    const secrets = new Map<PostgresMode, string>();
    const handlers = new Map<PostgresMode, LocalFunction>();
    for (const mode of MODES) {
      const username = mode === 'single-user' ? 'app_single' : 'app_alt';
      const password = `Initial-${mode}-${Math.random().toString(36).slice(2)}`;
      await database.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
      const created = await sm.send(
        new CreateSecretCommand({
          Name: `sandbox/postgres/${mode}`,
          SecretString: JSON.stringify({
            ...connection,
            username,
            password,
            ...(mode === 'alternating-users' ? { masterarn: master.ARN } : {}),
          }),
        }),
      );
      secrets.set(mode, created.ARN ?? '');
      const handler = createRotationLambda(
        STRATEGIES.postgres({
          HANDOVER_POSTGRES_MODE: mode,
          HANDOVER_TLS_MODE: 'verify-full',
          HANDOVER_TLS_CA_FILE: caFile,
        }),
      );
      handlers.set(mode, handler as LocalFunction);
      registerRotation(mode, LAMBDA_ARN(mode), handler);
    }

    // The shared key: rotated by the real shared-key strategy, verified by a node:http service.
    const sharedKey = generateSharedKey();
    const shared = await sm.send(
      new CreateSecretCommand({ Name: SHARED_KEY_NAME, SecretString: JSON.stringify({ key: sharedKey }) }),
    );
    const sharedArn = shared.ARN ?? '';
    const sharedHandler = createRotationLambda(
      STRATEGIES['shared-key']({ HANDOVER_SHARED_KEY_REQUIRE_HEARTBEAT: 'true' }),
    );
    registerRotation('shared-key', SHARED_KEY_LAMBDA_ARN, sharedHandler);
    const verifier = await createVerifier({
      secretId: sharedArn,
      client: sm,
      refreshIntervalMs: VERIFIER_REFRESH_MS,
      metrics: createCloudWatchMetricsSink({ client: new CloudWatchClient({}) }),
      metricsFlushIntervalMs: VERIFIER_REFRESH_MS,
      unknownKeyRefreshMinIntervalMs: VERIFIER_REFRESH_MS,
    });
    const service = createAuthServer(verifier);
    await new Promise<void>((resolve) => service.listen(0, '127.0.0.1', resolve));
    stops.push(async () => {
      await new Promise<void>((resolve) => service.close(() => resolve()));
      service.closeAllConnections();
      await verifier.close();
    });
    const serviceUrl = `http://127.0.0.1:${(service.address() as AddressInfo).port}/orders`;
    out(`                  orders service (verifier, node:http) at ${serviceUrl}`);

    // The rollout workflow: the synthesized definition, run locally with the real rollout function.
    const { definition, rolloutFunctionArn } = synthesizedDefinition();
    const functions = new Map<string, LocalFunction>();
    let rolloutStarted = 0;
    const local = new LocalStepFunctions(definition, {
      functions,
      tokens: emulator.stepFunctions,
      waitMs: { 'Wait for rotation': 50, 'Grace window': graceMs, 'Wait before re-checking': 200 },
      onStateEntered: (_record, state) => {
        if (TIMELINE_STATES.has(state)) out(`${elapsed()}  rollout           ${state}`);
      },
    });

    const ssm = new SSMClient({});
    const eventBridge = new EventBridgeClient({});
    const logger = createLogger();
    const rollout = createRolloutHandler({
      secretsManager: sm,
      ssm,
      sfn: local.sfn,
      adapters: createConsumerAdapters({
        lambda: new LambdaClient({}),
        ecs: new ECSClient({}),
        ssm,
        eventBridge,
        secretsManager: sm,
        logger,
        options: { lambda: { pollIntervalMs: 10 }, webhook: { retryBaseMs: 10 } },
      }),
      notifier: createNotifier({
        sns: new SNSClient({}),
        eventBridge,
        topicArn: emulator.sns.createTopic('handover-sandbox'),
        logger,
      }),
      metrics: createRolloutMetrics(),
      logger,
      settings: { leaseSeconds: 3600, rotationTimeoutSeconds: 5 },
    });
    functions.set(rolloutFunctionArn, rollout as LocalFunction);
    const alternating = handlers.get('alternating-users');
    if (alternating === undefined) throw new Error('no alternating-users handler');
    // A rotation function also serves the strategy actions (describe, inUse, revoke, restore).
    const withActionTimeline =
      (label: string, handler: LocalFunction): LocalFunction =>
      async (payload) => {
        const result = (await handler(payload)) as { inUse?: boolean; evidence?: string } | undefined;
        const action = (payload as { Action?: string }).Action;
        if (action === 'inUse') {
          out(
            `${elapsed()}  usage gate        ${label}: old credential ${result?.inUse ? 'IN USE' : 'not in use'}: ${result?.evidence ?? ''}`,
          );
        } else if (action === 'revoke') {
          out(`${elapsed()}  revoke            ${label}: old credential revoked`);
        }
        return result;
      };
    functions.set(LAMBDA_ARN('alternating-users'), withActionTimeline('postgres', alternating));
    functions.set(SHARED_KEY_LAMBDA_ARN, withActionTimeline('shared-key', sharedHandler as LocalFunction));
    const signing = await sm.send(
      new CreateSecretCommand({ Name: 'sandbox/webhook-signing', SecretString: WEBHOOK_SIGNING_KEY }),
    );
    const mirrorOf = (secret: RolloutSummary['secret']) =>
      secret === 'postgres' ? '/sandbox/orders/db' : '/sandbox/orders/api-key';
    const consumersOf = (secret: RolloutSummary['secret']): ConsumerConfig[] => [
      { kind: 'ssm-parameter', name: 'mirror', parameterName: mirrorOf(secret), canary: true },
      { kind: 'webhook', name: 'partner', url: webhookUrl, signingSecretArn: signing.ARN ?? '' },
    ];
    const configure = async (
      name: string,
      config: Omit<RolloutConfig, 'maxConcurrency' | 'graceSeconds' | 'usageRecheckSeconds'>,
    ) => {
      const full: RolloutConfig = {
        ...config,
        // Planned seconds (the usage windows start from them); the Wait states are shortened.
        graceSeconds: 1,
        usageRecheckSeconds: 1,
        maxConcurrency: 4,
      };
      await ssm.send(
        new PutParameterCommand({
          Name: rolloutConfigParameterName(name),
          Value: JSON.stringify(full),
          Type: 'String',
        }),
      );
    };
    await configure('sandbox/postgres/alternating-users', {
      secretArn: secrets.get('alternating-users') ?? '',
      credentialType: 'postgres',
      rotationFunctionArn: LAMBDA_ARN('alternating-users'),
      usageMaxChecks: 10,
      consumers: consumersOf('postgres'),
    });
    await configure(SHARED_KEY_NAME, {
      secretArn: sharedArn,
      credentialType: 'shared-key',
      rotationFunctionArn: SHARED_KEY_LAMBDA_ARN,
      usageMaxChecks: 2,
      consumers: consumersOf('shared-key'),
    });
    const rollouts: RolloutSummary[] = [];

    // The client pool: each client re-reads AWSCURRENT when its cache expires, then logs in.
    const stats = new Map(MODES.map((mode) => [mode, { logins: 0, failed: [] as number[] }]));
    let running = true;
    const clients = MODES.flatMap((mode) =>
      Array.from({ length: clientsPerStrategy }, async () => {
        const stat = stats.get(mode) ?? { logins: 0, failed: [] };
        let cached: { value: { username: string; password: string }; at: number } | undefined;
        while (running) {
          if (cached === undefined || performance.now() - cached.at > cacheMs) {
            const got = await sm.send(new GetSecretValueCommand({ SecretId: secrets.get(mode) }));
            cached = { value: JSON.parse(got.SecretString ?? '{}'), at: performance.now() };
          }
          stat.logins++;
          if (!(await logsIn(cached.value.username, cached.value.password)))
            stat.failed.push(performance.now());
          await sleep(10);
        }
      }),
    );
    async function logsIn(user: string, password: string): Promise<boolean> {
      const client = new pg.Client({
        host: 'localhost',
        port: database.port,
        database: 'postgres',
        user,
        password,
        ssl: { ca: database.ca, rejectUnauthorized: true },
      });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    // The orders service's clients: each sends requests with the shared key it read from AWSCURRENT
    // (re-read after its cache expires, and at once on a 401), adopting a new key ADOPT_AFTER_MS
    // after it first sees it.
    const api = { requests: 0, failed: 0, acceptedPrevious: 0 };
    const apiClients = Array.from({ length: clientsPerStrategy }, async () => {
      let using: { key: string; versionId: string } | undefined;
      let seen: { key: string; versionId: string; at: number } | undefined;
      let readAt = Number.NEGATIVE_INFINITY;
      const read = async (adoptNow: boolean) => {
        const got = await sm.send(new GetSecretValueCommand({ SecretId: sharedArn }));
        readAt = performance.now();
        const key = (JSON.parse(got.SecretString ?? '{}') as { key: string }).key;
        const versionId = got.VersionId ?? '';
        if (using === undefined || adoptNow) using = { key, versionId };
        if (versionId === using.versionId) return;
        if (seen?.versionId !== versionId) seen = { key, versionId, at: readAt };
        if (readAt - seen.at >= ADOPT_AFTER_MS) using = { key, versionId };
      };
      while (running) {
        if (using === undefined || performance.now() - readAt > cacheMs) await read(false);
        const key = using?.key ?? '';
        api.requests++;
        const response = await fetch(serviceUrl, { headers: { authorization: `Bearer ${key}` } });
        await response.arrayBuffer();
        if (response.headers.get('x-handover-key') === 'accepted-previous') api.acceptedPrevious++;
        if (response.status !== 200) {
          api.failed++;
          out(`${elapsed()}  orders client     request FAILED ${response.status}: re-reading the key`);
          await read(true);
        }
        await sleep(10);
      }
    });
    stops.push(async () => {
      running = false;
      await Promise.all([...clients, ...apiClients]);
    });

    out('');
    out(`${'time'.padStart(9)}  ${'strategy'.padEnd(17)} ${'step'.padEnd(12)} version     duration`);
    const failedRotations = new Map(MODES.map((mode) => [mode, 0]));
    await sleep(300);
    for (let round = 1; round <= rounds; round++) {
      for (const mode of MODES) {
        const arn = secrets.get(mode) ?? '';
        await sm.send(
          new RotateSecretCommand({
            SecretId: arn,
            RotationLambdaARN: LAMBDA_ARN(mode),
            RotationRules: { AutomaticallyAfterDays: 30 },
          }),
        );
        const outcome = await emulator.secretsManager.waitForRotation(arn);
        if (outcome.status !== 'succeeded') failedRotations.set(mode, (failedRotations.get(mode) ?? 0) + 1);
        out(
          `${elapsed()}  ${mode.padEnd(17)} rotation ${round} ${outcome.status} (${describeAttempts(outcome.steps)})`,
        );
        if (mode === 'alternating-users' && outcome.status === 'succeeded') {
          rollouts.push(await runRollout('postgres', round, arn));
        }
        await sleep(mode === 'alternating-users' ? 100 : 300);
      }
    }
    await sm.send(
      new RotateSecretCommand({
        SecretId: sharedArn,
        RotationLambdaARN: SHARED_KEY_LAMBDA_ARN,
        RotationRules: { AutomaticallyAfterDays: 30 },
      }),
    );
    const sharedOutcome = await emulator.secretsManager.waitForRotation(sharedArn);
    out(
      `${elapsed()}  shared-key        rotation ${sharedOutcome.status} (${describeAttempts(sharedOutcome.steps)})`,
    );
    if (sharedOutcome.status === 'succeeded') rollouts.push(await runRollout('shared-key', 1, sharedArn));
    await sleep(300);
    await stops.pop()?.();

    async function runRollout(
      secret: RolloutSummary['secret'],
      round: number,
      arn: string,
    ): Promise<RolloutSummary> {
      rolloutStarted++;
      const old = await sm.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' }));
      const oldValue = JSON.parse(old.SecretString ?? '{}') as {
        username?: string;
        password?: string;
        key?: string;
      };
      out(
        `${elapsed()}  rollout           ${secret} execution ${rolloutStarted} started (RotationSucceeded event)`,
      );
      const grace = secret === 'shared-key' ? cacheMs + ADOPT_AFTER_MS + VERIFIER_REFRESH_MS : graceMs;
      const record = await local.start(rotationSucceededEvent(arn), `sandbox-rollout-${rolloutStarted}`, {
        'Grace window': grace,
      }).done;
      const revokedState = record.states.includes('Revoke old credential');
      const current = await sm.send(new GetSecretValueCommand({ SecretId: arn }));
      const oldLogsIn =
        secret === 'shared-key'
          ? await sleep(VERIFIER_REFRESH_MS * 1.2).then(async () => {
              const response = await fetch(serviceUrl, {
                headers: { authorization: `Bearer ${oldValue.key}` },
              });
              await response.arrayBuffer();
              return response.status === 200;
            })
          : await logsIn(oldValue.username ?? '', oldValue.password ?? '');
      const summary: RolloutSummary = {
        secret,
        round,
        status: record.status,
        ...(record.error === undefined ? {} : { error: record.error }),
        transitions: record.transitions,
        costUsd: record.transitions * STANDARD_PRICE_PER_TRANSITION_USD,
        usageChecks: record.states.filter((state) => state === 'Check old credential usage').length,
        revoked: revokedState && !oldLogsIn,
        consumersUpdated: [
          ...(emulator.ssm.parameter(mirrorOf(secret))?.value === current.SecretString ? ['mirror'] : []),
          ...(webhook.verified.has(current.VersionId ?? '') ? ['partner'] : []),
        ],
      };
      out(
        `${elapsed()}  rollout           execution ${rolloutStarted} ${record.status}${record.error ? ` ${record.error}: ${record.cause ?? ''}` : ''}, ${record.transitions} state transitions, old credential ${summary.revoked ? 'revoked (login refused)' : 'NOT revoked'}`,
      );
      return summary;
    }

    const summaries = MODES.map((mode): StrategySummary => {
      const stat = stats.get(mode) ?? { logins: 0, failed: [] };
      const first = stat.failed[0];
      const last = stat.failed.at(-1);
      return {
        mode,
        rotations: rounds,
        rotationsFailed: failedRotations.get(mode) ?? 0,
        logins: stat.logins,
        failedLogins: stat.failed.length,
        failureWindowMs: first === undefined || last === undefined ? 0 : Math.round(last - first),
      };
    });
    out('');
    out('strategy           rotations  logins  failed logins');
    for (const s of summaries) {
      out(
        `${s.mode.padEnd(18)} ${`${s.rotations - s.rotationsFailed}/${s.rotations}`.padStart(9)}  ${String(s.logins).padStart(6)}  ${String(s.failedLogins).padStart(13)}`,
      );
    }
    out('');
    out('alternating-users keeps the old user valid until the rollout revokes it: no client can fail.');
    out(
      `single-user changes the one password in setSecret: clients holding the old value fail until they re-read`,
    );
    out(
      `AWSCURRENT after finishSecret (cache ${cacheMs} ms here). Use alternating-users where downtime matters.`,
    );
    const alternatingStat = stats.get('alternating-users') ?? { logins: 0, failed: [] };
    const clientSummaries: ClientSummary[] = [
      { kind: 'database-pool', requests: alternatingStat.logins, failed: alternatingStat.failed.length },
      { kind: 'orders-service-client', requests: api.requests, failed: api.failed },
      { kind: 'webhook-receiver', requests: webhook.requests, failed: webhook.failed },
    ];
    out('');
    out('client kind (zero-downtime path)   requests  failed');
    for (const c of clientSummaries)
      out(`${c.kind.padEnd(34)} ${String(c.requests).padStart(8)}  ${String(c.failed).padStart(6)}`);
    out('');
    out(
      'secret      rollout  status     transitions  usage checks  revoked  Step Functions cost (Standard, $0.025/1k)',
    );
    for (const r of rollouts) {
      out(
        `${r.secret.padEnd(10)}  ${String(r.round).padStart(7)}  ${r.status.padEnd(9)}  ${String(r.transitions).padStart(11)}  ${String(r.usageChecks).padStart(12)}  ${(r.revoked ? 'yes' : 'NO').padEnd(7)}  $${r.costUsd.toFixed(6)} per rotation`,
      );
    }
    out('');
    out(
      `The orders service's clients kept the old shared key for up to ${cacheMs + ADOPT_AFTER_MS} ms after the rotation (cache + adoption`,
    );
    out(
      `delay) and the verifier accepted it (${api.acceptedPrevious} accepted-previous requests). The usage gate reads CloudWatch,`,
    );
    out(
      'whose 1-minute periods still show that use here, so it keeps the old key (not revoked, alarm): with',
    );
    out(
      'a production grace window (hours) the gate sees no use and revokes, as it did for PostgreSQL above.',
    );
    return {
      strategies: summaries,
      rollouts,
      clients: clientSummaries,
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    for (const stop of stops) await stop();
    await emulator.close();
    await database.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const SHARED_KEY_NAME = 'sandbox/orders/api-key';
const SHARED_KEY_LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:handover-shared-key';
/** The verifier's refresh and metrics flush interval (its minimum: 1 s; 60 s in production). */
const VERIFIER_REFRESH_MS = 1000;
/**
 * A shared-key client adopts a new AWSCURRENT key this long after it first reads it (keeping the
 * previous key meanwhile): verifiers learn a new key within one refresh interval (+10 % jitter), and
 * a key they do not know yet is rejected.
 */
const ADOPT_AFTER_MS = 2 * VERIFIER_REFRESH_MS;
const WEBHOOK_SIGNING_KEY = `whsec-sandbox-${'k'.repeat(32)}`;
/** The rollout states the timeline shows (the others are bookkeeping). */
const TIMELINE_STATES = new Set([
  'Preflight',
  'Canary: update and verify consumer',
  'Check canary wave',
  'Main: update and verify consumer',
  'Check main wave',
  'Grace window',
  'Wait before re-checking',
  'Revoke old credential',
  'Rollout complete',
  'Rollout failed',
]);

function describeAttempts(steps: readonly StepInvocation[]): string {
  const retries = steps.filter((s) => s.attempt > 1).length;
  return `${steps.length} step calls${retries > 0 ? `, ${retries} retries` : ''}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runSandbox({ verbose: process.argv.includes('--verbose') })
    .then((result) => {
      const failedRotations = result.strategies.reduce((n, s) => n + s.rotationsFailed, 0);
      const failedRequests = result.clients.reduce((n, c) => n + c.failed, 0);
      const rolloutsFailed = result.rollouts.filter((r) =>
        r.secret === 'postgres'
          ? !r.revoked
          : r.status !== 'SUCCEEDED' && r.error !== 'Handover.OldCredentialStillInUse',
      ).length;
      process.stdout.write(`\nsandbox finished in ${(result.durationMs / 1000).toFixed(1)} s\n`);
      process.exitCode = failedRotations > 0 || failedRequests > 0 || rolloutsFailed > 0 ? 1 : 0;
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
