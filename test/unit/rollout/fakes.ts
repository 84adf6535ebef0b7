import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import type { ConsumerAdapter, ConsumerAdapters } from '../../../lambdas/rollout/consumers/adapter';
import type { ConsumerConfig, ConsumerUpdate, RolloutConfig } from '../../../lambdas/rollout/contract';
import { rolloutConfigParameterName } from '../../../lambdas/rollout/contract';
import type { RolloutDeps } from '../../../lambdas/rollout/deps';
import { createNotifier } from '../../../lambdas/rollout/notify';
import type { RolloutPlan, RotationProgress } from '../../../lambdas/rollout/plan';
import type { StrategyCapabilities } from '../../../lambdas/rotation/actions';
import { SecretsManagerService } from '../../../local/emulator';
import { inProcessDynamoDb, LOCK_TABLE } from '../../support/in-process-dynamodb';
import { inProcessSecretsClient } from '../../support/in-process-secrets';

export const NOW = new Date('2026-11-21T10:00:00.000Z');
export const EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:Handover-rollout:run-1';
export const OTHER_EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:Handover-rollout:run-0';
export const ROTATION_FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:rotation-postgres';
export const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:handover';

/** A recording logger: one entry per line, level first. */
export function recordingLogger() {
  const lines: Array<{ level: string; message: string; fields: Record<string, unknown> }> = [];
  const log =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      lines.push({ level, message, fields });
    };
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

/** A recording metrics port. */
export function recordingMetrics() {
  const recorded: string[] = [];
  return {
    recorded,
    consumerUpdateFailed: (type: string, consumer: string) =>
      recorded.push(`ConsumerUpdateFailed:${type}:${consumer}`),
    oldCredentialStillInUse: (type: string) => recorded.push(`OldCredentialStillInUse:${type}`),
    undeclaredReaders: (type: string, count: number) => recorded.push(`UndeclaredReaders:${type}=${count}`),
    rollout: (type: string, outcome: 'success' | 'failure') =>
      recorded.push(`${outcome === 'success' ? 'RolloutSucceeded' : 'RolloutFailed'}:${type}`),
    lockLost: (type: string) => recorded.push(`RolloutLockLost:${type}`),
    emergencyRollout: (type: string) => recorded.push(`EmergencyRollout:${type}`),
  };
}

/** Recording fake adapters: every call in order (`update:api@v2`), with per-consumer failures. */
export function fakeAdapters() {
  const calls: string[] = [];
  const failing = new Map<string, Error>();
  const current = new Set<string>();
  const adapter = (kind: ConsumerConfig['kind']): ConsumerAdapter => ({
    kind,
    async update(consumer, update: ConsumerUpdate) {
      calls.push(
        `update:${consumer.name}@${update.versionId}${update.taskToken === undefined ? '' : '+token'}`,
      );
      const error = failing.get(consumer.name);
      if (error !== undefined) throw error;
      const key = `${consumer.name}@${update.versionId}`;
      const already = current.has(key);
      current.add(key);
      return {
        consumer: consumer.name,
        kind,
        outcome: kind === 'event' ? 'published' : already ? 'already-current' : 'updated',
        detail: `${kind} detail`,
      };
    },
    async verify(consumer, update) {
      calls.push(`verify:${consumer.name}@${update.versionId}`);
      return { consumer: consumer.name, kind, outcome: 'verified', detail: 'healthy' };
    },
  });
  // One recording fake serves every kind (the map is typed per kind; the fake ignores kind fields).
  const adapters = {
    lambda: adapter('lambda'),
    'ecs-service': adapter('ecs-service'),
    'ssm-parameter': adapter('ssm-parameter'),
    event: adapter('event'),
    webhook: adapter('webhook'),
  } as unknown as ConsumerAdapters;
  return { adapters, calls, failing };
}

export const CONSUMERS: ConsumerConfig[] = [
  { kind: 'lambda', name: 'api', functionName: 'api', canary: true },
  { kind: 'ssm-parameter', name: 'mirror', parameterName: '/app/db' },
  { kind: 'event', name: 'ci' },
];

export function rolloutConfig(secretArn: string, overrides: Partial<RolloutConfig> = {}): RolloutConfig {
  return {
    secretArn,
    credentialType: 'postgres',
    rotationFunctionArn: ROTATION_FUNCTION,
    graceSeconds: 3600,
    usageRecheckSeconds: 600,
    usageMaxChecks: 3,
    maxConcurrency: 4,
    consumers: CONSUMERS,
    ...overrides,
  };
}

export const ALTERNATING: StrategyCapabilities = {
  action: 'describe',
  credentialType: 'postgres',
  variant: 'alternating-users',
  previousStaysValid: true,
  canCheckUsage: true,
  canRevoke: true,
  canRestore: true,
};

/**
 * A rollout function's world with its SDK boundaries faked: Secrets Manager is the emulator's
 * service model in-process (real label and tag semantics, fault injection per call), SSM / SFN /
 * SNS / EventBridge are aws-sdk-client-mock mocks.
 */
