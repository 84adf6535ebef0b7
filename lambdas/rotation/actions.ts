import * as z from 'zod/mini';
import { RotationEventError, RotationStateError } from '../shared/errors';
import type { StructuredLogger } from '../shared/observability';
import { fingerprint, redactError } from '../shared/redaction';
import { type StragglerRecord, stragglerIdentities, stragglerRecords } from '../shared/stragglers';
import { cachedForInvocation, type SecretsPort } from './secrets-port';
import type { CredentialStrategy, StrategyContext } from './strategy';

/**
 * Strategy actions the rollout workflow asks a secret's rotation function to run. They run there
 * because that function already has the strategy's configuration, network placement and
 * least-privilege role; the workflow's own functions never touch a database or a provider.
 */
export const STRATEGY_ACTIONS = ['describe', 'inUse', 'revoke', 'restore'] as const;
export type StrategyAction = (typeof STRATEGY_ACTIONS)[number];

const actionEventSchema = z.object({
  Action: z.enum(STRATEGY_ACTIONS),
  SecretId: z.string().check(z.minLength(1), z.maxLength(2048)),
  /** The version whose credential the action is about (the old one, for inUse / revoke / restore). */
  VersionId: z.optional(z.string().check(z.minLength(32), z.maxLength(64))),
  /** ISO 8601: usage after this instant counts (inUse). */
  Since: z.optional(z.iso.datetime()),
});

export interface StrategyActionEvent {
  readonly Action: StrategyAction;
  readonly SecretId: string;
  readonly VersionId?: string;
  readonly Since?: string;
}

/** What a strategy can do, for the workflow to plan revocation and rollback. */
export interface StrategyCapabilities {
  readonly action: 'describe';
  readonly credentialType: string;
  readonly variant: string;
  readonly previousStaysValid: boolean;
  readonly canCheckUsage: boolean;
  readonly canRevoke: boolean;
  readonly canRestore: boolean;
}

export interface UsageResult {
  readonly action: 'inUse';
  readonly inUse: boolean;
  readonly observable: boolean;
  readonly evidence: string;
  readonly lastUsed?: string;
  /**
   * Who still uses it (at most 20, most recent first); never a secret. The action always sets it
   * (empty when no one is named); a state built by hand may leave it out.
   */
  readonly stragglers?: readonly StragglerRecord[];
  /** Stragglers left out of `stragglers`. */
  readonly stragglersOmitted?: number;
}

export interface DoneResult {
  readonly action: 'revoke' | 'restore';
  readonly done: boolean;
  /**
   * Why nothing was done, when `done` is false: the strategy has no such action, or only a person
   * can do it (the step to take). Empty when done (always present: the state machine selects it).
   */
  readonly reason?: string;
}

export type StrategyActionResult = StrategyCapabilities | UsageResult | DoneResult;

/** Whether an event is a strategy action (it has `Action`) rather than a rotation step. */
export function isStrategyAction(event: unknown): boolean {
  return typeof event === 'object' && event !== null && 'Action' in event;
}

/**
 * Runs one strategy action for the rollout workflow. Reads the version's value, asks the strategy,
 * and returns a JSON-safe result; errors are redacted of every secret read.
 */
export async function runStrategyAction<S>(
  raw: unknown,
  deps: {
    readonly strategy: CredentialStrategy<S>;
    readonly secrets: SecretsPort;
    readonly logger: StructuredLogger;
  },
): Promise<StrategyActionResult> {
  const { strategy, logger } = deps;
  const secrets = cachedForInvocation(deps.secrets);
  const parsed = actionEventSchema.safeParse(raw);
  if (!parsed.success) {
    const field = String(parsed.error.issues[0]?.path[0] ?? '$');
    throw new RotationEventError(field, `strategy action field ${field} is missing or invalid`);
  }
  const event = parsed.data;
  if (event.Action === 'describe') {
    return {
      action: 'describe',
      credentialType: strategy.type,
      variant: strategy.variant,
      previousStaysValid: strategy.previousStaysValid,
      canCheckUsage: strategy.inUse !== undefined,
      canRevoke: strategy.revoke !== undefined,
      canRestore: strategy.restore !== undefined,
    };
  }
  if (event.VersionId === undefined) {
    throw new RotationEventError('VersionId', `strategy action ${event.Action} needs VersionId`);
  }
  const versionId = event.VersionId;
  // GetSecretValue answers with the secret's ARN: no DescribeSecret needed to learn it.
  const version = await secrets.getVersion(event.SecretId, { versionId });
  if (version === undefined) {
    throw new RotationStateError(`version ${versionId} of secret ${event.SecretId} has no value`);
  }
  const { arn, value } = version;
  const seen = [value];
  const started = performance.now();
  const fields = {
    secret_id: arn,
    rotation_id: versionId,
    credential_type: strategy.type,
    strategy: strategy.variant,
    step: event.Action,
  };
  const ctx: StrategyContext = {
    secretId: arn,
    rotationId: versionId,
    secrets,
    logger: {
      debug: (message, extra) => logger.debug(message, { ...fields, ...extra }),
      info: (message, extra) => logger.info(message, { ...fields, ...extra }),
      warn: (message, extra) => logger.warn(message, { ...fields, ...extra }),
    },
  };
  try {
    const old = strategy.parse(value);
    seen.push(...strategy.secretsOf(old));
    const key_fingerprint = fingerprint(strategy.identify(old));
    let result: StrategyActionResult;
    if (event.Action === 'inUse') {
      if (strategy.inUse === undefined) {
        result = {
          action: 'inUse',
          inUse: false,
          observable: false,
          evidence: `${strategy.type} ${strategy.variant} cannot report whether a credential is used`,
          stragglers: [],
          stragglersOmitted: 0,
        };
      } else {
        const since = new Date(event.Since ?? 0);
        const report = await strategy.inUse(old, since, ctx);
        const named = stragglerRecords(report.stragglers ?? []);
        result = {
          action: 'inUse',
          inUse: report.inUse,
          observable: report.observable ?? true,
          evidence: report.evidence,
          ...(report.lastUsed === undefined ? {} : { lastUsed: report.lastUsed.toISOString() }),
          stragglers: named.stragglers,
          stragglersOmitted: named.omitted,
        };
      }
    } else {
      const run = event.Action === 'revoke' ? strategy.revoke : strategy.restore;
      if (run === undefined) {
        result = {
          action: event.Action,
          done: false,
          reason: `${strategy.type} ${strategy.variant} has no ${event.Action}`,
        };
      } else {
        const outcome = await run.call(strategy, old, ctx);
        result =
          outcome === undefined
            ? { action: event.Action, done: true, reason: '' }
            : { action: event.Action, done: false, reason: outcome.reason };
      }
    }
    logger.info(`${event.Action} ${'done' in result && !result.done ? 'not available' : 'success'}`, {
      ...fields,
      outcome: 'success',
      key_fingerprint,
      duration_ms: Math.round(performance.now() - started),
      ...(result.action === 'inUse'
        ? {
            in_use: result.inUse,
            observable: result.observable,
            stragglers: stragglerIdentities(result.stragglers ?? []),
          }
        : {}),
    });
    return result;
  } catch (error) {
    const safe = redactError(error, seen);
    logger.error(`${event.Action} failed`, {
      ...fields,
      outcome: 'failure',
      reason: `${safe.name}: ${safe.message}`,
      duration_ms: Math.round(performance.now() - started),
    });
    throw safe;
  }
}
