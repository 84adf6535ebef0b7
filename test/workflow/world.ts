import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import pg from 'pg';
import { quoteIdent, quoteLiteral } from '../../lambdas/credentials/postgres/sql';
import { STRATEGIES } from '../../lambdas/credentials/registry';
import { createConsumerAdapters } from '../../lambdas/rollout/consumers';
import {
  type ConsumerConfig,
  type FollowedBy,
  type ReadersConfig,
  type RolloutConfig,
  rolloutConfigParameterName,
} from '../../lambdas/rollout/contract';
import type { RolloutMetrics } from '../../lambdas/rollout/metrics';
import { createRolloutMetrics } from '../../lambdas/rollout/metrics';
import { createNotifier } from '../../lambdas/rollout/notify';
import { createReaderSources } from '../../lambdas/rollout/readers/sources';
import { createRolloutHandler } from '../../lambdas/rollout/rollout-handler';
import { createRotationLambda } from '../../lambdas/rotation/lambda';
import { createLogger } from '../../lambdas/shared/observability';
import { verifyWebhookSignature } from '../../lambdas/webhooks/signature';
import { type Emulator, startEmulator } from '../../local/emulator';
import { startPostgres } from '../../local/postgres';
import { synthesizedDefinition } from '../../local/workflow/definition';
import { rotationSucceededEvent } from '../../local/workflow/events';
import {
  type ExecutionRecord,
  type LocalFunction,
  LocalStepFunctions,
} from '../../local/workflow/local-step-functions';
import { createLockTable } from '../../local/workflow/lock-table';
import { ALL_SERVICES, endpointVariable } from '../support/aws-targets';
import { recordSecretMaterial } from '../support/log-scan';

export const ROTATION_FUNCTION_ARN =
  'arn:aws:lambda:us-east-1:123456789012:function:handover-postgres-alternating';
export const WEBHOOK_SIGNING_KEY = `whsec-${'k'.repeat(40)}`;

/** One webhook delivery the receiver accepted or refused. */
export interface WebhookDelivery {
  readonly consumer: string;
  readonly phase: string;
  readonly versionId: string;
  readonly signature: 'valid' | string;
  readonly status: number;
}

/** One metric the rollout function recorded (the real metrics run too). */
export type RecordedMetric = readonly [name: string, credentialType: string];

/**
 * The workflow tests' world: real PostgreSQL with TLS, the AWS emulator over HTTP (every SDK client
 * reaches it through AWS_ENDPOINT_URL and every per-service variable: the workflow runs on its own
 * emulator, whatever endpoints the integration suite was given), the real alternating-users rotation function registered
 * with it, the real rollout function, a signed-webhook receiver, an event consumer that
 * acknowledges with SendTaskSuccess over HTTP, and the SYNTHESIZED state machine executed locally.
 */