export function rolloutWorld(options: { holderStatus?: string } = {}) {
  const service = new SecretsManagerService({ now: () => NOW });
  const secretsManager = inProcessSecretsClient(service);
  service.registerRotationLambda(ROTATION_FUNCTION, async () => undefined);
  const ssm = mockClient(SSMClient);
  ssm.on(GetParameterCommand).rejects(new ParameterNotFound({ message: 'not found', $metadata: {} }));
  const sfn = mockClient(SFNClient);
  sfn.on(DescribeExecutionCommand).resolves({ status: (options.holderStatus ?? 'RUNNING') as 'RUNNING' });
  sfn.on(StopExecutionCommand).resolves({ stopDate: NOW });
  const dynamodb = inProcessDynamoDb();
  const sns = mockClient(SNSClient);
  sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
  const eventBridge = mockClient(EventBridgeClient);
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  const logger = recordingLogger();
  const metrics = recordingMetrics();
  const { adapters, calls, failing } = fakeAdapters();
  const deps: RolloutDeps = {
    secretsManager,
    ssm: new SSMClient({ region: 'us-east-1' }),
    sfn: new SFNClient({ region: 'us-east-1' }),
    dynamodb,
    adapters,
    notifier: createNotifier({
      sns: new SNSClient({ region: 'us-east-1' }),
      eventBridge: new EventBridgeClient({ region: 'us-east-1' }),
      topicArn: TOPIC_ARN,
      runbookUrl: 'https://example.com/README.md',
      logger,
    }),
    metrics,
    logger,
    settings: { leaseSeconds: 7200, rotationTimeoutSeconds: 900, lockTable: LOCK_TABLE },
    now: () => NOW,
  };
  return {
    service,
    secretsManager,
    dynamodb,
    ssm,
    sfn,
    sns,
    eventBridge,
    logger,
    metrics,
    adapterCalls: calls,
    failing,
    deps,

    /** A secret with one value (version v1, AWSCURRENT), rotation on, and its rollout configuration. */
    createSecret(name = 'orders/db/app', config: Partial<RolloutConfig> = {}) {
      const created = service.invoke('CreateSecret', {
        Name: name,
        SecretString: '{"username":"app","password":"p"}',
        ClientRequestToken: 'v1-00000000-0000-0000-0000-000000000001',
      }) as { ARN: string; Name: string };
      service.configureRotation(created.ARN, ROTATION_FUNCTION);
      ssm
        .on(GetParameterCommand, { Name: rolloutConfigParameterName(name) })
        .resolves({ Parameter: { Value: JSON.stringify(rolloutConfig(created.ARN, config)) } });
      return created.ARN;
    },

    /** Adds version `id` as AWSCURRENT (the previous current becomes AWSPREVIOUS): a finished rotation. */
    rotate(arn: string, id: string) {
      service.invoke('PutSecretValue', {
        SecretId: arn,
        ClientRequestToken: id,
        SecretString: `{"username":"app_clone","password":"${id}"}`,
        VersionStages: ['AWSCURRENT'],
      });
    },

    labels(arn: string) {
      return service.invoke('DescribeSecret', { SecretId: arn }) as {
        VersionIdsToStages: Record<string, string[]>;
        Tags?: Array<{ Key: string; Value: string }>;
      };
    },

    tags(arn: string): Record<string, string> {
      const out = service.invoke('DescribeSecret', { SecretId: arn }) as {
        Tags?: Array<{ Key: string; Value: string }>;
      };
      return Object.fromEntries((out.Tags ?? []).map((tag) => [tag.Key, tag.Value]));
    },

    /** The lock item of a secret, as plain strings (what the rollout lock wrote). */
    lock(arn: string): Record<string, string> {
      const item = dynamodb.items()[arn] ?? {};
      return Object.fromEntries(
        Object.entries(item).map(([key, value]) => [key, String(Object.values(value)[0])]),
      );
    },

    /** Puts a lock item as another execution would have written it. */
    putLock(arn: string, fields: Record<string, string>) {
      dynamodb.service.invoke('PutItem', {
        TableName: LOCK_TABLE,
        Item: Object.fromEntries(
          Object.entries({ secretArn: arn, ...fields }).map(([key, value]) => [key, { S: value }]),
        ),
      });
    },

    /** Milestones published (detail-types), in order. */
    milestones(): string[] {
      return eventBridge
        .commandCalls(PutEventsCommand)
        .map((call) => call.args[0].input.Entries?.[0]?.DetailType ?? '');
    },

    restore() {
      ssm.restore();
      sfn.restore();
      sns.restore();
      eventBridge.restore();
    },
  };
}

export type RolloutTestWorld = ReturnType<typeof rolloutWorld>;

/** A plan as preflight makes it, for tasks that start later. */
export function plan(secretArn: string, overrides: Partial<RolloutPlan> = {}): RolloutPlan {
  return {
    rolloutId: 'run-1',
    executionArn: EXECUTION_ARN,
    secretArn,
    secretName: 'orders/db/app',
    credentialType: 'postgres',
    rotationFunctionArn: ROTATION_FUNCTION,
    mode: 'scheduled',
    trigger: 'event',
    reason: 'scheduled rotation',
    startedAt: NOW.toISOString(),
    graceSeconds: 3600,
    usageRecheckSeconds: 600,
    usageMaxChecks: 3,
    maxConcurrency: 4,
    waves: { canary: [CONSUMERS[0] as ConsumerConfig], main: CONSUMERS.slice(1) },
    ...overrides,
  };
}

export const succeeded = (newVersionId: string, oldVersionId: string): RotationProgress => ({
  status: 'succeeded',
  checks: 0,
  versionId: newVersionId,
  previousVersionId: oldVersionId,
  versions: { newVersionId, oldVersionId },
  completedAt: NOW.toISOString(),
});
