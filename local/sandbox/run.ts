import { setTimeout as sleep } from 'node:timers/promises';
import { databaseLogin, startDatabaseClients } from './database-clients';
import { setForgottenConsumerScene } from './forgotten-consumer';
import { startOrdersClients } from './orders-clients';
import {
  ADOPT_AFTER_MS,
  SHARED_KEY_FUNCTION_ARN,
  SHARED_KEY_NAME,
  startOrdersService,
  VERIFIER_REFRESH_MS,
} from './orders-service';
import { playOverlap } from './overlap';
import { createPostgresSecrets, postgresFunctionArn } from './postgres-secrets';
import type { ClientSummary, SandboxResult } from './results';
import { prepareRollouts, type RolledOutSecret } from './rollout';
import { setStage } from './stage';
import { tellStory } from './story';
import { printSummary, strategySummaries } from './summary';
import { createTimeline } from './timeline';
import { startWebhookReceiver } from './webhook-receiver';

export type {
  ClientSummary,
  OverlapSummary,
  RolloutSummary,
  SandboxResult,
  StrategySummary,
} from './results';
export { STANDARD_PRICE_PER_TRANSITION_USD } from './results';

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

/**
 * Runs the sandbox and returns what it measured. Cleans up after itself, even on failure. The
 * scenes, in order: the stage (PostgreSQL, the AWS emulator), the partner's webhook receiver, the
 * PostgreSQL secrets and the orders service's shared key with their rotation functions, the rollout
 * workflow, the clients, the story (rotations and rollouts), the overlap (a rotation inside a
 * rollout's grace window, refused by the interlock), the summary.
 */
export async function runSandbox(options: SandboxOptions = {}): Promise<SandboxResult> {
  const rounds = options.rounds ?? 3;
  const clientsPerStrategy = options.clientsPerStrategy ?? 4;
  const cacheMs = options.cacheMs ?? 200;
  const graceMs = options.graceMs ?? 600;
  const timeline = createTimeline(options.print ?? true);
  if (!options.verbose) {
    // The timeline shows every failure; the functions' JSON logs are for --verbose.
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  }
  const stage = await setStage(timeline);
  try {
    const webhook = await startWebhookReceiver(stage, timeline);
    const postgres = await createPostgresSecrets(stage, timeline);
    const orders = await startOrdersService(stage, timeline);
    const logsIn = databaseLogin(stage);
    const alternating: RolledOutSecret = {
      secret: 'postgres',
      arn: postgres.arns.get('alternating-users') ?? '',
      name: 'sandbox/postgres/alternating-users',
      credentialType: 'postgres',
      functionArn: postgresFunctionArn('alternating-users'),
      rotationFunction: required(postgres.functions.get('alternating-users')),
      usageMaxChecks: 10,
      graceMs,
      oldStillWorks: (old) => logsIn(old.username ?? '', old.password ?? ''),
    };
    const sharedKey: RolledOutSecret = {
      secret: 'shared-key',
      arn: orders.arn,
      name: SHARED_KEY_NAME,
      credentialType: 'shared-key',
      functionArn: SHARED_KEY_FUNCTION_ARN,
      rotationFunction: orders.rotationFunction,
      usageMaxChecks: 2,
      graceMs: cacheMs + ADOPT_AFTER_MS + VERIFIER_REFRESH_MS,
      // Verifiers stop accepting a revoked key from their next refresh.
      oldStillWorks: async (old) => {
        await sleep(VERIFIER_REFRESH_MS * 1.2);
        const response = await fetch(orders.url, { headers: { authorization: `Bearer ${old.key}` } });
        await response.arrayBuffer();
        return response.status === 200;
      },
    };
    const billing = await setForgottenConsumerScene(stage, timeline, {
      masterArn: postgres.masterArn,
      rotationFunction: alternating.rotationFunction,
    });
    stage.onClose(() => billing.stop());
    const rollout = await prepareRollouts(stage, timeline, webhook, [alternating, sharedKey, billing.secret]);
    const pool = startDatabaseClients(stage, postgres.arns, { clientsPerStrategy, cacheMs });
    const apiClients = startOrdersClients(stage, timeline, orders, { clients: clientsPerStrategy, cacheMs });

    const story = await tellStory(
      stage,
      timeline,
      rollout,
      { postgres: postgres.arns, alternating, sharedKey },
      rounds,
    );
    const overlap = await playOverlap(stage, timeline, rollout, alternating);
    // The seed incident: a client app nobody declared.
    const incident = await billing.play(rollout);
    const rollouts = incident === undefined ? story.rollouts : [...story.rollouts, incident];
    await Promise.all([pool.stop(), apiClients.stop(), billing.stop()]);

    const strategies = strategySummaries(rounds, story.failedRotations, pool.stats);
    const alternatingStat = pool.stats.get('alternating-users') ?? { logins: 0, failed: [] };
    const clients: ClientSummary[] = [
      { kind: 'database-pool', requests: alternatingStat.logins, failed: alternatingStat.failed.length },
      { kind: 'orders-service-client', requests: apiClients.stats.requests, failed: apiClients.stats.failed },
      { kind: 'webhook-receiver', requests: webhook.stats.requests, failed: webhook.stats.failed },
      { kind: 'billing-apps', ...billing.stats() },
    ];
    printSummary(timeline, {
      strategies,
      clients,
      rollouts,
      cacheMs,
      adoptAfterMs: ADOPT_AFTER_MS,
      acceptedPrevious: apiClients.stats.acceptedPrevious,
      overlap,
    });
    return { strategies, rollouts, clients, overlap, durationMs: Math.round(timeline.elapsedMs()) };
  } finally {
    await stage.close();
  }
}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('sandbox: a rotation function is missing');
  return value;
}