export async function startRolloutWorld() {
  const database = await startPostgres();
  const emulator: Emulator = await startEmulator({
    rotation: { retries: 1, retryDelayMs: 0 },
    lambda: { updateDelayMs: 0 },
    // The workflow is under test here, not LookupEvents' rate limit (test/integration/emulator has it).
    cloudTrail: { lookupsPerSecond: 100 },
  });
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: emulator.endpoint,
    ...Object.fromEntries(ALL_SERVICES.map((service) => [endpointVariable(service), emulator.endpoint])),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const work = mkdtempSync(join(tmpdir(), 'handover-workflow-'));
  const caFile = join(work, 'ca.pem');
  writeFileSync(caFile, database.ca);

  // Clients without endpoints: they read AWS_ENDPOINT_URL, as the Lambda code does.
  const sm = new SecretsManagerClient({});
  const ssm = new SSMClient({});
  const eventBridge = new EventBridgeClient({});
  const sfnClient = new SFNClient({});
  const dynamodb = new DynamoDBClient({});
  const lockTable = await createLockTable(dynamodb, 'handover-rollout-locks');

  // The real rotation function (four steps for Secrets Manager, strategy actions for the workflow).
  const rotation = createRotationLambda(
    STRATEGIES.postgres({
      HANDOVER_POSTGRES_MODE: 'alternating-users',
      HANDOVER_TLS_MODE: 'verify-full',
      HANDOVER_TLS_CA_FILE: caFile,
    }),
    // As the constructs deploy it: the secrets are rolled out by the workflow.
    { rolloutsTracked: true },
  );
  emulator.registerRotationLambda(ROTATION_FUNCTION_ARN, rotation);

  const connection = { engine: 'postgres', host: 'localhost', port: database.port, dbname: 'postgres' };
  const master = await sm.send(
    new CreateSecretCommand({
      Name: `master-${crypto.randomUUID()}`,
      SecretString: JSON.stringify({ ...connection, ...database.superuser }),
    }),
  );
  recordSecretMaterial(database.superuser.password);
  const signing = await sm.send(
    new CreateSecretCommand({
      Name: `webhook-signing-${crypto.randomUUID()}`,
      SecretString: WEBHOOK_SIGNING_KEY,
    }),
  );
  recordSecretMaterial(WEBHOOK_SIGNING_KEY);
  const topicArn = emulator.sns.createTopic('handover-alarms');

  // A signed-webhook receiver: verifies every request, answers 2xx (or what a test asks for).
  const deliveries: WebhookDelivery[] = [];
  const webhookStatus = new Map<string, number>();
  const receiver: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
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
      const status = verdict.valid ? (webhookStatus.get(payload.consumer) ?? 200) : 401;
      deliveries.push({
        consumer: payload.consumer,
        phase: payload.phase,
        versionId: payload.versionId,
        signature: verdict.valid ? 'valid' : verdict.reason,
        status,
      });
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(status < 300 ? JSON.stringify({ versionId: payload.versionId }) : '{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/handover`;

  // An event consumer (a CI pipeline, say): acknowledges with SendTaskSuccess over HTTP, unless a
  // test holds it back.
  const acknowledgements: Array<{ consumer: string; versionId: string }> = [];
  let holdAcks: Promise<void> | undefined;
  const unsubscribe = emulator.eventBridge.subscribe(
    { source: 'handover', detailType: 'Handover Credential Rotated' },
    async (event) => {
      const detail = event.detail as { consumer: string; versionId: string; taskToken: string };
      if (holdAcks !== undefined) await holdAcks;
      await sfnClient.send(
        new SendTaskSuccessCommand({
          taskToken: detail.taskToken,
          output: JSON.stringify({ running: detail.versionId }),
        }),
      );
      acknowledgements.push({ consumer: detail.consumer, versionId: detail.versionId });
    },
  );

  // The rollout function: the real handler, real SDK clients, real adapters.
  const metricsRecorded: RecordedMetric[] = [];
  const real = createRolloutMetrics();
  const metrics: RolloutMetrics = {
    consumerUpdateFailed: (type, consumer) => {
      metricsRecorded.push(['ConsumerUpdateFailed', type]);
      real.consumerUpdateFailed(type, consumer);
    },
    oldCredentialStillInUse: (type) => {
      metricsRecorded.push(['OldCredentialStillInUse', type]);
      real.oldCredentialStillInUse(type);
    },
    undeclaredReaders: (type, count) => {
      metricsRecorded.push(['UndeclaredReaders', type]);
      real.undeclaredReaders(type, count);
    },
    rollout: (type, outcome) => {
      metricsRecorded.push([outcome === 'success' ? 'RolloutSucceeded' : 'RolloutFailed', type]);
      real.rollout(type, outcome);
    },
    lockLost: (type) => {
      metricsRecorded.push(['RolloutLockLost', type]);
      real.lockLost(type);
    },
    emergencyRollout: (type) => {
      metricsRecorded.push(['EmergencyRollout', type]);
      real.emergencyRollout(type);
    },
  };
  const { definition, rolloutFunctionArn } = synthesizedDefinition();
  const functions = new Map<string, LocalFunction>();
  let stateListener: ((record: ExecutionRecord, state: string) => void) | undefined;
  const local = new LocalStepFunctions(definition, {
    functions,
    tokens: emulator.stepFunctions,
    waitMs: { 'Wait for rotation': 50 },
    onStateEntered: (record, state) => stateListener?.(record, state),
  });
  const logger = createLogger();
  const settings = { leaseSeconds: 3600, rotationTimeoutSeconds: 5, lockTable };
  const rollout = createRolloutHandler({
    secretsManager: sm,
    ssm,
    sfn: local.sfn,
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
    notifier: createNotifier({ sns: new SNSClient({}), eventBridge, topicArn, logger }),
    metrics,
    readerSources: createReaderSources({ cloudTrail: new CloudTrailClient({}), sleep: async () => {} }),
    logger,
    settings,
  });
  functions.set(rolloutFunctionArn, rollout as LocalFunction);
  const iamClient = new IAMClient({});
  /** Handover's own functions sign with the emulator's bootstrap credentials: the account's root. */
  const handoverPrincipal = `arn:aws:iam::${emulator.iam.accountId}:root`;
  functions.set(ROTATION_FUNCTION_ARN, rotation as LocalFunction);

  let users = 0;
  const world = {
    database,
    emulator,
    sm,
    local,
    topicArn,
    webhookUrl,
    deliveries,
    webhookStatus,
    acknowledgements,
    metrics: metricsRecorded,
    settings,
    master: master.ARN ?? '',
    signingSecretArn: signing.ARN ?? '',

    /** Holds every event acknowledgement until the returned function is called. */
    holdAcknowledgements(): () => void {
      let release: () => void = () => {};
      holdAcks = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        holdAcks = undefined;
        release();
      };
    },

    handoverPrincipal,

    /** Calls `listener` on every state any execution enters (`undefined` removes it). */
    onStateEntered(listener: ((record: ExecutionRecord, state: string) => void) | undefined) {
      stateListener = listener;
    },

    /**
     * An application with its own IAM user and access key (so CloudTrail names it), and a Secrets
     * Manager client that signs with that key.
     */
    async newApp(name: string) {
      const userName = `${name}-${Math.random().toString(36).slice(2, 8)}`;
      const user = await iamClient.send(new CreateUserCommand({ UserName: userName }));
      const key = await iamClient.send(new CreateAccessKeyCommand({ UserName: userName }));
      const credentials = {
        accessKeyId: key.AccessKey?.AccessKeyId ?? '',
        secretAccessKey: key.AccessKey?.SecretAccessKey ?? '',
      };
      recordSecretMaterial(credentials.secretAccessKey, credentials.accessKeyId);
      const client = new SecretsManagerClient({ credentials });
      return {
        arn: user.User?.Arn ?? '',
        userName,
        /** GetSecretValue as this application (its AWSCURRENT, or the selector given). */
        read: async (secretId: string, selector: { VersionStage?: string; VersionId?: string } = {}) => {
          const out = await client.send(new GetSecretValueCommand({ SecretId: secretId, ...selector }));
          return out.VersionId;
        },
        close: () => client.destroy(),
      };
    },

    /** The readers check of a test secret: CloudTrail, no delivery wait, Handover's root. */
    readers(overrides: Partial<ReadersConfig> = {}): ReadersConfig {
      return {
        source: { kind: 'cloudtrail' },
        deliveryDelaySeconds: 0,
        handover: [handoverPrincipal],
        ignore: [],
        ...overrides,
      };
    },

    /**
     * A login role with an alternating-users secret (rotation configured to the real function) and
     * its rollout configuration parameter.
     */
    async createSecret(options: {
      consumers: readonly ConsumerConfig[];
      masterArn?: string;
      usageMaxChecks?: number;
      graceSeconds?: number;
      readers?: ReadersConfig;
    }) {
      users += 1;
      const username = `wf_${users}_${Math.random().toString(36).slice(2, 8)}`;
      const password = `Initial-${crypto.randomUUID()}`;
      recordSecretMaterial(password);
      await database.query(`CREATE ROLE ${quoteIdent(username)} LOGIN PASSWORD ${quoteLiteral(password)}`);
      const name = `orders/db/${username}`;
      const created = await sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: JSON.stringify({
            ...connection,
            username,
            password,
            masterarn: options.masterArn ?? master.ARN,
          }),
        }),
      );
      const arn = created.ARN ?? '';
      emulator.secretsManager.configureRotation(arn, ROTATION_FUNCTION_ARN);
      const config: RolloutConfig = {
        secretArn: arn,
        credentialType: 'postgres',
        rotationFunctionArn: ROTATION_FUNCTION_ARN,
        graceSeconds: options.graceSeconds ?? 3600,
        usageRecheckSeconds: 600,
        usageMaxChecks: options.usageMaxChecks ?? 3,
        maxConcurrency: 4,
        consumers: options.consumers,
        ...(options.readers === undefined ? {} : { readers: options.readers }),
      };
      await ssm.send(
        new PutParameterCommand({
          Name: rolloutConfigParameterName(name),
          Value: JSON.stringify(config),
          Type: 'String',
        }),
      );
      return { arn, name, username, password };
    },

    /**
     * A secret Handover follows (RDS-managed, or rotated by another function): its rollout
     * configuration names no rotation function of ours.
     */
    async createFollowedSecret(options: {
      rotatedBy: FollowedBy;
      consumers: readonly ConsumerConfig[];
      readers?: ReadersConfig;
    }) {
      users += 1;
      const name = `rds/master/followed-${users}-${Math.random().toString(36).slice(2, 8)}`;
      const password = `Managed-${crypto.randomUUID()}`;
      recordSecretMaterial(password);
      const created = await sm.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: JSON.stringify({ username: 'postgres', password }),
        }),
      );
      const arn = created.ARN ?? '';
      const config: RolloutConfig = {
        secretArn: arn,
        credentialType: 'followed',
        followed: { rotatedBy: options.rotatedBy },
        graceSeconds: 0,
        usageRecheckSeconds: 3600,
        usageMaxChecks: 1,
        maxConcurrency: 4,
        consumers: options.consumers,
        ...(options.readers === undefined ? {} : { readers: options.readers }),
      };
      await ssm.send(
        new PutParameterCommand({
          Name: rolloutConfigParameterName(name),
          Value: JSON.stringify(config),
          Type: 'String',
        }),
      );
      return { arn, name, password };
    },

    /**
     * The rotation AWS performs itself (RDS managed rotation): a new AWSCURRENT version written by
     * Secrets Manager's owner, the old one AWSPREVIOUS, and the RotationSucceeded event.
     */
    async rotateByOwner(arn: string) {
      const password = `Managed-${crypto.randomUUID()}`;
      recordSecretMaterial(password);
      await sm.send(
        new PutSecretValueCommand({
          SecretId: arn,
          SecretString: JSON.stringify({ username: 'postgres', password }),
        }),
      );
      return rotationSucceededEvent(arn);
    },

    /** RotateSecret through the SDK, as the schedule would, and the event Secrets Manager then sends. */
    async rotateAndReport(arn: string) {
      await sm.send(new RotateSecretCommand({ SecretId: arn }));
      const outcome = await emulator.secretsManager.waitForRotation(arn);
      if (outcome.status !== 'succeeded') throw new Error(`rotation failed: ${outcome.error}`);
      await world.recordValues(arn);
      return rotationSucceededEvent(arn);
    },

    /** Records the passwords of AWSCURRENT and AWSPREVIOUS for the log scan. */
    async recordValues(arn: string) {
      for (const stage of ['AWSCURRENT', 'AWSPREVIOUS']) {
        const value = await world.value(arn, { VersionStage: stage }).catch(() => undefined);
        if (typeof value?.password === 'string') recordSecretMaterial(value.password);
      }
    },

    async value(arn: string, selector: { VersionStage?: string; VersionId?: string }) {
      const out = await sm.send(new GetSecretValueCommand({ SecretId: arn, ...selector }));
      return JSON.parse(out.SecretString ?? '{}') as { username: string; password: string };
    },

    async describe(arn: string) {
      const out = await sm.send(new DescribeSecretCommand({ SecretId: arn }));
      const tags = Object.fromEntries((out.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
      const stages = out.VersionIdsToStages ?? {};
      const holder = (stage: string) => Object.keys(stages).find((id) => stages[id]?.includes(stage));
      return { stages, tags, current: holder('AWSCURRENT'), previous: holder('AWSPREVIOUS') };
    },

    /** Whether a user/password logs in over TLS verify-full, as a consumer would. */
    async logsIn(username: string, password: string): Promise<boolean> {
      const client = new pg.Client({
        host: 'localhost',
        port: database.port,
        database: 'postgres',
        user: username,
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
    },

    /** Opens and keeps a session as a user (a client still on the old credential). */
    async holdSession(username: string, password: string): Promise<pg.Client> {
      const client = new pg.Client({
        host: 'localhost',
        port: database.port,
        database: 'postgres',
        user: username,
        password,
        ssl: { ca: database.ca, rejectUnauthorized: true },
      });
      await client.connect();
      return client;
    },

    /** The rollout lock item of a secret, as plain strings (DynamoDB, consistent read). */
    async lock(arn: string): Promise<Record<string, string>> {
      const out = await dynamodb.send(
        new GetItemCommand({ TableName: lockTable, Key: { secretArn: { S: arn } }, ConsistentRead: true }),
      );
      return Object.fromEntries(
        Object.entries(out.Item ?? {}).map(([key, value]) => [key, String(Object.values(value)[0])]),
      );
    },

    /**
     * Database clients that read AWSCURRENT, keep it `cacheMs`, and log in with it every `everyMs`
     * (as an application with a cached secret does), until stopped. Failed logins are recorded
     * with the user they tried.
     */
    startCachedClients(arn: string, options: { clients: number; cacheMs: number; everyMs: number }) {
      let running = true;
      const stats = { logins: 0, failed: [] as string[] };
      const loops = Array.from({ length: options.clients }, async () => {
        let cached: { value: { username: string; password: string }; at: number } | undefined;
        while (running) {
          if (cached === undefined || performance.now() - cached.at > options.cacheMs) {
            cached = { value: await world.value(arn, { VersionStage: 'AWSCURRENT' }), at: performance.now() };
          }
          stats.logins += 1;
          if (!(await world.logsIn(cached.value.username, cached.value.password))) {
            stats.failed.push(cached.value.username);
          }
          await new Promise((resolve) => setTimeout(resolve, options.everyMs));
        }
      });
      return {
        stats,
        async stop() {
          running = false;
          await Promise.all(loops);
          return stats;
        },
      };
    },

    /** The milestone events of a rollout, by detail-type. */
    milestones(secretArn: string): string[] {
      return emulator.eventBridge
        .events({ source: 'handover.rollout' })
        .filter((event) => (event.detail as { secretArn?: string }).secretArn === secretArn)
        .map((event) => event['detail-type']);
    },

    /** The SNS summaries about a secret. */
    summaries(secretName: string) {
      return emulator.sns.messages(topicArn).filter((message) => message.message.includes(secretName));
    },

    async close() {
      unsubscribe();
      iamClient.destroy();
      await new Promise<void>((resolve) => receiver.close(() => resolve()));
      receiver.closeAllConnections();
      await emulator.close();
      await database.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
  return world;
}

export type RolloutWorld = Awaited<ReturnType<typeof startRolloutWorld>>;

export { rotationSucceededEvent };
