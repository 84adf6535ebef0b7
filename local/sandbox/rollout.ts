import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { CreateSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import {
  type ConsumerConfig,
  type ReadersConfig,
  type RolloutConfig,
  rolloutConfigParameterName,
} from '../../lambdas/rollout/contract';
import { synthesizedDefinition } from '../workflow/definition';
import { rotationSucceededEvent } from '../workflow/events';
import { type LocalFunction, LocalStepFunctions } from '../workflow/local-step-functions';
import { createLockTable } from '../workflow/lock-table';
import { type RolloutSummary, rolloutAsExpected, STANDARD_PRICE_PER_TRANSITION_USD } from './results';
import type { Stage } from './stage';
import type { Timeline } from './timeline';
import { WEBHOOK_SIGNING_KEY, type WebhookReceiver } from './webhook-receiver';

/** The rollout states the timeline shows (the others are bookkeeping). */
const TIMELINE_STATES = new Set([
  'Preflight',
  'Find readers',
  'Wait for CloudTrail delivery',
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

/** A secret the rollout workflow carries to its consumers. */
export interface RolledOutSecret {
  readonly secret: RolloutSummary['secret'];
  readonly arn: string;
  /** The secret's name: its rollout configuration is the parameter named after it. */
  readonly name: string;
  readonly credentialType: RolloutConfig['credentialType'];
  /** Its rotation function: the rollout asks it for usage checks and the revocation. */
  readonly functionArn: string;
  readonly rotationFunction: LocalFunction;
  readonly usageMaxChecks: number;
  /** The grace window of its rollouts, in ms (the Wait state is shortened to it). */
  readonly graceMs: number;
  /** Whether the old credential still works after the rollout (the sandbox's own check). */
  readonly oldStillWorks: (old: Record<string, string | undefined>) => Promise<boolean>;
  /**
   * Its consumers.
   * @default - the SSM parameter mirror (canary) and the partner's webhook
   */
  readonly consumers?: readonly ConsumerConfig[];
  /**
   * Its readers check (CloudTrail).
   * @default - none
   */
  readonly readers?: ReadersConfig;
  /** The consumers on the new version after a rollout. @default - the mirror and the partner, as found */
  readonly consumersUpdated?: (currentVersionId: string) => string[];
  /** Called after every usage check the gate makes, with whether it kept the old credential. */
  readonly onUsageCheck?: (blocked: boolean, check: number) => void;
}

/** Options of one {@link RunRollout}. */
export interface RolloutRunOptions {
  /** The grace window of this execution, in ms. @default - the secret's `graceMs` */
  readonly graceMs?: number;
  /** Called as this execution enters each state (e.g. to rotate in its grace window). */
  readonly onStateEntered?: (state: string) => void;
}

/** Runs the rollout workflow for one rotation of a secret, and says how it went. */
export type RunRollout = (
  secret: RolledOutSecret,
  round: number,
  options?: RolloutRunOptions,
) => Promise<RolloutSummary>;

/**
 * The rollout workflow as deployed: the state machine `cdk synth` produces for the example policy
 * (synthesized with bundling off), executed locally with aws-local-stepfunctions, its tasks wired
 * to the real rollout function and to the secrets' real rotation functions, against the emulator.
 * Consumers: an SSM parameter mirror (the canary) and the partner's signed webhook. The grace
 * window and the waits are shortened; everything else runs as in AWS.
 */
export async function prepareRollouts(
  stage: Stage,
  timeline: Timeline,
  webhook: WebhookReceiver,
  secrets: readonly Omit<
    RolledOutSecret,
    'graceMs' | 'oldStillWorks' | 'consumersUpdated' | 'onUsageCheck'
  >[],
): Promise<RunRollout> {
  const { createRolloutHandler } = await import('../../lambdas/rollout/rollout-handler');
  const { createConsumerAdapters } = await import('../../lambdas/rollout/consumers');
  const { createNotifier } = await import('../../lambdas/rollout/notify');
  const { createRolloutMetrics } = await import('../../lambdas/rollout/metrics');
  const { createLogger } = await import('../../lambdas/shared/observability');
  const { createReaderSources } = await import('../../lambdas/rollout/readers/sources');
  const { CloudTrailClient } = await import('@aws-sdk/client-cloudtrail');
  const { sm, emulator } = stage;
  const { definition, rolloutFunctionArn } = synthesizedDefinition();
  timeline.line(
    '                  rollout workflow: the state machine `cdk synth` makes (bundling off), run locally',
  );
  const functions = new Map<string, LocalFunction>();
  const listeners = new Map<string, (state: string) => void>();
  const local = new LocalStepFunctions(definition, {
    functions,
    tokens: emulator.stepFunctions,
    waitMs: {
      'Wait for rotation': 50,
      'Wait before re-checking': 200,
      // CloudTrail's delivery delay, shortened as the emulator's is (AWS: minutes).
      'Wait for CloudTrail delivery': SANDBOX_DELIVERY_MS,
      'Wait for CloudTrail delivery before naming': SANDBOX_DELIVERY_MS,
    },
    onStateEntered: (record, state) => {
      if (TIMELINE_STATES.has(state)) timeline.event(`rollout           ${state}`);
      listeners.get(record.name)?.(state);
    },
  });

  const ssm = new SSMClient({});
  const eventBridge = new EventBridgeClient({});
  const dynamodb = new DynamoDBClient({});
  const lockTable = await createLockTable(dynamodb, 'handover-sandbox-rollout-locks');
  const logger = createLogger();
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
    notifier: createNotifier({
      sns: new SNSClient({}),
      eventBridge,
      topicArn: emulator.sns.createTopic('handover-sandbox'),
      logger,
    }),
    metrics: createRolloutMetrics(),
    readerSources: createReaderSources({ cloudTrail: new CloudTrailClient({}) }),
    logger,
    settings: { leaseSeconds: 3600, rotationTimeoutSeconds: 5, lockTable },
  });
  const watchers = new Map<string, Pick<RolledOutSecret, 'onUsageCheck'> & { named: Set<string> }>();
  functions.set(rolloutFunctionArn, withReadersTimeline(timeline, rollout as LocalFunction, watchers));
  const signing = await sm.send(
    new CreateSecretCommand({ Name: 'sandbox/webhook-signing', SecretString: WEBHOOK_SIGNING_KEY }),
  );
  const mirrorOf = (secret: RolloutSummary['secret']) =>
    secret === 'shared-key' ? '/sandbox/orders/api-key' : `/sandbox/${secret}/db`;
  const consumersOf = (secret: RolloutSummary['secret']): ConsumerConfig[] => [
    { kind: 'ssm-parameter', name: 'mirror', parameterName: mirrorOf(secret), canary: true },
    { kind: 'webhook', name: 'partner', url: webhook.url, signingSecretArn: signing.ARN ?? '' },
  ];
  // Secrets can share a rotation function: the timeline names each by the secret an action is about.
  const labels = new Map(secrets.map((secret) => [secret.arn, secret.secret]));
  for (const secret of secrets) {
    // A rotation function also serves the strategy actions (describe, inUse, revoke, restore).
    functions.set(secret.functionArn, withActionTimeline(timeline, labels, secret.rotationFunction));
    const config: RolloutConfig = {
      secretArn: secret.arn,
      credentialType: secret.credentialType,
      rotationFunctionArn: secret.functionArn,
      usageMaxChecks: secret.usageMaxChecks,
      consumers: secret.consumers ?? consumersOf(secret.secret),
      ...(secret.readers === undefined ? {} : { readers: secret.readers }),
      // Planned seconds (the usage windows start from them); the Wait states are shortened.
      graceSeconds: 1,
      usageRecheckSeconds: 1,
      maxConcurrency: 4,
    };
    await ssm.send(
      new PutParameterCommand({
        Name: rolloutConfigParameterName(secret.name),
        Value: JSON.stringify(config),
        Type: 'String',
      }),
    );
  }

  let started = 0;
  return async (secret, round, options = {}) => {
    started++;
    const execution = started;
    const name = `sandbox-rollout-${execution}`;
    if (options.onStateEntered !== undefined) listeners.set(name, options.onStateEntered);
    const old = await sm.send(
      new GetSecretValueCommand({ SecretId: secret.arn, VersionStage: 'AWSPREVIOUS' }),
    );
    const oldValue = JSON.parse(old.SecretString ?? '{}') as Record<string, string | undefined>;
    timeline.event(
      `rollout           ${secret.secret} execution ${execution} started (RotationSucceeded event)`,
    );
    const named = new Set<string>();
    watchers.set(secret.arn, {
      named,
      ...(secret.onUsageCheck === undefined ? {} : { onUsageCheck: secret.onUsageCheck }),
    });
    const record = await local.start(rotationSucceededEvent(secret.arn), name, {
      'Grace window': options.graceMs ?? secret.graceMs,
    }).done;
    listeners.delete(name);
    const revokedState = record.states.includes('Revoke old credential');
    const current = await sm.send(new GetSecretValueCommand({ SecretId: secret.arn }));
    const oldStillWorks = await secret.oldStillWorks(oldValue);
    const revoked = revokedState && !oldStillWorks;
    const outcome = {
      status: record.status,
      ...(record.error === undefined ? {} : { error: record.error }),
      revoked,
    };
    const summary: RolloutSummary = {
      secret: secret.secret,
      round,
      ...outcome,
      transitions: record.transitions,
      costUsd: record.transitions * STANDARD_PRICE_PER_TRANSITION_USD,
      usageChecks: record.states.filter((state) => state === 'Check old credential usage').length,
      consumersUpdated: secret.consumersUpdated?.(current.VersionId ?? '') ?? [
        ...(emulator.ssm.parameter(mirrorOf(secret.secret))?.value === current.SecretString
          ? ['mirror']
          : []),
        ...(webhook.stats.verified.has(current.VersionId ?? '') ? ['partner'] : []),
      ],
      stragglersNamed: [...named],
      asExpected: rolloutAsExpected(secret.secret, outcome),
    };
    const failure = record.error ? ` ${record.error}: ${record.cause ?? ''}` : '';
    const expected =
      record.status !== 'SUCCEEDED' && summary.asExpected
        ? ' (the expected outcome here: see the summary)'
        : '';
    timeline.event(
      `rollout           execution ${execution} ${record.status}${failure}, ${record.transitions} state transitions, old credential ${revoked ? 'revoked (login refused)' : 'NOT revoked'}${expected}`,
    );
    return summary;
  };
}

/** The shortened CloudTrail delivery delay of the sandbox, in milliseconds (AWS: minutes). */
export const SANDBOX_DELIVERY_MS = 1000;

/**
 * Prints what the readers tasks of the rollout function found: the undeclared readers at preflight,
 * and at each usage check who still holds the old version (CloudTrail).
 */
function withReadersTimeline(
  timeline: Timeline,
  handler: LocalFunction,
  watchers: ReadonlyMap<string, Pick<RolledOutSecret, 'onUsageCheck'> & { named: Set<string> }>,
): LocalFunction {
  let checks = 0;
  return async (payload) => {
    const result = await handler(payload);
    const task = payload as {
      Task?: string;
      phase?: string;
      rollout?: { secretArn?: string; readers?: unknown };
    };
    if (task.rollout?.readers === undefined) return result;
    const watcher = watchers.get(task.rollout?.secretArn ?? '');
    if (task.Task === 'find-readers') {
      const found = result as {
        status: string;
        evidence: string;
        undeclared: readonly { identity: string; from?: string; lastSeen?: string }[];
      };
      if (found.status === 'found') timeline.event(`readers           ${found.evidence.split(';')[0]}`);
      if (found.undeclared.length > 0) {
        timeline.event(
          `alarm             ${found.undeclared.length} undeclared reader(s) (SNS message, UndeclaredReaders event and metric): ${found.undeclared.map((reader) => `${reader.identity} from ${reader.from ?? '?'}, last read ${reader.lastSeen ?? '?'}`).join('; ')}`,
        );
      }
    } else if (task.Task === 'check-readers' && task.phase === 'gate') {
      const gate = result as {
        blocking: boolean;
        evidence: string;
        stragglers: readonly { identity: string }[];
      };
      checks += 1;
      for (const straggler of gate.stragglers) watcher?.named.add(straggler.identity);
      timeline.event(
        gate.stragglers.length > 0
          ? `readers check     KEEPS the old credential: ${gate.stragglers.map((straggler) => straggler.identity).join(', ')} read the old version (CloudTrail), not the new one since the rotation`
          : `readers check     ${gate.blocking ? 'KEEPS the old credential' : 'clear'}: ${gate.evidence.split(' (CloudTrail events')[0]}`,
      );
      watcher?.onUsageCheck?.(gate.blocking, checks);
    }
    return result;
  };
}

/** Prints the usage gate's answers and the revocation on the timeline. */
function withActionTimeline(
  timeline: Timeline,
  labels: ReadonlyMap<string, string>,
  handler: LocalFunction,
): LocalFunction {
  return async (payload) => {
    const label = labels.get((payload as { SecretId?: string }).SecretId ?? '') ?? 'secret';
    const result = (await handler(payload)) as
      | { inUse?: boolean; evidence?: string; stragglers?: readonly { identity: string; from?: string }[] }
      | undefined;
    const action = (payload as { Action?: string }).Action;
    if (action === 'inUse') {
      timeline.event(
        `usage gate        ${label}: old credential ${result?.inUse ? 'IN USE' : 'not in use'}: ${result?.evidence ?? ''}`,
      );
      for (const straggler of result?.stragglers ?? []) {
        timeline.event(
          `usage gate        ${label}: still used by ${straggler.identity} from ${straggler.from ?? '?'}`,
        );
      }
    } else if (action === 'revoke') {
      timeline.event(`revoke            ${label}: old credential revoked`);
    }
    return result;
  };
}
